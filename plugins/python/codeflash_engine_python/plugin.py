"""Hook implementations of the Python plugin (entry point ``python``)."""

from __future__ import annotations

from collections.abc import Callable

from codeflash_engine.plugins.hookspecs import hookimpl
from codeflash_engine.plugins.types import LanguageSpec, SyntaxProblem

from codeflash_engine_python.syntax import validate_python

PYTHON = LanguageSpec(
    name="python",
    aliases=("py", "python3"),
    extensions=(".py", ".pyi"),
    comment_prefix="#",
    fence_tags=("python", "py", "python3"),
)


@hookimpl
def register_languages(register: Callable[[LanguageSpec], None]) -> None:
    """Provide ``python`` (aliases ``py``, ``python3``)."""
    register(PYTHON)


@hookimpl
def validate(language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
    """Parse with ``ast`` for the requested Python version."""
    if language != PYTHON.name:
        return None
    return validate_python(code, language_version)
