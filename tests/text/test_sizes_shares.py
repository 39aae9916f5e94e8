"""Capping sizes over a syntax tree: cases the mutation run of share 1 of text/sizes.py found
untested (an operator the folding does not know, the bytes before the first edit), and of share 2
(a decimal with a leading zero, a loop with an unknown bound or start, a bound shared by a loop
stepping by 100 and an array).

The module reads tree-sitter nodes only through ``type``, ``children``, ``child_by_field_name``,
``start_byte``, ``end_byte``, ``text`` and ``is_named``, so a small tree of :class:`Node` over a
one-line source stands for a parsed test here, with a toy grammar: ``make(<size>)`` builds an
array of ``<size>`` elements."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from codeflash_engine.text.sizes import (
    MAX_ELEMENTS,
    Rules,
    Site,
    apply_text_edits,
    cap_edits,
    int_literal,
    loop_site,
    site_of,
)


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


def test_a_two_digit_decimal_with_a_leading_zero_is_an_octal_not_guessed() -> None:
    """``07`` is an octal literal in Java and Go: no value is read, as for ``017``."""
    assert int_literal("07") is None
    assert int_literal("70") == 70


def test_a_loop_with_an_unknown_bound_or_start_is_no_site() -> None:
    """A loop whose bound, or whose start, is not an integer literal expression is not counted."""
    source = b"for i < 1_000_000"
    bound = literal(source, b"1_000_000")
    assert loop_site((bound, 0), None, False) is None
    assert loop_site(None, (bound, 1_000_000), False) is None
    assert loop_site((bound, 0), (bound, 1_000_000), False) is not None


def _shared_bound_rules() -> Rules:
    """The toy grammar with ``N = <size>`` bindings and ``for i < <bound> step <k>`` loops."""

    def binding(node: Node) -> Sequence[tuple[str, Node]]:
        """A ``const`` node binds its name to its value."""
        if node.type != "const":
            return ()
        return [(node.fields["name"].text.decode(), node.fields["value"])]

    def site(node: Node, resolve: Callable[[Node | None], tuple[Node, int] | None]) -> Site | None:
        """A loop counts from 0 up to its bound by its step; a call builds an array."""
        if node.type == "loop":
            step = resolve(node.fields["step"])
            return loop_site((node, 0), resolve(node.fields["bound"]), False, step[1] if step else 0)
        return _make_site(node, resolve)

    return Rules(literal_types=frozenset({"int_literal"}), binding=binding, site=site)


def test_a_bound_shared_by_a_loop_with_a_step_and_an_array_keeps_the_smaller_value() -> None:
    """``N`` bounds a loop stepping by 100 (10,000 iterations reach 1,000,000) and sizes an array
    (100,000 elements at most): N becomes 100,000, the value both uses allow, not 1,000,000, the
    value of the loop's capped length, which would leave the array ten times over budget."""
    source = b"N = 100_000_000; for i < N step 100; make(N)"
    name = Node("identifier", 0, 1, source)
    value = literal(source, b"100_000_000")
    const = Node("const", 0, value.end_byte, source, [name, value], {"name": name, "value": value})
    in_loop = source.index(b"N step")
    bound = Node("identifier", in_loop, in_loop + 1, source)
    step = literal(source, b"100;")
    step = Node("int_literal", step.start_byte, step.end_byte - 1, source)
    loop = Node("loop", source.index(b"for"), step.end_byte, source, [bound, step], {"bound": bound, "step": step})
    in_call = source.rindex(b"N")
    size = Node("identifier", in_call, in_call + 1, source)
    call = Node("call", source.index(b"make"), len(source), source, [size], {"size": size})
    root = Node("program", 0, len(source), source, [const, loop, call])
    edits = cap_edits(_shared_bound_rules(), root)
    assert apply_text_edits(source, edits) == f"N = {MAX_ELEMENTS}; for i < N step 100; make(N)".encode()
