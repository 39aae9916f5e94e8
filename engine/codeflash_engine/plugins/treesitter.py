"""Helpers for plugins built on tree-sitter (import only from a plugin that depends on tree-sitter).

The core does not depend on tree-sitter; a plugin that does gets error reporting and queries
that work on current releases (``Query`` + ``QueryCursor``; ``Language.query`` is gone in 0.26).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from codeflash_engine.plugins.types import SyntaxProblem

#: problems reported per piece of code, at most
MAX_PROBLEMS = 20


def parse(language: Language, code: str) -> Tree:
    """Parse ``code`` (a fresh Parser per call: parsers are not thread-safe)."""
    return Parser(language).parse(code.encode("utf-8"))


def _error_nodes(node: Node) -> Iterator[Node]:
    if not node.has_error:
        return
    cursor = node.walk()
    visited_children = False
    while True:
        current = cursor.node
        assert current is not None
        if not visited_children:
            if current.is_error or current.is_missing:
                yield current
                visited_children = True  # do not descend into an error node
                continue
            if current.has_error and cursor.goto_first_child():
                continue
            visited_children = True
        elif cursor.goto_next_sibling():
            visited_children = False
        elif not cursor.goto_parent():
            return


def syntax_problems(tree: Tree, code: str | None = None) -> list[SyntaxProblem]:
    """Every ERROR and MISSING node of ``tree`` as 1-based line/column problems."""
    problems: list[SyntaxProblem] = []
    for node in _error_nodes(tree.root_node):
        row, col = node.start_point
        if node.is_missing:
            message = f"missing {node.type!r}"
        else:
            snippet = (node.text or b"").decode("utf-8", "replace").strip().splitlines()
            first = snippet[0][:40] if snippet else ""
            message = f"unexpected {first!r}" if first else "syntax error"
        problems.append(SyntaxProblem(line=row + 1, column=col + 1, message=message))
        if len(problems) >= MAX_PROBLEMS:
            break
    if not problems and tree.root_node.has_error:
        problems.append(SyntaxProblem(line=1, column=1, message="syntax error"))
    return problems


@functools.lru_cache(maxsize=256)
def query(language: Language, source: str) -> Query:
    """A compiled query, cached per language and source."""
    return Query(language, source)


def captures(language: Language, source: str, node: Node) -> dict[str, list[Node]]:
    """Run a query over ``node``: capture name -> nodes, in document order."""
    found = QueryCursor(query(language, source)).captures(node)
    return {name: sorted(nodes, key=lambda n: n.start_byte) for name, nodes in found.items()}


def matches(language: Language, source: str, node: Node) -> list[dict[str, list[Node]]]:
    """Run a query over ``node``: one dict (capture name -> nodes) per match, in match order."""
    return [found for _, found in QueryCursor(query(language, source)).matches(node)]
