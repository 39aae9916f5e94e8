"""Hook implementations of the Go plugin (entry point ``go``).

The engine calls them for ``go`` only (the alias ``golang`` arrives as ``go``).
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
from codeflash_engine.text.edits import apply_edit
from codeflash_engine_go import candidates, prompts, syntax, testgen

LANGUAGE = LanguageSpec(
    name="go",
    aliases=("golang",),
    extensions=(".go",),
    comment_prefix="//",
    fence_tags=("go", "golang"),
)


@hookimpl
def register_languages(register: Callable[[LanguageSpec], None]) -> None:
    """Provide ``go`` (alias ``golang``)."""
    register(LANGUAGE)


@hookimpl
def validate(language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
    """Parse with tree-sitter-go; also top-level statements and features newer than the Go version."""
    return syntax.problems(code, language_version)


@hookimpl
def build_prompt(request: PromptRequest) -> Prompt | None:
    """This plugin's templates (Go answer format, guidance, go-test rules); the core's fill the gaps."""
    return prompts.build_prompt(request)


@hookimpl
def postprocess_candidates(request: CandidatesRequest) -> list[Candidate] | None:
    """Extract, restore package, signatures and receivers, add imports, validate, deduplicate."""
    return candidates.postprocess(request)


@hookimpl
def postprocess_tests(request: TestsRequest) -> GeneratedTests | None:
    """Package, imports, unique names, no pasted code; the perf variant ready for the client's benchmarks."""
    return testgen.clean_tests(request)


@hookimpl
def apply_diff(request: DiffRequest) -> DiffResult | None:
    """The engine's edit formats, all or nothing, refusing an edit that leaves a .go file unparseable."""
    result = apply_edit(request.files, request.edit)
    if result.errors:
        return DiffResult(files={}, fuzz=result.fuzz, errors=tuple(result.errors))
    broken = [
        f"{path}: the edit leaves a syntax error at {found[0]}"
        for path, code in result.files.items()
        if path.endswith(".go") and (found := syntax.problems(code))
    ]
    if broken:
        return DiffResult(files={}, fuzz=result.fuzz, errors=tuple(broken))
    return DiffResult(files=result.files, fuzz=result.fuzz, deleted=tuple(result.deleted))
