"""Review suggestions: whether a change to a pull request's files fits GitHub's suggested changes.

A suggestion replaces a range of lines of the pull request's head version, and GitHub only takes
comments on lines that are part of the pull request's diff (inside one of its hunks, on the new
side). :func:`plan_suggestions` turns each changed region of ``old -> new`` into a suggestion and
answers None when any region falls outside the pull request's hunks: the change then goes into a
dependent pull request instead.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

import attrs

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
#: a line as git and GitHub count them: ended by ``\n`` only (``str.splitlines`` also breaks at a
#: form feed, ``\r``, ``\x1c``-``\x1e``, ``\x85``, ``\u2028`` and ``\u2029``, which would shift
#: every line number after one)
_GIT_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


@attrs.frozen
class Suggestion:
    """Replace lines ``start``..``end`` (1-based, inclusive) of ``path`` with ``replacement``."""

    path: str
    start: int
    end: int
    replacement: str

    def comment_body(self) -> str:
        """The review comment: a ``suggestion`` block GitHub can apply with one click."""
        text = self.replacement
        longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
        marks = "`" * max(3, longest + 1)
        inner = text if not text or text.endswith("\n") else text + "\n"
        return f"{marks}suggestion\n{inner}{marks}"


def right_side_ranges(patch: str) -> list[tuple[int, int]]:
    """The new-side line ranges (1-based, inclusive) of a unified diff's hunks."""
    ranges = []
    for match in _HUNK.finditer(patch):
        start = int(match[1])
        count = int(match[2]) if match[2] is not None else 1
        if count > 0:
            ranges.append((start, start + count - 1))
    return ranges


def changed_regions(old: str, new: str) -> list[Suggestion]:
    """Each changed region of ``old -> new`` as a replacement of whole lines of ``old``.

    An insertion is anchored on the line before it (or after it, at the top of the file), since
    a suggestion must replace at least one existing line.
    """
    old_lines = _GIT_LINE.findall(old)
    new_lines = _GIT_LINE.findall(new)
    out = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2:  # pure insertion: take a neighbouring line along
            if i1 > 0:
                i1, j1 = i1 - 1, j1 - 1
            elif i2 < len(old_lines):
                i2, j2 = i2 + 1, j2 + 1
            else:  # the old file is empty: nothing to anchor on
                return [Suggestion("", 0, 0, "".join(new_lines))]
        out.append(Suggestion("", i1 + 1, i2, "".join(new_lines[j1:j2])))
    return out


def plan_suggestions(changes: Mapping[str, tuple[str, str]], patches: Mapping[str, str]) -> list[Suggestion] | None:
    """Suggestions for every changed file, or None when some change cannot be a suggestion.

    ``changes``: path -> (old, new) contents; ``patches``: path -> the pull request's diff of
    that file (GitHub's ``patch`` field). A file not in the pull request, a region outside its
    hunks or spanning two of them, or an empty old file: None.
    """
    planned: list[Suggestion] = []
    for path, (old, new) in changes.items():
        if old == new:
            continue
        patch = patches.get(path)
        if patch is None:
            return None
        ranges = right_side_ranges(patch)
        for region in changed_regions(old, new):
            if region.start == 0 or not any(lo <= region.start and region.end <= hi for lo, hi in ranges):
                return None
            planned.append(attrs.evolve(region, path=path))
    return planned
