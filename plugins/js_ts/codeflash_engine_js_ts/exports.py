"""How a module exports a name: as its default export, as a named export, or unknown."""

from __future__ import annotations

from collections.abc import Iterable

from tree_sitter import Node

from codeflash_engine_js_ts.source import Source

DEFAULT = "default"
NAMED = "named"


def export_style(sources: Iterable[Source], name: str) -> str | None:
    """``"default"`` or ``"named"`` from the first file that exports ``name``, else None."""
    for source in sources:
        for node in source.root.named_children:
            style = _statement_style(source, node, name)
            if style is not None:
                return style
    return None


def _statement_style(source: Source, node: Node, name: str) -> str | None:
    if node.type == "export_statement":
        return _esm_style(source, node, name)
    if node.type == "expression_statement" and node.named_children:
        expression = node.named_children[0]
        if expression.type == "assignment_expression":
            return _commonjs_style(source, expression, name)
    return None


def _declared_names(source: Source, node: Node | None) -> list[str]:
    """The names an exported declaration or value binds: every declarator's of ``const a = 1, b = 2``."""
    if node is None:
        return []
    if node.type == "identifier":
        return [source.text(node)]
    named = node.child_by_field_name("name")
    if named is not None:
        return [source.text(named)]
    names: list[str] = []
    if node.type in ("lexical_declaration", "variable_declaration"):
        for declarator in node.named_children:
            pattern = declarator.child_by_field_name("name")
            if pattern is not None and pattern.type == "identifier":
                names.append(source.text(pattern))
    return names


def _esm_style(source: Source, node: Node, name: str) -> str | None:
    is_default = any(child.type == "default" for child in node.children)
    declaration = node.child_by_field_name("declaration") or node.child_by_field_name("value")
    if name in _declared_names(source, declaration):
        return DEFAULT if is_default else NAMED
    for clause in (c for c in node.named_children if c.type == "export_clause"):
        for specifier in clause.named_children:
            local = specifier.child_by_field_name("name")
            alias = specifier.child_by_field_name("alias")
            if local is not None and source.text(local) == name:
                return DEFAULT if alias is not None and source.text(alias) == "default" else NAMED
    return None


def _commonjs_style(source: Source, assignment: Node, name: str) -> str | None:
    left = assignment.child_by_field_name("left")
    right = assignment.child_by_field_name("right")
    if left is None or right is None:
        return None
    target = source.text(left).replace(" ", "")
    if target == "module.exports":
        if name in _declared_names(source, right):
            return DEFAULT
        if right.type == "object":
            for prop in right.named_children:
                key = prop.child_by_field_name("key") if prop.type == "pair" else prop
                if key is not None and source.text(key) == name:
                    return NAMED
        return None
    if target in (f"module.exports.{name}", f"exports.{name}"):
        return NAMED
    return None
