"""The definitions of a JavaScript/TypeScript file: top-level declarations and class members.

A :class:`Definition` is the unit the postprocessor compares, restores and deduplicates: a
function (with its ``export`` wrapper), a class header, a class member (with its decorators), a
variable declaration, a type, or any other top-level statement. Imports are not definitions
(see :mod:`codeflash_engine_js_ts.imports`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs
from tree_sitter import Node

from codeflash_engine.plugins.treesitter import walk
from codeflash_engine_js_ts.source import COMMENT_TYPES, Source

FUNCTION_NODES = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "function",
        "generator_function",
        "arrow_function",
        "method_definition",
    }
)
CLASS_NODES = frozenset({"class_declaration", "abstract_class_declaration", "class"})
TYPE_NODES = frozenset(
    {"interface_declaration", "type_alias_declaration", "enum_declaration", "internal_module", "module"}
)
VARIABLE_NODES = frozenset({"lexical_declaration", "variable_declaration"})
SKIPPED_TOP_LEVEL = frozenset({"import_statement", "hash_bang_line", *COMMENT_TYPES})

#: comments that stand for code the model left out
PLACEHOLDER_RE = re.compile(
    r"\.\.\.|…|unchanged|same as (before|original|above)|existing (code|implementation|logic)|rest of"
    r"|omitted|as before|no changes?|keep (the )?original|original (code|implementation)",
    re.IGNORECASE,
)


@attrs.frozen
class Definition:
    """One comparable unit of a file.

    ``key`` identifies it across versions of the file (``"sortList"``, ``"Cache.get"``,
    ``"class Cache"``); it is None for anonymous statements, which are compared by their
    normalised text. ``start``/``end`` span the whole unit (``export``, decorators included).
    ``function`` is the function node when the unit defines a function or method.
    """

    key: str | None
    start: int
    end: int
    node: Node
    function: Node | None = None
    class_name: str | None = None

    @property
    def name(self) -> str | None:
        """The qualified name of a function or method (``f`` or ``Class.m``), else None."""
        if self.function is None or self.key is None:
            return None
        return self.key


def is_require_call(node: Node | None) -> bool:
    """``require("x")`` (optionally ``require("x").member``)."""
    while node is not None and node.type == "member_expression":
        node = node.child_by_field_name("object")
    if node is None or node.type != "call_expression":
        return False
    callee = node.child_by_field_name("function")
    return callee is not None and callee.type == "identifier" and callee.text == b"require"


def is_require_declaration(node: Node) -> bool:
    """A top-level ``const x = require("x")`` (every declarator a require)."""
    if node.type not in VARIABLE_NODES:
        return False
    declarators = [c for c in node.named_children if c.type == "variable_declarator"]
    return bool(declarators) and all(is_require_call(d.child_by_field_name("value")) for d in declarators)


def is_import(node: Node) -> bool:
    """An ESM import or a CommonJS require declaration."""
    return node.type == "import_statement" or is_require_declaration(node)


def is_esm(source: Source) -> bool:
    """The file is an ES module: it has a top-level ``import`` or ``export`` statement."""
    return any(n.type in ("import_statement", "export_statement") for n in source.root.named_children)


def is_commonjs(source: Source) -> bool:
    """The file is a CommonJS module: not an ES module (:func:`is_esm`), and a top-level
    ``require`` declaration or an assignment to ``module.exports`` / ``exports.name``."""
    if is_esm(source):
        return False
    return any(is_require_declaration(n) or _exports_assignment(source, n) for n in source.root.named_children)


def _exports_assignment(source: Source, node: Node) -> bool:
    if node.type != "expression_statement" or not node.named_children:
        return False
    assignment = node.named_children[0]
    left = assignment.child_by_field_name("left") if assignment.type == "assignment_expression" else None
    if left is None or left.type != "member_expression":
        return False
    target = "".join(source.text(left).split())
    return target == "module.exports" or target.startswith(("module.exports.", "exports."))


def _name(source: Source, node: Node) -> str | None:
    name = node.child_by_field_name("name")
    return source.text(name) if name is not None else None


def definitions(source: Source) -> list[Definition]:
    """Every definition of the file, in document order (class members after their class header)."""
    return list(_top_level(source))


def _top_level(source: Source) -> Iterator[Definition]:
    for child in source.root.named_children:
        if child.type in SKIPPED_TOP_LEVEL or is_require_declaration(child):
            continue
        inner = child
        if child.type == "export_statement":
            declaration = child.child_by_field_name("declaration") or child.child_by_field_name("value")
            if declaration is None:
                yield Definition(None, child.start_byte, child.end_byte, child)
                continue
            inner = declaration
        yield from _declaration(source, inner, child)


def _declaration(source: Source, node: Node, unit: Node) -> Iterator[Definition]:
    kind = node.type
    if kind in FUNCTION_NODES and kind != "arrow_function":
        name = _name(source, node)
        yield Definition(name, unit.start_byte, unit.end_byte, unit, function=node)
    elif kind in CLASS_NODES:
        yield from _class(source, node, unit)
    elif kind in VARIABLE_NODES:
        yield _variable(source, node, unit)
    elif kind in TYPE_NODES:
        name = _name(source, node)
        yield Definition(f"type {name}" if name else None, unit.start_byte, unit.end_byte, unit)
    else:
        exported = _commonjs_export(source, node)
        if exported is not None:
            yield Definition(exported[0], unit.start_byte, unit.end_byte, unit, function=exported[1])
        else:
            yield Definition(None, unit.start_byte, unit.end_byte, unit)


def _commonjs_export(source: Source, node: Node) -> tuple[str, Node] | None:
    """``exports.name = function ...`` / ``module.exports.name = (...) => ...``: (name, function)."""
    if node.type != "expression_statement" or not node.named_children:
        return None
    assignment = node.named_children[0]
    if assignment.type != "assignment_expression":
        return None
    left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
    if left is None or right is None or right.type not in FUNCTION_NODES or left.type != "member_expression":
        return None
    owner, prop = left.child_by_field_name("object"), left.child_by_field_name("property")
    if owner is None or prop is None or "".join(source.text(owner).split()) not in ("exports", "module.exports"):
        return None
    return source.text(prop), right


def _variable(source: Source, node: Node, unit: Node) -> Definition:
    declarators = [c for c in node.named_children if c.type == "variable_declarator"]
    if len(declarators) == 1:
        value = declarators[0].child_by_field_name("value")
        name_node = declarators[0].child_by_field_name("name")
        is_function = value is not None and value.type in FUNCTION_NODES
        if is_function and name_node is not None and name_node.type == "identifier":
            return Definition(source.text(name_node), unit.start_byte, unit.end_byte, unit, function=value)
    names = [source.text(n) for d in declarators if (n := d.child_by_field_name("name")) is not None]
    return Definition("var " + ",".join(names), unit.start_byte, unit.end_byte, unit)


def _class(source: Source, node: Node, unit: Node) -> Iterator[Definition]:
    class_name = _name(source, node) or "default"
    body = node.child_by_field_name("body")
    header_end = body.start_byte if body is not None else unit.end_byte
    yield Definition(f"class {class_name}", unit.start_byte, header_end, unit, class_name=class_name)
    if body is None:
        return
    pending: list[Node] = []
    for member in body.named_children:
        if member.type == "decorator":
            pending.append(member)
            continue
        if member.type in COMMENT_TYPES:
            continue  # a comment between decorators and their member: they stay together
        start = pending[0].start_byte if pending else member.start_byte
        pending = []
        yield _member(source, member, start, class_name)


def _member(source: Source, member: Node, start: int, class_name: str) -> Definition:
    if member.type == "method_definition":
        name = _name(source, member) or ""
        prefix = "".join(f"{c.type} " for c in member.children if c.type in ("get", "set", "static"))
        key = f"{class_name}.{prefix}{name}" if prefix else f"{class_name}.{name}"
        return Definition(key, start, member.end_byte, member, function=member, class_name=class_name)
    if member.type in ("public_field_definition", "field_definition"):
        name_node = member.child_by_field_name("name") or member.child_by_field_name("property")
        name = source.text(name_node) if name_node is not None else ""
        return Definition(f"{class_name}.field {name}", start, member.end_byte, member, class_name=class_name)
    return Definition(None, start, member.end_byte, member, class_name=class_name)


def function_body(function: Node) -> Node | None:
    """The body of a function node (a statement block, or an expression for arrows)."""
    return function.child_by_field_name("body")


def function_parameters(function: Node) -> Node | None:
    """The parameter list (``formal_parameters``), or the single bare parameter of an arrow."""
    return function.child_by_field_name("parameters") or function.child_by_field_name("parameter")


def is_async(function: Node) -> bool:
    return any(child.type == "async" for child in function.children)


def is_generator(function: Node) -> bool:
    return any(child.type == "*" for child in function.children)


def binding_names(node: Node) -> list[str]:
    """The names a parameter list or a binding pattern introduces, in order."""
    kind = node.type
    if kind in ("identifier", "shorthand_property_identifier_pattern"):
        return [(node.text or b"").decode("utf-8")]
    if kind in ("required_parameter", "optional_parameter"):
        pattern = node.child_by_field_name("pattern")
        return binding_names(pattern) if pattern is not None else []
    if kind in ("assignment_pattern", "object_assignment_pattern"):
        left = node.child_by_field_name("left")
        return binding_names(left) if left is not None else []
    if kind == "pair_pattern":
        value = node.child_by_field_name("value")
        return binding_names(value) if value is not None else []
    if kind in ("formal_parameters", "object_pattern", "array_pattern", "rest_pattern"):
        return [name for child in node.named_children for name in binding_names(child)]
    return []


def bound_names(node: Node) -> set[str]:
    """Every name bound anywhere under ``node`` (``node`` included): parameters, variables,
    function and class names, ``catch`` parameters and ``for (const x of ...)`` variables."""
    names: set[str] = set()
    for current in walk(node):
        kind = current.type
        if kind == "formal_parameters":
            names.update(binding_names(current))
        elif kind == "arrow_function":
            single = current.child_by_field_name("parameter")
            names.update(binding_names(single) if single is not None else ())
        elif kind == "variable_declarator" or kind in FUNCTION_NODES or kind in CLASS_NODES:
            name = current.child_by_field_name("name")
            names.update(binding_names(name) if name is not None else ())
        elif kind == "catch_clause":
            parameter = current.child_by_field_name("parameter")
            names.update(binding_names(parameter) if parameter is not None else ())
        elif kind == "for_in_statement" and current.child_by_field_name("kind") is not None:
            left = current.child_by_field_name("left")
            names.update(binding_names(left) if left is not None else ())
    return names


def parameter_shapes(source: Source, params: Node | None) -> list[tuple[str, str]]:
    """For each parameter: its kind and its type annotation (whitespace removed), names ignored."""
    if params is None:
        return []
    if params.type != "formal_parameters":
        return [("plain", "")]
    shapes: list[tuple[str, str]] = []
    for param in params.named_children:
        if param.type in COMMENT_TYPES:
            continue
        annotation = param.child_by_field_name("type")
        typ = "".join(source.text(annotation).split()) if annotation is not None else ""
        pattern = param.child_by_field_name("pattern") or param
        kind = "optional" if param.type == "optional_parameter" else "plain"
        if pattern.type == "rest_pattern":
            kind = "rest"
        elif param.child_by_field_name("value") is not None or pattern.type == "assignment_pattern":
            kind = "default"
        shapes.append((kind, typ))
    return shapes


def is_placeholder_body(source: Source, body: Node | None) -> bool:
    """A block that holds only comments saying the code was left out (``// ... unchanged``)."""
    if body is None or body.type != "statement_block":
        return False
    children = body.named_children
    if not children or any(c.type not in COMMENT_TYPES for c in children):
        return False
    return any(PLACEHOLDER_RE.search(source.text(c)) for c in children)
