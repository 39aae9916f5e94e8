"""The tree-sitter grammars of this plugin and the choice between them."""

from __future__ import annotations

import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Language, Tree

from codeflash_engine.plugins.treesitter import parse

JAVASCRIPT = Language(tree_sitter_javascript.language())
TYPESCRIPT = Language(tree_sitter_typescript.language_typescript())
TSX = Language(tree_sitter_typescript.language_tsx())


def parse_code(language: str, code: str, path: str | None = None) -> tuple[Language, Tree]:
    """Parse JavaScript (its grammar includes JSX) or TypeScript.

    TypeScript is parsed as TSX when the path says ``.tsx``; without a path, as plain
    TypeScript first (where ``<T>x`` is a type assertion), then as TSX if that fails.
    """
    if language == "javascript":
        return JAVASCRIPT, parse(JAVASCRIPT, code)
    if path is not None:
        grammar = TSX if path.endswith(".tsx") else TYPESCRIPT
        return grammar, parse(grammar, code)
    tree = parse(TYPESCRIPT, code)
    if not tree.root_node.has_error:
        return TYPESCRIPT, tree
    tsx_tree = parse(TSX, code)
    if not tsx_tree.root_node.has_error:
        return TSX, tsx_tree
    return TYPESCRIPT, tree
