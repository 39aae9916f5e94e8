"""Hook implementations of the Python plugin (entry point ``python``).

The engine calls them for ``python`` only (aliases ``py`` and ``python3`` are resolved first).
"""

from __future__ import annotations

from collections.abc import Callable

from codeflash_engine import (
    Candidate,
    CandidatesRequest,
    DiffRequest,
    DiffResult,
    GeneratedTests,
    LanguageSpec,
    Prompt,
    PromptRequest,
    SyntaxProblem,
    TestsRequest,
    hookimpl,
)
from codeflash_engine_python.candidates.pipeline import CLEANER
from codeflash_engine_python.edits import apply_python_edit
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
def validate(code: str, language_version: str | None) -> list[SyntaxProblem]:
    """Parse with ``ast`` for the requested Python version."""
    return validate_python(code, language_version)


@hookimpl
def build_prompt(request: PromptRequest) -> Prompt:
    """The plugin's Python templates for every task (core templates fill any gap)."""
    return build_python_prompt(request)


@hookimpl
def apply_diff(request: DiffRequest) -> DiffResult:
    """The engine's edit formats, all or nothing, reading uneven indentation so that Python
    files still parse (see :mod:`.edits`)."""
    return apply_python_edit(request)


@hookimpl
def postprocess_candidates(request: CandidatesRequest) -> list[Candidate]:
    """Extract, merge, check and deduplicate Python candidates (see :mod:`.candidates.pipeline`)."""
    return CLEANER.postprocess(request)


@hookimpl
def postprocess_tests(request: TestsRequest) -> GeneratedTests:
    """Clean generated Python tests and instrument them for the CLI (see :mod:`.testgen.pipeline`)."""
    return _postprocess_tests(request)
