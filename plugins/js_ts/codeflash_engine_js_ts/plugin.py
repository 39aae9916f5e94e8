"""Hook implementations of the JavaScript/TypeScript plugin (entry point ``js_ts``)."""

from __future__ import annotations

from collections.abc import Callable

from codeflash_engine.plugins.hookspecs import hookimpl
from codeflash_engine.plugins.treesitter import syntax_problems
from codeflash_engine.plugins.types import LanguageSpec, SyntaxProblem

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
LANGUAGES = (JAVASCRIPT.name, TYPESCRIPT.name)


@hookimpl
def register_languages(register: Callable[[LanguageSpec], None]) -> None:
    """Provide ``javascript`` and ``typescript`` (TSX is parsed as TypeScript with JSX)."""
    register(JAVASCRIPT)
    register(TYPESCRIPT)


@hookimpl
def validate(language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
    """Parse with the matching tree-sitter grammar; ERROR or MISSING nodes are problems."""
    if language not in LANGUAGES:
        return None
    return syntax_problems(parse_code(language, code)[1])
