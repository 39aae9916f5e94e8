"""Merge a candidate's code for one file into the original file, definition by definition.

This mirrors how the CLI applies a candidate (contract 4.3 and 4.4) so that what we return is
what the CLI will run: a definition the candidate does not mention stays as it was; a function
or method it redefines replaces the original (keeping the original header); a new function,
class, method or module-level assignment is added; a new import is added; anything else in the
answer (example calls, ``if __name__ == "__main__":`` demos) is ignored. Only the text of the
definitions that change is touched, so the rest of the file keeps its comments and layout.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

import attrs

from codeflash_engine_python.candidates.module import (
    ModuleIndex,
    Unit,
    dedent,
    reindent,
    string_continuation_lines,
    unit_key,
)
from codeflash_engine_python.candidates.normalize import normal_form
from codeflash_engine_python.candidates.placeholder import elision, is_stub
from codeflash_engine_python.candidates.signature import describe_change, restore_header
from codeflash_engine_python.names import bound_names, import_statements, missing_imports, used_names
from codeflash_engine_python.source import Edit, SourceText, apply_edits, first_line, import_insertion_line


class Rejected(ValueError):
    """The candidate cannot be used; the message says why (for logs)."""


@attrs.frozen
class Change:
    """One definition the candidate changes or adds, by key, with its normal form."""

    key: str
    normal: str
    added: bool


@attrs.frozen
class MergeResult:
    """The merged file (None when nothing changed), what changed, and the imports added."""

    text: str | None
    changes: tuple[Change, ...] = ()
    imports: tuple[str, ...] = ()

    @property
    def replaced(self) -> int:
        """How many existing definitions the candidate changed."""
        return sum(1 for c in self.changes if not c.added)


@attrs.define
class _Piece:
    """A candidate definition ready to be spliced: its key, node and re-indentable text."""

    key: str
    node: ast.stmt
    text: str
    indent: str


def _piece(source: SourceText, node: ast.stmt, key: str) -> _Piece:
    text = source.segment(node)
    line = source.lines[first_line(node) - 1]
    return _Piece(key, node, text, line[: len(line) - len(line.lstrip())])


def _collect(candidate: ModuleIndex, target: str | None, original: ModuleIndex) -> tuple[list[_Piece], list[str]]:
    """The candidate's definitions in order (last one wins per key) and its import statements."""
    pieces: dict[str, _Piece] = {}
    imports: list[str] = []
    source = candidate.source
    target_class, _, target_method = (target or "").rpartition(".")
    for node in candidate.tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            if not _already_imported(node, original):
                imports.append(dedent(source.segment(node), _piece(source, node, "").indent))
            continue
        key = unit_key(node)
        if key is None:
            continue
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and target_class
            and node.name == target_method
            and key not in original.units
            and target_class not in candidate.classes
            and node.args.args
            and node.args.args[0].arg in {"self", "cls"}
        ):
            key = f"{target_class}.{target_method}"  # a method answered at top level: back into its class
        pieces.pop(key, None)
        pieces[key] = _piece(source, node, key)
        if isinstance(node, ast.ClassDef) and node.name in original.classes:
            for item in node.body:
                member = unit_key(item, node.name)
                if member is not None and isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    pieces.pop(member, None)
                    pieces[member] = _piece(source, item, member)
    return list(pieces.values()), imports


def _already_imported(node: ast.Import | ast.ImportFrom, original: ModuleIndex) -> bool:
    """Every name the import binds is already imported the same way by the original."""
    if ast.dump(node, annotate_fields=False) in original.import_dumps:
        return True
    wanted = import_statements(ast.Module(body=[node], type_ignores=[]))
    return bool(wanted) and all(original.imports.get(name) == line for name, line in wanted.items())


def _prepare_function(piece: _Piece, original: ModuleIndex, unit: Unit) -> str | None:
    """The text replacing ``unit``; None to keep the original; :class:`Rejected` if unusable."""
    node = piece.node
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    assert isinstance(unit.node, ast.FunctionDef | ast.AsyncFunctionDef)
    if is_stub(node) and not is_stub(unit.node):
        return None
    reason = elision(node, piece.text)
    if reason:
        raise Rejected(f"{piece.key}: {reason}")
    change = describe_change(unit.node, node)
    if change:
        raise Rejected(f"{piece.key}: signature {change}")
    keep = string_continuation_lines(node, first_line(node))
    text = reindent(piece.text, piece.indent, unit.indent, keep)
    return restore_header(text, original.text(unit))


def _normal_of(text: str, indent: str) -> str:
    return normal_form(ast.parse(dedent(text, indent)).body[0])


def _anchor(original: ModuleIndex, key: str) -> int:
    """Where new top-level definitions placed before ``key`` in the answer go."""
    top = key.split(".")[0] if not key.startswith("=") else key
    unit = original.units.get(top)
    return unit.start if unit is not None else len(original.source.text)


def merge_file(
    original: ModuleIndex,
    candidate: ModuleIndex,
    *,
    target: str | None,
    known_imports: Mapping[str, str],
) -> MergeResult:
    """Merge ``candidate`` into ``original``; :class:`Rejected` when the candidate is unusable."""
    pieces, imports = _collect(candidate, target, original)
    edits: list[Edit] = []
    changes: list[Change] = []
    pending: list[_Piece] = []
    new_nodes: list[ast.stmt] = []
    for piece in pieces:
        unit = original.units.get(piece.key)
        if unit is None:
            if "." in piece.key:  # a new method of an existing class
                class_name = piece.key.split(".")[0]
                indent = original.class_body_indent(class_name)
                keep = string_continuation_lines(piece.node, first_line(piece.node))
                method = reindent(piece.text, piece.indent, indent, keep)
                at = original.class_end(class_name)
                edits.append(Edit(at, at, "\n" + method.rstrip("\n") + "\n"))
                changes.append(Change(piece.key, _normal_of(method, indent), added=True))
                new_nodes.append(piece.node)
            else:
                pending.append(piece)
            continue
        if isinstance(piece.node, ast.ClassDef):
            at = _anchor(original, piece.key)
            edits.extend(_insert_block(pending, at))
            new_nodes.extend(p.node for p in pending)
            changes.extend(Change(p.key, _normal_of(p.text, p.indent), added=True) for p in pending)
            pending = []
            continue
        text: str | None
        if unit.is_function and isinstance(piece.node, ast.FunctionDef | ast.AsyncFunctionDef):
            text = _prepare_function(piece, original, unit)
        elif not unit.is_function and not isinstance(piece.node, ast.FunctionDef | ast.AsyncFunctionDef):
            text = reindent(piece.text, piece.indent, unit.indent)
        else:
            raise Rejected(f"{piece.key}: a function became something else, or the reverse")
        if "." not in piece.key:
            at = _anchor(original, piece.key)
            edits.extend(_insert_block(pending, at))
            new_nodes.extend(p.node for p in pending)
            changes.extend(Change(p.key, _normal_of(p.text, p.indent), added=True) for p in pending)
            pending = []
        if text is None:
            continue
        normal = _normal_of(text, unit.indent)
        if normal == original.normal(piece.key):
            continue
        if original.source.text[unit.end - 1 : unit.end] == "\n" and not text.endswith("\n"):
            text += "\n"
        edits.append(Edit(unit.start, unit.end, text))
        changes.append(Change(piece.key, normal, added=False))
        new_nodes.append(piece.node)
    if pending:
        at = len(original.source.text)
        edits.extend(_insert_block(pending, at, at_end=True))
        new_nodes.extend(p.node for p in pending)
        changes.extend(Change(p.key, _normal_of(p.text, p.indent), added=True) for p in pending)
    if not changes:
        return MergeResult(text=None)
    import_lines = _needed_imports(imports, new_nodes, original, candidate, known_imports)
    if import_lines:
        at = original.source.line_start(import_insertion_line(original.tree))
        edits.insert(0, Edit(at, at, "".join(line.rstrip("\n") + "\n" for line in import_lines)))
    text = apply_edits(original.source.text, edits)
    return MergeResult(text=text, changes=tuple(changes), imports=tuple(import_lines))


def _insert_block(pieces: list[_Piece], at: int, *, at_end: bool = False) -> list[Edit]:
    if not pieces:
        return []
    body = "\n\n".join(dedent(p.text, p.indent).rstrip("\n") + "\n" for p in pieces)
    text = ("\n\n" + body) if at_end else (body + "\n\n")
    return [Edit(at, at, text)]


def _needed_imports(
    imports: list[str],
    new_nodes: list[ast.stmt],
    original: ModuleIndex,
    candidate: ModuleIndex,
    known_imports: Mapping[str, str],
) -> list[str]:
    """The candidate's own new imports, plus imports for names its new code uses and nobody binds."""
    bound = bound_names(original.tree) | bound_names(candidate.tree)
    extra = missing_imports(used_names(new_nodes), bound, known_imports, third_party=True)
    return [*imports, *(line for line in extra if line not in imports)]
