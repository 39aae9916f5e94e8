"""Syntax checking for Go, with tree-sitter-go.

A problem is: an ERROR or MISSING node of the tree; a statement at the top level (tree-sitter
accepts one, the Go compiler does not; the client's files hold declarations only); or a feature
newer than the Go version the client sent (type parameters need 1.18, ranging over an integer 1.22).
A file without a package clause is fine: the client sends helper files as bare declarations.
"""

from __future__ import annotations

import re

from codeflash_engine.plugins.treesitter import syntax_problems
from codeflash_engine.plugins.types import SyntaxProblem
from codeflash_engine_go.source import DECLARATION_NODES, Source, descendants

_VERSION = re.compile(r"^\s*(?:go)?(\d+)\.(\d+)")


def go_version(version: str | None) -> tuple[int, int] | None:
    """``"1.22.1"`` or ``"go1.22.1"`` -> (1, 22); None when unknown."""
    match = _VERSION.match(version or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def problems(code: str, version: str | None = None) -> list[SyntaxProblem]:
    """Every problem of ``code`` for Go ``version`` (empty list: it compiles as far as syntax goes)."""
    return source_problems(Source.parse(code), version)


def source_problems(source: Source, version: str | None = None) -> list[SyntaxProblem]:
    found = syntax_problems(source.tree)
    for node in source.root.named_children:
        if node.type not in DECLARATION_NODES and not node.is_error:
            row, col = node.start_point
            first = source.text(node).splitlines()[0][:40] if source.text(node) else node.type
            found.append(SyntaxProblem(row + 1, col + 1, f"statement outside a function: {first!r}"))
    found.extend(_too_new(source, go_version(version)))
    return sorted(found, key=lambda p: (p.line, p.column))


def _too_new(source: Source, version: tuple[int, int] | None) -> list[SyntaxProblem]:
    if version is None:
        return []
    this = f"this is Go {version[0]}.{version[1]}"
    out: list[SyntaxProblem] = []
    if version < (1, 18):
        for node in descendants(source.root, "type_parameter_list"):
            row, col = node.start_point
            out.append(SyntaxProblem(row + 1, col + 1, f"type parameters need Go 1.18 ({this})"))
    if version < (1, 22):
        for node in descendants(source.root, "range_clause"):
            right = node.child_by_field_name("right")
            if right is not None and right.type == "int_literal":
                row, col = right.start_point
                out.append(SyntaxProblem(row + 1, col + 1, f"ranging over an integer needs Go 1.22 ({this})"))
    return out
