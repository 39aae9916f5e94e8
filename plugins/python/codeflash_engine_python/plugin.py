"""Hook implementations of the Python plugin (entry point ``python``).

Every hook returns None for a language other than ``python`` (the engine passes canonical names,
so the aliases ``py`` and ``python3`` arrive as ``python``).
"""

from __future__ import annotations

from collections.abc import Callable

from codeflash_engine.plugins.hookspecs import hookimpl
from codeflash_engine.plugins.types import (
    Candidate,
    CandidatesRequest,
    GeneratedTests,
    LanguageSpec,
    Prompt,
    PromptRequest,
    SyntaxProblem,
    TestsRequest,
)
from codeflash_engine_python.candidates.pipeline import postprocess_candidates as _postprocess_candidates
from codeflash_engine_python.prompting import build_python_prompt
from codeflash_engine_python.syntax import validate_python
from codeflash_engine_python.testgen.pipeline import postprocess_tests as _postprocess_tests

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


@hookimpl
def build_prompt(request: PromptRequest) -> Prompt | None:
    """The plugin's Python templates for every task (core templates fill any gap)."""
    if request.language != PYTHON.name:
        return None
    return build_python_prompt(request)


@hookimpl
def postprocess_candidates(request: CandidatesRequest) -> list[Candidate] | None:
    """Extract, merge, check and deduplicate Python candidates (see :mod:`.candidates.pipeline`)."""
    if request.language != PYTHON.name:
        return None
    return _postprocess_candidates(request)


@hookimpl
def postprocess_tests(request: TestsRequest) -> GeneratedTests | None:
    """Clean generated Python tests and instrument them for the CLI (see :mod:`.testgen.pipeline`)."""
    if request.language != PYTHON.name:
        return None
    return _postprocess_tests(request)
