"""Hook implementations of the Go plugin (entry point ``go``).

Every hook returns None for a language this plugin does not own: the engine calls its hooks
"firstresult", so an answer for another language would hide the plugin that owns it. The engine
passes canonical language names (aliases are already resolved).

``apply_diff`` is not implemented: the engine's default applies SEARCH/REPLACE blocks and V4A
patches for every language. Implement it only to do better for Go (see docs/plugins.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from codeflash_engine.plugins.hookspecs import hookimpl
from codeflash_engine.plugins.prompting import render_prompt
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

from codeflash_engine_go import candidates, syntax, testgen

LANGUAGE = LanguageSpec(
    name="go",
    aliases=(),
    extensions=(".go",),
    comment_prefix="//",
    fence_tags=("go",),
)

#: this plugin's prompt templates; a template missing here is taken from the engine's core set
PROMPTS = Path(__file__).resolve().parent / "prompts"


@hookimpl
def register_languages(register: Callable[[LanguageSpec], None]) -> None:
    """Provide ``go``."""
    register(LANGUAGE)


@hookimpl
def validate(language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
    """The syntax problems of ``code`` (see ``syntax``)."""
    if language != LANGUAGE.name:
        return None
    return syntax.problems(code)


@hookimpl
def build_prompt(request: PromptRequest) -> Prompt | None:
    """This plugin's templates first, then the core's."""
    if request.language != LANGUAGE.name:
        return None
    return render_prompt(request, [PROMPTS])


@hookimpl
def postprocess_candidates(request: CandidatesRequest) -> list[Candidate] | None:
    """Extract, validate, restore the signature, deduplicate (see ``candidates``)."""
    if request.language != LANGUAGE.name:
        return None
    return candidates.postprocess(request)


@hookimpl
def postprocess_tests(request: TestsRequest) -> GeneratedTests | None:
    """The answer's test file, checked (see ``testgen``)."""
    if request.language != LANGUAGE.name:
        return None
    return testgen.clean_tests(request)
