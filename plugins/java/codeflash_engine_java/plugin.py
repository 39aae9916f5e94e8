"""Hook implementations of the Java plugin (entry point ``java``)."""

from __future__ import annotations

from collections.abc import Callable

import tree_sitter_java
from codeflash_engine.plugins.hookspecs import hookimpl
from codeflash_engine.plugins.treesitter import parse, syntax_problems
from codeflash_engine.plugins.types import LanguageSpec, SyntaxProblem
from tree_sitter import Language

JAVA = LanguageSpec(
    name="java",
    aliases=(),
    extensions=(".java",),
    comment_prefix="//",
    fence_tags=("java",),
)

LANGUAGE = Language(tree_sitter_java.language())


@hookimpl
def register_languages(register: Callable[[LanguageSpec], None]) -> None:
    """Provide ``java``."""
    register(JAVA)


@hookimpl
def validate(language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
    """Parse with tree-sitter-java; every ERROR or MISSING node is a problem."""
    if language != JAVA.name:
        return None
    return syntax_problems(parse(LANGUAGE, code))
