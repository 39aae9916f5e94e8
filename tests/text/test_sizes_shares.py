"""Capping sizes over a syntax tree: cases the mutation run of share 1 of text/sizes.py found
untested (an operator the folding does not know, the bytes before the first edit).

The module reads tree-sitter nodes only through ``type``, ``children``, ``child_by_field_name``,
``start_byte``, ``end_byte``, ``text`` and ``is_named``, so a small tree of :class:`Node` over a
one-line source stands for a parsed test here, with a toy grammar: ``make(<size>)`` builds an
array of ``<size>`` elements."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from codeflash_engine.text.sizes import MAX_ELEMENTS, Rules, Site, apply_text_edits, cap_edits, site_of


@attrs.define
class Node:
    """A syntax node over ``source``: its type, its byte span, its children and named fields."""

    type: str
    start_byte: int
    end_byte: int
    source: bytes
    children: list[Node] = attrs.field(factory=list)
    fields: dict[str, Node] = attrs.field(factory=dict)
    is_named: bool = True

    @property
    def text(self) -> bytes:
        """The source bytes the node spans."""
        return self.source[self.start_byte : self.end_byte]

    def child_by_field_name(self, name: str) -> Node | None:
        """The child named ``name``, or None."""
        return self.fields.get(name)


def literal(source: bytes, text: bytes) -> Node:
    """The integer literal ``text``, at its first place in ``source``."""
    start = source.index(text)
    return Node("int_literal", start, start + len(text), source)


def binary(source: bytes, left: Node, operator: bytes, right: Node) -> Node:
    """``left <operator> right``: the operator is an unnamed child between the two operands."""
    start = source.index(operator, left.end_byte)
    op = Node(operator.decode(), start, start + len(operator), source, is_named=False)
    return Node(
        "binary_expression", left.start_byte, right.end_byte, source, [left, op, right], {"left": left, "right": right}
    )


def program(source: bytes, size: Node) -> Node:
    """The whole source, one ``make(<size>)`` call."""
    call = Node("call", 0, len(source), source, [size], {"size": size})
    return Node("program", 0, len(source), source, [call])


def _make_site(node: Node, resolve: Callable[[Node | None], tuple[Node, int] | None]) -> Site | None:
    """A ``make`` call is an array of its size's elements."""
    return site_of([resolve(node.child_by_field_name("size"))]) if node.type == "call" else None


def _no_bindings(node: Node) -> Sequence[tuple[str, Node]]:
    """The toy grammar binds no names."""
    return ()


RULES = Rules(literal_types=frozenset({"int_literal"}), binding=_no_bindings, site=_make_site)


def capped(source: bytes, size: Node) -> bytes:
    """``source`` with its sizes capped, as a plugin writes the generated test back."""
    return apply_text_edits(source, cap_edits(RULES, program(source, size)))


def test_a_size_over_budget_is_capped_and_the_rest_of_the_source_kept_byte_for_byte() -> None:
    """The edit replaces only the size: the bytes before it, the first one included, stay."""
    source = b"make(200_000 * 1_000)"
    size = binary(source, literal(source, b"200_000"), b"*", literal(source, b"1_000"))
    assert capped(source, size) == f"make({MAX_ELEMENTS})".encode()


def test_a_size_written_with_an_operator_the_folding_does_not_know_is_left_alone() -> None:
    """``200_000_000 % 1_000`` is 0, not an integer literal expression the module folds (``*``,
    ``+``, ``-``, ``<<``, ``**``, exact ``/``): it is no size to cap, even though the left operand
    divides evenly by the right one."""
    source = b"make(200_000_000 % 1_000)"
    size = binary(source, literal(source, b"200_000_000"), b"%", literal(source, b"1_000"))
    assert cap_edits(RULES, program(source, size)) == []
    assert capped(source, size) == source
