"""Python syntax checks with ``ast``, honouring the client's Python version where ast can."""

from __future__ import annotations

import ast
import io
import itertools
import re
import sys
import tokenize
import warnings

from codeflash_engine import SyntaxProblem

#: oldest minor version ``ast.parse(feature_version=...)`` accepts
_OLDEST_FEATURE_MINOR = 7


def feature_version(language_version: str | None) -> tuple[int, int] | None:
    """``"3.9.18"`` -> ``(3, 9)``; None for an absent, unparsable or newer-than-us version."""
    if not language_version:
        return None
    parts = language_version.strip().split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (ValueError, IndexError):
        return None
    if major != 3 or minor >= sys.version_info.minor:
        return None
    return (3, max(minor, _OLDEST_FEATURE_MINOR))


def parse(code: str, language_version: str | None = None) -> ast.Module:
    """``ast.parse`` for the version; raises SyntaxError."""
    version = feature_version(language_version)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        if version is None:
            return ast.parse(code)
        return ast.parse(code, feature_version=version)


def validate_python(code: str, language_version: str | None) -> list[SyntaxProblem]:
    """Empty when ``code`` parses for ``language_version`` and compiles; else the first syntax error.

    Compiling too is the client's own check (contract 2.1): it also rejects what only the
    compiler sees, such as ``return`` outside a function or ``await`` in a plain ``def``.
    """
    try:
        tree = parse(code, language_version)
        compile(tree, "<candidate>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return [SyntaxProblem(line=exc.lineno or 1, column=exc.offset or 1, message=exc.msg)]
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return [SyntaxProblem(line=1, column=1, message=str(exc) or type(exc).__name__)]
    return []


#: sources longer than this are parsed in pieces (see :func:`parse_large`)
CHUNK_LINES = 400
_CHUNK_START = re.compile(r"^(?:@|def |async def |class )")


def _chunk_starts(lines: list[str]) -> list[int]:
    """0-based lines where a top-level definition (or its first decorator) starts a new piece."""
    starts = [0]
    previous = ""
    for number, line in enumerate(lines):
        if _CHUNK_START.match(line) and not previous.startswith("@") and number - starts[-1] >= CHUNK_LINES:
            starts.append(number)
        if line.strip():
            previous = line
    return starts


def parse_large(code: str, language_version: str | None = None) -> ast.Module:
    """:func:`parse`, in pieces of about :data:`CHUNK_LINES` lines for a long source.

    One ``ast.parse`` of a 2,000-line file holds the GIL for 10 to 25 ms, which stalls the event
    loop that much while a worker thread parses; pieces let it run in between. A piece boundary
    is a top-level ``def``/``class``/decorator line; if one falls inside a multi-line string, the
    piece before it does not parse and the whole source is parsed in one go instead.
    """
    lines = code.splitlines(keepends=True)
    starts = _chunk_starts(lines)
    if len(starts) == 1:
        return parse(code, language_version)
    body: list[ast.stmt] = []
    bounds = [*starts, len(lines)]
    try:
        for begin, end in itertools.pairwise(bounds):
            piece = parse("".join(lines[begin:end]), language_version)
            if begin:
                ast.increment_lineno(piece, begin)
            body.extend(piece.body)
    except SyntaxError:
        return parse(code, language_version)
    return ast.Module(body=body, type_ignores=[])


_SKIPPED_TOKENS = frozenset({tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT})


def top_level_starts(code: str) -> list[int]:
    """0-based lines where a top-level statement begins, a decorated definition at its first
    decorator; read with one pass of the tokenizer, up to where the code stops being tokenizable
    (an unclosed string or bracket at the end of a cut-off answer)."""
    starts: list[int] = []
    depth = 0
    line_start = True
    after_decorator = False
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type in _SKIPPED_TOKENS or token.type == tokenize.ENDMARKER:
                if token.type == tokenize.NEWLINE:
                    line_start = True
                continue
            if line_start and depth == 0 and token.start[1] == 0:
                if not after_decorator:
                    starts.append(token.start[0] - 1)
                after_decorator = token.string == "@"
            line_start = False
            if token.type == tokenize.OP:
                if token.string in "([{":
                    depth += 1
                elif token.string in ")]}":
                    depth = max(0, depth - 1)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return starts
