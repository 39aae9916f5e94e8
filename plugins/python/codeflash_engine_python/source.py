"""Positions and text edits on Python source, driven by ``ast`` node locations.

``ast`` reports columns as UTF-8 byte offsets; :class:`SourceText` converts them to string
offsets so that edits keep every byte of the text they do not touch (comments, blank lines,
formatting), which ``ast.unparse`` would lose. This is the cheap alternative to libcst for
the edits the plugin makes: deleting, replacing and inserting whole statements or expressions.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

import attrs

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
#: what ends a line for ``str.splitlines`` but not for Python
_OTHER_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` with their ends, as Python numbers them (``ast``, the tokenizer): ended
    by ``\\n``, ``\\r\\n`` or ``\\r`` only. ``str.splitlines`` also ends a line at a form feed
    (``^L`` page breaks between sections), ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028`` or
    ``\\u2029``, which Python reads as whitespace or as characters of a string or comment: every
    line number after one would point one line too far."""
    if not any(other in text for other in _OTHER_BREAKS):  # the usual case, as fast as splitlines
        return text.splitlines(keepends=True)
    return _LINE.findall(text)


#: definitions whose span starts at their first decorator
Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@attrs.frozen
class Edit:
    """Replace ``text[start:end]`` with ``replacement`` (string offsets)."""

    start: int
    end: int
    replacement: str


class SourceText:
    """A source text with a line index, converting ast positions to string offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = split_lines(text)
        starts = [0]
        for line in self.lines:
            starts.append(starts[-1] + len(line))
        self._starts = starts

    def offset(self, lineno: int, col_bytes: int) -> int:
        """String offset of a 1-based line and a UTF-8 byte column."""
        if lineno - 1 >= len(self.lines):
            return len(self.text)
        line = self.lines[lineno - 1]
        col = col_bytes if line.isascii() else len(line.encode("utf-8")[:col_bytes].decode("utf-8", "replace"))
        return self._starts[lineno - 1] + col

    def line_start(self, lineno: int) -> int:
        """Offset of the start of a 1-based line (the end of the text past the last line)."""
        return self._starts[min(max(lineno, 1), len(self._starts)) - 1]

    def line_end(self, lineno: int) -> int:
        """Offset just past the newline that ends a 1-based line."""
        return self._starts[min(lineno, len(self._starts) - 1)]

    def node_span(self, node: ast.expr | ast.stmt) -> tuple[int, int]:
        """Exact string span of an expression or statement (decorators excluded)."""
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset if node.end_col_offset is not None else 0
        return self.offset(node.lineno, node.col_offset), self.offset(end_line, end_col)

    def statement_lines(self, node: ast.stmt) -> tuple[int, int]:
        """Span of the whole lines holding a top-level statement, decorators included."""
        return self.line_start(first_line(node)), self.line_end(node.end_lineno or node.lineno)

    def statement_and_blank_lines(self, node: ast.stmt) -> tuple[int, int]:
        """Like :meth:`statement_lines`, extended over the blank lines that follow (for deletion)."""
        start, end = self.statement_lines(node)
        line = node.end_lineno or node.lineno
        while line < len(self.lines) and not self.lines[line].strip():
            line += 1
            end = self.line_end(line)
        return start, end

    def segment(self, node: ast.stmt) -> str:
        """The whole lines of a statement, decorators included."""
        start, end = self.statement_lines(node)
        return self.text[start:end]


def first_line(node: ast.stmt) -> int:
    """First line of a statement, counting the decorators of a definition."""
    if isinstance(node, Definition) and node.decorator_list:
        return min(node.lineno, *(d.lineno for d in node.decorator_list))
    return node.lineno


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits; an insertion is an edit with ``start == end``."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    out: list[str] = []
    pos = 0
    for edit in ordered:
        if edit.start < pos:
            raise ValueError(f"overlapping edits at offset {edit.start}")
        out.append(text[pos : edit.start])
        out.append(edit.replacement)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def import_insertion_line(tree: ast.Module) -> int:
    """The 1-based line before which new imports go: after the leading docstring and imports."""
    line = 1
    for index, node in enumerate(tree.body):
        is_docstring = (
            index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        ) and isinstance(node.value.value, str)
        if is_docstring or isinstance(node, ast.Import | ast.ImportFrom):
            line = (node.end_lineno or node.lineno) + 1
            continue
        break
    return line


_DEFINITION_LINE = re.compile(r"(?:@|def\b|class\b|async\s+def\b)")


def lines_after_imports(source: SourceText, tree: ast.Module, lines: str) -> Edit:
    """An edit inserting whole ``lines`` after the leading docstring and imports of a module.

    When code follows right below them (no blank line between), blank lines set it apart as PEP 8
    and the formatters do: two before a function or class (with the comments just above it), one
    before other code. ``lines`` that end in a blank line already are kept as they are.
    """
    line = import_insertion_line(tree)
    at = source.line_start(line)
    if at and source.text[at - 1] != "\n":
        lines = "\n" + lines
    following = source.lines[line - 1 :] if at < len(source.text) else []
    if following and following[0].strip() and not lines.endswith("\n\n"):
        code = next((text for text in following if not text.lstrip().startswith("#")), "")
        lines += "\n\n" if _DEFINITION_LINE.match(code) else "\n"
    return Edit(at, at, lines)


def docstring_statement(body: list[ast.stmt]) -> ast.Expr | None:
    """The docstring of a module, class or function body (its first statement, a string), if any."""
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None
