"""A parsed piece of Java, and byte-range edits on it.

Everything here is per call: a :class:`Source` owns its tree (parsed with a fresh Parser), so the
postprocess hooks never share parser state between calls. The language-neutral
part (text, spans, edits) is :class:`codeflash_engine.plugins.treesitter.Source`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import attrs
import tree_sitter_java
from tree_sitter import Language, Node

from codeflash_engine.plugins import treesitter
from codeflash_engine.plugins.treesitter import Edit, apply_edits, parse

LANGUAGE = Language(tree_sitter_java.language())

#: node types that are comments
COMMENT_TYPES = frozenset({"line_comment", "block_comment"})


@attrs.frozen
class Source(treesitter.Source):
    """Java code, its UTF-8 bytes and its tree."""

    comment_types: ClassVar[frozenset[str]] = COMMENT_TYPES

    @classmethod
    def parse(cls, code: str) -> Source:
        return cls(code=code, data=code.encode("utf-8"), tree=parse(LANGUAGE, code))

    def edited(self, edits: Iterable[Edit]) -> Source:
        """A new Source with ``edits`` applied (overlapping edits: the earliest-starting wins)."""
        return Source.parse(apply_edits(self.data, edits).decode("utf-8"))

    def block_span(self, node: Node) -> tuple[int, int]:
        """The bytes to delete to remove ``node``: like :meth:`line_span`, with the comments right
        above it (javadoc), and the blank lines after it when a blank line precedes it.

        Unlike :meth:`removal_span`, the comments and ``node`` are widened to whole lines each on its own.
        """
        start, end = self.line_span(self.comments_above(node))
        end = max(end, self.line_span(node)[1])
        return start, self.blank_lines_after(start, end)

    def indent_of(self, node: Node) -> str:
        """The whitespace before ``node`` on its line."""
        line_start = self.data.rfind(b"\n", 0, node.start_byte) + 1
        prefix = self.data[line_start : node.start_byte].decode("utf-8")
        return prefix if not prefix.strip() else ""
