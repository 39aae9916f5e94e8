"""Oversized test data in generated Python tests (issue 20, class 3): array, tensor and frame
constructors, repetitions, comprehensions and nested loops are capped to the documented budget,
keeping their dimensions and dtype; small sizes are left alone."""

from __future__ import annotations

import ast
import math

import pytest

from codeflash_engine_python.testgen import cleanup
from codeflash_engine_python.testgen.sizes import (
    MAX_ELEMENTS,
    MAX_LOOP_ITERATIONS,
    MAX_RANGE,
    MAX_REPEAT,
    MAX_TEXT_REPEAT,
    shrink,
)

CAPPED = [
    # numpy
    ("import numpy as np\nx = np.random.rand(10**5, 10**4)\n", "np.random.rand(316, 316)"),
    ("import numpy as np\nx = np.zeros((3, 10**6), dtype=np.int32)\n", "np.zeros((3, 33333), dtype=np.int32)"),
    ("import numpy as np\nx = np.ones(10**7, dtype='float32')\n", "np.ones(100000, dtype='float32')"),
    ("import numpy as np\nx = np.full((2000, 2000), 7.0)\n", "np.full((316, 316), 7.0)"),
    ("import numpy as np\nx = np.arange(10**7)\n", "np.arange(100000)"),
    ("import numpy as np\nx = np.linspace(0, 1, 10**7)\n", "np.linspace(0, 1, 100000)"),
    ("import numpy as np\nx = np.eye(5000)\n", "np.eye(316)"),
    ("import numpy as np\nx = np.random.randint(0, 100, size=(10**4, 10**3))\n", "size=(316, 316)"),
    ("import numpy as np\nx = np.random.normal(0, 1, 10**7)\n", "np.random.normal(0, 1, 100000)"),
    ("import numpy as np\nrng = np.random.default_rng(0)\nx = rng.random((10**4, 10**4))\n", "rng.random((316, 316))"),
    ("import numpy as np\nx = np.random.default_rng(1).integers(0, 9, size=10**8)\n", "integers(0, 9, size=100000)"),
    # torch
    ("import torch\nx = torch.zeros(50000, 50000)\n", "torch.zeros(316, 316)"),
    (
        "import torch\nx = torch.zeros((50000, 50000), dtype=torch.float16)\n",
        "torch.zeros((316, 316), dtype=torch.float16)",
    ),
    ("import torch\nx = torch.randn(4096, 4096, 64)\n", "torch.randn(46, 46, 46)"),
    ("import torch\nx = torch.randint(0, 10, (10**6,))\n", "torch.randint(0, 10, (100000,))"),
    ("import torch\nx = torch.arange(10**8, dtype=torch.int64)\n", "torch.arange(100000, dtype=torch.int64)"),
    # jax
    ("import jax.numpy as jnp\nx = jnp.zeros((10**5, 10**3), jnp.bfloat16)\n", "jnp.zeros((316, 316), jnp.bfloat16)"),
    ("import jax\nx = jax.random.normal(jax.random.PRNGKey(0), (10**5, 512))\n", "(316, 316)"),
    # pandas
    ("import pandas as pd\ndf = pd.DataFrame({'a': range(10**6)})\n", "range(1000)"),
    ("import pandas as pd\ni = pd.date_range('2020-01-01', periods=10**7, freq='s')\n", "periods=100000"),
    # Python sequences, strings, comprehensions, nested loops
    ("xs = [[0] * 10**4 for _ in range(10**4)]\n", "[[0] * 100 for _ in range(100)]"),
    ("xs = [[i * j for j in range(300)] for i in range(300)]\n", "for j in range(100)] for i in range(100)]"),
    ("for i in range(1000):\n    for j in range(1000):\n        f(i, j)\n", "range(100):\n    for j in range(100)"),
    ("b = bytes(10**9)\n", "bytes(100000)"),
    ("s = 'ab' * 10**8\n", "'ab' * 100000"),
]


def _shape_of(code: str) -> str:
    """The code with every integer literal made 0: what capping must not change."""

    class Zero(ast.NodeTransformer):
        def visit_Constant(self, node: ast.Constant) -> ast.Constant:
            return ast.Constant(0) if type(node.value) is int else node

    tree = Zero().visit(ast.parse(code))
    # literal expressions such as 10**5 fold to one number once capped
    return ast.dump(tree).replace(
        "BinOp(left=Constant(value=0), op=Pow(), right=Constant(value=0))", "Constant(value=0)"
    )


@pytest.mark.parametrize(("code", "expected"), CAPPED, ids=[c[1] for c in CAPPED])
def test_oversized_constructors_are_capped_keeping_their_shape(code: str, expected: str) -> None:
    capped = cleanup.cap_sizes(code, None)
    assert expected in capped, capped
    ast.parse(capped)
    assert _shape_of(capped) == _shape_of(code)  # the same calls, dims, dtypes and arguments


SMALL = [
    "import numpy as np\nx = np.zeros((300, 300))\ny = np.random.rand(50, 20)\n",
    "import torch\nx = torch.randn(8, 3, 32, 32)\n",
    "import numpy as np\nx = np.arange(1000)\ny = np.linspace(0, 1, 50)\nz = np.eye(64)\n",
    "z = [0] * 500\ns = 'x' * 1000\nb = bytes(64)\n",
    "for i in range(10):\n    for j in range(100):\n        pass\n",
    "import random\nx = random.randint(0, 10**9)\ny = random.choice([1, 2])\n",
    "assert status == 200\nxs = [i for i in range(200)]\n",
]


@pytest.mark.parametrize("code", SMALL)
def test_small_sizes_are_left_alone(code: str) -> None:
    assert cleanup.cap_sizes(code, None) == code


def test_a_named_size_is_capped_where_it_is_defined() -> None:
    code = "import numpy as np\nN = 50000\nx = np.zeros((N, N))\nassert x.shape == (N, N)\n"
    assert cleanup.cap_sizes(code, None) == code.replace("50000", "316")


def test_a_large_value_stays_consistent_with_assertions() -> None:
    code = "import numpy as np\nx = np.ones(10**7)\nassert x.sum() == 10**7\n"
    assert cleanup.cap_sizes(code, None) == "import numpy as np\nx = np.ones(100000)\nassert x.sum() == 100000\n"


def test_a_small_dimension_is_changed_only_where_it_is_a_size() -> None:
    code = "import numpy as np\nx = np.zeros((200, 200, 200))\nassert code == 200\n"
    capped = cleanup.cap_sizes(code, None)
    assert "np.zeros((46, 46, 46))" in capped and "assert code == 200" in capped


@pytest.mark.parametrize(
    "dims", [[10**5, 10**4], [3, 10**6], [1, 1, 10**9], [7, 10**3, 10**3], [10**4] * 4, [0, 10**9], [5]]
)
def test_shrink_keeps_the_dimensions_within_the_budget(dims: list[int]) -> None:
    out = shrink(dims, MAX_ELEMENTS)
    assert len(out) == len(dims)
    assert math.prod(out) <= MAX_ELEMENTS or math.prod(dims) <= MAX_ELEMENTS
    assert all(1 <= o <= d or d == 0 for o, d in zip(out, dims, strict=True))
    if math.prod(dims) <= MAX_ELEMENTS:
        assert out == dims


def test_the_budget_is_documented() -> None:
    assert (MAX_RANGE, MAX_LOOP_ITERATIONS, MAX_REPEAT, MAX_ELEMENTS, MAX_TEXT_REPEAT) == (
        1_000,
        10_000,
        10_000,
        100_000,
        100_000,
    )
    assert cleanup.MAX_ELEMENTS == MAX_ELEMENTS
