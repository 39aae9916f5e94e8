"""A parsed piece of JavaScript or TypeScript, and byte-range edits on it.

Everything here is per call: a :class:`Source` owns its tree (parsed with a fresh Parser), so the
postprocess hooks never share parser state between calls. The language-neutral
part (text, spans, edits) is :class:`codeflash_engine.plugins.treesitter.Source`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import attrs
from tree_sitter import Language

from codeflash_engine.plugins import treesitter
from codeflash_engine.plugins.treesitter import Edit, apply_edits
from codeflash_engine_js_ts.grammars import JAVASCRIPT, TSX, parse_code

#: node types that are comments in both grammars
COMMENT_TYPES = frozenset({"comment", "html_comment"})


@attrs.frozen
class Source(treesitter.Source):
    """Code, its UTF-8 bytes, the grammar chosen for it and its tree."""

    comment_types: ClassVar[frozenset[str]] = COMMENT_TYPES

    grammar: Language
    path: str | None = None

    @classmethod
    def parse(cls, language: str, code: str, path: str | None = None) -> Source:
        """Parse ``code`` as ``language`` (``javascript`` or ``typescript``), picking TS/TSX by path."""
        grammar, tree = parse_code(language, code, path)
        return cls(code=code, data=code.encode("utf-8"), grammar=grammar, tree=tree, path=path)

    @property
    def is_typescript(self) -> bool:
        return self.grammar is not JAVASCRIPT

    @property
    def is_tsx(self) -> bool:
        return self.grammar is TSX

    def edited(self, edits: Iterable[Edit], language: str) -> Source:
        """A new Source with ``edits`` applied (overlapping edits: the earliest-starting wins)."""
        data = apply_edits(self.data, edits)
        return Source.parse(language, data.decode("utf-8"), self.path)
