"""Python syntax checks with ``ast``, honouring the client's Python version where ast can."""

from __future__ import annotations

import ast
import sys
import warnings

from codeflash_engine.plugins.types import SyntaxProblem

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
