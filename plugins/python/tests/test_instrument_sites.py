"""Which test, class and line id every wrapped call of the target gets, as a table.

Line ids are read by the CLI against the plain generated file: ``"<i>"`` for the ``i``-th
statement of a test, ``"<i>_<j>"`` for the ``j``-th statement in the body of a
``with``/``for``/``while``/``if`` that is the ``i``-th statement, ``"h<k>"`` in helpers. A test is
a function or method named ``test*`` (pytest and unittest both collect ``testCamel``).
"""

from __future__ import annotations

import ast

import pytest

from codeflash_engine_python.testgen.instrument import CallMatcher, Mode, Target, instrument, is_test_function
from codeflash_engine_python.testgen.runtime import (
    BEHAVIOR_PREAMBLE,
    BEHAVIOR_WRAPPER,
    PERFORMANCE_PREAMBLE,
    PERFORMANCE_WRAPPER,
)

SOURCE = """\
import unittest

from pkg.sorter import sort_list


def test_branches():
    xs = [3, 1, 2]
    if xs:
        out = sort_list(xs)
        assert out == [1, 2, 3]
    elif sort_list([]):
        pass
    else:
        sort_list([9])
    for n in range(2):
        x = n
        assert sort_list([x]) == [x]
    while not xs:
        sort_list([0])
    with open(__file__) as handle:
        assert handle and sort_list([1]) == [1]
    assert sort_list([]) == []


def check(values):
    return sort_list(values)


class TestSorter(unittest.TestCase):
    def testCamel(self):
        self.assertEqual(sort_list([2, 1]), [1, 2])

    def assert_sorted(self, values):
        self.assertEqual(check(values), sorted(values))
        return sort_list(values)

    def test_snake(self):
        if True:
            self.assertEqual(sort_list([1]), [1])
        for v in sort_list([5, 4]):
            assert v
"""

# (class, test, line id, the call's first argument) of every wrapped call, in source order
EXPECTED = [
    (None, "test_branches", "1_0", "xs"),  # in the body of an if: i_j
    (None, "test_branches", "1", "[]"),  # the elif test is part of the if statement
    (None, "test_branches", "1", "[9]"),  # else branch: the if statement's own id
    (None, "test_branches", "2_1", "[x]"),  # second statement of a for
    (None, "test_branches", "3_0", "[0]"),  # while
    (None, "test_branches", "4_0", "[1]"),  # with
    (None, "test_branches", "5", "[]"),
    (None, None, "h0", "values"),  # a helper: the test is found at run time
    ("TestSorter", "testCamel", "0", "[2, 1]"),  # unittest naming is a test, not a helper
    (None, None, "h1", "values"),  # a method that is not a test
    ("TestSorter", "test_snake", "0_0", "[1]"),
    ("TestSorter", "test_snake", "1", "[5, 4]"),  # in a for header: counted once, though its else is visited after it
]


def _sites(source: str, wrapper: str) -> list[tuple[object, ...]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == wrapper:
            values = [a.value if isinstance(a, ast.Constant) else a for a in node.args[:6]]
            found.append((node.lineno, node.col_offset, values[2], values[3], values[5], ast.unparse(node.args[6])))
    return [site[2:] for site in sorted(found)]


@pytest.mark.parametrize(
    ("mode", "wrapper"), [(Mode.BEHAVIOR, BEHAVIOR_WRAPPER), (Mode.PERFORMANCE, PERFORMANCE_WRAPPER)]
)
def test_every_call_gets_its_test_class_and_line_id(mode: Mode, wrapper: str) -> None:
    text, wrapped = instrument(ast.parse(SOURCE), Target("sort_list", "sort_list"), "tests/test_sorter.py", mode)
    assert _sites(text, wrapper) == EXPECTED
    assert wrapped == len(EXPECTED)
    compile(text, "<instrumented>", "exec")


@pytest.mark.parametrize(
    ("name", "is_test"),
    [
        ("test_one", True),
        ("testCamel", True),
        ("test", True),
        ("tests_helper", True),  # unittest's prefix is "test": collected
        ("check_test", False),
        ("Test_upper", False),
        ("_test_private", False),
        ("helper", False),
    ],
)
def test_which_functions_are_tests(name: str, is_test: bool) -> None:
    node = ast.parse(f"def {name}():\n    pass\n").body[0]
    assert is_test_function(node) is is_test
    assert is_test_function(ast.parse(f"async def {name}():\n    pass\n").body[0]) is is_test
    assert not is_test_function(ast.parse(f"{name} = 1\n").body[0])


CALLS = "f(1)\nm.f(1)\nsl(1)\nVec(1)\nv.length()\nlength(v)\nv.__init__()\nfns[0](1)\nGeo()\nnorm(v)\n"


@pytest.mark.parametrize(
    ("target", "wrapped"),
    [
        (Target("f", "f"), ["f(1)", "m.f(1)"]),
        (Target("f", "f", aliases=("sl",)), ["f(1)", "m.f(1)", "sl(1)"]),
        (Target("length", "Vec.length", is_method=True, class_name="Vec"), ["v.length()"]),
        (Target("length", "length"), ["v.length()", "length(v)"]),
        (Target("__init__", "Vec.__init__", is_method=True, class_name="Vec"), ["Vec(1)"]),
        (Target("norm", "Geo.norm", class_name="Geo"), ["norm(v)"]),  # a function of a class, called bare
    ],
    ids=["function", "alias", "method", "bare name", "constructor", "static"],
)
def test_which_calls_are_the_target(target: Target, wrapped: list[str]) -> None:
    matcher = CallMatcher(target)
    calls = [node for node in ast.walk(ast.parse(CALLS)) if isinstance(node, ast.Call)]
    assert sorted(ast.unparse(c) for c in calls if matcher(c)) == sorted(wrapped)


def test_future_imports_stay_first_and_nothing_else_precedes_the_preamble() -> None:
    with_future = (
        "from __future__ import annotations\n\nfrom pkg.sorter import sort_list\n\n\ndef test_a():\n    sort_list([])\n"
    )
    text, _ = instrument(ast.parse(with_future), Target("sort_list", "sort_list"), "tests/t.py", Mode.BEHAVIOR)
    assert text.startswith("from __future__ import annotations\n" + BEHAVIOR_PREAMBLE)
    plain, _ = instrument(
        ast.parse(with_future.split("\n", 2)[2]), Target("sort_list", "sort_list"), "tests/t.py", Mode.PERFORMANCE
    )
    assert plain.startswith(PERFORMANCE_PREAMBLE)


#: a method named like a dict method: only the calls on the class's instances are the target's
SHARED_NAME = """\
import json
import pkg.api as api
from pkg.store import Store

DEFAULTS = {"a": 1}


def make():
    return Store()


def test_get():
    store = Store()
    expected = {"a": 1, "b": 2}
    for key in expected:
        store.update(key, expected[key])
        assert store.get(key) == expected.get(key)
    assert {}.get("x") is None and dict(a=1).get("a") == 1 and {k: 1 for k in "ab"}.get("a") == 1
    assert DEFAULTS.get("a") == 1 and json.get("x") is None and api.get("x")
    assert json.loads("{}").get("x") is None and make().get("a") is None
    names: list[str] = ["x"]
    assert names.get(0)


def test_a_fixture_or_a_local_named_like_a_global(expected):
    assert expected.get("a")
    DEFAULTS = Store()
    assert DEFAULTS.get("a") is None


def test_rebound():
    value = {}
    value = Store()
    assert value.get("a") is None
"""


def _wrapped(target: Target, source: str) -> list[str]:
    tree = ast.parse(source)
    matcher = CallMatcher(target, tree)
    return sorted(ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Call) and matcher(node))


def test_a_method_named_like_a_dict_method_leaves_builtin_receivers_alone() -> None:
    """``expected.get(k)`` with ``expected = {...}`` is dict.get, not ``Store.get``: wrapping it
    would time and record dict lookups as the target's calls."""
    wrapped = _wrapped(Target("get", "Store.get", is_method=True, class_name="Store"), SHARED_NAME)
    assert wrapped == [
        "DEFAULTS.get('a')",  # the local Store of the second test
        "expected.get('a')",  # a fixture: unknown, kept
        "json.loads('{}').get('x')",  # unknown
        "make().get('a')",
        "store.get(key)",
        "value.get('a')",  # one of its bindings is not a builtin value
    ]


def test_a_method_target_skips_modules_a_plain_import_binds() -> None:
    """``import json`` and ``import pkg.api as api`` bind modules, never instances."""
    wrapped = _wrapped(Target("get", "Store.get", is_method=True, class_name="Store"), SHARED_NAME)
    assert "json.get('x')" not in wrapped and "api.get('x')" not in wrapped


def test_a_function_target_called_through_its_module_stays_wrapped() -> None:
    """A module function ``get`` is called as ``api.get(...)`` and ``json.get(...)``: modules count."""
    wrapped = _wrapped(Target("get", "get"), SHARED_NAME)
    assert "api.get('x')" in wrapped and "json.get('x')" in wrapped
    assert "expected.get(key)" not in wrapped and "{}.get('x')" not in wrapped


def test_a_class_named_like_a_builtin_factory_is_its_own() -> None:
    """A user class ``Counter`` with a method ``get``: ``c = Counter()`` is an instance of it."""
    source = "from pkg.tally import Counter\n\n\ndef test_c():\n    c = Counter()\n    assert c.get('a') == 0\n"
    assert _wrapped(Target("get", "Counter.get", is_method=True, class_name="Counter"), source) == ["c.get('a')"]


def test_the_instrumented_files_time_only_the_instances_calls() -> None:
    """Both files: the behaviour file wraps ``store.get`` only; the performance file keeps it."""
    source = (
        "from pkg.store import Store\n\n\ndef test_g():\n    store = Store()\n    expected = {'a': 1}\n"
        "    assert store.get('a') == expected.get('a')\n"
    )
    target = Target("get", "Store.get", is_method=True, class_name="Store")
    behavior, wrapped = instrument(ast.parse(source), target, "tests/t.py", Mode.BEHAVIOR)
    assert wrapped == 1
    assert f"{BEHAVIOR_WRAPPER}(store.get, " in behavior and "expected.get('a')" in behavior
