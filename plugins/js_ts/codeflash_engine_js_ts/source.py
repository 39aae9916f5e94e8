"""A parsed piece of JavaScript or TypeScript, and byte-range edits on it.

Everything here is per call: a :class:`Source` owns its tree (parsed with a fresh Parser), so the
postprocess hooks can run in worker threads without sharing parser state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs
from tree_sitter import Language, Node, Tree

from codeflash_engine.plugins.treesitter import syntax_problems
from codeflash_engine.plugins.types import SyntaxProblem
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

    def removal_span(self, node: Node) -> tuple[int, int]:
        """The bytes to delete to remove ``node``: its comments right above, its whole lines when
        it is alone on them, and the blank lines after it when a blank line precedes it."""
        first = node
        while first.prev_sibling is not None and first.prev_sibling.type in COMMENT_TYPES:
            gap = self.data[first.prev_sibling.end_byte : first.start_byte]
            if gap.count(b"\n") > 1:
                break
            first = first.prev_sibling
        start, end = first.start_byte, node.end_byte
        line_start = self.data.rfind(b"\n", 0, start) + 1
        line_end = self.data.find(b"\n", end)
        line_end = len(self.data) if line_end < 0 else line_end + 1
        if self.data[line_start:start].strip() or self.data[end:line_end].strip():
            return start, end
        start, end = line_start, line_end
        if self.data[:start].endswith(b"\n\n") or not self.data[:start].strip():
            while end < len(self.data):
                next_end = self.data.find(b"\n", end)
                next_end = len(self.data) if next_end < 0 else next_end + 1
                if self.data[end:next_end].strip():
                    break
                end = next_end
        return start, end

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
