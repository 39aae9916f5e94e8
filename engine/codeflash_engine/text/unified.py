"""Unified diffs (``diff -u``, ``git diff``, aider's udiff) read as V4A patches.

A unified diff's hunks are V4A hunks already: lines of context (`` ``), removals (``-``) and
additions (``+``) under an ``@@`` line. Its ``-a,b +c,d`` ranges and the section heading after
them are dropped (the heading names the definition enclosing the lines *before* the hunk, not a
line to look for), so each hunk must match one place after the previous one. So a unified diff is
translated file by file (``--- a/path`` / ``+++ b/path`` pairs; ``/dev/null`` on one side adds or
deletes the file) and applied by :mod:`codeflash_engine.text.v4a`, with its fuzzy matching. Line
numbers are not trusted: models get them wrong more often than not.

Anything around the diff (prose, a ```` ```diff ```` fence, ``diff --git`` and ``index`` lines)
is skipped; ``\\ No newline at end of file`` markers are dropped.
"""

from __future__ import annotations

import re

__all__ = ["is_header", "to_v4a", "unified_diff_at"]

_OLD = re.compile(r"^--- (\S.*)$")
_NEW = re.compile(r"^\+\+\+ (\S.*)$")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")
_HEADER = re.compile(r"^--- \S.*\n\+\+\+ \S.*\n(?:.*\n)*?@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@", re.MULTILINE)
_NULL = "/dev/null"


def unified_diff_at(text: str) -> int:
    """Offset of the first ``--- `` / ``+++ `` header followed by a hunk, or -1."""
    if "\n+++ " not in text:  # a header's second line follows its first
        return -1
    match = _HEADER.search(text.replace("\r\n", "\n"))
    return match.start() if match else -1


def _path(raw: str) -> str | None:
    """The path of a header line: timestamps after a tab, quotes and ``a/``/``b/`` removed."""
    path = raw.split("\t")[0].strip().strip('"')
    if path == _NULL:
        return None
    for prefix in ("a/", "b/"):
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


def is_header(lines: list[str], i: int) -> bool:
    """Line ``i`` and the next are a file header (``--- old`` then ``+++ new``)."""
    return _OLD.match(lines[i]) is not None and i + 1 < len(lines) and _NEW.match(lines[i + 1]) is not None


def to_v4a(text: str) -> str:
    """The V4A patch that makes the same changes as the unified diff ``text``."""
    lines = text.replace("\r\n", "\n").split("\n")
    out = ["*** Begin Patch"]
    i = 0
    while i < len(lines):
        if not is_header(lines, i):
            i += 1
            continue
        old, new = _path(lines[i][4:]), _path(lines[i + 1][4:])
        i += 2
        body: list[str] = []
        while i < len(lines) and not is_header(lines, i):
            line = lines[i]
            if line.startswith("\\"):  # "\ No newline at end of file"
                i += 1
                continue
            if not (_HUNK.match(line) or line[:1] in (" ", "-", "+") or (line == "" and body)):
                break  # the diff ended (a closing fence, prose)
            # the text after a hunk's ranges names the enclosing definition *before* the hunk
            # (git's section heading), not a line to look for after it: dropped
            body.append("@@" if _HUNK.match(line) else line)
            i += 1
        if old is None and new is not None:
            out.append(f"*** Add File: {new}")
            out.extend(line for line in body if line.startswith("+"))
        elif new is None and old is not None:
            out.append(f"*** Delete File: {old}")
        elif old is not None and new is not None:
            out.append(f"*** Update File: {old}")
            if new != old:
                out.append(f"*** Move to: {new}")
            out.extend(body)
    out.append("*** End Patch")
    return "\n".join(out) + "\n"
