"""A parsed piece of Java, and byte-range edits on it.

Everything here is per call: a :class:`Source` owns its tree (parsed with a fresh Parser), so the
postprocess hooks can run in worker threads without sharing parser state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs
import tree_sitter_java
from tree_sitter import Language, Node, Tree

from codeflash_engine.plugins.treesitter import parse, syntax_problems
from codeflash_engine.plugins.types import SyntaxProblem

LANGUAGE = Language(tree_sitter_java.language())

#: node types that are comments
COMMENT_TYPES = frozenset({"line_comment", "block_comment"})


@attrs.frozen
class Edit:
    """Replace bytes ``start:end`` with ``text``."""

    start: int
    end: int
    text: bytes


@attrs.frozen
class Source:
    """Java code, its UTF-8 bytes and its tree."""

    code: str
    data: bytes
    tree: Tree

    @classmethod
    def parse(cls, code: str) -> Source:
        return cls(code=code, data=code.encode("utf-8"), tree=parse(LANGUAGE, code))

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @property
    def ok(self) -> bool:
        """True when the code parses without ERROR or MISSING nodes."""
        return not self.root.has_error

    def problems(self) -> list[SyntaxProblem]:
        return syntax_problems(self.tree)

    def text(self, node: Node) -> str:
        """The source text of ``node``."""
        return self.data[node.start_byte : node.end_byte].decode("utf-8")

    def span(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8")

    def edited(self, edits: Iterable[Edit]) -> Source:
        """A new Source with ``edits`` applied (overlapping edits: the earliest-starting wins)."""
        return Source.parse(apply_edits(self.data, edits).decode("utf-8"))

    def line_span(self, node: Node) -> tuple[int, int]:
        """The bytes of ``node`` widened to whole lines when it is alone on its lines."""
        start, end = node.start_byte, node.end_byte
        line_start = self.data.rfind(b"\n", 0, start) + 1
        line_end = self.data.find(b"\n", end)
        line_end = len(self.data) if line_end < 0 else line_end + 1
        if self.data[line_start:start].strip() or self.data[end:line_end].strip():
            return start, end
        return line_start, line_end

    def block_span(self, node: Node) -> tuple[int, int]:
        """The bytes to delete to remove ``node``: like :meth:`line_span`, with the comments right
        above it (javadoc), and the blank lines after it when a blank line precedes it."""
        first = node
        while first.prev_sibling is not None and first.prev_sibling.type in COMMENT_TYPES:
            if self.data[first.prev_sibling.end_byte : first.start_byte].count(b"\n") > 1:
                break
            first = first.prev_sibling
        start, end = self.line_span(first)
        end = max(end, self.line_span(node)[1])
        before = self.data[:start]
        if before.endswith(b"\n\n") or not before.strip():
            while end < len(self.data):
                line_end = self.data.find(b"\n", end)
                line_end = len(self.data) if line_end < 0 else line_end + 1
                if self.data[end:line_end].strip():
                    break
                end = line_end
        return start, end

    def indent_of(self, node: Node) -> str:
        """The whitespace before ``node`` on its line."""
        line_start = self.data.rfind(b"\n", 0, node.start_byte) + 1
        prefix = self.data[line_start : node.start_byte].decode("utf-8")
        return prefix if not prefix.strip() else ""


def apply_edits(data: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply non-overlapping edits; an edit overlapping an earlier one is skipped."""
    out: list[bytes] = []
    cursor = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
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
            if not cursor.goto_parent():
                return
