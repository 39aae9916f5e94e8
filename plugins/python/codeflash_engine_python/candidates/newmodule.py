"""A new module an answer creates, folded into the file that imports from it.

Models sometimes move the fast code into a module of its own (```python:pkg/_kernels.py`` beside
``from pkg._kernels import sumsq`` in the target's file). The client only writes files it sent
(contract 4.4), so the new file would be dropped and the import would fail: the candidate is lost.
The new module's code goes into the file importing from it instead, after that file's leading
imports, and the import goes: its names are then defined where they are used. When several files
import from it, each gets its own copy.

Only a plain ``from <module> import a, b`` (absolute, or relative to the importing file) of names
the new module defines at its top level, without ``as``, is folded; anything else is left as it
was.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import PurePosixPath

import attrs

from codeflash_engine_python.candidates.extract import RawBlock
from codeflash_engine_python.candidates.module import ModuleIndex
from codeflash_engine_python.source import Edit, apply_edits, import_insertion_line
from codeflash_engine_python.syntax import parse

Parsed = tuple[RawBlock, ModuleIndex]


def _parts(path: str) -> tuple[str, ...]:
    """The dotted name of a file's module, as parts (``pkg/_kernels.py`` -> ``pkg``, ``_kernels``)."""
    pure = PurePosixPath(path.replace("\\", "/").lstrip("./"))
    parts = pure.with_suffix("").parts
    return parts[:-1] if parts and parts[-1] == "__init__" else parts


def _same_module(imported: tuple[str, ...], new: tuple[str, ...]) -> bool:
    """One dotted name ends with the other (a path may start above or below the import root)."""
    if not imported or not new:
        return False
    shorter = min(len(imported), len(new))
    return imported[-shorter:] == new[-shorter:]


def _imports_from(node: ast.ImportFrom, importer: str | None, new: tuple[str, ...]) -> bool:
    if node.level == 0:
        return _same_module(tuple((node.module or "").split(".")), new)
    if importer is None:
        return False
    base = _parts(importer)[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return _same_module((*base, *(node.module.split(".") if node.module else ())), new)


def fold_new_modules(blocks: Sequence[Parsed], known_paths: set[str], language_version: str | None) -> list[Parsed]:
    """``blocks`` with each block for a file the client did not send folded into every block that
    imports from it (see the module docstring)."""
    names = {PurePosixPath(p).name for p in known_paths}
    out = list(blocks)
    for block, index in blocks:
        if block.path is None or block.path in known_paths or PurePosixPath(block.path).name in names:
            continue
        new = _parts(block.path)
        folded_into_one = False
        for at, (other, other_index) in enumerate(out):
            if other is block or (other.path is not None and other.path not in known_paths):
                continue
            imports = [
                node
                for node in other_index.tree.body
                if isinstance(node, ast.ImportFrom)
                and _imports_from(node, other.path, new)
                and all(a.asname in (None, a.name) and a.name in index.top_level for a in node.names)
            ]
            if not imports:
                continue
            source = other_index.source
            at_line = source.line_start(import_insertion_line(other_index.tree))
            edits = [Edit(*source.statement_lines(node), "") for node in imports]
            edits.append(Edit(at_line, at_line, "\n" + block.code.strip("\n") + "\n\n\n"))
            try:
                code = apply_edits(source.text, edits)
                folded = (attrs.evolve(other, code=code), ModuleIndex(code, parse(code, language_version)))
            except (SyntaxError, ValueError):
                continue
            out[at] = folded
            folded_into_one = True
        if folded_into_one:
            out = [item for item in out if item[0] is not block]
    return out
