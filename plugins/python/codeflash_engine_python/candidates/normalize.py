"""Normal forms of definitions, for "is this the same code?" the way the CLI asks it (contract 4.2).

Docstrings are dropped, local variable names are renamed to ``var_0``, ``var_1``... in order of
first assignment, and comments and formatting vanish with the parse. Two definitions with equal
normal forms benchmark the same, so a candidate that only differs from the original (or from
another candidate) in those ways is worthless.
"""

from __future__ import annotations

import ast

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)


def strip_docstrings(tree: ast.AST) -> None:
    """Remove, in place, the docstring of every module, class and function under ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, _SCOPES) and node.body:
            first = node.body[0]
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                node.body = node.body[1:] or [ast.Pass()]


def rename_locals(function: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    """Rename, in place, the variables a function assigns (not its parameters, globals or nonlocals)."""
    declared: set[str] = set()
    params = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
    for node in ast.walk(function):
        if isinstance(node, ast.Global | ast.Nonlocal):
            declared.update(node.names)
    mapping: dict[str, str] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            name = node.id
            if name not in mapping and name not in declared and name not in params:
                mapping[name] = f"var_{len(mapping)}"
    if not mapping:
        return
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and node.id in mapping:
            node.id = mapping[node.id]


def normal_form(node: ast.stmt) -> str:
    """The normal form of a statement; ``node`` is modified in place (pass a tree you own)."""
    strip_docstrings(node)
    for inner in ast.walk(node):
        if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
            rename_locals(inner)
    return ast.dump(node, annotate_fields=False)
