"""Normal forms of definitions, for "is this the same code?" the way the CLI asks it (contract 4.2).

Docstrings are dropped, local variable names are renamed to ``var_0``, ``var_1``... in order of
first assignment, and comments and formatting vanish with the parse. Two definitions with equal
normal forms benchmark the same, so a candidate that only differs from the original (or from
another candidate) in those ways is worthless.
"""

from __future__ import annotations

import ast
import copy
from types import CodeType

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)
Function = ast.FunctionDef | ast.AsyncFunctionDef


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


# Compiled normal forms. Compiling is the cheap way to the same equivalence for functions: local
# variables become slot numbers in the bytecode (so their names do not matter), comments and
# layout are gone, and annotations and default values live in the enclosing scope, outside the
# function's code object (the signature is checked on its own, see signature.py). Docstrings are
# removed from the tree before compiling. Compiling is also exactly the client's syntax check.


def code_key(code: CodeType) -> tuple[object, ...]:
    """What identifies the behaviour of a code object, without names of locals or line numbers."""
    consts = tuple(code_key(c) if isinstance(c, CodeType) else (type(c).__name__, c) for c in code.co_consts)
    return (
        code.co_code,
        consts,
        code.co_names,
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_flags,
    )


def _without_docstring(node: Function) -> Function:
    """``node``, or a shallow copy of it without its docstring (``node`` itself is never changed:
    the indexes of original files are shared between requests and threads)."""
    first = node.body[0]
    value = first.value if isinstance(first, ast.Expr) else None
    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        return node
    stripped = copy.copy(node)
    stripped.body = node.body[1:] or [ast.copy_location(ast.Pass(), first)]
    return stripped


def function_code_key(node: Function) -> tuple[object, ...] | None:
    """The compiled key of one function, compiled on its own; None when it does not compile.

    Compiling each definition alone keeps every compiler call small (a long one would hold the
    GIL and stall the event loop) and lets unchanged definitions skip compiling altogether. A
    method compiled outside its class differs only in private-name mangling and ``__class__``,
    the same way for the original and the candidate.
    """
    module = ast.Module(body=[_without_docstring(node)], type_ignores=[])
    try:
        code = compile(module, "<candidate>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, TypeError, RecursionError):
        return None
    for const in code.co_consts:
        if isinstance(const, CodeType) and const.co_name == node.name:
            return code_key(const)
    return None  # pragma: no cover - compiling a def always yields its code object


def decorators_key(node: ast.stmt) -> str:
    """The decorators of a definition, as a comparable string ('' when it has none)."""
    decorators = getattr(node, "decorator_list", [])
    return "|".join(ast.dump(d, annotate_fields=False) for d in decorators)
