"""Capping the sizes of the data and loops a generated test builds, for tree-sitter languages.

Generated tests are meant to stay small, so that they finish well inside the CLI's timeout and
memory; a model asking for ``new double[100_000][10_000]`` or ``make([]int, 1e9)`` gets the
function skipped instead. The budget (the Python plugin keeps the same numbers):

- :data:`MAX_ELEMENTS`: the most elements of one array, slice, typed array or repeated string;
- :data:`MAX_LOOP_ITERATIONS`: the most iterations of a counted loop, and of nested counted
  loops taken together.

A shape over budget keeps its number of dimensions (and its element type: only the size
expressions are edited): its large dimensions are cut to an equal share of what the small ones
leave (``new int[3][1_000_000]`` becomes ``new int[3][33333]``); nested loops are shrunk the same
way, their iteration counts taken as the dimensions. Sizes within budget are never touched.

Only sizes written as integer literal expressions (``1_000_000``, ``10 * 1000``, ``1 << 20``,
``1e6``) or names bound to one exactly once are capped. A capped value above
:data:`CONSISTENT_ABOVE` is replaced wherever it appears as such an expression (so that an
assertion on the length follows the array); a smaller one only where it is a size.

The language plugin describes its grammar with :class:`Rules` (which nodes are literals, how a
name is bound, which calls build arrays, which statements are counted loops); this module walks
the tree, computes the caps and the edits. Nodes are tree-sitter nodes, used through ``type``,
``children``, ``child_by_field_name``, ``start_byte``, ``end_byte`` and ``text``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs

__all__ = [
    "CONSISTENT_ABOVE",
    "MAX_ELEMENTS",
    "MAX_LOOP_ITERATIONS",
    "Dim",
    "Rules",
    "Site",
    "apply_text_edits",
    "cap_edits",
    "int_literal",
    "loop_site",
    "named",
    "shrink",
    "site_of",
    "text_of",
]

#: the most elements of one array, slice, typed array, collection or repeated string a test builds
MAX_ELEMENTS = 100_000
#: the most iterations of one counted loop, and of nested counted loops together
MAX_LOOP_ITERATIONS = 10_000
#: capped values above this are replaced wherever they appear; smaller ones only where they are sizes
CONSISTENT_ABOVE = 1_000

Node = Any  # a tree-sitter Node (the text layer does not import tree-sitter)

_INT = re.compile(r"^(?:0[xX](?P<hex>[0-9a-fA-F_]+)|0[bB](?P<bin>[01_]+)|0[oO](?P<oct>[0-7_]+)|(?P<dec>[0-9][0-9_]*))$")
_FLOAT = re.compile(r"^(?P<mant>[0-9][0-9_]*(?:\.[0-9_]*)?)[eE](?P<exp>\+?[0-9]+)$")


def int_literal(text: str) -> int | None:
    """The value of an integer literal as Java, JavaScript, TypeScript or Go write it
    (underscores, ``0x``/``0b``/``0o`` prefixes, ``L``/``l``/``n`` suffixes, and float literals
    such as ``1e6`` whose value is a whole number); None for anything else, and for a decimal
    with a leading zero (an octal in Java and Go)."""
    body = text.strip()
    if body[-1:] in ("L", "l", "n"):
        body = body[:-1]
    m = _INT.match(body)
    if m is not None:
        if m.group("hex") is not None:
            return int(m.group("hex").replace("_", ""), 16)
        if m.group("bin") is not None:
            return int(m.group("bin").replace("_", ""), 2)
        if m.group("oct") is not None:
            return int(m.group("oct").replace("_", ""), 8)
        dec = m.group("dec").replace("_", "")
        return None if len(dec) > 1 and dec.startswith("0") else int(dec)
    f = _FLOAT.match(body)
    if f is not None and int(f.group("exp")) <= 18:
        value = float(f.group("mant").replace("_", "")) * 10 ** int(f.group("exp"))
        return int(value) if value.is_integer() else None
    return None


def _root(value: int, n: int) -> int:
    """The largest integer whose ``n``-th power is at most ``value`` (at least 1)."""
    r = max(1, int(value ** (1 / n)))
    while r > 1 and r**n > value:
        r -= 1
    while (r + 1) ** n <= value:
        r += 1
    return r


def shrink(dims: Sequence[int], budget: int) -> list[int]:
    """``dims`` with a product of at most ``budget``: the dimensions above an equal share of what
    the smaller ones leave are all cut to that share (at least 1), the others kept. Within budget
    (or holding a 0): as is."""
    dims = list(dims)
    if 0 in dims or math.prod(max(d, 0) for d in dims) <= budget:
        return dims
    order = sorted(range(len(dims)), key=lambda i: dims[i])
    out = list(dims)
    left = budget
    for k, i in enumerate(order):
        share = _root(left, len(dims) - k)
        if dims[i] <= share:
            left //= max(1, dims[i])
            continue
        for j in order[k:]:
            out[j] = share
        break
    return out


@attrs.frozen
class Dim:
    """One dimension: the expression to edit (a literal, or the literal a name is bound to), the
    dimension's length, and how a length maps to the expression's value (a loop's bound is its
    start plus the length times its step)."""

    node: Node
    length: int
    start: int = 0
    step: int = 1

    def value_for(self, length: int) -> int:
        return self.start + length * self.step


@attrs.frozen
class Site:
    """A size-bearing node: its dimensions, the budget of their product, whether it is a loop."""

    dims: tuple[Dim, ...]
    budget: int
    loop: bool = False


@attrs.define
class Rules:
    """A grammar's part. ``literal_types``: integer (and float) literal node types;
    ``binding``: for a declaration node, the (name, value node) pairs it binds, else ();
    ``site``: the :class:`Site` a node is (a constructor, a counted loop), or its several sites
    (each capped on its own, such as a slice's length and capacity), given a resolver
    from an expression node to (literal node to edit, value); ``identifier_types``: names."""

    literal_types: frozenset[str]
    binding: Callable[[Node], Sequence[tuple[str, Node]]]
    site: Callable[[Node, Callable[[Node | None], tuple[Node, int] | None]], Site | Sequence[Site] | None]
    identifier_types: frozenset[str] = frozenset({"identifier"})
    binary_types: frozenset[str] = frozenset({"binary_expression"})
    paren_types: frozenset[str] = frozenset({"parenthesized_expression"})
    unary_types: frozenset[str] = frozenset({"unary_expression"})


def _text(node: Node) -> str:
    raw = node.text
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    if op is not None:
        return _text(op)
    for child in node.children:
        if not child.is_named:
            return _text(child)
    return ""


class _Tree:
    def __init__(self, rules: Rules, root: Node) -> None:
        self.rules = rules
        self.root = root
        counts: dict[str, int] = {}
        bound: dict[str, Node] = {}
        stack = [root]
        while stack:
            node = stack.pop()
            for name, value in rules.binding(node):
                counts[name] = counts.get(name, 0) + 1
                bound[name] = value
            stack.extend(node.children)
        self.constants = {name: node for name, node in bound.items() if counts[name] == 1}

    def fold(self, node: Node | None) -> int | None:
        """The value of an integer literal expression."""
        if node is None:
            return None
        kind = node.type
        if kind in self.rules.literal_types:
            return int_literal(_text(node))
        if kind in self.rules.paren_types:
            inner = [c for c in node.children if c.is_named]
            return self.fold(inner[0]) if len(inner) == 1 else None
        if kind in self.rules.unary_types:
            inner = [c for c in node.children if c.is_named]
            value = self.fold(inner[0]) if len(inner) == 1 else None
            op = _operator(node)
            return None if value is None else -value if op == "-" else value if op == "+" else None
        if kind in self.rules.binary_types:
            left = self.fold(node.child_by_field_name("left"))
            right = self.fold(node.child_by_field_name("right"))
            if left is None or right is None:
                return None
            op = _operator(node)
            if op == "*":
                return left * right
            if op == "+":
                return left + right
            if op == "-":
                return left - right
            if op == "<<" and 0 <= right <= 62:
                return left << right
            if op == "**" and 0 <= right <= 64 and abs(left) < 1 << 16:
                return int(left**right)
            if op == "/" and right and left % right == 0:
                return left // right
        return None

    def resolve(self, node: Node | None) -> tuple[Node, int] | None:
        """(the literal expression to edit, its value) for a size written as ``node``."""
        if node is None:
            return None
        if node.type in self.rules.identifier_types:
            bound = self.constants.get(_text(node))
            if bound is None:
                return None
            value = self.fold(bound)
            return None if value is None else (bound, value)
        value = self.fold(node)
        return None if value is None else (node, value)

    def sites(self) -> Iterator[tuple[Site, tuple[Site, ...]]]:
        stack: list[tuple[Node, tuple[Site, ...]]] = [(self.root, ())]
        while stack:
            node, loops = stack.pop()
            found = self.rules.site(node, self.resolve)
            for site in (found,) if isinstance(found, Site) else found or ():
                yield site, loops
                if site.loop:
                    loops = (*loops, site)
            stack.extend((child, loops) for child in reversed(node.children))


def _key(node: Node) -> tuple[int, int]:
    return node.start_byte, node.end_byte


def cap_edits(rules: Rules, root: Node) -> list[tuple[int, int, str]]:
    """Byte edits ``(start, end, text)`` capping the sizes of the tree at ``root`` (empty: all
    within budget)."""
    tree = _Tree(rules, root)
    new: dict[tuple[int, int], tuple[int, int, Node]] = {}  # node -> (length, value, node)

    def cut(dims: Sequence[Dim], lengths: Sequence[int]) -> None:
        for dim, length in zip(dims, lengths, strict=True):
            if length < dim.length:
                old = new.get(_key(dim.node))
                value = dim.value_for(length)
                # A node shared by several uses keeps the smallest value any of them needs: their
                # lengths are not comparable, as a loop's value is its start plus length times step.
                if old is None or value < old[1]:
                    new[_key(dim.node)] = (length, value, dim.node)

    for site, loops in tree.sites():
        if site.loop:
            cut(site.dims, shrink([site.dims[0].length], site.budget))
            chain = [*(loop.dims[0] for loop in loops), site.dims[0]]
            lengths = [new.get(_key(d.node), (d.length,))[0] for d in chain]
            cut(chain, shrink(lengths, MAX_LOOP_ITERATIONS))
        else:
            cut(site.dims, shrink([d.length for d in site.dims], site.budget))
    if not new:
        return []
    by_value: dict[int, int] = {}
    for _, capped, node in new.values():
        old = tree.fold(node)
        if old is not None and abs(old) > CONSISTENT_ABOVE:
            by_value[old] = min(by_value.get(old, capped), capped, key=abs)
    edits: list[tuple[int, int, str]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        value: int | None = tree.fold(node) if node.type not in rules.identifier_types else None
        if value is not None:
            if value in by_value:
                edits.append((node.start_byte, node.end_byte, _render(node, by_value[value])))
            elif _key(node) in new:
                edits.append((node.start_byte, node.end_byte, _render(node, new[_key(node)][1])))
            continue
        stack.extend(node.children)
    return sorted(edits)


def _render(node: Node, value: int) -> str:
    """``value`` written where ``node`` was: a long (``L``) or BigInt (``n``) suffix kept."""
    text = _text(node)
    suffix = text[-1] if text[-1:] in ("L", "l", "n") and int_literal(text) is not None else ""
    return f"{value}{suffix}"


def apply_text_edits(data: bytes, edits: Sequence[tuple[int, int, str]]) -> bytes:
    """``data`` with the byte edits of :func:`cap_edits` applied."""
    out: list[bytes] = []
    cursor = 0
    for start, end, text in sorted(edits):
        if start < cursor:
            continue
        out.append(data[cursor:start])
        out.append(text.encode("utf-8"))
        cursor = end
    out.append(data[cursor:])
    return b"".join(out)


def loop_site(
    start: tuple[Node, int] | None, bound: tuple[Node, int] | None, inclusive: bool, step: int = 1
) -> Site | None:
    """The :class:`Site` of a counted loop ``for (i = start; i < bound; i += step)`` (``<=`` when
    ``inclusive``); None when it does not count up or its bounds are unknown."""
    if start is None or bound is None or step <= 0:
        return None
    first = start[1]
    last = bound[1] + (1 if inclusive else 0)
    length = max(0, -(-(last - first) // step))
    return Site((Dim(bound[0], length, first - (step if inclusive else 0), step),), MAX_LOOP_ITERATIONS, loop=True)


def site_of(dims: Sequence[tuple[Node, int] | None], budget: int = MAX_ELEMENTS) -> Site | None:
    """The :class:`Site` of a constructor with these resolved dimensions (None when one is not
    resolved, or there are none)."""
    if not dims or any(d is None for d in dims):
        return None
    return Site(tuple(Dim(d[0], d[1]) for d in dims if d is not None), budget)


def named(node: Node) -> list[Node]:
    """The named children of ``node``."""
    return [c for c in node.children if c.is_named]


def text_of(node: Node | None) -> str:
    """The source text of ``node`` ('' for None)."""
    return "" if node is None else _text(node)
