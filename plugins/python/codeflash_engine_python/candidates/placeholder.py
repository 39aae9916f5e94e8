"""Placeholders: code a model left out and pointed at instead of writing.

Two kinds. A *stub* definition (a body of only ``...`` or ``pass`` where the original had real
code) means "this one is unchanged": the original definition is kept (for a refinement, repair
or adaptive answer, the improved candidate's where it differs: see :mod:`.base`). An *elision*
inside a real body (``# ... rest of the code unchanged ...``, a stray ``...`` statement among
others) means the definition is incomplete: the whole candidate is unusable.
"""

from __future__ import annotations

import ast
import re

from codeflash_engine_python.source import Definition, docstring_statement

_ELISION_COMMENTS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^\s*#\s*(?:\.\.\.|…)",
        r"\b(?:rest|remainder) of (?:the )?(?:\w+ )?(?:code|implementation|function|method|class|file|module|logic)\b",
        r"\b(?:existing|remaining|other|original|previous) (?:code|implementation|logic|methods|functions)\b"
        r".*\b(?:unchanged|same|here|omitted|as before|remains?|stays?)\b",
        r"\b(?:code|implementation|logic|body|methods?|functions?) (?:is |are |remains? |stays? )?"
        r"(?:unchanged|omitted|elided)\b",
        r"\bsame as (?:before|above|the original|original)\b",
        r"\b(?:omitted|truncated|shortened) for brevity\b",
    )
]
_COMMENT_LINE = re.compile(r"^\s*#(.*)$", re.MULTILINE)


def _is_ellipsis(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node.value.value is Ellipsis


def _body_without_docstring(definition: Definition) -> list[ast.stmt]:
    body = definition.body
    return body[1:] if docstring_statement(body) is not None else body


def is_stub(definition: Definition) -> bool:
    """The body of a function (or class) is nothing but ``...`` or ``pass`` (after an optional docstring)."""
    body = _body_without_docstring(definition)
    return all(_is_ellipsis(s) or isinstance(s, ast.Pass) for s in body)


def elision(function: ast.FunctionDef | ast.AsyncFunctionDef, text: str) -> str | None:
    """Why ``function`` (whose source is ``text``) is incomplete, or None when it looks whole."""
    body = _body_without_docstring(function)
    if len(body) > 1 and any(_is_ellipsis(s) for s in body):
        return "a '...' statement stands for left-out code"
    for match in _COMMENT_LINE.finditer(text):
        line = match.group(0)
        if any(p.search(line) for p in _ELISION_COMMENTS):
            return f"the comment {line.strip()!r} stands for left-out code"
    return None
