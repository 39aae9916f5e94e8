"""The language-neutral part of capping generated tests' sizes: literals and shapes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codeflash_engine.text.sizes import MAX_ELEMENTS, MAX_LOOP_ITERATIONS, _root, int_literal, shrink


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1000", 1000),
        ("1_000_000", 1_000_000),
        ("5_000_000L", 5_000_000),
        ("10n", 10),
        ("0x10", 16),
        ("0b101", 5),
        ("0o17", 15),
        ("1e6", 1_000_000),
        ("2.5e3", 2500),
        ("0", 0),
        ("1.5", None),
        ("1e-3", None),
        ("1e18", 10**18),  # the largest exponent read
        ("1e19", None),  # beyond it: not guessed
        ("017", None),  # octal in Java and Go: not guessed
        ("abc", None),
    ],
)
def test_int_literal(text: str, value: int | None) -> None:
    assert int_literal(text) == value


def test_shrink_examples() -> None:
    assert shrink([100_000, 10_000], MAX_ELEMENTS) == [316, 316]
    assert shrink([3, 1_000_000], MAX_ELEMENTS) == [3, 33333]
    assert shrink([1_000_000, 1_000], MAX_LOOP_ITERATIONS) == [100, 100]
    assert shrink([10, 20], MAX_ELEMENTS) == [10, 20]
    assert shrink([0, 10**12], MAX_ELEMENTS) == [0, 10**12]


@given(st.lists(st.integers(1, 10**9), min_size=1, max_size=5), st.integers(1, 10**6))
def test_shrink_keeps_the_dimensions_within_the_budget(dims: list[int], budget: int) -> None:
    out = shrink(dims, budget)
    assert len(out) == len(dims)
    assert all(1 <= o <= d for o, d in zip(out, dims, strict=True))
    if math.prod(dims) <= budget:
        assert out == dims
    else:
        assert math.prod(out) <= budget


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**12), st.integers(1, 4))
def test_root_is_the_largest_integer_root(value: int, n: int) -> None:
    r = _root(value, n)
    assert r >= 1 and (r**n <= value or r == 1) and (r + 1) ** n > value


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 10**7), min_size=1, max_size=4), st.integers(1, 10**6))
def test_shrink_keeps_the_shape_and_meets_the_budget(dims: list[int], budget: int) -> None:
    out = shrink(dims, budget)
    assert len(out) == len(dims) and all(1 <= o <= d or o == d for o, d in zip(out, dims, strict=True))
    if 0 in dims or math.prod(dims) <= budget:
        assert out == dims
    else:
        assert math.prod(out) <= budget
        assert all(o == d for o, d in zip(out, dims, strict=True) if d <= min(out))  # small ones kept


@pytest.mark.parametrize(
    ("dims", "budget", "expected"),
    [
        ([1, 1_000_000], 1000, [1, 1000]),  # a dimension of 1 is no 0
        ([3, 1_000_000], 100_000, [3, 33333]),
        ([1000, 1000], 10_000, [100, 100]),
        ([0, 10**9], 10, [0, 10**9]),
        ([10, 10], 100, [10, 10]),  # exactly the budget
        ([10, 11], 100, [10, 10]),  # the share the smaller one leaves
    ],
)
def test_shrink_table(dims: list[int], budget: int, expected: list[int]) -> None:
    assert shrink(dims, budget) == expected


@pytest.mark.parametrize(
    ("value", "n", "root"),
    [
        (125, 3, 5),  # 125 ** (1/3) is 4.999... in floating point: an exact power is still found
        (1000, 3, 10),
        (124, 3, 4),
        (10**12, 2, 10**6),
        (10**12 - 1, 2, 10**6 - 1),
        (1, 2, 1),
        (0, 1, 1),  # at least 1, even for nothing left
        (0, 3, 1),
    ],
)
def test_root_at_exact_powers(value: int, n: int, root: int) -> None:
    assert _root(value, n) == root


def test_shrink_edges_of_the_budget() -> None:
    assert shrink([5], 0) == [1]  # a size is never cut below 1
    assert shrink([5, 5], 0) == [1, 1]
    # a negative length counts as no elements: within any budget, even 0, and left as is
    assert shrink([-1, 5], 0) == [-1, 5]
    assert shrink([-1, 10**9], 10) == [-1, 10**9]
