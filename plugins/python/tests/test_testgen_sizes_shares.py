"""Which sizes of a generated test are read and capped (testgen/sizes.py), pinned where the other
shares of ``scripts/mutation.py python.testgen_sizes`` found the tests blind."""

from __future__ import annotations

import pytest

from codeflash_engine_python.testgen.cleanup import cap_sizes

CAPPED = [
    # the count written before the list it repeats
    ("xs = 10**6 * [0]\n", "xs = 10000 * [0]\n"),
    # a range in a comprehension's condition
    ("x = [c for c in xs if c in range(10**7)]\n", "x = [c for c in xs if c in range(1000)]\n"),
    # a bound shared by a range with a start, met first, and one without: both within MAX_RANGE
    (
        "n = 10**6\nfor j in range(1, n):\n    f(j)\nfor i in range(n):\n    f(i)\n",
        "n = 1000\nfor j in range(1, n):\n    f(j)\nfor i in range(n):\n    f(i)\n",
    ),
]


@pytest.mark.parametrize(("code", "expected"), CAPPED)
def test_oversized_sizes_are_capped(code: str, expected: str) -> None:
    """Each oversized size is cut to the budget in the generated test, the rest of it kept."""
    assert cap_sizes(code, None) == expected


KEPT = [
    # a jax.random call without its shape
    "x = jax.random.normal(key)\n",
    # calls of the array modules that build no array of that size
    "x = np.array(10**7)\nlimit = np.int64(10**9)\n",
    # a call through attributes of a call's result, named like a constructor only midway
    "hits = registry().zeros.count(10**7)\n",
    # shapes and ranges with a bound that is not a literal: their size is unknown
    "x = np.zeros((n, 10**7))\n",
    "x = np.random.rand(n, 10**7)\n",
    "for i in range(n, 10**7):\n    f(i)\n",
    # a range without arguments (a TypeError when the test runs, not a failure of capping)
    "for i in range():\n    f(i)\n",
]


@pytest.mark.parametrize("code", KEPT)
def test_sizes_that_are_unknown_or_no_sizes_are_left_alone(code: str) -> None:
    """What is no array size, or a size with an unknown part: the generated test is left as the
    model wrote it (and capping does not fail on it)."""
    assert cap_sizes(code, None) == code
