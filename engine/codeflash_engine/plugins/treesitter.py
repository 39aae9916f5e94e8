"""Helpers for plugins built on tree-sitter (import only from a plugin that depends on tree-sitter).

The core does not depend on tree-sitter; a plugin that does gets error reporting and queries
that work on current releases (``Query`` + ``QueryCursor``; ``Language.query`` is gone in 0.26),
a :class:`Source` base (code, bytes and tree; node text, line spans, removal spans) with
byte-range :class:`Edit` objects and :func:`apply_edits`, and tree walks (:func:`walk`,
:func:`leaves`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import ClassVar

import attrs
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from codeflash_engine.plugins.types import SyntaxProblem

#: problems reported per piece of code, at most
MAX_PROBLEMS = 20


#: a source longer than this is handed to the parser in pieces of this many bytes
READ_CHUNK = 16 * 1024


def parse(language: Language, code: str) -> Tree:
    """Parse ``code`` (a fresh Parser per call: parsers are not thread-safe).

    tree-sitter holds the GIL while it parses (about 0.3 s per megabyte), which would stall the
    event loop while a plugin's thread parses a large source. A long source is therefore read
    through a callback, a piece at a time: between pieces the interpreter runs, and lets the
    loop's thread take the GIL. The tree is the same.
    """
    data = code.encode("utf-8")
    if len(data) <= READ_CHUNK:
        return Parser(language).parse(data)
    return Parser(language).parse(lambda at, _point: data[at : at + READ_CHUNK])


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


def walk(node: Node, prune: Callable[[Node], bool] | None = None) -> Iterator[Node]:
    """``node`` and every named node under it, in document order (each node before its children).

    The nodes under a node ``prune`` accepts are skipped (that node itself is yielded); ``node``
    itself is always entered.
    """
    yield node
    stack = list(reversed(node.named_children))
    while stack:
        current = stack.pop()
        yield current
        if prune is None or not prune(current):
            stack.extend(reversed(current.named_children))


def leaves(node: Node, comment_types: Collection[str] = ()) -> Iterator[Node]:
    """Every leaf under ``node`` in document order; a node of ``comment_types`` counts as one leaf."""
    cursor = node.walk()
    while True:
        current = cursor.node
        assert current is not None
        if current.type not in comment_types and cursor.goto_first_child():
            continue
        yield current
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent() or cursor.node == node:
                return


@attrs.frozen
class Edit:
    """Replace bytes ``start:end`` with ``text``."""

    start: int
    end: int
    text: bytes


def apply_edits(data: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply non-overlapping edits in order of position; an edit overlapping an earlier one is skipped."""
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


@attrs.frozen
class Source:
    """Code, its UTF-8 bytes and its tree: the language-neutral part of a plugin's parsed source.

    A plugin subclasses it (``@attrs.frozen``), sets :attr:`comment_types` to its grammar's comment
    node types, and adds a ``parse`` constructor and an ``edited`` method for its grammar (for
    example ``cls(code=code, data=code.encode("utf-8"), tree=parse(LANGUAGE, code))`` and
    ``Source.parse(apply_edits(self.data, edits).decode("utf-8"))``). Offsets are byte offsets
    into :attr:`data`, as tree-sitter's are.
    """

    #: the grammar's comment node types
    comment_types: ClassVar[frozenset[str]] = frozenset({"comment"})

    code: str
    data: bytes
    tree: Tree

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @property
    def ok(self) -> bool:
        """True when the code parses without ERROR or MISSING nodes."""
        return not self.root.has_error

    def problems(self) -> list[SyntaxProblem]:
        """The syntax problems of the tree (see :func:`syntax_problems`)."""
        return syntax_problems(self.tree)

    def text(self, node: Node | None) -> str:
        """The source text of ``node`` ("" for None)."""
        if node is None:
            return ""
        return self.data[node.start_byte : node.end_byte].decode("utf-8")

    def span(self, start: int, end: int) -> str:
        """The source text of bytes ``start:end``."""
        return self.data[start:end].decode("utf-8")

    def whole_lines(self, start: int, end: int) -> tuple[int, int]:
        """Bytes ``start:end`` widened to whole lines (newline included) when nothing else is on those
        lines but whitespace; else unchanged."""
        line_start = self.data.rfind(b"\n", 0, start) + 1
        line_end = self.data.find(b"\n", end)
        line_end = len(self.data) if line_end < 0 else line_end + 1
        if self.data[line_start:start].strip() or self.data[end:line_end].strip():
            return start, end
        return line_start, line_end

    def line_span(self, node: Node) -> tuple[int, int]:
        """The bytes of ``node`` widened to whole lines when it is alone on its lines."""
        return self.whole_lines(node.start_byte, node.end_byte)

    def comments_above(self, node: Node) -> Node:
        """The first of the comments right above ``node`` (siblings of a :attr:`comment_types` type, no
        blank line between them and ``node``), or ``node`` itself when there are none."""
        first = node
        while first.prev_sibling is not None and first.prev_sibling.type in self.comment_types:
            if self.data[first.prev_sibling.end_byte : first.start_byte].count(b"\n") > 1:
                break
            first = first.prev_sibling
        return first

    def blank_lines_after(self, start: int, end: int) -> int:
        """``end`` moved past the blank lines that follow it when a blank line, only whitespace or a
        line ending in ``{`` precedes ``start``: removing bytes ``start:end`` leaves one blank line,
        not two, and none at the top of a file or a block."""
        before = self.data[:start]
        if before.endswith(b"\n\n") or not before.strip() or before.rstrip(b" \t").endswith(b"{\n"):
            while end < len(self.data):
                line_end = self.data.find(b"\n", end)
                line_end = len(self.data) if line_end < 0 else line_end + 1
                if self.data[end:line_end].strip():
                    break
                end = line_end
        return end

    def removal_span(self, node: Node) -> tuple[int, int]:
        """The bytes to delete to remove ``node``: from its comments right above to its end (with the
        ``;`` right after it, which some grammars keep as a sibling: a JavaScript class field's),
        widened to whole lines when alone on them, and the blank lines after it when a blank line
        precedes it."""
        after = node.next_sibling
        end = after.end_byte if after is not None and after.type == ";" else node.end_byte
        start, end = self.whole_lines(self.comments_above(node).start_byte, end)
        return start, self.blank_lines_after(start, end)
