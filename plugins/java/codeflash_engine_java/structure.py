"""The definitions of a Java file: type declarations (by their header) and their members.

A :class:`Definition` is the unit the postprocessor compares, restores and deduplicates: a type
header (``public final class Cache<K, V> extends Base``), a method or constructor keyed by its
class and parameter types (so overloads are told apart), a field, or any other member. Package
and import declarations are not definitions (see :mod:`codeflash_engine_java.imports`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs
from tree_sitter import Node

from codeflash_engine_java.source import COMMENT_TYPES, Source

TYPE_NODES = frozenset(
    {
        "class_declaration",
        "interface_declaration",
        "enum_declaration",
        "record_declaration",
        "annotation_type_declaration",
    }
)
FUNCTION_NODES = frozenset({"method_declaration", "constructor_declaration", "compact_constructor_declaration"})
BODY_NODES = frozenset({"class_body", "interface_body", "enum_body", "annotation_type_body", "enum_body_declarations"})
SKIPPED = frozenset({"package_declaration", "import_declaration", "module_declaration", *COMMENT_TYPES})

#: comments that stand for code the model left out
PLACEHOLDER_RE = re.compile(
    r"\.\.\.|…|unchanged|same as (before|original|above)|existing (code|implementation|logic)|rest of"
    r"|omitted|as before|no changes?|keep (the )?original|original (code|implementation)",
    re.IGNORECASE,
)


@attrs.frozen
class Definition:
    """One comparable unit of a Java file.

    ``key`` identifies it across versions (``"type Outer.Inner"``, ``"Outer.sum(int[],int)"``,
    ``"Outer.<init>(String)"``, ``"Outer.field cache"``), None for other members. ``start`` and
    ``end`` span the unit (annotations included; for a type, only its header). ``classes`` is the
    chain of enclosing type names, ``function`` the method or constructor node.
    """

    key: str | None
    start: int
    end: int
    node: Node
    classes: tuple[str, ...] = ()
    function: Node | None = None

    @property
    def name(self) -> str | None:
        """The simple name of a method (or ``<init>``), else None."""
        if self.function is None:
            return None
        if self.function.type != "method_declaration":
            return "<init>"
        name = self.function.child_by_field_name("name")
        return (name.text or b"").decode("utf-8") if name is not None else None

    @property
    def class_name(self) -> str | None:
        return self.classes[-1] if self.classes else None


def definitions(source: Source) -> list[Definition]:
    """Every definition of the file in document order (members after their type's header)."""
    return list(_members(source, source.root, ()))


def _members(source: Source, body: Node, classes: tuple[str, ...]) -> Iterator[Definition]:
    for child in body.named_children:
        if child.type in SKIPPED:
            continue
        if child.type in BODY_NODES:
            yield from _members(source, child, classes)
        elif child.type in TYPE_NODES:
            yield from _type(source, child, classes)
        elif child.type in FUNCTION_NODES:
            yield _function(source, child, classes)
        elif child.type == "field_declaration":
            names = ",".join(_declarator_names(source, child))
            yield Definition(_qualify(classes, f"field {names}"), child.start_byte, child.end_byte, child, classes)
        else:
            yield Definition(None, child.start_byte, child.end_byte, child, classes)


def _type(source: Source, node: Node, classes: tuple[str, ...]) -> Iterator[Definition]:
    name_node = node.child_by_field_name("name")
    name = source.text(name_node) if name_node is not None else "?"
    inner = (*classes, name)
    body = node.child_by_field_name("body")
    header_end = body.start_byte if body is not None else node.end_byte
    yield Definition(f"type {'.'.join(inner)}", node.start_byte, header_end, node, inner)
    if body is not None:
        yield from _members(source, body, inner)


def _function(source: Source, node: Node, classes: tuple[str, ...]) -> Definition:
    definition = Definition(None, node.start_byte, node.end_byte, node, classes, function=node)
    signature = f"{definition.name}({','.join(parameter_types(source, node))})"
    return attrs.evolve(definition, key=_qualify(classes, signature))


def _qualify(classes: tuple[str, ...], member: str) -> str:
    return f"{'.'.join(classes)}.{member}" if classes else member


def _declarator_names(source: Source, node: Node) -> list[str]:
    names: list[str] = []
    for declarator in node.named_children:
        if declarator.type == "variable_declarator":
            name = declarator.child_by_field_name("name")
            if name is not None:
                names.append(source.text(name))
    return names


def parameters(function: Node) -> list[Node]:
    """The formal and spread parameters of a method or constructor (the receiver excluded)."""
    params = function.child_by_field_name("parameters")
    if params is None:
        return []
    return [p for p in params.named_children if p.type in ("formal_parameter", "spread_parameter")]


def parameter_types(source: Source, function: Node) -> list[str]:
    """Each parameter's type without whitespace (``int[]``, ``List<T>``, ``String...``)."""
    types: list[str] = []
    for param in parameters(function):
        if param.type == "spread_parameter":
            typ = next((c for c in param.named_children if c.type not in ("modifiers", "variable_declarator")), None)
            text = (source.text(typ) if typ is not None else "") + "..."
        else:
            typ = param.child_by_field_name("type")
            dims = param.child_by_field_name("dimensions")
            text = (source.text(typ) if typ is not None else "") + (source.text(dims) if dims is not None else "")
        types.append("".join(text.split()))
    return types


def parameter_name(param: Node) -> Node | None:
    """The name node of a formal or spread parameter."""
    if param.type == "spread_parameter":
        declarator = next((c for c in param.named_children if c.type == "variable_declarator"), None)
        return declarator.child_by_field_name("name") if declarator is not None else None
    return param.child_by_field_name("name")


def is_placeholder_body(source: Source, body: Node | None) -> bool:
    """A block holding only comments saying the code was left out (``// ... unchanged``)."""
    if body is None or body.type not in ("block", "constructor_body"):
        return False
    children = body.named_children
    if not children or any(c.type not in COMMENT_TYPES for c in children):
        return False
    return any(PLACEHOLDER_RE.search(source.text(c)) for c in children)
