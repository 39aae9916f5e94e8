"""Which sizes of a generated test are read and capped, seen in the test a user gets (written
against the survivors of ``scripts/mutation.py python.testgen_sizes``)."""

from __future__ import annotations

import ast

import pytest

from codeflash_engine_python.testgen.cleanup import cap_sizes
from codeflash_engine_python.testgen.sizes import MAX_RANGE, fold_int

FOLDED = [
    ("10**6", 10**6),
    ("2 * 500 + 3 - 1", 1002),
    ("-3", -3),
    ("10**7 // 2", 5 * 10**6),
    ("7 // 0", None),
    ("7 % 2", None),
    ("7 / 1", None),
    ("10 ** 0", 1),
    ("10 ** -1", None),
    ("2 ** 64", 2**64),
    ("2 ** 65", None),
    ("65535 ** 2", 65535**2),
    ("65536 ** 2", None),
    ("int(1e6)", 10**6),
    ("int(1.5)", None),
    ("int(9e17)", 9 * 10**17),
    ("int(1e18)", None),
    ("int('7')", None),
    ("int(7)", None),
    ("float(1e6)", None),
    ("round(1e6)", None),
    ("n", None),
    ("1.0", None),
    ("True", None),
]


@pytest.mark.parametrize(("text", "value"), FOLDED)
def test_only_integer_literal_expressions_are_read_as_sizes(text: str, value: int | None) -> None:
    """Sizes are integer literals and their sums, products, floor divisions and small powers, and
    ``int()`` of an integral float literal below 1e18; anything else (a float, a power with a
    negative or huge exponent or a base of 2**16 or more, other calls) is no size."""
    node = ast.parse(text, mode="eval").body
    folded = fold_int(node)
    assert folded == value and (value is None or type(folded) is int)


CAPPED = [
    # floor division, int() of a float, powers up to 2**64, past sys.maxsize
    ("for i in range(10**7 // 2):\n    f(i)\n", "for i in range(1000):\n    f(i)\n"),
    ("for i in range(int(1e6)):\n    f(i)\n", "for i in range(1000):\n    f(i)\n"),
    ("for i in range(2**64):\n    f(i)\n", "for i in range(1000):\n    f(i)\n"),
    ("for i in range(10**19):\n    f(i)\n", "for i in range(1000):\n    f(i)\n"),
    ("x = np.arange(10**19)\n", "x = np.arange(100000)\n"),
    ("for i in range(10**19, 0, -1):\n    f(i)\n", "for i in range(1000, 0, -1):\n    f(i)\n"),
    # a range with a start: the start kept, the stop cut; the stop is the long bound of an ascending one
    ("for i in range(1, 10**6):\n    f(i)\n", "for i in range(1, 1001):\n    f(i)\n"),
    ("for i in range(-5000, 5000):\n    f(i)\n", "for i in range(-5000, -4000):\n    f(i)\n"),
    # constructors whose size is not their first argument
    ("x = np.eye(2000, 3000)\n", "x = np.eye(316, 316)\n"),
    ("x = torch.randperm(10**7)\n", "x = torch.randperm(100000)\n"),
    ("x = rng.random((10**4, 10**4), np.float32)\n", "x = rng.random((316, 316), np.float32)\n"),
    ("x = rng.standard_normal(10**7, np.float32)\n", "x = rng.standard_normal(100000, np.float32)\n"),
    ("x = rng.integers(0, 10, 10**8)\n", "x = rng.integers(0, 10, 100000)\n"),
    ("x = np.random.randint(0, 100, 10**7)\n", "x = np.random.randint(0, 100, 100000)\n"),
    ("x = np.random.uniform(0, 1, 10**7)\n", "x = np.random.uniform(0, 1, 100000)\n"),
    ("x = np.random.choice(10, 10**7)\n", "x = np.random.choice(10, 100000)\n"),
    ("x = np.random.binomial(10, 0.5, 10**7)\n", "x = np.random.binomial(10, 0.5, 100000)\n"),
    ("x = np.random.poisson(5, 10**7)\n", "x = np.random.poisson(5, 100000)\n"),
    ("x = np.random.exponential(2, 10**7)\n", "x = np.random.exponential(2, 100000)\n"),
    ("x = jax.random.uniform(key, (10**4, 10**4))\n", "x = jax.random.uniform(key, (316, 316))\n"),
    ("x = jax.random.randint(key, (10**7,), 0, 10)\n", "x = jax.random.randint(key, (100000,), 0, 10)\n"),
    ("x = jax.random.bernoulli(key, 0.5, (10**7,))\n", "x = jax.random.bernoulli(key, 0.5, (100000,))\n"),
    ("x = jax.random.choice(key, 5, (10**7,))\n", "x = jax.random.choice(key, 5, (100000,))\n"),
    ("x = jax.random.permutation(key, 10**7)\n", "x = jax.random.permutation(key, 100000)\n"),
    # the axis given positionally after the size
    ("x = jax.random.permutation(key, 10**7, 0)\n", "x = jax.random.permutation(key, 100000, 0)\n"),
    ("x = rng.permutation(10**7, 0)\n", "x = rng.permutation(100000, 0)\n"),
    # a comprehension's loop multiplies what it builds, even when the loop itself is short
    ("xs = [[0] * 10**3 for _ in range(500)]\n", "xs = [[0] * 100 for _ in range(100)]\n"),
    # a range under enumerate(..., start) is still the loop's bound
    (
        "for i, _ in enumerate(range(200), 1):\n    for j in range(200):\n        f(i, j)\n",
        "for i, _ in enumerate(range(100), 1):\n    for j in range(100):\n        f(i, j)\n",
    ),
    # a named bound shared by two ranges: both stay within MAX_RANGE
    (
        "n = 10**6\nfor i in range(n):\n    f(i)\nfor j in range(1, n):\n    f(j)\n",
        "n = 1000\nfor i in range(n):\n    f(i)\nfor j in range(1, n):\n    f(j)\n",
    ),
]


@pytest.mark.parametrize(("code", "expected"), CAPPED)
def test_oversized_sizes_are_capped(code: str, expected: str) -> None:
    """Each oversized size is cut to the budget in the generated test, the rest of it kept."""
    assert cap_sizes(code, None) == expected


KEPT = [
    "for i in range(10**6 // 1000):\n    f(i)\n",
    "x = np.random.normal(0, 1)\ny = rng.integers(0, 10)\n",
    "x = np.linspace(0, 1)\n",
    "x = np.random.rand()\ny = torch.rand()\n",
    "for x in xs:\n    f(x)\nfor y in make_items(10**6):\n    f(y)\n",
    "for i in range(len(xs)):\n    f(i)\nfor j in range(0, len(xs)):\n    f(j)\n",
    "for i in range(100):\n    xs = [0] * 5000\n",
    "out = fib(10**6)\nempty = bytes()\nb = bytearray(b'ab')\n",
    "s = 'ab' * 3\nt = [1, 2] * 2\n",
]


@pytest.mark.parametrize("code", KEPT)
def test_sizes_within_budget_and_things_that_are_no_sizes_are_left_alone(code: str) -> None:
    """Sizes within budget, calls that are not constructors or take no size, loops over data and
    unresolved bounds, a list rebuilt on each iteration of a loop (not multiplied by it): the
    generated test is left as the model wrote it (and capping does not fail on it)."""
    assert cap_sizes(code, None) == code


def test_a_range_past_sys_maxsize_is_capped_not_a_failure() -> None:
    """``range(10**19)`` (too long for ``len``) is capped like any long range; the whole test
    generation used to fail on it with an OverflowError."""
    code = "def test_big():\n    total = 0\n    for i in range(10**19):\n        total += i\n    assert total >= 0\n"
    capped = cap_sizes(code, None)
    assert f"range({MAX_RANGE})" in capped and "10**19" not in capped
