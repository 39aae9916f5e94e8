"""SEARCH/REPLACE blocks: parsing, applying with the fuzzy ladder, and rendering.

The format (as popularised by aider)::

    pkg/geo.py
    ```python
    <<<<<<< SEARCH
        def length(self):
            return sum(x * x for x in self.xs) ** 0.5
    =======
        def length(self):
            return math.hypot(*self.xs)
    >>>>>>> REPLACE
    ```

Marker lines have 5 to 9 arrow characters, in either direction (``>>>>>>> SEARCH`` ...
``<<<<<<< REPLACE`` is read too), and 5 to 9 ``=`` for the divider. The file name is the line
before the opening fence or before the SEARCH marker (decorations such as ``**`` or a trailing
``:`` are fine), the fence's info string (``python:pkg/geo.py``), or the line just inside the
fence; a block naming no file uses the previous block's file, then ``default_path``. Several
blocks and several files per answer are fine; blocks apply in order, each to the text left by
the ones before it. An empty SEARCH (or one of blank lines only) creates the file, or appends to
it when it exists (unless it quotes a file of blank lines whole, which it then replaces).

Matching: the ladder of :mod:`codeflash_engine.text.matching` (exact, trailing whitespace,
uniform indentation, surrounding whitespace, Unicode punctuation), each level tried with the
SEARCH as written and then without blank lines at its ends (below the exact level the lines
REPLACE keeps are the file's own, and its other lines are re-indented when SEARCH was off by one
uniform offset, taken as written when it was off unevenly: see
:class:`~codeflash_engine.text.matching.Placement`); then ``...`` elision, where SEARCH and
REPLACE both skip unchanged lines with a ``...`` line (or ``# ...``, ``// ... existing code``)
and each piece is matched in order. The SEARCH must match one place only: several places is an
error, as is no place; both errors name the block and show the closest lines.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

import attrs

from codeflash_engine.text.matching import (
    LADDER,
    Level,
    Lines,
    Reading,
    closest,
    find,
    find_at,
    join_text,
    merge_replacement,
    split_text,
)
from codeflash_engine.text.paths import match_path, normalize_path, parse_fence_info, path_from_line
from codeflash_engine.text.report import BlockReport, EditResult

__all__ = [
    "ELISION_FUZZ",
    "SearchReplaceBlock",
    "apply_search_replace",
    "has_search_replace",
    "parse_search_replace",
    "render_search_replace",
    "search_marker_at",
]

ELISION_FUZZ = 5000
"""Fuzz added when a block matched only by ``...`` elision (plus the worst level of its pieces)."""

_SEARCH = re.compile(r"^[ \t]*(?:<{5,9}|>{5,9})[ \t]*SEARCH[ \t]*[<>]?[ \t]*$", re.IGNORECASE)
_DIVIDER = re.compile(r"^[ \t]*={5,9}[ \t]*$")
_REPLACE = re.compile(r"^[ \t]*(?:>{5,9}|<{5,9})[ \t]*REPLACE[ \t]*[<>]?[ \t]*$", re.IGNORECASE)
_SEARCH_ANYWHERE = re.compile(r"^[ \t]*(?:<{5,9}|>{5,9})[ \t]*SEARCH[ \t]*[<>]?[ \t\r]*$", re.IGNORECASE | re.MULTILINE)
_FENCE = re.compile(r"^[ \t]*(?:`{3,}|~{3,})(?P<info>[^`]*)$")
_ELISION = re.compile(r"^\s*(?:(?:#+|//+|/\*+|--|<!--)\s*(?:\.\.\.|…).*|(?:\.\.\.|…)\s*)$")


@attrs.frozen
class SearchReplaceBlock:
    """One parsed block. ``path`` is as named in the edit (or None); ``line`` is the 1-based line
    of its SEARCH marker in the edit; ``complete`` is False when the REPLACE marker is missing."""

    index: int
    path: str | None
    search: tuple[str, ...]
    replace: tuple[str, ...]
    complete: bool = True
    line: int = 0


def has_search_replace(text: str) -> bool:
    """True when ``text`` holds at least one SEARCH marker line."""
    return _SEARCH_ANYWHERE.search(text) is not None


def search_marker_at(text: str) -> int:
    """The offset of the first SEARCH marker line in ``text``, or -1."""
    if "<<<<<" not in text and ">>>>>" not in text:  # every marker has five of one
        return -1
    m = _SEARCH_ANYWHERE.search(text)
    return -1 if m is None else m.start()


def _is_marker(line: str) -> bool:
    return bool(_SEARCH.match(line) or _DIVIDER.match(line) or _REPLACE.match(line))


def _filename_before(lines: Sequence[str], at: int, stop: int, known: Sequence[str]) -> str | None:
    """The file named on the few lines before line ``at`` (not reaching back to line ``stop``)."""
    seen = 0
    k = at - 1
    while k > stop and seen < 4:
        line = lines[k]
        k -= 1
        if not line.strip():
            continue
        seen += 1
        fence = _FENCE.match(line)
        if fence is not None:
            _, path = parse_fence_info(fence.group("info"))
            if path:
                return path
            continue
        return path_from_line(line, known)
    return None


def parse_search_replace(text: str, known_paths: Sequence[str] = ()) -> list[SearchReplaceBlock]:
    """Every SEARCH/REPLACE block of ``text``, in order (see the module docstring for the format).

    ``known_paths`` helps recognise a file-name line that has no file extension. A block whose
    divider or REPLACE marker is missing (an answer cut off) is returned with ``complete=False``.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    n = len(lines)
    blocks: list[SearchReplaceBlock] = []
    last_path: str | None = None
    stop = -1
    i = 0
    while i < n:
        if not _SEARCH.match(lines[i]):
            i += 1
            continue
        path = _filename_before(lines, i, stop, known_paths) or last_path
        j = i + 1
        search: list[str] = []
        while j < n and not _DIVIDER.match(lines[j]) and not _SEARCH.match(lines[j]) and not _REPLACE.match(lines[j]):
            search.append(lines[j])
            j += 1
        replace: list[str] = []
        complete = False
        if j < n and _DIVIDER.match(lines[j]):
            j += 1
            while j < n and not _REPLACE.match(lines[j]) and not _SEARCH.match(lines[j]):
                replace.append(lines[j])
                j += 1
            complete = j < n and bool(_REPLACE.match(lines[j]))
        blocks.append(SearchReplaceBlock(len(blocks) + 1, path, tuple(search), tuple(replace), complete, i + 1))
        last_path = path
        # Line j ended the block (its REPLACE marker, or one cut short: a SEARCH or REPLACE marker,
        # or the end): the next block's file name is looked for below it, never on a marker.
        stop = j
        i = j + 1 if complete else j
    return blocks


# ------------------------------------------------------------------------------------------
# Applying
# ------------------------------------------------------------------------------------------


@attrs.define
class _File:
    lines: list[str]
    newline: str
    final: bool
    existed: bool
    original: str | None


def _trim_pair(search: Sequence[str], replace: Sequence[str]) -> tuple[list[str], list[str]] | None:
    """SEARCH without the blank lines at its ends, REPLACE without as many of its own; None when
    there is nothing to trim (or nothing would be left)."""
    s = list(search)
    r = list(replace)
    lead = 0
    while lead < len(s) and not s[lead].strip():
        lead += 1
    trail = 0
    while trail < len(s) - lead and not s[len(s) - 1 - trail].strip():
        trail += 1
    if (lead == 0 and trail == 0) or lead == len(s):
        return None
    s = s[lead : len(s) - trail]
    r_lead = 0
    while r_lead < min(lead, len(r)) and not r[r_lead].strip():
        r_lead += 1
    r = r[r_lead:]
    r_trail = 0
    while r_trail < min(trail, len(r)) and not r[len(r) - 1 - r_trail].strip():
        r_trail += 1
    r = r[: len(r) - r_trail]
    return s, r


@attrs.frozen
class _Located:
    level: Level
    starts: list[int]
    search: list[str]
    replace: list[str]


def _locate(view: Lines, search: Sequence[str], replace: Sequence[str]) -> _Located | None:
    variants = [(list(search), list(replace))]
    trimmed = _trim_pair(search, replace)
    if trimmed is not None:
        variants.append(trimmed)
    for level in LADDER:
        for s, r in variants:
            starts = find_at(view, s, level)
            if starts:
                return _Located(level, starts, s, r)
    return None


def _split_elision(lines: Sequence[str]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for line in lines:
        if _ELISION.match(line):
            parts.append([])
        else:
            parts[-1].append(line)
    return parts


@attrs.frozen
class _Outcome:
    lines: list[str] | None
    level: str | None = None
    fuzz: int = 0
    start: int | None = None
    error: str = ""


def _fenced(lines: Sequence[str]) -> str:
    return "```\n" + "\n".join(lines) + "\n```"


def _lines_list(starts: Sequence[int]) -> str:
    shown = ", ".join(str(s + 1) for s in starts[:6])
    return shown + (", ..." if len(starts) > 6 else "")


def _apply_elision(
    view: Lines, search: Sequence[str], replace: Sequence[str], name: str, reading: Reading = "auto"
) -> _Outcome | None:
    """Apply a block whose SEARCH and REPLACE skip lines with ``...``; None when it has no elision."""
    s_parts = _split_elision(search)
    r_parts = _split_elision(replace)
    if len(s_parts) < 2:
        return None
    if len(s_parts) != len(r_parts):
        return _Outcome(
            None,
            error=f"{name}: SEARCH skips lines with '...' {len(s_parts) - 1} time(s) but REPLACE "
            f"{len(r_parts) - 1} time(s); both must elide the same stretches.",
        )
    cursor = 0
    first = True
    worst = Level.EXACT
    edits: list[tuple[int, int, list[str]]] = []
    for k, (sp, rp) in enumerate(zip(s_parts, r_parts, strict=True), start=1):
        if not any(x.strip() for x in sp):
            if any(x.strip() for x in rp) and sp != rp:
                return _Outcome(
                    None,
                    error=f"{name}: piece {k} between '...' lines has REPLACE lines but no SEARCH lines "
                    "to place them by; quote the lines around the change.",
                )
            continue
        found = find(view, sp, lo=cursor)
        if found is None:
            hint = closest(view, sp, lo=cursor)
            msg = f"{name}: piece {k} between '...' lines did not match"
            if hint is not None:
                msg += f"; did you mean these lines ({hint.start + 1}-{hint.start + len(hint.lines)})?\n"
                msg += _fenced(hint.lines)
            return _Outcome(None, error=msg)
        level, starts = found
        if first and len(starts) > 1:
            return _Outcome(
                None,
                error=f"{name}: piece {k} between '...' lines matches {len(starts)} places "
                f"(lines {_lines_list(starts)}); quote more lines so it matches one place.",
            )
        first = False
        s = starts[0]
        window = view.lines[s : s + len(sp)]
        edits.append((s, len(sp), merge_replacement(window, sp, rp, level, reading)))
        worst = max(worst, level)
        cursor = s + len(sp)
    if not edits:
        return None
    out = list(view.lines)
    for s, length, new in reversed(edits):
        out[s : s + length] = new
    return _Outcome(out, level="elision", fuzz=ELISION_FUZZ + int(worst), start=edits[0][0])


def _not_found(
    view: Lines,
    search: Sequence[str],
    replace: Sequence[str],
    name: str,
    path: str,
    others: Mapping[str, str],
) -> str:
    msg = (
        f"{name}: the SEARCH text did not match any lines of {path}, even ignoring whitespace, "
        "indentation and Unicode punctuation."
    )
    hint = closest(view, search)
    if hint is not None:
        msg += (
            f"\nDid you mean these lines ({path}, lines {hint.start + 1}-{hint.start + len(hint.lines)})?\n"
            + _fenced(hint.lines)
        )
    if any(r.strip() for r in replace):
        trimmed = _trim_pair(replace, ()) or (list(replace), [])
        if find_at(view, trimmed[0], Level.TRAILING_WHITESPACE):
            msg += f"\nThe REPLACE text is already in {path}: this block may have been applied already."
    for other, text in others.items():
        if other != path and find(Lines(split_text(text)[0]), search, levels=(Level.EXACT, Level.TRAILING_WHITESPACE)):
            msg += f"\nThe SEARCH text does occur in {other}: is the file name right?"
            break
    return msg + "\nSEARCH must copy lines of the file exactly, comments and docstrings included."


def _apply_block(
    state: _File, block: SearchReplaceBlock, name: str, path: str, others: Mapping[str, str], reading: Reading
) -> _Outcome:
    view = Lines(state.lines)
    located = _locate(view, block.search, block.replace)
    if located is None:
        elided = _apply_elision(view, block.search, block.replace, name, reading)
        if elided is not None:
            return elided
        return _Outcome(None, error=_not_found(view, block.search, block.replace, name, path, others))
    if len(located.starts) > 1:
        return _Outcome(
            None,
            error=f"{name}: the SEARCH text matches {len(located.starts)} places in {path} "
            f"(lines {_lines_list(located.starts)}) at the {located.level.label} level; add surrounding "
            "lines to SEARCH so that it matches one place only.",
        )
    s = located.starts[0]
    n = len(located.search)
    window = view.lines[s : s + n]
    new = merge_replacement(window, located.search, located.replace, located.level, reading)
    out = view.lines[:s] + new + view.lines[s + n :]
    return _Outcome(out, level=located.level.label, fuzz=int(located.level), start=s)


def apply_search_replace(
    files: Mapping[str, str], edit: str, *, default_path: str | None = None, reading: Reading = "auto"
) -> EditResult:
    """Apply every SEARCH/REPLACE block of ``edit`` to ``files`` (path -> text), all or nothing.

    A block naming no file (and following no block that named one) goes to ``default_path``, or to
    the only file when ``files`` holds exactly one. File names are matched to ``files`` loosely
    (see :func:`codeflash_engine.text.paths.match_path`). CRLF files stay CRLF. ``reading`` says
    how REPLACE lines of a block matched loosely are indented (see
    :class:`~codeflash_engine.text.matching.Placement`).
    """
    known = list(files)
    blocks = parse_search_replace(edit, known)
    if not blocks:
        return EditResult(files={}, errors=("no SEARCH/REPLACE block found in the edit",), format="search_replace")
    if default_path is None and len(files) == 1:
        default_path = known[0]
    states: dict[str, _File] = {}
    reports: list[BlockReport] = []
    errors: list[str] = []
    fuzz = 0

    def fail(block: SearchReplaceBlock, path: str | None, action: str, message: str) -> None:
        reports.append(BlockReport(block.index, path, action, ok=False, message=message))
        errors.append(message)

    for block in blocks:
        name = f"block {block.index}"
        empty_search = not any(x.strip() for x in block.search)
        named = block.path if block.path is not None else default_path
        if named is None:
            fail(block, None, "update", f"{name}: it names no file; put the file's path on the line before the fence.")
            continue
        if named in files or named in states:
            path = named
        else:
            hit = match_path(named, known + [p for p in states if p not in files])
            path = hit if hit is not None else normalize_path(named)
        exists = path in files or (path in states and states[path].existed)
        name = f"block {block.index} ({path})"
        if not block.complete:
            fail(
                block,
                path,
                "update",
                f"{name}: it is incomplete, no '=======' or '>>>>>>> REPLACE' line follows (was the answer cut off?).",
            )
            continue
        if path not in states:
            if path in files:
                lines, newline, final = split_text(files[path])
                states[path] = _File(lines, newline, final, True, files[path])
            elif empty_search:
                states[path] = _File([], "\n", True, False, None)
            else:
                listing = ", ".join(known) or "none"
                fail(
                    block,
                    path,
                    "update",
                    f"{name}: no such file among the files given ({listing}); an empty SEARCH creates a new file.",
                )
                continue
        state = states[path]
        if empty_search and block.search and list(block.search) == state.lines:
            # A file of blank lines quoted whole: the only way to edit such a file.
            empty_search = False
        if empty_search:
            action = "append" if exists or state.lines else "create"
            line = len(state.lines) + 1
            state.lines = state.lines + list(block.replace)
            reports.append(BlockReport(block.index, path, action, ok=True, level="exact", fuzz=0, line=line))
            continue
        outcome = _apply_block(state, block, name, path, files, reading)
        if outcome.lines is None:
            fail(block, path, "update", outcome.error)
            continue
        state.lines = outcome.lines
        fuzz += outcome.fuzz
        start = None if outcome.start is None else outcome.start + 1
        reports.append(BlockReport(block.index, path, "update", True, outcome.level, outcome.fuzz, start))
    if errors:
        return EditResult(files={}, fuzz=fuzz, errors=tuple(errors), blocks=tuple(reports), format="search_replace")
    changed: dict[str, str] = {}
    for path, state in states.items():
        text = join_text(state.lines, state.newline, state.final)
        if text != state.original:
            changed[path] = text
    return EditResult(files=changed, fuzz=fuzz, blocks=tuple(reports), format="search_replace")


# ------------------------------------------------------------------------------------------
# Rendering
# ------------------------------------------------------------------------------------------


def _unique_exact(lines: list[str], search: list[str]) -> bool:
    return len(find_at(Lines(lines), search, Level.EXACT)) == 1


def _file_blocks(before: list[str], after: list[str]) -> list[tuple[list[str], list[str]]]:
    current = list(before)
    delta = 0
    out: list[tuple[list[str], list[str]]] = []
    sm = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        a, b = i1 + delta, i2 + delta
        while not (a < b and any(x.strip() for x in current[a:b]) and _unique_exact(current, current[a:b])):
            if b == len(current) and a == 0:
                break
            if b < len(current):
                b += 1
            if a > 0:
                a -= 1
        search = current[a:b]
        replace = current[a : i1 + delta] + after[j1:j2] + current[i2 + delta : b]
        out.append((search, replace))
        current[a:b] = replace
        delta += (j2 - j1) - (i2 - i1)
    return out


def render_search_replace(changes: Mapping[str, tuple[str | None, str]]) -> str:
    """SEARCH/REPLACE blocks that turn each ``before`` text into its ``after`` text.

    ``changes`` maps a path to ``(before, after)``; ``before`` None means a new file. Each block's
    SEARCH is made unique in the file as the previous blocks leave it, so
    ``apply_search_replace(befores, render_search_replace(changes))`` gives the afters. Texts are
    taken as LF; the final newline of ``before`` is kept. Raises ValueError when a line of the
    texts would read as a marker line.
    """
    out: list[str] = []
    for path, (before, after) in changes.items():
        old = split_text(before)[0] if before is not None else []
        new = split_text(after)[0]
        if any(_is_marker(x) for x in (*old, *new)):
            raise ValueError(f"{path}: a line of the text reads as a SEARCH/REPLACE marker")
        pairs = [([], new)] if before is None else _file_blocks(old, new)
        for search, replace in pairs:
            out.append(path)
            out.append("<<<<<<< SEARCH")
            out.extend(search)
            out.append("=======")
            out.extend(replace)
            out.append(">>>>>>> REPLACE")
            out.append("")
    return "\n".join(out)
