"""Keys of definitions, for "is this the same code?" the way the CLI asks it (contract 4.2).

A function is identified by its compiled code: compiling is the cheap way to the equivalence the
client uses. Local variables become slot numbers in the bytecode (so their names do not matter),
comments and layout are gone, and annotations and default values live in the enclosing scope,
outside the function's code object (the signature is checked on its own, see signature.py).
Docstrings are removed before compiling. Constants stay in the key, with their types: a candidate
that only tunes one is a real candidate. Compiling is also exactly the client's syntax check.
Decorators are compared on their own (:func:`decorators_key`).
"""

from __future__ import annotations

import ast
import copy
from types import CodeType

from codeflash_engine_python.source import docstring_statement

Function = ast.FunctionDef | ast.AsyncFunctionDef


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
    first = docstring_statement(node.body)
    if first is None:
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
