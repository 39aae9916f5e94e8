"""A parsed piece of JavaScript or TypeScript, and byte-range edits on it.

Everything here is per call: a :class:`Source` owns its tree (parsed with a fresh Parser), so the
postprocess hooks can run in worker threads without sharing parser state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs
from codeflash_engine.plugins.treesitter import syntax_problems
from codeflash_engine.plugins.types import SyntaxProblem
from tree_sitter import Language, Node, Tree

from codeflash_engine_js_ts.grammars import JAVASCRIPT, TSX, parse_code

#: node types that are comments in both grammars
COMMENT_TYPES = frozenset({"comment", "html_comment"})


@attrs.frozen
class Edit:
    """Replace bytes ``start:end`` with ``text``."""

    start: int
    end: int
    text: bytes


@attrs.frozen
class Source:
    """Code, its UTF-8 bytes, the grammar chosen for it and its tree."""

    code: str
    data: bytes
    grammar: Language
    tree: Tree
    path: str | None = None

    @classmethod
    def parse(cls, language: str, code: str, path: str | None = None) -> Source:
        """Parse ``code`` as ``language`` (``javascript`` or ``typescript``), picking TS/TSX by path."""
        grammar, tree = parse_code(language, code, path)
        return cls(code=code, data=code.encode("utf-8"), grammar=grammar, tree=tree, path=path)

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @property
    def ok(self) -> bool:
        """True when the code parses without ERROR or MISSING nodes."""
        return not self.root.has_error

    @property
    def is_typescript(self) -> bool:
        return self.grammar is not JAVASCRIPT

    @property
    def is_tsx(self) -> bool:
        return self.grammar is TSX

    def problems(self) -> list[SyntaxProblem]:
        return syntax_problems(self.tree)

    def text(self, node: Node) -> str:
        """The source text of ``node``."""
        return self.data[node.start_byte : node.end_byte].decode("utf-8")

    def span(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8")

    def edited(self, edits: Iterable[Edit], language: str) -> Source:
        """A new Source with ``edits`` applied (overlapping edits: the earliest-starting wins)."""
        data = apply_edits(self.data, edits)
        return Source.parse(language, data.decode("utf-8"), self.path)


def apply_edits(data: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply non-overlapping edits; an edit overlapping an earlier one is skipped."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    out: list[bytes] = []
    cursor = 0
    for edit in ordered:
        if edit.start < cursor:
            continue
        out.append(data[cursor : edit.start])
        out.append(edit.text)
        cursor = edit.end
    out.append(data[cursor:])
    return b"".join(out)


def leaves(node: Node) -> Iterator[Node]:
    """Every leaf under ``node`` in document order (a comment counts as one leaf)."""
    cursor = node.walk()
    while True:
        current = cursor.node
        assert current is not None
        if current.type not in COMMENT_TYPES and cursor.goto_first_child():
            continue
        yield current
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent() or cursor.node == node:
                return
