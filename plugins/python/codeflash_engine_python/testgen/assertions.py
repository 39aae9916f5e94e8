"""Remove the assertions of the performance file while keeping the calls they make.

The performance run only times the calls; an assertion that fails there would end the test
before the remaining calls are timed. Each assertion becomes one statement (so statement
indices, hence line ids, are unchanged): the calls of the target it held (a call of a helper of
the test file that calls the target counts as one; for an async target, what runs a coroutine it
does not await stays around it), or ``pass``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from codeflash_engine_python.names import all_nodes

#: unittest assertion methods whose point is to call the target and catch its error
_KEEP_METHODS = ("assertRaises", "assertRaisesRegex", "assertWarns", "assertWarnsRegex", "assertLogs")


#: expressions a call inside cannot leave: a comprehension or lambda binds names the call may read
#: (alone, it would read unbound names); a condition guards it (``x is None or f(x) == 1``: alone,
#: it would run where the test does not run it)
_SCOPES = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda, ast.IfExp, ast.BoolOp)


def _outer_calls(node: ast.AST, is_target: Callable[[ast.Call], bool], runs_coroutines: bool = False) -> list[ast.expr]:
    """Calls of the target under ``node`` not nested in another one, with their ``await`` if any.

    A call inside a comprehension or a lambda (``all(f(d) == e for d in data)``) may read its
    variables, one in a condition (``x is None or f(x) == 1``) may not run at all: the outermost
    call or ``await`` around the outermost of those is kept instead (that expression itself when
    there is none; a generator expression is consumed by ``list``).
    ``runs_coroutines`` (an async target): a call of the target that is not awaited itself is
    handed to something that runs it (``asyncio.run(f(x))``, ``await asyncio.wait_for(f(x), 1)``),
    so the outermost call or ``await`` around it is kept instead: alone, ``f(x)`` would only make
    a coroutine that nobody runs, and nothing would be timed.
    """
    found: list[ast.expr] = []
    consumed: dict[int, ast.expr] = {}  # one ``list(...)`` per generator expression, however many calls it holds

    def keep(expr: ast.expr | None) -> None:
        if expr is not None and not any(expr is other for other in found):
            found.append(expr)

    def around(ancestors: list[ast.AST], call: ast.expr) -> ast.expr | None:
        runners = [a for a in ancestors if isinstance(a, ast.Call | ast.Await)]
        scope = next((a for a in ancestors if isinstance(a, _SCOPES)), None)
        if scope is not None:
            outer = next((a for a in runners if _contains(a, scope)), None)
            if outer is not None:
                return outer
            if isinstance(scope, ast.Lambda):
                return None  # never called here: nothing to run
            if isinstance(scope, ast.GeneratorExp):
                if id(scope) not in consumed:
                    consume = ast.Call(func=ast.Name("list", ast.Load()), args=[scope], keywords=[])
                    consumed[id(scope)] = ast.copy_location(consume, scope)
                return consumed[id(scope)]
            assert isinstance(scope, ast.expr)
            return scope
        if runs_coroutines and not isinstance(call, ast.Await) and runners:
            return runners[0]
        return call

    def visit(current: ast.AST, ancestors: list[ast.AST]) -> None:
        if isinstance(current, ast.Await) and isinstance(current.value, ast.Call) and is_target(current.value):
            keep(around(ancestors, current))
            return
        if isinstance(current, ast.Call) and is_target(current):
            keep(around(ancestors, current))
            return
        for child in ast.iter_child_nodes(current):
            visit(child, [*ancestors, current])

    visit(node, [])
    return found


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    return any(node is inner for node in ast.walk(outer))


def _is_assert_method(node: ast.stmt) -> bool:
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    return isinstance(func, ast.Attribute) and func.attr.startswith(("assert", "fail")) and func.attr != "assert_"


def _replacement(node: ast.stmt, is_target: Callable[[ast.Call], bool], runs_coroutines: bool) -> ast.stmt:
    calls = _outer_calls(node, is_target, runs_coroutines)
    if not calls:
        return ast.copy_location(ast.Pass(), node)
    value: ast.expr = calls[0] if len(calls) == 1 else ast.Tuple(elts=list(calls), ctx=ast.Load())
    return ast.copy_location(ast.Expr(value=value), node)


class _AssertionRemover(ast.NodeTransformer):
    def __init__(self, is_target: Callable[[ast.Call], bool], runs_coroutines: bool) -> None:
        self.is_target = is_target
        self.runs_coroutines = runs_coroutines

    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        return _replacement(node, self.is_target, self.runs_coroutines)

    def visit_Expr(self, node: ast.Expr) -> ast.stmt:
        if not _is_assert_method(node):
            return node
        assert isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute)
        if node.value.func.attr in _KEEP_METHODS:
            return node
        return _replacement(node, self.is_target, self.runs_coroutines)


def _helpers_reaching(tree: ast.Module, is_target: Callable[[ast.Call], bool]) -> set[str]:
    """The test file's own top-level functions (not tests) that call the target, directly or
    through one another."""
    functions = {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("test")
    }
    reaching: set[str] = set()
    callees: dict[str, set[str]] = {}
    for name, function in functions.items():
        calls = [node for node in all_nodes([function]) if isinstance(node, ast.Call)]
        if any(is_target(call) for call in calls):
            reaching.add(name)
        callees[name] = {c.func.id for c in calls if isinstance(c.func, ast.Name) and c.func.id in functions}
    grown = True
    while grown:
        grown = False
        for name, called in callees.items():
            if name not in reaching and called & reaching:
                reaching.add(name)
                grown = True
    return reaching


def remove_assertions(
    tree: ast.Module, is_target: Callable[[ast.Call], bool], *, runs_coroutines: bool = False
) -> ast.Module:
    """Replace, in place, every ``assert`` and ``self.assert*(...)`` by the target calls it makes
    (for an async target, with what runs those it does not await: see :func:`_outer_calls`).

    A call of a helper of the test file that calls the target counts as one of the target
    (``assert _sorted_ok(data)``): without it, nothing of such a test would be timed, and tests
    all written that way left the CLI no runtime to compare.
    """
    helpers = _helpers_reaching(tree, is_target)

    def reaches_target(call: ast.Call) -> bool:
        return is_target(call) or (isinstance(call.func, ast.Name) and call.func.id in helpers)

    result = _AssertionRemover(reaches_target if helpers else is_target, runs_coroutines).visit(tree)
    assert isinstance(result, ast.Module)
    return result
