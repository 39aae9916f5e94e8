"""LLM edits: detect the format (SEARCH/REPLACE, V4A or a unified diff) and apply it, all or nothing.

This is the entry point the engine's default ``apply_diff`` hook and the ``apply-patch`` command
use. The formats live in :mod:`codeflash_engine.text.search_replace` and
:mod:`codeflash_engine.text.v4a` (a unified diff is read as V4A, see
:mod:`codeflash_engine.text.unified`); their shared fuzzy matcher in
:mod:`codeflash_engine.text.matching`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

import attrs

from codeflash_engine.text.matching import READINGS, Reading
from codeflash_engine.text.paths import normalize_path
from codeflash_engine.text.report import BlockReport, EditResult
from codeflash_engine.text.search_replace import apply_search_replace, parse_search_replace, search_marker_at
from codeflash_engine.text.unified import to_v4a, unified_diff_at
from codeflash_engine.text.v4a import PatchError, apply_v4a, begin_patch_at, parse_v4a

__all__ = ["Accept", "BlockReport", "EditFormat", "EditResult", "apply_edit", "detect_format", "edit_paths"]

EditFormat = Literal["search_replace", "v4a", "unified"]


def detect_format(text: str) -> EditFormat | None:
    """``"v4a"`` when ``text`` holds a ``*** Begin Patch`` line, ``"search_replace"`` when it holds
    a SEARCH marker line (whichever comes first when it holds both), else ``"unified"`` when it
    holds a ``---``/``+++`` header followed by an ``@@ -a,b +c,d @@`` hunk; else None."""
    v4a = begin_patch_at(text)
    sr = search_marker_at(text)
    if v4a >= 0 and (sr < 0 or v4a <= sr):
        return "v4a"
    if sr >= 0:
        return "search_replace"
    if unified_diff_at(text) >= 0:
        return "unified"
    return None


Accept = Callable[[str, str], bool]
"""``accept(path, text)``: False when ``text`` is not acceptable as the file ``path`` (it does not
parse, say); files of languages it cannot judge are accepted."""


def apply_edit(
    files: Mapping[str, str], edit: str, *, default_path: str | None = None, accept: Accept | None = None
) -> EditResult:
    """Detect the format of ``edit`` and apply it to ``files`` (path -> text).

    ``default_path`` is the file a SEARCH/REPLACE block goes to when it names none (when None and
    ``files`` holds one file, that file). The result lists changed and created files in
    ``files``, removed ones in ``deleted``; on any failure both are empty and ``errors`` says, per
    block, what did not match and what the closest lines are.

    ``accept`` (a parser, for languages a plugin can parse): when a file the edit changes is not
    accepted although it was before the edit, the other readings of the edit's indentation are
    tried (re-indented by the quote's offsets, taken as written; see
    :class:`~codeflash_engine.text.matching.Placement`) and the first one every file accepts is
    returned; when none is, the automatic reading's result is, for the caller to refuse.
    """
    result = _apply(files, edit, default_path, "auto")
    if accept is None or not result.ok or _accepted(files, result, accept):
        return result
    for reading in READINGS:
        other = _apply(files, edit, default_path, reading)
        if other.ok and other.files != result.files and _accepted(files, other, accept):
            return other
    return result


def _accepted(files: Mapping[str, str], result: EditResult, accept: Accept) -> bool:
    for path, text in result.files.items():
        if not accept(path, text) and (path not in files or accept(path, files[path])):
            return False
    return True


def _apply(files: Mapping[str, str], edit: str, default_path: str | None, reading: Reading) -> EditResult:
    fmt = detect_format(edit)
    if fmt == "v4a":
        return apply_v4a(files, edit, reading=reading)
    if fmt == "search_replace":
        return apply_search_replace(files, edit, default_path=default_path, reading=reading)
    if fmt == "unified":
        return attrs.evolve(apply_v4a(files, to_v4a(edit), reading=reading), format="unified")
    return EditResult(
        files={},
        errors=(
            "no edit found: expected SEARCH/REPLACE blocks ('<<<<<<< SEARCH', '=======', '>>>>>>> REPLACE'), "
            "a V4A patch ('*** Begin Patch' ... '*** End Patch') or a unified diff ('--- a/f', '+++ b/f', '@@ ...')",
        ),
    )


def edit_paths(edit: str) -> list[str]:
    """The file paths ``edit`` names, in order of first mention (normalised; Move-to targets
    included). Empty when the format is not recognised or the patch does not parse."""
    fmt = detect_format(edit)
    paths: list[str] = []
    if fmt in ("v4a", "unified"):
        try:
            ops = parse_v4a(edit if fmt == "v4a" else to_v4a(edit))
        except PatchError:
            return []
        for op in ops:
            paths.append(op.path)
            if op.move_to is not None:
                paths.append(op.move_to)
    elif fmt == "search_replace":
        paths.extend(normalize_path(b.path) for b in parse_search_replace(edit) if b.path is not None)
    return list(dict.fromkeys(paths))
