"""Oversized test data in generated Java tests: array creations (``new int[n]``,
``new double[n][m]``), ``"x".repeat(n)``, ``Collections.nCopies(n, x)``, ``IntStream.range``
and counted ``for`` loops are capped to the engine's budget (see
:mod:`codeflash_engine.text.sizes`), keeping their dimensions and element types."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tree_sitter import Node

from codeflash_engine.plugins.treesitter import Edit
from codeflash_engine.text.sizes import MAX_ELEMENTS, Rules, Site, cap_edits, loop_site, named, site_of, text_of
from codeflash_engine_java.source import Source

__all__ = ["RULES", "size_edits"]

Resolve = Callable[[Node | None], tuple[Node, int] | None]

_LITERALS = frozenset(
    {
        "decimal_integer_literal",
        "hex_integer_literal",
        "octal_integer_literal",
        "binary_integer_literal",
        "decimal_floating_point_literal",
    }
)


def _binding(node: Node) -> Sequence[tuple[str, Node]]:
    if node.type not in ("local_variable_declaration", "field_declaration"):
        return ()
    out: list[tuple[str, Node]] = []
    for declarator in node.children_by_field_name("declarator"):
        name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if name is not None and value is not None:
            out.append((text_of(name), value))
    return out


def _args(node: Node) -> list[Node]:
    arguments = node.child_by_field_name("arguments")
    return named(arguments) if arguments is not None else []


def _for_loop(node: Node, resolve: Resolve) -> Site | None:
    init = node.child_by_field_name("init")
    condition = node.child_by_field_name("condition")
    update = node.child_by_field_name("update")
    if init is None or condition is None or update is None or condition.type != "binary_expression":
        return None
    declarators = init.children_by_field_name("declarator") if init.type == "local_variable_declaration" else []
    if len(declarators) != 1:
        return None
    var = text_of(declarators[0].child_by_field_name("name"))
    op = text_of(condition.child_by_field_name("operator"))
    if text_of(condition.child_by_field_name("left")) != var or op not in ("<", "<="):
        return None
    step = _step(update, var, resolve)
    if step is None:
        return None
    start = resolve(declarators[0].child_by_field_name("value"))
    return loop_site(start, resolve(condition.child_by_field_name("right")), op == "<=", step)


def _step(update: Node, var: str, resolve: Resolve) -> int | None:
    text = text_of(update).replace(" ", "")
    if text in (f"{var}++", f"++{var}"):
        return 1
    if (
        update.type == "assignment_expression"
        and text_of(update.child_by_field_name("left")) == var
        and text_of(update.child_by_field_name("operator")) == "+="
    ):
        step = resolve(update.child_by_field_name("right"))
        return None if step is None else step[1]
    return None


def _site(node: Node, resolve: Resolve) -> Site | None:
    kind = node.type
    if kind == "array_creation_expression":
        dims = [named(d) for d in node.children if d.type == "dimensions_expr"]
        return site_of([resolve(d[0]) if len(d) == 1 else None for d in dims])
    if kind == "for_statement":
        return _for_loop(node, resolve)
    if kind == "method_invocation":
        name = text_of(node.child_by_field_name("name"))
        obj = node.child_by_field_name("object")
        args = _args(node)
        if name == "repeat" and len(args) == 1:
            return site_of([resolve(args[0])])
        if name == "nCopies" and text_of(obj) == "Collections" and len(args) == 2:
            return site_of([resolve(args[0])])
        if name in ("range", "rangeClosed") and text_of(obj) in ("IntStream", "LongStream") and len(args) == 2:
            return loop_site(resolve(args[0]), resolve(args[1]), name == "rangeClosed")
        if name == "limit" and len(args) == 1:  # Stream.generate(...).limit(n)
            return site_of([resolve(args[0])], MAX_ELEMENTS)
    return None


RULES = Rules(literal_types=_LITERALS, binding=_binding, site=_site)


def size_edits(source: Source) -> list[Edit]:
    """The edits capping the test's oversized arrays, strings and loops (none when within budget)."""
    return [Edit(start, end, text.encode("utf-8")) for start, end, text in cap_edits(RULES, source.root)]
