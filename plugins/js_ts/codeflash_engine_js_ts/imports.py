"""Imports of a JavaScript/TypeScript file (ESM ``import`` and CommonJS ``require``), and merging.

A candidate often drops the imports of the original. :func:`missing_imports` finds the original
imports whose names the candidate uses but does not bind, and :func:`add_imports` inserts them
(only the names needed when the original statement bound more).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs
from tree_sitter import Node

from codeflash_engine.plugins.treesitter import Edit, captures
from codeflash_engine_js_ts.source import COMMENT_TYPES, Source
from codeflash_engine_js_ts.structure import (
    CLASS_NODES,
    FUNCTION_NODES,
    TYPE_NODES,
    VARIABLE_NODES,
    binding_names,
    is_import,
    is_require_call,
)

#: every identifier a file refers to; types only exist in the TypeScript grammars
USED_QUERY_JS = "[(identifier) (shorthand_property_identifier)] @id"
USED_QUERY_TS = "[(identifier) (type_identifier) (shorthand_property_identifier)] @id"


@attrs.frozen
class Binding:
    """One name an import statement binds, and the text that re-creates it.

    ``kind`` is ``default``, ``namespace``, ``named`` (ESM), ``require`` (a whole declarator) or
    ``property`` (one property of a destructured require). ``piece`` is the specifier text
    (``a as b``, ``* as ns``, ``a: b``) or the whole declarator for ``require``.
    """

    name: str
    kind: str
    piece: str
    statement: Node
    source: str


def bindings(source: Source) -> list[Binding]:
    """The bindings of the file's top-level imports and requires, in document order."""
    found: list[Binding] = []
    for node in source.root.named_children:
        if node.type == "import_statement":
            found.extend(_esm_bindings(source, node))
        elif is_import(node):
            found.extend(_require_bindings(source, node))
    return found


def import_source(source: Source, statement: Node) -> str | None:
    """The module specifier of an import or require statement, without quotes."""
    if statement.type == "import_statement":
        spec = statement.child_by_field_name("source")
        return source.text(spec)[1:-1] if spec is not None else None
    for declarator in statement.named_children:
        call = declarator.child_by_field_name("value") if declarator.type == "variable_declarator" else None
        while call is not None and call.type == "member_expression":
            call = call.child_by_field_name("object")
        if call is not None and is_require_call(call):
            arguments = call.child_by_field_name("arguments")
            string = arguments.named_children[0] if arguments is not None and arguments.named_children else None
            if string is not None and string.type == "string":
                return source.text(string)[1:-1]
    return None


def _esm_bindings(source: Source, node: Node) -> list[Binding]:
    spec = node.child_by_field_name("source")
    module = source.text(spec) if spec is not None else ""
    clause = next((c for c in node.named_children if c.type == "import_clause"), None)
    if clause is None:
        return []
    found: list[Binding] = []
    for part in clause.named_children:
        if part.type == "identifier":
            found.append(Binding(source.text(part), "default", source.text(part), node, module))
        elif part.type == "namespace_import":
            alias = next((c for c in part.named_children if c.type == "identifier"), None)
            if alias is not None:
                found.append(Binding(source.text(alias), "namespace", source.text(part), node, module))
        elif part.type == "named_imports":
            for specifier in part.named_children:
                if specifier.type != "import_specifier":
                    continue
                local = specifier.child_by_field_name("alias") or specifier.child_by_field_name("name")
                if local is not None:
                    found.append(Binding(source.text(local), "named", source.text(specifier), node, module))
    return found


def _require_bindings(source: Source, node: Node) -> list[Binding]:
    found: list[Binding] = []
    for declarator in node.named_children:
        if declarator.type != "variable_declarator":
            continue
        pattern = declarator.child_by_field_name("name")
        value = declarator.child_by_field_name("value")
        module = source.text(value) if value is not None else ""
        if pattern is None:
            continue
        if pattern.type == "object_pattern":
            for prop in pattern.named_children:
                for name in binding_names(prop):
                    found.append(Binding(name, "property", source.text(prop), node, module))
        else:
            for name in binding_names(pattern):
                found.append(Binding(name, "require", source.text(declarator), node, module))
    return found


def used_names(source: Source) -> set[str]:
    """Every identifier the file mentions (outside its imports)."""
    query = USED_QUERY_TS if source.is_typescript else USED_QUERY_JS
    imports = [(n.start_byte, n.end_byte) for n in source.root.named_children if is_import(n)]
    names: set[str] = set()
    for node in captures(source.grammar, query, source.root).get("id", ()):
        if any(lo <= node.start_byte < hi for lo, hi in imports):
            continue
        names.add(source.text(node))
    return names


def declared_names(source: Source) -> set[str]:
    """Names the file binds at the top level: imports, functions, classes, variables, types."""
    names = {b.name for b in bindings(source)}
    for node in source.root.named_children:
        inner = node
        if node.type == "export_statement":
            inner = node.child_by_field_name("declaration") or node
        if inner.type in FUNCTION_NODES or inner.type in CLASS_NODES or inner.type in TYPE_NODES:
            name = inner.child_by_field_name("name")
            if name is not None:
                names.add(source.text(name))
        elif inner.type in VARIABLE_NODES:
            for declarator in inner.named_children:
                pattern = declarator.child_by_field_name("name") if declarator.type == "variable_declarator" else None
                if pattern is not None:
                    names.update(binding_names(pattern))
    return names


def missing_imports(original: Source, candidate: Source) -> list[str]:
    """Import statements (text) for the original's bindings the candidate uses but lacks."""
    present = {candidate.text(n) for n in candidate.root.named_children if is_import(n)}
    if all(original.text(n) in present for n in original.root.named_children if is_import(n)):
        return []
    have = declared_names(candidate)
    used = used_names(candidate)
    groups: dict[int, list[Binding]] = {}
    all_of: dict[int, list[Binding]] = {}
    for binding in bindings(original):
        key = binding.statement.start_byte
        all_of.setdefault(key, []).append(binding)
        if binding.name in used and binding.name not in have:
            groups.setdefault(key, []).append(binding)
    statements: list[str] = []
    for key, needed in groups.items():
        statement = needed[0].statement
        if len(needed) == len(all_of[key]):
            statements.append(original.text(statement))
        else:
            statements.append(_render(original, statement, needed))
    return statements


def _render(source: Source, statement: Node, needed: list[Binding]) -> str:
    if statement.type == "import_statement":
        return _render_esm(source, statement, needed)
    keyword = statement.children[0].type if statement.children else "const"
    wholes = [b.piece for b in needed if b.kind == "require"]
    parts = [f"{keyword} {whole};" for whole in dict.fromkeys(wholes)]
    props: dict[str, list[str]] = {}  # per destructured require (one statement may hold several)
    for binding in needed:
        if binding.kind == "property":
            props.setdefault(binding.source, []).append(binding.piece)
    for module, pieces in props.items():
        parts.append(f"{keyword} {{ {', '.join(dict.fromkeys(pieces))} }} = {module};")
    return "\n".join(parts)


def _render_esm(source: Source, statement: Node, needed: list[Binding]) -> str:
    type_only = any(c.type == "type" for c in statement.children)
    clause: list[str] = []
    clause.extend(b.piece for b in needed if b.kind == "default")
    clause.extend(b.piece for b in needed if b.kind == "namespace")
    named = [b.piece for b in needed if b.kind == "named"]
    if named:
        clause.append("{ " + ", ".join(named) + " }")
    keyword = "import type" if type_only else "import"
    return f"{keyword} {', '.join(clause)} from {needed[0].source};"


def insertion_point(source: Source) -> tuple[int, bool]:
    """Where new imports go: after the last import (True), else before the first code (False)."""
    last: Node | None = None
    for node in source.root.named_children:
        if is_import(node):
            last = node
    if last is not None:
        return last.end_byte, True
    first = _first_code(source)
    return (first.start_byte if first is not None else len(source.data)), False


def _first_code(source: Source) -> Node | None:
    """The first statement that is not a comment, hashbang or directive, with its leading comments."""
    children = source.root.named_children
    for index, node in enumerate(children):
        if node.type in COMMENT_TYPES or node.type == "hash_bang_line" or _is_directive(node):
            continue
        start = index
        while start > 0 and children[start - 1].type in COMMENT_TYPES:
            gap = source.data[children[start - 1].end_byte : children[start].start_byte]
            if gap.count(b"\n") > 1:
                break
            start -= 1
        return children[start]
    return None


def _is_directive(node: Node) -> bool:
    return node.type == "expression_statement" and bool(node.named_children) and node.named_children[0].type == "string"


def add_imports(candidate: Source, statements: Iterable[str]) -> Edit | None:
    """The edit inserting ``statements`` at the candidate's import position, or None."""
    lines = [s for s in statements if s.strip()]
    if not lines:
        return None
    at, after = insertion_point(candidate)
    block = "\n".join(lines)
    text = f"\n{block}" if after else f"{block}\n\n"
    if not after and at > 0 and candidate.data[at - 1 : at] != b"\n":
        text = "\n" + text
    return Edit(at, at, text.encode("utf-8"))
