"""Syntax checking for Go.

A placeholder that works for most brace languages: brackets must balance and strings must close
(line comments start with ``//``; ``/* */`` block comments are skipped when the line comment
is ``//``). Replace it with a real parser as soon as you can, for example the language's
tree-sitter grammar wheel::

    from tree_sitter import Language
    from codeflash_engine.plugins.treesitter import parse, syntax_problems
    LANG = Language(tree_sitter_mylang.language())
    def problems(code): return syntax_problems(parse(LANG, code))
"""

from __future__ import annotations

from codeflash_engine.plugins.types import SyntaxProblem

LINE_COMMENT = "//"
BLOCK_COMMENTS = (("/*", "*/"),) if LINE_COMMENT == "//" else ()
PAIRS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in PAIRS.items()}
QUOTES = ('"', "'", "`")


def position(code: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``code[index]``."""
    line = code.count("\n", 0, index) + 1
    column = index - (code.rfind("\n", 0, index) + 1) + 1
    return line, column


def problems(code: str) -> list[SyntaxProblem]:
    """The first bracket or string problem of ``code`` (empty list: none found)."""
    stack: list[tuple[str, int]] = []
    i, n = 0, len(code)
    while i < n:
        ch = code[i]
        if code.startswith(LINE_COMMENT, i):
            end = code.find("\n", i)
            i = n if end < 0 else end
            continue
        block = next((b for b in BLOCK_COMMENTS if code.startswith(b[0], i)), None)
        if block is not None:
            end = code.find(block[1], i + len(block[0]))
            if end < 0:
                return [SyntaxProblem(*position(code, i), "unterminated comment")]
            i = end + len(block[1])
            continue
        if ch in QUOTES:
            end = _string_end(code, i)
            if end < 0:
                return [SyntaxProblem(*position(code, i), "unterminated string")]
            i = end + 1
            continue
        if ch in PAIRS:
            stack.append((ch, i))
        elif ch in CLOSERS:
            if not stack or stack[-1][0] != CLOSERS[ch]:
                return [SyntaxProblem(*position(code, i), f"unexpected {ch!r}")]
            stack.pop()
        i += 1
    if stack:
        opener, at = stack[-1]
        return [SyntaxProblem(*position(code, at), f"{opener!r} is never closed")]
    return []


def _string_end(code: str, start: int) -> int:
    """Index of the quote closing the string opened at ``start``, or -1."""
    quote = code[start]
    i = start + 1
    while i < len(code):
        ch = code[i]
        if ch == "\\" and quote != "`":
            i += 2
            continue
        if ch == quote:
            return i
        if ch == "\n" and quote != "`":
            return -1
        i += 1
    return -1
