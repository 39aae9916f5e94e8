"""The engine's own hook implementations, registered like any plugin: the builtin defaults.

They are language-neutral: prompts from the core templates, edits applied with the text layer,
and lenient postprocessing. The engine calls them for a language when the plugin that owns it
does not implement the hook, or returns None.
"""

from __future__ import annotations

from codeflash_engine.plugins import defaults
from codeflash_engine.plugins.hookspecs import hookimpl
from codeflash_engine.plugins.prompting import render_prompt
from codeflash_engine.plugins.types import (
    Candidate,
    CandidatesRequest,
    DiffRequest,
    DiffResult,
    GeneratedTests,
    Prompt,
    PromptRequest,
    TestsRequest,
)
from codeflash_engine.text.edits import apply_edit


@hookimpl(trylast=True)
def build_prompt(request: PromptRequest) -> Prompt | None:
    """Render the core template of the task for any language."""
    return render_prompt(request)


@hookimpl(trylast=True)
def apply_diff(request: DiffRequest) -> DiffResult | None:
    """Apply SEARCH/REPLACE blocks or a V4A patch with the text layer's matching ladder."""
    result = apply_edit(request.files, request.edit)
    return DiffResult(files=result.files, fuzz=result.fuzz, errors=tuple(result.errors), deleted=tuple(result.deleted))


@hookimpl(trylast=True)
def postprocess_candidates(request: CandidatesRequest) -> list[Candidate] | None:
    """Lenient language-neutral extraction (see :mod:`codeflash_engine.plugins.defaults`)."""
    return defaults.LENIENT.postprocess(request)


@hookimpl(trylast=True)
def postprocess_tests(request: TestsRequest) -> GeneratedTests | None:
    """The answer's first code block, unchanged, for languages the client instruments itself."""
    return defaults.tests_from_answer(request)
