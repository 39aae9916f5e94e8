"""Edits (SEARCH/REPLACE, V4A, unified diffs) applied to Python files, checked by the parser.

A model that quotes lines indented unevenly against the file leaves the text layer two readings
of its replacement: taken as written (the default for an uneven quote) or re-indented by the
quote's offsets (the default for a uniform one; see
:class:`codeflash_engine.text.matching.Placement`). In Python indentation is syntax, so when the
chosen reading leaves a ``.py`` file that does not parse (and it parsed before the edit), the
other reading is taken if it parses. A result that parses in no reading is returned as the text
layer made it: the candidate cleaning refuses it with the syntax error.

The plugin's ``apply_diff`` hook (in :mod:`.plugin`) calls :func:`apply_python_edit`.
"""

from __future__ import annotations

from codeflash_engine import DiffRequest, DiffResult
from codeflash_engine.text.edits import apply_edit
from codeflash_engine_python.syntax import validate_python

__all__ = ["apply_python_edit", "parses"]

_PYTHON_SUFFIXES = (".py", ".pyi")


def parses(path: str, text: str) -> bool:
    """False only for a Python file that does not parse (other files are not judged here)."""
    return not path.endswith(_PYTHON_SUFFIXES) or not validate_python(text, None)


def apply_python_edit(request: DiffRequest) -> DiffResult:
    """The engine's edit formats, all or nothing, with the reading of uneven indentation that
    leaves the Python files parseable."""
    result = apply_edit(request.files, request.edit, accept=parses)
    if result.errors:
        return DiffResult(files={}, fuzz=result.fuzz, errors=tuple(result.errors))
    return DiffResult(files=result.files, fuzz=result.fuzz, deleted=tuple(result.deleted))
