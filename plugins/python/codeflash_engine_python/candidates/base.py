"""The earlier candidate (the base) that a refinement, code repair or adaptive answer improves.

The client applies every candidate to the original code (contract 4), never to the candidate it
came from. An answer that leaves out what it keeps from the base would lose it, so its code for
one file is completed from the base's version of that file before it is merged, in two steps:

* a placeholder (a body of only ``...`` or ``pass``) for a definition the base had changed or
  added means "as in the candidate you were shown": the base's definition takes its place
  (where the base kept the original, the merge keeps the original as it always does);
* a name the answer's definitions read that neither the answer, nor the original file, nor the
  builtins bind, but that the base defines at top level (function, class, assignment) or imports,
  brings the base's definition or import, and so do the names those need in turn. They go after
  the answer's imports, so the merge adds them like new definitions of the answer, before the
  first existing definition it changes. A name nothing defines is left as it is.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence

from codeflash_engine_python.candidates.module import ModuleIndex, Unit, dedent, reindent, string_continuation_lines
from codeflash_engine_python.candidates.placeholder import is_stub
from codeflash_engine_python.names import BUILTIN_NAMES, free_names, group_from_imports
from codeflash_engine_python.source import Definition, Edit, apply_edits, first_line, lines_after_imports
from codeflash_engine_python.syntax import parse


def complete_from_base(
    candidate: ModuleIndex, original: ModuleIndex, base: ModuleIndex, language_version: str | None
) -> ModuleIndex:
    """The candidate's code for one file with its placeholders and missing definitions taken from the base."""
    candidate = restore_placeholders(candidate, original, base, language_version)
    return carry_over(candidate, original, base, language_version)


def is_placeholder(node: ast.stmt) -> bool:
    """A function or class whose body is only ``...`` or ``pass`` (after an optional docstring)."""
    return isinstance(node, Definition) and is_stub(node)


def placeholder_edits(candidate: ModuleIndex, original: ModuleIndex, base: ModuleIndex) -> list[Edit]:
    """Edits of the candidate's code putting the base's definition in place of each placeholder
    whose definition the base has in full and differently from the original (or only the base has)."""
    edits: list[Edit] = []
    for key, unit in candidate.units.items():
        source = base.units.get(key)
        if source is None or not is_placeholder(unit.node) or is_placeholder(source.node):
            continue
        if isinstance(unit.node, ast.ClassDef) != isinstance(source.node, ast.ClassDef):
            continue
        known = original.units.get(key)
        if known is not None and dedent(original.text(known), known.indent) == dedent(base.text(source), source.indent):
            continue  # the base kept the original definition: the merge keeps it too
        keep = string_continuation_lines(source.node, first_line(source.node))
        text = reindent(base.text(source), source.indent, unit.indent, keep)
        if candidate.source.text[unit.end - 1 : unit.end] == "\n" and not text.endswith("\n"):
            text += "\n"
        edits.append(Edit(unit.start, unit.end, text))
    return edits


def restore_placeholders(
    candidate: ModuleIndex, original: ModuleIndex, base: ModuleIndex, language_version: str | None
) -> ModuleIndex:
    """The candidate with the base's definitions in place of its placeholders (see :func:`placeholder_edits`)."""
    return _edited(candidate, placeholder_edits(candidate, original, base), language_version)


def merged_nodes(candidate: ModuleIndex, original: ModuleIndex) -> list[ast.stmt]:
    """The candidate's statements the merge takes: top-level definitions and assignments, of a class
    the original has only the methods; placeholders bring no code of their own."""
    nodes: list[ast.stmt] = []
    for key, unit in candidate.units.items():
        owner, dot, _ = key.partition(".")
        takes = owner in original.classes if dot else key not in original.classes
        if takes and not is_placeholder(unit.node):
            nodes.append(unit.node)
    return nodes


def needed_names(nodes: Iterable[ast.stmt], bound: set[str]) -> set[str]:
    """The names ``nodes`` read from their module that neither ``bound`` nor the builtins supply."""
    needed: set[str] = set()
    for node in nodes:
        needed |= free_names(node)
    return needed - bound - BUILTIN_NAMES


def base_supplies(names: set[str], base: ModuleIndex, bound: set[str]) -> tuple[list[Unit], list[str]]:
    """The base's top-level definitions and import lines for ``names`` and for what those definitions
    need in turn (beyond ``bound``), each in the base's order; names the base lacks are skipped."""
    units: dict[str, Unit] = {}
    imported: set[str] = set()
    todo = sorted(names, reverse=True)
    while todo:
        name = todo.pop()
        if name in units or name in imported:
            continue
        unit = base.units.get(name) or base.units.get(f"={name}")
        if unit is not None:
            units[name] = unit
            todo.extend(sorted(needed_names([unit.node], bound) - units.keys() - imported, reverse=True))
        elif name in base.imports:
            imported.add(name)
    lines = dict.fromkeys(line for name, line in base.imports.items() if name in imported)
    return sorted(units.values(), key=lambda u: u.start), group_from_imports(lines)


def carry_over(
    candidate: ModuleIndex, original: ModuleIndex, base: ModuleIndex, language_version: str | None
) -> ModuleIndex:
    """The candidate with the base's definitions and imports of the names it uses and nothing else binds."""
    bound = candidate.module_bound | original.module_bound
    names = needed_names(merged_nodes(candidate, original), bound)
    if not names:
        return candidate
    units, imports = base_supplies(names, base, bound)
    if not units and not imports:
        return candidate
    text = "".join(line + "\n" for line in imports) + "".join(
        dedent(base.text(unit), unit.indent).rstrip("\n") + "\n\n\n" for unit in units
    )
    return _edited(candidate, [lines_after_imports(candidate.source, candidate.tree, text)], language_version)


def _edited(index: ModuleIndex, edits: Sequence[Edit], language_version: str | None) -> ModuleIndex:
    """``index`` with ``edits`` applied, indexed again; unchanged when there is nothing to do or the
    result does not parse (the base's code then stays out, as it would without a base)."""
    if not edits:
        return index
    text = apply_edits(index.source.text, edits)
    try:
        return ModuleIndex(text, parse(text, language_version))
    except SyntaxError:
        return index
