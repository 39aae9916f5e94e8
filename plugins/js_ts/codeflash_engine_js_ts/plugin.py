"""Hook implementations of the JavaScript/TypeScript plugin (entry point ``js_ts``)."""

from __future__ import annotations

from collections.abc import Callable

from codeflash_engine import (
    Candidate,
    CandidatesRequest,
    GeneratedTests,
    LanguageSpec,
    Prompt,
    PromptRequest,
    SyntaxProblem,
    TestsRequest,
    hookimpl,
)
from codeflash_engine.plugins.treesitter import syntax_problems
from codeflash_engine_js_ts import candidates, prompts, testgen
from codeflash_engine_js_ts.grammars import parse_code

JAVASCRIPT = LanguageSpec(
    name="javascript",
    aliases=("js", "jsx", "node", "mjs", "cjs"),
    extensions=(".js", ".jsx", ".mjs", ".cjs"),
    comment_prefix="//",
    fence_tags=("javascript", "js", "jsx"),
)
TYPESCRIPT = LanguageSpec(
    name="typescript",
    aliases=("ts", "tsx"),
    extensions=(".ts", ".tsx", ".mts", ".cts"),
    comment_prefix="//",
    fence_tags=("typescript", "ts", "tsx"),
)


@hookimpl
def register_languages(register: Callable[[LanguageSpec], None]) -> None:
    """Provide ``javascript`` and ``typescript`` (TSX is parsed as TypeScript with JSX)."""
    register(JAVASCRIPT)
    register(TYPESCRIPT)


@hookimpl
def validate(language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
    """Parse with the matching tree-sitter grammar; ERROR or MISSING nodes are problems."""
    return syntax_problems(parse_code(language, code)[1])


@hookimpl
def build_prompt(request: PromptRequest) -> Prompt | None:
    """This plugin's templates, aware of TS vs JS vs TSX, the module system and the test framework."""
    return prompts.build_prompt(request)


@hookimpl
def postprocess_candidates(request: CandidatesRequest) -> list[Candidate] | None:
    """Extract, validate, restore signatures and imports, and deduplicate (see ``candidates``)."""
    return candidates.postprocess(request)


@hookimpl
def postprocess_tests(request: TestsRequest) -> GeneratedTests | None:
    """Validate the test, fix the import of the code under test, drop redefinitions of it."""
    return testgen.clean_tests(request)
