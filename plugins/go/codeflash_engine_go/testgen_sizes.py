"""Oversized test data in generated Go tests: ``make([]T, n)`` and ``make([]T, n, c)``,
``strings.Repeat`` / ``bytes.Repeat``, counted ``for`` loops and ``for i := range n`` are capped
to the engine's budget (see :mod:`codeflash_engine.text.sizes`), keeping their types."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tree_sitter import Node

from codeflash_engine.plugins.treesitter import Edit
from codeflash_engine.text.sizes import Rules, Site, cap_edits, loop_site, named, site_of, text_of
from codeflash_engine_go.source import Source

__all__ = ["RULES", "size_edits"]

Resolve = Callable[[Node | None], tuple[Node, int] | None]


def _binding(node: Node) -> Sequence[tuple[str, Node]]:
    if node.type in ("const_spec", "var_spec"):
        names = node.children_by_field_name("name")
        value = node.child_by_field_name("value")
    elif node.type == "short_var_declaration":
        left = node.child_by_field_name("left")
        names = named(left) if left is not None else []
        value = node.child_by_field_name("right")
    else:
        return ()
    values = named(value) if value is not None else []
    if len(names) != len(values):
        return ()
    return [(text_of(n), v) for n, v in zip(names, values, strict=True) if n.type == "identifier"]


def _for_clause(clause: Node, resolve: Resolve) -> Site | None:
    init = clause.child_by_field_name("initializer")
    condition = clause.child_by_field_name("condition")
    update = clause.child_by_field_name("update")
    if init is None or condition is None or update is None or init.type != "short_var_declaration":
        return None
    left, right = named(init.child_by_field_name("left") or init), named(init.child_by_field_name("right") or init)
    if len(left) != 1 or len(right) != 1 or condition.type != "binary_expression":
        return None
    var = text_of(left[0])
    op = text_of(condition.child_by_field_name("operator"))
    if text_of(condition.child_by_field_name("left")) != var or op not in ("<", "<="):
        return None
    text = text_of(update).replace(" ", "")
    step: int | None = None
    if text == f"{var}++":
        step = 1
    elif update.type == "assignment_statement" and text.startswith(f"{var}+="):
        increment = named(update.child_by_field_name("right") or update)
        found = resolve(increment[0]) if len(increment) == 1 else None
        step = None if found is None else found[1]
    if step is None:
        return None
    return loop_site(resolve(right[0]), resolve(condition.child_by_field_name("right")), op == "<=", step)


def _site(node: Node, resolve: Resolve) -> Site | list[Site] | None:
    kind = node.type
    if kind == "for_statement":
        clause = next((c for c in named(node) if c.type in ("for_clause", "range_clause")), None)
        if clause is None:
            return None
        if clause.type == "for_clause":
            return _for_clause(clause, resolve)
        over = clause.child_by_field_name("right")
        bound = resolve(over)
        return None if bound is None or over is None else loop_site((over, 0), bound, False)
    if kind == "call_expression":
        name = text_of(node.child_by_field_name("function"))
        arguments = node.child_by_field_name("arguments")
        args = named(arguments) if arguments is not None else []
        if name == "make" and len(args) in (2, 3) and args[0].type == "slice_type":
            # the length, and the capacity (never below the length once both are capped)
            return site_of([resolve(args[1])]) if len(args) == 2 else _make_with_capacity(args, resolve)
        if name in ("strings.Repeat", "bytes.Repeat") and len(args) == 2:
            return site_of([resolve(args[1])])
    return None


def _make_with_capacity(args: list[Node], resolve: Resolve) -> list[Site]:
    """The length and the capacity of ``make([]T, n, c)``, each capped on its own (so the length
    stays within the capacity)."""
    return [site for site in (site_of([resolve(args[1])]), site_of([resolve(args[2])])) if site is not None]


RULES = Rules(
    literal_types=frozenset({"int_literal", "float_literal"}),
    binding=_binding,
    site=_site,
)


def size_edits(source: Source) -> list[Edit]:
    """The edits capping the test's oversized slices, strings and loops (none when within budget)."""
    return [Edit(start, end, text.encode("utf-8")) for start, end, text in cap_edits(RULES, source.root)]
