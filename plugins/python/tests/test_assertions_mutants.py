"""What the performance file keeps of each assertion: the calls of the target it makes, with what
runs them, one statement per assertion (written against the survivors of
``scripts/mutation.py python.testgen_assertions``)."""

from __future__ import annotations

import ast

import pytest

from codeflash_engine_python.testgen.assertions import remove_assertions


def _is_f(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id == "f"


def _perf(code: str, *, runs_coroutines: bool | None = None) -> str:
    tree = ast.parse(code)
    if runs_coroutines is None:
        result = remove_assertions(tree, _is_f)
    else:
        result = remove_assertions(tree, _is_f, runs_coroutines=runs_coroutines)
    assert result is tree  # in place
    return ast.unparse(result)


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("assert f(1) == 2", "f(1)"),
        ("assert x == 1", "pass"),
        ("assert f(1) == f(2)", "(f(1), f(2))"),
        ("assert f(f(1)) == 2", "f(f(1))"),
        ("assert g(f(1)) == 2", "f(1)"),
        ("assert [f(d) for d in data] == [1]", "[f(d) for d in data]"),
        ("assert [g(f(d)) for d in data] == [1]", "[g(f(d)) for d in data]"),
        ("assert [d for d in data if g(f(d))]", "[d for d in data if g(f(d))]"),
        ("assert {f(d) for d in data}", "{f(d) for d in data}"),
        ("assert {d: f(d) for d in data}", "{d: f(d) for d in data}"),
        ("assert all(f(d) == e for d, e in data)", "all((f(d) == e for d, e in data))"),
        ("assert (f(d) for d in data)", "list((f(d) for d in data))"),
        ("assert sorted(xs, key=lambda v: f(v)) == xs", "sorted(xs, key=lambda v: f(v))"),
        ("assert (lambda v: f(v))", "pass"),
        ("assert (f(x) if x else 0) == 1", "f(x) if x else 0"),
        ("assert x is None or f(x) == 1", "x is None or f(x) == 1"),
        ("assert [f(d) == f(d + 1) for d in data]", "[f(d) == f(d + 1) for d in data]"),
        ("assert all(f(d) == f(-d) for d in data)", "all((f(d) == f(-d) for d in data))"),
        ("assert (f(d) == f(-d) for d in data)", "list((f(d) == f(-d) for d in data))"),
        ("assert await f(1) == 2", "await f(1)"),
        ("assert asyncio.run(f(1)) == 2", "f(1)"),
    ],
)
def test_an_assert_keeps_the_outermost_calls_of_the_target(line: str, kept: str) -> None:
    """The calls of the target an ``assert`` makes, each once: a call in a comprehension, a lambda
    or a condition is kept with what surrounds it (a generator is consumed by ``list``; a lambda
    nobody calls keeps nothing), several calls make one tuple, and a non-async target's call is
    kept alone."""
    assert _perf(line) == kept
    assert _perf(line, runs_coroutines=False) == kept


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("assert asyncio.run(f(1)) == 2", "asyncio.run(f(1))"),
        ("assert await asyncio.wait_for(f(1), 1) == 2", "await asyncio.wait_for(f(1), 1)"),
        ("assert await f(1) == 2", "await f(1)"),
        ("assert g(await f(1)) == 2", "await f(1)"),
        ("assert f(1)", "pass"),
    ],
)
def test_an_async_target_keeps_what_runs_its_coroutine(line: str, kept: str) -> None:
    """An async target's call not awaited itself is kept with the outermost call or ``await`` that
    runs it; an awaited call is kept as it is; a coroutine nobody runs is not kept... except that
    a bare call with nothing around it is still the call."""
    if line == "assert f(1)":
        assert _perf(line, runs_coroutines=True) == "f(1)"
    else:
        assert _perf(line, runs_coroutines=True) == kept


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("self.assertEqual(f(1), 2)", "f(1)"),
        ("self.assertTrue(x)", "pass"),
        ("self.failUnless(f(1))", "f(1)"),
        ("self.assertRaises(ValueError, f, 1)", "self.assertRaises(ValueError, f, 1)"),
        ("self.assertRaisesRegex(ValueError, 'x', f, 1)", "self.assertRaisesRegex(ValueError, 'x', f, 1)"),
        ("self.assertWarns(UserWarning, f, 1)", "self.assertWarns(UserWarning, f, 1)"),
        ("self.assertWarnsRegex(UserWarning, 'x', f, 1)", "self.assertWarnsRegex(UserWarning, 'x', f, 1)"),
        ("self.assertLogs(f(1))", "self.assertLogs(f(1))"),
        ("self.assert_(f(1) == 2)", "self.assert_(f(1) == 2)"),
        ("assertEqual(f(1), 2)", "assertEqual(f(1), 2)"),
        ("log.info(f(1))", "log.info(f(1))"),
        ("f(1) == 2", "f(1) == 2"),
        ("x", "x"),
    ],
)
def test_assertion_methods_are_replaced_and_other_statements_kept(line: str, kept: str) -> None:
    """``self.assert*`` and ``self.fail*`` calls become the target calls they make; the methods
    whose point is to call the target and catch its error, ``assert_``, a plain function named
    like an assertion and any other expression statement stay as they are."""
    assert _perf(line) == kept


def test_each_assertion_stays_one_statement() -> None:
    """Statement indices (hence line ids) are unchanged: each assertion is replaced by exactly one
    statement, in place."""
    code = "def test_a():\n    x = f(1)\n    assert x == 2\n    assert f(2) == 3\n    self.assertEqual(f(3), 4)\n"
    assert _perf(code) == "def test_a():\n    x = f(1)\n    pass\n    f(2)\n    f(3)"


def test_a_helper_that_calls_the_target_counts_as_the_target() -> None:
    """A call of a helper of the test file reaching the target, directly or through other helpers
    (whatever their order in the file), is kept; a helper that does not reach it is not, nor is a
    test function."""
    code = (
        "def outer(x):\n    return middle(x)\n\n"
        "def middle(x):\n    return check(x)\n\n"
        "async def check(x):\n    return f(x) == 1\n\n"
        "def unrelated(x):\n    return g(x) + x.f(1)\n\n"
        "def test_one():\n    return f(1)\n\n"
        "def test_two():\n"
        "    assert outer(1)\n    assert middle(2)\n    assert check(3)\n    assert unrelated(4)\n"
        "    assert test_one()\n    assert f(5) == h(6)\n"
    )
    body = _perf(code).split("def test_two():\n", 1)[1]
    assert body.split("\n") == [
        "    outer(1)",
        "    middle(2)",
        "    check(3)",
        "    pass",
        "    pass",
        "    f(5)",
    ]
    # the helpers themselves are cleaned the same way
    assert "return f(x) == 1" in _perf(code)


def test_a_helper_reached_only_through_a_later_helper_is_found() -> None:
    """The helpers are found to a fixed point: ``a`` calls ``b`` (defined after it) which calls
    ``c`` which calls the target, and ``d`` calls ``a``."""
    code = (
        "def d(x):\n    return a(x)\n\n"
        "def a(x):\n    return b(x)\n\n"
        "def b(x):\n    return c(x)\n\n"
        "def c(x):\n    return f(x)\n\n"
        "def test_x():\n    assert d(1)\n    assert a(2)\n    assert b(3)\n    assert c(4)\n    assert e(5)\n"
    )
    assert _perf(code).split("def test_x():\n", 1)[1].split("\n") == [
        "    d(1)",
        "    a(2)",
        "    b(3)",
        "    c(4)",
        "    pass",
    ]


def test_without_helpers_only_the_target_counts() -> None:
    """A method call named like a helper is not a helper; names bound elsewhere do not count."""
    code = "x = 1\n\ndef test_x():\n    assert obj.check(1)\n    assert check(2)\n"
    assert _perf(code) == "x = 1\n\ndef test_x():\n    pass\n    pass"
