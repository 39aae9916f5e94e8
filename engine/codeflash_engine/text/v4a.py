"""V4A patches (OpenAI's ``apply_patch`` format): parsing, applying with fuzz, and rendering.

Grammar (every marker at the start of its line)::

    Patch   := "*** Begin Patch" NL { FileOp } "*** End Patch" NL?
    FileOp  := "*** Add File: " path NL { "+" line NL }
             | "*** Delete File: " path NL
             | "*** Update File: " path NL [ "*** Move to: " path NL ] { Hunk }
    Hunk    := [ ("@@" | "@@ " scope) NL ]... { (" " | "-" | "+") line NL } [ "*** End of File" NL ]

Paths are relative. Text before ``*** Begin Patch`` and after the last ``*** End Patch`` (prose,
a markdown fence, a ``<<'EOF'`` heredoc wrapper) is ignored; whitespace around those two markers
is tolerated; a line left completely empty inside a hunk is read as a blank context line.

Applying: each hunk's old lines (context and ``-`` lines) are searched forward from a cursor
(the end of the previous hunk in the same file) with the ladder of
:mod:`codeflash_engine.text.matching`; ``@@ scope`` lines (stacked ones in order) move the
cursor first, matched exactly (fuzz 0), stripped (1), as a prefix of a stripped line (10) or with
punctuation normalised (100). An ``*** End of File`` hunk is tried at the end of the file first,
else anywhere with fuzz +10000. A hunk without scope lines must match one place after the cursor
(several is an error: add context or an ``@@`` line); with scope lines the first match after the
scope is taken. Context lines keep the file's own text; ``+`` lines are re-indented when the
context was off the file by one uniform offset, and taken as written when it was off unevenly
(see :class:`~codeflash_engine.text.matching.Placement`). Fuzz is summed and reported.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Literal

import attrs

from codeflash_engine.text.matching import (
    KEYS,
    Level,
    Lines,
    Placement,
    Reading,
    closest,
    find,
    find_at,
    join_text,
    punctuation_key,
    split_text,
)
from codeflash_engine.text.paths import match_path, normalize_path
from codeflash_engine.text.report import BlockReport, EditResult

__all__ = [
    "END_OF_FILE_FUZZ",
    "FileOp",
    "Hunk",
    "PatchError",
    "apply_v4a",
    "begin_patch_at",
    "has_v4a",
    "parse_v4a",
    "render_v4a",
]

END_OF_FILE_FUZZ = 10_000
"""Fuzz added when an ``*** End of File`` hunk did not match at the end of the file."""

_BEGIN = "*** Begin Patch"
_END = "*** End Patch"
_BEGIN_ANYWHERE = re.compile(r"^\s*\*\*\* Begin Patch\s*$", re.MULTILINE)
_OP = re.compile(r"^\*\*\* (Add|Delete|Update) File:\s*(.*?)\s*$")
_MOVE = re.compile(r"^\*\*\* Move to:\s*(.*?)\s*$")
_EOF_MARK = re.compile(r"^\*\*\* End of File\s*$")
_UNIFIED_RANGES = re.compile(r"^-\d+(?:,\d+)?\s+\+\d+(?:,\d+)?\s*@@\s*")
_ABSOLUTE = re.compile(r"^(?:/|[A-Za-z]:[\\/]|\\\\)")


class PatchError(ValueError):
    """A V4A patch that does not follow the grammar; the message names the line."""


@attrs.frozen
class Hunk:
    """One hunk: its ``@@`` scope lines, its body as ``(kind, text)`` with kind ``" "``, ``"-"``
    or ``"+"``, whether it ends with ``*** End of File``, and its 1-based line in the patch."""

    scopes: tuple[str, ...]
    body: tuple[tuple[str, str], ...]
    end_of_file: bool = False
    line: int = 0

    @property
    def old(self) -> list[str]:
        """The lines the hunk expects in the file: context and deleted lines."""
        return [t for k, t in self.body if k != "+"]


@attrs.frozen
class FileOp:
    """One file operation of a patch."""

    kind: Literal["add", "delete", "update"]
    path: str
    move_to: str | None = None
    content: tuple[str, ...] = ()
    hunks: tuple[Hunk, ...] = ()
    line: int = 0


def has_v4a(text: str) -> bool:
    """True when ``text`` holds a ``*** Begin Patch`` line."""
    return _BEGIN_ANYWHERE.search(text) is not None


def begin_patch_at(text: str) -> int:
    """The offset of the first ``*** Begin Patch`` line in ``text``, or -1."""
    if "*** Begin Patch" not in text:
        return -1
    m = _BEGIN_ANYWHERE.search(text)
    return -1 if m is None else m.start()


def _check_path(path: str, line: int) -> str:
    if not path:
        raise PatchError(f"patch line {line}: the file path is missing")
    if _ABSOLUTE.match(path):
        raise PatchError(f"patch line {line}: {path!r} is absolute; V4A paths are relative to the project root")
    return normalize_path(path)


def _scope_text(raw: str) -> str:
    scope = raw[2:].strip()
    scope = _UNIFIED_RANGES.sub("", scope)
    return scope.removesuffix("@@").strip()


def _parse_hunks(lines: Sequence[str], i: int, end: int) -> tuple[list[Hunk], int]:
    """The hunks of an Update op starting at line ``i``; returns them and the first line after."""
    hunks: list[Hunk] = []
    scopes: list[str] = []
    body: list[tuple[str, str, bool]] = []  # (kind, text, was a bare empty line)
    hunk_line = i + 1

    def close(eof: bool = False) -> None:
        while body and body[-1][2]:
            body.pop()
        if scopes or body or eof:
            hunks.append(Hunk(tuple(scopes), tuple((k, t) for k, t, _ in body), eof, hunk_line))
        scopes.clear()
        body.clear()

    while i < end:
        line = lines[i]
        if line.startswith("@@"):
            if body or not scopes:
                close()
                hunk_line = i + 1
            scope = _scope_text(line)
            if scope:
                scopes.append(scope)
        elif _EOF_MARK.match(line):
            close(eof=True)
            hunk_line = i + 2
        elif line.startswith("***"):
            break
        elif line[:1] in (" ", "-", "+"):
            body.append((line[0], line[1:], False))
        elif line == "":
            body.append((" ", "", True))
        else:
            raise PatchError(
                f"patch line {i + 1}: a hunk line must start with ' ', '-', '+' or '@@', got {line[:80]!r}"
            )
        i += 1
    close()
    return hunks, i


def parse_v4a(text: str) -> list[FileOp]:
    """The file operations of a V4A patch, in order. Raises :class:`PatchError` naming the line."""
    lines = text.replace("\r\n", "\n").split("\n")
    begin = next((k for k, line in enumerate(lines) if line.strip() == _BEGIN), None)
    if begin is None:
        raise PatchError("the patch has no '*** Begin Patch' line")
    end = next((k for k in range(len(lines) - 1, begin, -1) if lines[k].strip() == _END), None)
    if end is None:
        raise PatchError("the patch has no '*** End Patch' line (was it cut off?)")
    ops: list[FileOp] = []
    i = begin + 1

    def number(k: int) -> int:
        return k + 1

    while i < end:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        m = _OP.match(line)
        if m is None:
            raise PatchError(
                f"patch line {number(i)}: expected '*** Add File:', '*** Delete File:' or '*** Update File:', "
                f"got {line[:80]!r}"
            )
        kind, raw_path = m.group(1), m.group(2)
        path = _check_path(raw_path, number(i))
        op_line = number(i)
        i += 1
        if kind == "Delete":
            ops.append(FileOp("delete", path, line=op_line))
            continue
        if kind == "Add":
            content: list[tuple[str, bool]] = []
            while i < end and not lines[i].startswith("***"):
                body_line = lines[i]
                if body_line.startswith("+"):
                    content.append((body_line[1:], False))
                elif not body_line.strip():
                    content.append(("", True))
                else:
                    raise PatchError(
                        f"patch line {number(i)}: in '*** Add File: {path}' every line must start with '+', "
                        f"got {body_line[:80]!r}"
                    )
                i += 1
            while content and content[-1][1]:
                content.pop()
            ops.append(FileOp("add", path, content=tuple(t for t, _ in content), line=op_line))
            continue
        move_to: str | None = None
        if i < end and (mv := _MOVE.match(lines[i])) is not None:
            move_to = _check_path(mv.group(1), number(i))
            i += 1
        hunks, i = _parse_hunks(lines, i, end)
        ops.append(FileOp("update", path, move_to=move_to, hunks=tuple(hunks), line=op_line))
    return ops


# ------------------------------------------------------------------------------------------
# Applying
# ------------------------------------------------------------------------------------------


def _find_scope(view: Lines, scope: str, lo: int) -> tuple[int, int] | None:
    """(line index, fuzz) of the first line at or after ``lo`` that the scope line names."""
    lines = view.lines
    try:
        return lines.index(scope, lo), 0
    except ValueError:
        pass
    stripped = view.keys(Level.WHITESPACE)
    want = scope.strip()
    try:
        return stripped.index(want, lo), 1
    except ValueError:
        pass
    for k in range(lo, len(stripped)):
        if stripped[k].startswith(want):
            return k, 10
    punct = view.keys(Level.PUNCTUATION)
    want_p = punctuation_key(want)
    for k in range(lo, len(punct)):
        if punct[k].startswith(want_p):
            return k, 100
    return None


@attrs.frozen
class _HunkOutcome:
    start: int
    length: int
    lines: list[str]
    level: str
    fuzz: int


def _fenced(lines: Sequence[str]) -> str:
    return "```\n" + "\n".join(lines) + "\n```"


def _place_body(
    window: Sequence[str], old: Sequence[str], body: Sequence[tuple[str, str]], level: Level, reading: Reading
) -> list[str]:
    """The new lines of a hunk matched loosely at ``window``: context lines are the file's, and
    ``+`` lines are placed by :class:`~codeflash_engine.text.matching.Placement`; a ``+`` line
    written in place of a ``-`` line of the same run (the same content, or changed line for line)
    is evidence of the frame it was written in."""
    key = KEYS[level]
    items: list[tuple[str, int, str]] = []  # (kind, old index or -1, text)
    oi = 0
    for kind, text in body:
        if kind == "+":
            items.append(("+", -1, text))
        else:
            items.append((kind, oi, text))
            oi += 1
    placed: dict[int, tuple[str, int, int]] = {}  # body position -> ("kept", i, i) or ("changed", i1, i2)
    evidence: list[tuple[int, str]] = []
    oi = 0
    pos = 0
    while pos < len(items):
        if items[pos][0] == " ":
            oi += 1
            pos += 1
            continue
        minus: list[int] = []
        plus: list[int] = []
        while pos < len(items) and items[pos][0] != " ":
            if items[pos][0] == "-":
                minus.append(items[pos][1])
                oi += 1
            else:
                plus.append(pos)
            pos += 1
        sm = difflib.SequenceMatcher(
            None, [key(old[i]) for i in minus], [key(items[p][2]) for p in plus], autojunk=False
        )
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            for k in range(j2 - j1):
                p = plus[j1 + k]
                if tag == "equal":
                    placed[p] = ("kept", minus[i1 + k], minus[i1 + k] + 1)
                    evidence.append((minus[i1 + k], items[p][2]))
                elif tag == "replace" and i2 - i1 == j2 - j1:  # line for line
                    placed[p] = ("changed", minus[i1 + k], minus[i1 + k] + 1)
                    evidence.append((minus[i1 + k], items[p][2]))
                elif i2 > i1:
                    placed[p] = ("changed", minus[i1], minus[i2 - 1] + 1)
                else:  # inserted: placed by the lines around the insertion point
                    at = minus[i1] if i1 < len(minus) else oi
                    placed[p] = ("changed", at, at)
    place = Placement(window, old, evidence, reading)
    out: list[str] = []
    oi = 0
    for p, (kind, _, text) in enumerate(items):
        if kind == " ":
            out.append(window[oi])
            oi += 1
        elif kind == "-":
            oi += 1
        else:
            how, i1, i2 = placed[p]
            out.append(place.kept(text, i1) if how == "kept" else place.changed(text, i1, i2))
    return out


def _apply_hunk(
    view: Lines, hunk: Hunk, cursor: int, name: str, path: str, reading: Reading = "auto"
) -> _HunkOutcome | str:
    fuzz = 0
    lo = cursor
    scoped = False
    for scope in hunk.scopes:
        hit = _find_scope(view, scope, lo if not scoped else lo + 1)
        if hit is None:
            return f"{name}: the scope line '@@ {scope}' was not found in {path} after line {lo}."
        lo, f = hit
        fuzz += f
        scoped = True
    old = hunk.old
    n = len(view)
    if not old:
        at = n if hunk.end_of_file else (lo + 1 if scoped else lo)
        new = [t for _, t in hunk.body]
        return _HunkOutcome(at, 0, new, "exact", fuzz)
    level: Level | None = None
    start = -1
    if hunk.end_of_file and n - len(old) >= lo:
        for lv in Level:
            if find_at(view, old, lv, lo=n - len(old)):
                level, start = lv, n - len(old)
                break
        if level is None:
            fuzz += END_OF_FILE_FUZZ
    if level is None:
        found = find(view, old, lo=lo)
        if found is None:
            earlier = find(view, old, lo=0, hi=lo + len(old) - 1) if lo > 0 else None
            if earlier is not None:
                return (
                    f"{name}: its lines occur at line {earlier[1][0] + 1} of {path}, before the previous hunk or "
                    f"scope (line {lo}); hunks must come in file order and must not overlap."
                )
            msg = (
                f"{name}: its context and '-' lines did not match {path} after line {lo}, even ignoring "
                "whitespace, indentation and Unicode punctuation."
            )
            hint = closest(view, old, lo=lo)
            if hint is not None:
                msg += (
                    f"\nDid you mean these lines ({path}, lines {hint.start + 1}-{hint.start + len(hint.lines)})?\n"
                    + _fenced(hint.lines)
                )
            return msg + "\nContext and '-' lines must copy the file exactly."
        level, starts = found
        if len(starts) > 1 and not scoped:
            shown = ", ".join(str(s + 1) for s in starts[:6])
            return (
                f"{name}: its context matches {len(starts)} places in {path} (lines {shown}) at the "
                f"{level.label} level; add context lines or an '@@ <class or def line>' scope line."
            )
        start = starts[0]
    window = view.lines[start : start + len(old)]
    if level is Level.EXACT:
        new_lines = [t for k, t in hunk.body if k != "-"]
    else:
        new_lines = _place_body(window, old, hunk.body, level, reading)
    return _HunkOutcome(start, len(old), new_lines, level.label, fuzz + int(level))


def apply_v4a(files: Mapping[str, str], edit: str, *, reading: Reading = "auto") -> EditResult:
    """Apply a V4A patch to ``files`` (path -> text), all or nothing.

    Every file operation, and every hunk of an update, is reported as one block, numbered from 1
    in patch order. ``Update`` and ``Delete`` paths are matched to ``files`` loosely (see
    :func:`codeflash_engine.text.paths.match_path`); ``Add`` of an existing file, ``Update`` or
    ``Delete`` of a missing one, and ``Move to`` onto an existing file are errors. CRLF files stay
    CRLF; an added file uses LF and ends with a newline. ``reading`` says how ``+`` lines of a
    hunk matched loosely are indented (see :class:`~codeflash_engine.text.matching.Placement`).
    """
    try:
        ops = parse_v4a(edit)
    except PatchError as e:
        return EditResult(files={}, errors=(str(e),), format="v4a")
    if not ops:
        return EditResult(files={}, errors=("the patch holds no file operation",), format="v4a")
    state: dict[str, str | None] = dict(files)
    reports: list[BlockReport] = []
    errors: list[str] = []
    fuzz = 0
    index = 0

    def live() -> list[str]:
        return [p for p, t in state.items() if t is not None]

    def resolve(path: str) -> str | None:
        if state.get(path) is not None:
            return path
        return match_path(path, live())

    def fail(path: str | None, action: str, message: str) -> None:
        nonlocal index
        index += 1
        reports.append(BlockReport(index, path, action, ok=False, message=message))
        errors.append(message)

    for op in ops:
        if op.kind == "add":
            if state.get(op.path) is not None:
                fail(
                    op.path,
                    "add",
                    f"block {index + 1} (Add File {op.path}): the file already exists; "
                    "use '*** Update File:' to change it.",
                )
                continue
            state[op.path] = join_text(op.content, "\n", True)
            index += 1
            reports.append(BlockReport(index, op.path, "add", True))
            continue
        target = resolve(op.path)
        if op.kind == "delete":
            if target is None:
                fail(op.path, "delete", f"block {index + 1} (Delete File {op.path}): no such file.")
                continue
            state[target] = None
            index += 1
            reports.append(BlockReport(index, target, "delete", True))
            continue
        if target is None:
            for _ in op.hunks or (None,):
                fail(op.path, "update", f"block {index + 1} (Update File {op.path}): no such file.")
            continue
        text = state[target]
        assert text is not None
        lines, newline, final = split_text(text)
        view = Lines(lines)
        cursor = 0
        edits: list[_HunkOutcome] = []
        failed = False
        for h, hunk in enumerate(op.hunks, start=1):
            name = f"block {index + 1} ({target}, hunk {h})"
            outcome = _apply_hunk(view, hunk, cursor, name, target, reading)
            if isinstance(outcome, str):
                fail(target, "update", outcome)
                failed = True
                continue
            index += 1
            fuzz += outcome.fuzz
            edits.append(outcome)
            reports.append(BlockReport(index, target, "update", True, outcome.level, outcome.fuzz, outcome.start + 1))
            cursor = outcome.start + outcome.length
        if failed:
            continue
        out = list(lines)
        for ed in reversed(edits):
            out[ed.start : ed.start + ed.length] = ed.lines
        new_text = join_text(out, newline, final)
        if op.move_to is not None and op.move_to != target:
            if state.get(op.move_to) is not None:
                fail(op.move_to, "move", f"block {index + 1} (Move to {op.move_to}): the file already exists.")
                continue
            state[target] = None
            state[op.move_to] = new_text
            index += 1
            reports.append(BlockReport(index, op.move_to, "move", True))
        else:
            state[target] = new_text
            if not op.hunks:
                index += 1
                reports.append(BlockReport(index, target, "update", True))
    if errors:
        return EditResult(files={}, fuzz=fuzz, errors=tuple(errors), blocks=tuple(reports), format="v4a")
    changed = {p: t for p, t in state.items() if t is not None and files.get(p) != t}
    deleted = tuple(p for p, t in state.items() if t is None and p in files)
    return EditResult(files=changed, fuzz=fuzz, deleted=deleted, blocks=tuple(reports), format="v4a")


# ------------------------------------------------------------------------------------------
# Rendering
# ------------------------------------------------------------------------------------------


def _count_from(lines: Lines, seq: list[str], lo: int) -> int:
    return len(find_at(lines, seq, Level.EXACT, lo=lo))


def _hunks(old: list[str], new: list[str]) -> list[str]:
    """Hunk lines turning ``old`` into ``new``, each hunk's old lines unique after the previous hunk."""
    view = Lines(old)
    n = len(old)
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    clusters = [k for k, op in enumerate(opcodes) if op[0] != "equal"]
    spans: list[tuple[int, int, list[int]]] = []  # (a, b, opcode indices of absorbed clusters)
    c = 0
    while c < len(clusters):
        first = opcodes[clusters[c]]
        cursor = spans[-1][1] if spans else 0
        a = max(cursor, first[1] - 3)
        b = min(n, first[2] + 3)
        absorbed = [clusters[c]]
        c += 1
        while True:
            while c < len(clusters) and opcodes[clusters[c]][1] <= b:
                absorbed.append(clusters[c])
                b = max(b, opcodes[clusters[c]][2])
                c += 1
            if a < b and _count_from(view, old[a:b], cursor) == 1:
                break
            grew = False
            if b < n:
                b += 1
                grew = True
            if a > cursor:
                a -= 1
                grew = True
            if not grew:
                # the span is the rest of the file from the cursor: unique from there (above)
                # unless empty, which only an empty file gives (a span that reaches the end of
                # the file has absorbed every later cluster, so none starts at the end)
                break
        spans.append((a, b, absorbed))
    out: list[str] = []
    for a, b, absorbed in spans:
        out.append("@@")
        chosen = set(absorbed)
        for k, (tag, i1, i2, j1, j2) in enumerate(opcodes):
            if tag == "equal":
                lo, hi = max(i1, a), min(i2, b)
                out.extend(" " + x for x in old[lo:hi])
            elif k in chosen:
                out.extend("-" + x for x in old[i1:i2])
                out.extend("+" + x for x in new[j1:j2])
        if b == n and n > 0:
            out.append("*** End of File")
    return out


def render_v4a(changes: Mapping[str, tuple[str | None, str | None]]) -> str:
    """A V4A patch turning each ``before`` text into its ``after`` text.

    ``changes`` maps a path to ``(before, after)``: ``before`` None adds the file, ``after`` None
    deletes it. Hunks carry three lines of context, widened until each is unique after the
    previous one, so ``apply_v4a(befores, render_v4a(changes))`` gives the afters back. Texts are
    taken as LF; the final newline of ``before`` is kept.
    """
    out = [_BEGIN]
    for path, (before, after) in changes.items():
        if before is None:
            out.append(f"*** Add File: {path}")
            out.extend("+" + x for x in split_text(after or "")[0])
        elif after is None:
            out.append(f"*** Delete File: {path}")
        else:
            old, new = split_text(before)[0], split_text(after)[0]
            if old == new:
                continue
            out.append(f"*** Update File: {path}")
            out.extend(_hunks(old, new))
    out.append(_END)
    return "\n".join(out) + "\n"
