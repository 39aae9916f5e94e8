"""Function signatures: has a candidate changed one, and putting the original header back.

The CLI keeps the original signature of the target and its helpers and takes only the body and
decorators of the candidate (contract 4.4). A candidate whose parameters differ (names, kinds,
defaults, ``async``) would run with a body written for parameters it does not get, so it is
dropped. A candidate whose header differs only in annotations or layout gets the original
header back, so that what the client benchmarks is exactly what we return.

The client takes the candidate's decorators as they are, so one the model left out is gone from
the user's code. The original's decorators come back (:func:`dropped_decorators`) when the
candidate has none at all (a model writing the function bare: a route, command or fixture
registration would otherwise vanish without any test noticing), and a decorator deciding how a
method binds (``staticmethod``, ``classmethod``, ``property`` and its setters...) comes back
when the candidate has none of those: without it, ``self.helper(x)`` passes ``self`` as ``x``.
"""

from __future__ import annotations

import ast
import functools
import io
import tokenize

from codeflash_engine_python.source import split_lines

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _dump(node: ast.AST | None) -> str | None:
    return None if node is None else ast.dump(node, annotate_fields=False)


def signature_key(function: Function) -> tuple[object, ...]:
    """What must not change: async-ness, parameter names and kinds, default values."""
    args = function.args
    return (
        isinstance(function, ast.AsyncFunctionDef),
        tuple(a.arg for a in args.posonlyargs),
        tuple(a.arg for a in args.args),
        args.vararg.arg if args.vararg else None,
        tuple(a.arg for a in args.kwonlyargs),
        args.kwarg.arg if args.kwarg else None,
        tuple(_dump(d) for d in args.defaults),
        tuple(_dump(d) for d in args.kw_defaults),
    )


def describe_change(original: Function, candidate: Function) -> str | None:
    """None when the signatures agree, else a short description of what changed."""
    if isinstance(original, ast.AsyncFunctionDef) != isinstance(candidate, ast.AsyncFunctionDef):
        return "async/sync changed"
    before, after = signature_key(original), signature_key(candidate)
    if before[1:6] != after[1:6]:
        return f"parameters changed from ({ast.unparse(original.args)}) to ({ast.unparse(candidate.args)})"
    if before != after:
        return "default values changed"
    return None


#: decorators that decide how a method binds, or what its name is on the class
BINDING_DECORATORS = frozenset(
    {"staticmethod", "classmethod", "property", "cached_property", "setter", "getter", "deleter"}
)


def decorator_name(node: ast.expr) -> str:
    """The last name of a decorator: ``cache`` for ``@functools.cache``, ``setter`` for ``@x.setter``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def dropped_decorators(original: Function, candidate: Function) -> list[ast.expr]:
    """The original's decorators to put back on the candidate, outermost first (see the module docstring)."""
    if not original.decorator_list:
        return []
    if not candidate.decorator_list:
        return list(original.decorator_list)
    if any(decorator_name(d) in BINDING_DECORATORS for d in candidate.decorator_list):
        return []  # it binds the method its own way (``cached_property`` for ``property``...)
    return [d for d in original.decorator_list if decorator_name(d) in BINDING_DECORATORS]


def header_span(text: str) -> tuple[int, int] | None:
    """Offsets of ``[async] def ...:`` in ``text``, a definition's source without decorators first.

    ``text`` starts at the line of the ``def`` (decorator lines are allowed before it). Returns
    the span from the ``def``/``async`` keyword to just past the colon that ends the header.
    """
    lines = split_lines(text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    depth = 0
    begin: int | None = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.NAME and begin is None and token.string in {"def", "async"}:
                if depth == 0:
                    begin = starts[token.start[0] - 1] + token.start[1]
            elif token.type == tokenize.OP:
                if token.string in "([{":
                    depth += 1
                elif token.string in ")]}":
                    depth -= 1
                elif token.string == ":" and depth == 0 and begin is not None:
                    return begin, starts[token.end[0] - 1] + token.end[1]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return None


def restore_header(candidate_text: str, original_text: str) -> str:
    """``candidate_text`` with its ``def ...:`` header replaced by the one of ``original_text``.

    Both texts are whole definitions at the same indentation. Unchanged when a header is not found.
    """
    header = _header(original_text)
    if header is None or _starts_with_header(candidate_text, header):
        return candidate_text  # the common case: the same header, no need to tokenize
    candidate_span = header_span(candidate_text)
    if candidate_span is None:
        return candidate_text
    return candidate_text[: candidate_span[0]] + header + candidate_text[candidate_span[1] :]


def _starts_with_header(text: str, header: str) -> bool:
    """``text`` starts, after its indentation, with ``header``: then its header is that same text
    (the same tokens up to the same closing colon). A decorated definition is left to the
    tokenizer: a decorator's arguments may hold a line that starts with the header."""
    return text.lstrip(" \t").startswith(header)


@functools.lru_cache(maxsize=256)
def _header(original_text: str) -> str | None:
    """The header of an original definition (cached: every candidate of a batch asks for it)."""
    span = header_span(original_text)
    return None if span is None else original_text[span[0] : span[1]]
