"""Oversized test data in generated JavaScript and TypeScript tests: ``new Array(n)``,
``Array(n)``, ``Array.from({length: n})``, typed arrays (``new Float64Array(n)``),
``Buffer.alloc(n)``, ``"x".repeat(n)`` and counted ``for`` loops are capped to the engine's budget
(see :mod:`codeflash_engine.text.sizes`), keeping their shape and element types."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tree_sitter import Node

from codeflash_engine.plugins.treesitter import Edit
from codeflash_engine.text.sizes import Rules, Site, cap_edits, loop_site, named, site_of, text_of
from codeflash_engine_js_ts.source import Source

__all__ = ["RULES", "size_edits"]

Resolve = Callable[[Node | None], tuple[Node, int] | None]

_TYPED_ARRAYS = frozenset(
    {
        "Int8Array",
        "Uint8Array",
        "Uint8ClampedArray",
        "Int16Array",
        "Uint16Array",
        "Int32Array",
        "Uint32Array",
        "Float32Array",
        "Float64Array",
        "BigInt64Array",
        "BigUint64Array",
        "ArrayBuffer",
        "SharedArrayBuffer",
    }
)


def _binding(node: Node) -> Sequence[tuple[str, Node]]:
    if node.type != "variable_declarator":
        return ()
    name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
    if name is None or value is None or name.type != "identifier":
        return ()
    return [(text_of(name), value)]


def _args(node: Node) -> list[Node]:
    arguments = node.child_by_field_name("arguments")
    return [a for a in named(arguments) if a.type != "comment"] if arguments is not None else []


def _length_of(obj: Node, resolve: Resolve) -> tuple[Node, int] | None:
    """``n`` of an ``{length: n}`` object."""
    for pair in named(obj):
        if pair.type == "pair" and text_of(pair.child_by_field_name("key")).strip("'\"") == "length":
            return resolve(pair.child_by_field_name("value"))
    return None


def _for_loop(node: Node, resolve: Resolve) -> Site | None:
    init = node.child_by_field_name("initializer")
    condition = node.child_by_field_name("condition")
    update = node.child_by_field_name("increment")
    if init is None or condition is None or update is None:
        return None
    if condition.type == "expression_statement":
        inner = named(condition)
        condition = inner[0] if len(inner) == 1 else condition
    declarators = [d for d in named(init) if d.type == "variable_declarator"]
    if len(declarators) != 1 or condition.type != "binary_expression":
        return None
    var = text_of(declarators[0].child_by_field_name("name"))
    op = text_of(condition.child_by_field_name("operator"))
    if text_of(condition.child_by_field_name("left")) != var or op not in ("<", "<="):
        return None
    text = text_of(update).replace(" ", "")
    step: int | None = None
    if text in (f"{var}++", f"++{var}"):
        step = 1
    elif update.type == "augmented_assignment_expression" and text.startswith(f"{var}+="):
        found = resolve(update.child_by_field_name("right"))
        step = None if found is None else found[1]
    if step is None:
        return None
    start = resolve(declarators[0].child_by_field_name("value"))
    return loop_site(start, resolve(condition.child_by_field_name("right")), op == "<=", step)


def _site(node: Node, resolve: Resolve) -> Site | None:
    kind = node.type
    if kind == "for_statement":
        return _for_loop(node, resolve)
    if kind == "new_expression":
        constructor = text_of(node.child_by_field_name("constructor"))
        args = _args(node)
        if (constructor in _TYPED_ARRAYS and len(args) == 1) or (constructor == "Array" and len(args) == 1):
            return site_of([resolve(args[0])])
        return None
    if kind == "call_expression":
        function = node.child_by_field_name("function")
        args = _args(node)
        name = text_of(function)
        if name == "Array" and len(args) == 1:
            return site_of([resolve(args[0])])
        if name == "Array.from" and args and args[0].type == "object":
            return site_of([_length_of(args[0], resolve)])
        if name in ("Buffer.alloc", "Buffer.allocUnsafe") and args:
            return site_of([resolve(args[0])])
        if (
            function is not None
            and function.type == "member_expression"
            and len(args) == 1
            and text_of(function.child_by_field_name("property")) == "repeat"
        ):
            return site_of([resolve(args[0])])
    return None


RULES = Rules(
    literal_types=frozenset({"number"}),
    binding=_binding,
    site=_site,
    unary_types=frozenset({"unary_expression"}),
)


def size_edits(source: Source) -> list[Edit]:
    """The edits capping the test's oversized arrays, strings and loops (none when within budget)."""
    return [Edit(start, end, text.encode("utf-8")) for start, end, text in cap_edits(RULES, source.root)]
