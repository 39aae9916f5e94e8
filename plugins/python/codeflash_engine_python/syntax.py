"""Python syntax checks with ``ast``, honouring the client's Python version where ast can."""

from __future__ import annotations

import ast
import io
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
    """``ast.parse`` for the version, in pieces for a long source; raises SyntaxError.

    One ``ast.parse`` holds the GIL throughout (about 1.5 s per megabyte of short statements),
    which would stall the event loop of a process serving requests while it parses. A source
    longer than :data:`PIECE_CHARS` is parsed in pieces cut at top-level statements, so other
    threads run in between; the tree is the same.
    """
    if len(code) > MAX_SOURCE_CHARS:
        raise SyntaxError(
            f"{len(code) // 1024} KB of Python: more than the {MAX_SOURCE_CHARS // 1024} KB parsed at once "
            "(building and freeing the tree of a larger source would stall the engine)"
        )
    version = feature_version(language_version)
    if len(code) <= PIECE_CHARS:
        return _parse_whole(code, version)
    return _parse_in_pieces(code, version)


def _parse_whole(code: str, version: tuple[int, int] | None) -> ast.Module:
    """One ``ast.parse``; code nested too deeply for the parser is a SyntaxError like any other
    code that cannot be parsed (it is what was sent or answered, not a bug of ours)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            if version is None:
                return ast.parse(code)
            return ast.parse(code, feature_version=version)
        except (RecursionError, MemoryError) as exc:
            raise SyntaxError(f"nested too deeply to parse ({type(exc).__name__})") from None


#: a source longer than this many characters is parsed in pieces of about this size
PIECE_CHARS = 16 * 1024
#: the longest source parsed at all (one file of a request or of an answer): freeing the tree of
#: 256 KB of short statements alone holds the GIL about 25 ms
MAX_SOURCE_CHARS = 256 * 1024
#: a piece grows past a cut that falls inside a string or brackets, up to this size
MAX_PIECE_CHARS = 64 * 1024
#: a line that may start a top-level statement: not indented, not a comment, not a closing
#: bracket, not the continuation of a compound statement
_STATEMENT_START = re.compile(r"^(?![\s#)\]}]|(?:else|elif|except|finally)\b)(?=.)", re.MULTILINE)
#: messages of a piece cut inside a construct that the next piece closes
_CUT_INSIDE = ("never closed", "unterminated", "unexpected EOF", "expected an indented block", "EOF while")


def _cuts(code: str) -> list[int]:
    """Offsets where pieces start: line starts of top-level statements, about PIECE_CHARS apart,
    never between a decorator and what it decorates."""
    cuts = [0]
    for match in _STATEMENT_START.finditer(code, PIECE_CHARS):
        at = match.start()
        if at - cuts[-1] < PIECE_CHARS:
            continue
        before = code[max(0, at - 4096) : at].rstrip()
        previous = before[before.rfind("\n") + 1 :]
        if previous.startswith("@") or previous.endswith("\\"):
            continue
        cuts.append(at)
    return cuts


def _parse_in_pieces(code: str, version: tuple[int, int] | None) -> ast.Module:
    """Parse ``code`` piece by piece (see :func:`_cuts`).

    A piece cut inside a construct (brackets, a string, a continued line) is parsed up to the
    line where that construct opens, and the construct goes on with the next piece; when that
    line is inside a statement (a string at the margin in brackets), the piece takes in the next
    one instead. One statement longer than :data:`MAX_PIECE_CHARS` is parsed with the rest of the
    source at once (correct, if slow): the pieces never change the tree.
    """
    ends = [*_cuts(code)[1:], len(code)]
    body: list[ast.stmt] = []
    ignores: list[ast.TypeIgnore] = []
    begin = 0
    index = 0
    line = 0  # lines before ``begin``
    while begin < len(code):
        end = ends[index] if index < len(ends) else len(code)
        if end - begin > MAX_PIECE_CHARS:
            end = len(code)
        try:
            tree = _parse_whole(code[begin:end], version)
        except SyntaxError as exc:
            if end == len(code) or not any(m in (exc.msg or "") for m in _CUT_INSIDE):
                _shift(exc, line)
                raise
            opens = _line_offset(code, begin, (exc.lineno or 1) - 1)
            if opens <= begin:
                index += 1  # the construct opens at the piece's start: take in the next piece
                continue
            try:
                tree = _parse_whole(code[begin:opens], version)  # complete statements before it
            except SyntaxError:
                index += 1  # the construct opens inside a statement: take in the next piece
                continue
            end = opens
        if line:
            ast.increment_lineno(tree, line)
        body.extend(tree.body)
        ignores.extend(tree.type_ignores)
        line += code.count("\n", begin, end)
        begin = end
        while index < len(ends) and ends[index] <= begin:
            index += 1
    return ast.Module(body=body, type_ignores=ignores)


def _line_offset(code: str, start: int, lines: int) -> int:
    """The offset of the line ``lines`` lines after the one at ``start``."""
    at = start
    for _ in range(lines):
        at = code.index("\n", at) + 1
    return at


def _shift(exc: SyntaxError, lines: int) -> None:
    """Make a piece's SyntaxError point into the whole source."""
    if exc.lineno is not None:
        exc.lineno += lines
    if exc.end_lineno is not None:
        exc.end_lineno += lines


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


#: characters models sometimes write into code where Python does not allow them: no-break and
#: narrow spaces (a space instead) and zero-width characters or byte-order marks (dropped)
STRAY_CHARACTERS = {
    "\u00a0": " ",
    "\u2007": " ",
    "\u202f": " ",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
}
_STRAY = re.compile("[" + "".join(STRAY_CHARACTERS) + "]")
_STRAY_INDENT = re.compile("^[ \t" + "".join(STRAY_CHARACTERS) + "]+", re.MULTILINE)
#: characters mended one at a time before the code is given up
MAX_STRAY_FIXES = 64


def without_stray_characters(code: str, language_version: str | None = None) -> str:
    """``code`` with the invisible characters Python rejects in it mended, when that makes it parse.

    Only characters the parser points at are changed (those in a string literal are the code's
    own and stay), except in indentation, which is mended in every line at the first one found
    (indentation written with no-break spaces has one on every line). ``code`` as it is when it
    holds none, parses already, or fails for another reason.
    """
    if _STRAY.search(code) is None:
        return code
    fixed = code
    for _ in range(MAX_STRAY_FIXES):
        try:
            parse(fixed, language_version)
        except SyntaxError as exc:
            at = _error_index(fixed, exc)
            if at is None or fixed[at] not in STRAY_CHARACTERS or "non-printable" not in str(exc.msg):
                return code
            indentation = _STRAY_INDENT.match(fixed, fixed.rfind("\n", 0, at) + 1)
            if indentation is not None and indentation.end() > at:
                fixed = _STRAY_INDENT.sub(_mend, fixed)  # indentation: every line's at once
            else:
                fixed = fixed[:at] + STRAY_CHARACTERS[fixed[at]] + fixed[at + 1 :]
            continue
        return fixed
    return code


def _mend(match: re.Match[str]) -> str:
    return _STRAY.sub(lambda found: STRAY_CHARACTERS[found.group()], match.group())


def _error_index(code: str, exc: SyntaxError) -> int | None:
    """Where in ``code`` a SyntaxError points (its line and 1-based column), if anywhere."""
    if not exc.lineno or not exc.offset:
        return None
    try:
        at = _line_offset(code, 0, exc.lineno - 1) + exc.offset - 1
    except ValueError:
        return None
    return at if 0 <= at < len(code) else None
