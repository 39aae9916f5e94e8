"""Remove the assertions of the performance file while keeping the calls they make.

The performance run only times the calls; an assertion that fails there would end the test
before the remaining calls are timed. Each assertion becomes one statement (so statement
indices, hence line ids, are unchanged): the calls of the target it held, or ``pass``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

#: unittest assertion methods whose point is to call the target and catch its error
_KEEP_METHODS = ("assertRaises", "assertRaisesRegex", "assertWarns", "assertWarnsRegex", "assertLogs")


def _outer_calls(node: ast.AST, is_target: Callable[[ast.Call], bool]) -> list[ast.expr]:
    """Calls of the target under ``node`` not nested in another one, with their ``await`` if any."""
    found: list[ast.expr] = []

    def visit(current: ast.AST) -> None:
        if isinstance(current, ast.Await) and isinstance(current.value, ast.Call) and is_target(current.value):
            found.append(current)
            return
        if isinstance(current, ast.Call) and is_target(current):
            found.append(current)
            return
        for child in ast.iter_child_nodes(current):
            visit(child)

    visit(node)
    return found


def _is_assert_method(node: ast.stmt) -> bool:
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    return isinstance(func, ast.Attribute) and func.attr.startswith(("assert", "fail")) and func.attr != "assert_"


def _replacement(node: ast.stmt, is_target: Callable[[ast.Call], bool]) -> ast.stmt:
    calls = _outer_calls(node, is_target)
    if not calls:
        return ast.copy_location(ast.Pass(), node)
    value: ast.expr = calls[0] if len(calls) == 1 else ast.Tuple(elts=list(calls), ctx=ast.Load())
    return ast.copy_location(ast.Expr(value=value), node)


class _AssertionRemover(ast.NodeTransformer):
    def __init__(self, is_target: Callable[[ast.Call], bool]) -> None:
        self.is_target = is_target

    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        return _replacement(node, self.is_target)

    def visit_Expr(self, node: ast.Expr) -> ast.stmt:
        if not _is_assert_method(node):
            return node
        assert isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute)
        if node.value.func.attr in _KEEP_METHODS:
            return node
        return _replacement(node, self.is_target)


def remove_assertions(tree: ast.Module, is_target: Callable[[ast.Call], bool]) -> ast.Module:
    """Replace, in place, every ``assert`` and ``self.assert*(...)`` by the target calls it makes."""
    result = _AssertionRemover(is_target).visit(tree)
    assert isinstance(result, ast.Module)
    return result
