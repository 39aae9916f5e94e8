"""Raw testgen answers as models write them, and the requests that go with them."""

from __future__ import annotations

from codeflash_engine.plugins.types import Answer, CodeFile, Target, TestsRequest

from .samples import GEO, SORTER, UTIL

FETCH = """\
import asyncio


async def fetch_double(x):
    await asyncio.sleep(0)
    if x < 0:
        raise ValueError("negative")
    return 2 * x
"""

#: pytest functions: a pasted copy of the target, an unused helper, a helper that calls the
#: target, a loop, an expected and an unexpected exception, a huge size
SORT_PYTEST = """Here are comprehensive tests for `sort_list`:

```python
import pytest
from sorter import sort_list  # the model guessed the module


def sort_list(xs):
    return sorted(xs)


def make_data(n):
    return list(range(n, 0, -1))


def _never_used():
    return 42


def check(xs):
    assert sort_list(xs) == sorted(xs)


def test_basic():
    # a simple case
    assert sort_list([3, 1, 2]) == [1, 2, 3]


def test_many():
    for n in range(3):
        assert sort_list(make_data(n)) == list(range(1, n + 1))


def test_via_helper():
    check([5, 4])


def test_bad_input():
    with pytest.raises(TypeError):
        sort_list([1, "a"])


def test_unexpected_error():
    assert sort_list(None) == []


def test_large():
    data = list(range(10**6, 0, -1))
    result = sort_list(data)
    assert len(result) == 10**6
```

These cover the main cases."""

#: a method, tested from a pytest class, with a stub class shadowing the real one
VEC_PYTEST = '''```python
import pytest


class Vec:
    """Stub for testing."""

    def __init__(self, xs):
        self.xs = xs

    def length(self):
        return 0.0


class TestLength:
    def test_unit(self):
        v = Vec([3, 4])
        assert v.length() == pytest.approx(15.0)

    def test_twice(self):
        v = Vec([1])
        assert v.length() + v.length() == pytest.approx(6.0)
```'''

#: unittest style
SORT_UNITTEST = """```python
import unittest
from pkg.sorter import sort_list


class TestSort(unittest.TestCase):
    def test_sorted(self):
        self.assertEqual(sort_list([2, 1]), [1, 2])

    def test_empty(self):
        self.assertEqual(sort_list([]), [])
        self.assertRaises(TypeError, sort_list, None)


if __name__ == "__main__":
    unittest.main()
```"""

#: an async function: awaited, gathered, and raising
FETCH_ASYNC = """```python
import pytest
from pkg.fetch import fetch_double


async def test_fetch():
    assert await fetch_double(2) == 4


async def test_gather():
    results = await asyncio.gather(fetch_double(1), fetch_double(3))
    assert results == [2, 6]


@pytest.mark.asyncio
async def test_error():
    with pytest.raises(ValueError):
        await fetch_double(-1)
```"""


def request(
    answer: str,
    *,
    function: str,
    qualified: str,
    module: str,
    test_module: str,
    files: tuple[CodeFile, ...],
    class_name: str | None = None,
    framework: str = "pytest",
    is_async: bool = False,
    helpers: tuple[str, ...] = (),
) -> TestsRequest:
    return TestsRequest(
        language="python",
        language_version="3.11.7",
        answer=Answer(text=answer, finish_reason="stop"),
        source_code=files,
        target=Target(name=function, qualified_name=qualified, class_name=class_name),
        module_path=module,
        test_module_path=test_module,
        test_framework=framework,
        test_timeout=15,
        helper_function_names=helpers,
        is_async=is_async,
        fence_tags=("python", "py", "python3"),
    )


SORT_FILES = (CodeFile("pkg/sorter.py", SORTER),)
VEC_FILES = (CodeFile("pkg/geo.py", GEO), CodeFile("pkg/util.py", UTIL))
FETCH_FILES = (CodeFile("pkg/fetch.py", FETCH),)

REQUESTS = {
    "sort_pytest": request(
        SORT_PYTEST,
        function="sort_list",
        qualified="sort_list",
        module="pkg.sorter",
        test_module="tests.test_sort_list__unit_test_0",
        files=SORT_FILES,
    ),
    "vec_pytest": request(
        VEC_PYTEST,
        function="length",
        qualified="Vec.length",
        class_name="Vec",
        module="pkg.geo",
        test_module="tests.test_length__unit_test_0",
        files=VEC_FILES,
        helpers=("pkg.util.norm",),
    ),
    "sort_unittest": request(
        SORT_UNITTEST,
        function="sort_list",
        qualified="sort_list",
        module="pkg.sorter",
        test_module="tests.test_sort_list__unit_test_1",
        files=SORT_FILES,
        framework="unittest",
    ),
    "fetch_async": request(
        FETCH_ASYNC,
        function="fetch_double",
        qualified="fetch_double",
        module="pkg.fetch",
        test_module="tests.test_fetch_double__unit_test_0",
        files=FETCH_FILES,
        is_async=True,
    ),
}

#: the sample project the instrumented files run against
PROJECT = {
    "pkg/__init__.py": "",
    "pkg/sorter.py": SORTER,
    "pkg/geo.py": GEO,
    "pkg/util.py": UTIL,
    "pkg/fetch.py": FETCH,
}
