"""Hook implementations of the Java plugin (entry point ``java``)."""

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
from codeflash_engine_java import candidates, prompts, testgen
from codeflash_engine_java.source import Source

JAVA = LanguageSpec(
    name="java",
    aliases=(),
    extensions=(".java",),
    comment_prefix="//",
    fence_tags=("java",),
)


@hookimpl
def register_languages(register: Callable[[LanguageSpec], None]) -> None:
    """Provide ``java``."""
    register(JAVA)


@hookimpl
def validate(language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
    """Parse with tree-sitter-java; every ERROR or MISSING node is a problem."""
    return syntax_problems(Source.parse(code).tree)


@hookimpl
def build_prompt(request: PromptRequest) -> Prompt | None:
    """This plugin's templates, aware of the Java version and the test framework."""
    return prompts.build_prompt(request)


@hookimpl
def postprocess_candidates(request: CandidatesRequest) -> list[Candidate] | None:
    """Extract, validate, restore signatures, bodies and imports, and deduplicate (see ``candidates``)."""
    return candidates.postprocess(request)


@hookimpl
def postprocess_tests(request: TestsRequest) -> GeneratedTests | None:
    """Validate the test, fix its package and imports, drop redefinitions, strip asserts for perf."""
    return testgen.clean_tests(request)
