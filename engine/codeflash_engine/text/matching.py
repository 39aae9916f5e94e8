"""The fuzzy line matcher shared by the SEARCH/REPLACE and V4A edit formats.

An edit quotes lines of a file (SEARCH text, V4A context) that the LLM copied more or less
faithfully. :func:`find` looks for them level by level, stopping at the first level that matches
anywhere, so that a faithful copy is never out-voted by a looser reading:

=========================  ====  =============================================================
level                      fuzz  lines compare equal when ...
=========================  ====  =============================================================
``EXACT``                     0  they are identical
``TRAILING_WHITESPACE``       1  they are identical once trailing whitespace is removed
``INDENTATION``              10  they are identical once the block's common indentation is
                                 removed on both sides (the replacement is re-indented)
``WHITESPACE``              100  they are identical once stripped of surrounding whitespace
``PUNCTUATION``            1000  they are identical once stripped, with Unicode dashes, quotes
                                 and odd spaces made ASCII and runs of whitespace made one space
=========================  ====  =============================================================

Fuzz follows the reference V4A appliers (exact 0, rstrip 1, strip 100) and is summed over an
edit's blocks: a quality signal to log. Matching is line by line (a quoted blank line matches a
blank line) and fast on large files: candidates come from the positions of one anchor line
(found with ``list.index`` over cached per-level keys), then the whole window is compared as a
list slice; nothing quadratic runs over the file. Lines handled here never hold their newline;
:func:`split_text` and :func:`join_text` convert, keeping CRLF files CRLF.
"""

from __future__ import annotations

import difflib
import enum
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

import attrs

__all__ = [
    "KEYS",
    "LADDER",
    "READINGS",
    "Level",
    "Lines",
    "Placement",
    "Reading",
    "Shift",
    "Suggestion",
    "closest",
    "find",
    "find_at",
    "join_text",
    "merge_replacement",
    "normalize_punctuation",
    "punctuation_key",
    "shift_near",
    "split_text",
    "uniform_shift",
]


class Level(enum.IntEnum):
    """How loosely a quoted block matched; the value is its fuzz."""

    EXACT = 0
    TRAILING_WHITESPACE = 1
    INDENTATION = 10
    WHITESPACE = 100
    PUNCTUATION = 1000

    @property
    def label(self) -> str:
        """A short human name for reports: ``exact``, ``trailing whitespace``, ..."""
        return _LABELS[self]


_LABELS = {
    Level.EXACT: "exact",
    Level.TRAILING_WHITESPACE: "trailing whitespace",
    Level.INDENTATION: "indentation",
    Level.WHITESPACE: "surrounding whitespace",
    Level.PUNCTUATION: "unicode punctuation",
}

LADDER: tuple[Level, ...] = tuple(Level)

# Dashes, quotes and spaces LLMs (and word processors) substitute for their ASCII forms.
_PUNCT_MAP: dict[int, str] = {}
for _c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d":
    _PUNCT_MAP[ord(_c)] = "-"
for _c in "\u2018\u2019\u201a\u201b\u2032\u2035\u00b4\uff07":
    _PUNCT_MAP[ord(_c)] = "'"
for _c in "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\uff02":
    _PUNCT_MAP[ord(_c)] = '"'
for _c in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000":
    _PUNCT_MAP[ord(_c)] = " "
for _c in "\u200b\u200c\u200d\u2060\ufeff":
    _PUNCT_MAP[ord(_c)] = ""
_PUNCT_MAP[ord("\u2026")] = "..."
del _c


def normalize_punctuation(text: str) -> str:
    """Replace Unicode dashes, curly quotes, ellipses and non-breaking or odd spaces with ASCII,
    and drop zero-width characters."""
    return text.translate(_PUNCT_MAP)


def punctuation_key(line: str) -> str:
    """A line as compared at the PUNCTUATION level: ASCII punctuation, single spaces, stripped."""
    if line.isascii():
        return " ".join(line.split())
    return " ".join(line.translate(_PUNCT_MAP).split())


def _exact_key(line: str) -> str:
    return line


def _rstrip_key(line: str) -> str:
    return line.rstrip()


def _strip_key(line: str) -> str:
    return line.strip()


KEYS: dict[Level, Callable[[str], str]] = {  # how a line compares at each level
    Level.EXACT: _exact_key,
    Level.TRAILING_WHITESPACE: _rstrip_key,
    Level.INDENTATION: _strip_key,
    Level.WHITESPACE: _strip_key,
    Level.PUNCTUATION: punctuation_key,
}


class Lines:
    """A file's lines (without newlines) with comparison keys computed once per level, on demand."""

    __slots__ = ("_keys", "lines")

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines: list[str] = list(lines)
        self._keys: dict[Callable[[str], str], list[str]] = {_exact_key: self.lines}

    def __len__(self) -> int:
        return len(self.lines)

    def keys(self, level: Level) -> list[str]:
        """The lines as compared at ``level`` (shared between levels with the same key)."""
        fn = KEYS[level]
        keys = self._keys.get(fn)
        if keys is None:
            if fn is _rstrip_key:
                keys = list(map(str.rstrip, self.lines))
            elif fn is _strip_key:
                keys = list(map(str.strip, self.lines))
            else:
                keys = [fn(line) for line in self.lines]
            self._keys[fn] = keys
        return keys


# ------------------------------------------------------------------------------------------
# Text <-> lines
# ------------------------------------------------------------------------------------------


def split_text(text: str) -> tuple[list[str], str, bool]:
    """(lines, newline, ends_with_newline) of a file.

    ``newline`` is ``"\\r\\n"`` when every line break of the file is CRLF, else ``"\\n"`` (a file
    mixing both keeps its ``\\r`` characters inside the lines, untouched). The empty text has no
    lines.
    """
    crlf = "\r\n" in text and text.count("\n") == text.count("\r\n")
    lf = text.replace("\r\n", "\n") if crlf else text
    lines = lf.split("\n")
    final = lines[-1] == ""
    if final:
        lines.pop()
    return lines, "\r\n" if crlf else "\n", final


def join_text(lines: Sequence[str], newline: str = "\n", final_newline: bool = True) -> str:
    """The inverse of :func:`split_text`: no lines give the empty text."""
    if not lines:
        return ""
    text = "\n".join(lines) + ("\n" if final_newline else "")
    return text.replace("\n", newline) if newline != "\n" else text


# ------------------------------------------------------------------------------------------
# Finding
# ------------------------------------------------------------------------------------------


def _outdent(lines: Sequence[str]) -> tuple[str, list[str]]:
    """(common indentation of the non-blank lines, the lines without it and right-stripped)."""
    indents = [line[: len(line) - len(line.lstrip())] for line in lines if line.strip()]
    prefix = indents[0] if indents else ""
    for ind in indents[1:]:
        k = 0
        while k < len(prefix) and k < len(ind) and prefix[k] == ind[k]:
            k += 1
        prefix = prefix[:k]
    n = len(prefix)
    return prefix, [line[n:].rstrip() if line.strip() else "" for line in lines]


def find_at(view: Lines, search: Sequence[str], level: Level, lo: int = 0, hi: int | None = None) -> list[int]:
    """Every start index in ``[lo, hi)`` where ``search`` matches ``view`` at ``level`` exactly
    (the whole of ``search`` must fit before ``hi``). An empty ``search`` matches nowhere."""
    n = len(search)
    hi = len(view) if hi is None else min(hi, len(view))
    if n == 0 or n > hi - lo:
        return []
    fn = KEYS[level]
    fkeys = view.keys(level)
    skeys = [fn(line) for line in search]
    anchor = next((j for j, k in enumerate(skeys) if k), 0)
    target = skeys[anchor]
    outdented: list[str] | None = None
    if level is Level.INDENTATION:
        outdented = _outdent(search)[1]
    starts: list[int] = []
    pos = lo + anchor
    last = hi - n + anchor
    while pos <= last:
        try:
            k = fkeys.index(target, pos, last + 1)
        except ValueError:
            break
        s = k - anchor
        if fkeys[s : s + n] == skeys and (outdented is None or _outdent(view.lines[s : s + n])[1] == outdented):
            starts.append(s)
        pos = k + 1
    return starts


def find(
    view: Lines, search: Sequence[str], lo: int = 0, hi: int | None = None, levels: Iterable[Level] = LADDER
) -> tuple[Level, list[int]] | None:
    """The first level of the ladder at which ``search`` matches, with all its start indices."""
    for level in levels:
        starts = find_at(view, search, level, lo, hi)
        if starts:
            return level, starts
    return None


# ------------------------------------------------------------------------------------------
# Writing the replacement
# ------------------------------------------------------------------------------------------


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


@attrs.frozen
class Shift:
    """Re-indentation of replacement lines: the edit's indentation ``old`` becomes the file's ``new``."""

    old: str = ""
    new: str = ""

    def apply(self, line: str) -> str:
        """Re-indent one line; blank lines and identity shifts leave it as is."""
        if self.old == self.new or not line.strip():
            return line
        indent = _indent_of(line)
        chars = set(self.old + self.new + indent)
        if len(chars) <= 1:
            width = max(0, len(indent) - len(self.old) + len(self.new))
            return (chars.pop() if chars else " ") * width + line[len(indent) :]
        if line.startswith(self.old):
            return self.new + line[len(self.old) :]
        return line


Reading = Literal["auto", "shifted", "as_written"]
"""How the replacement lines of a block matched loosely are indented: ``"shifted"`` re-indents them
from the quoted lines' indentation to the file's, ``"as_written"`` keeps the model's, ``"auto"``
chooses (see :class:`Placement`)."""

READINGS: tuple[Reading, ...] = ("shifted", "as_written")
"""The explicit readings, tried in turn when the automatic one gives a file that does not parse."""


def uniform_shift(window: Sequence[str], search: Sequence[str]) -> Shift | None:
    """The one shift that turns every non-blank quoted line's indentation into its file line's
    (the identity when they agree), or None when the quoted lines are off unevenly."""
    shift = Shift(_outdent(search)[0], _outdent(window)[0])
    for s, w in zip(search, window, strict=False):
        if s.strip() and _indent_of(shift.apply(s)) != _indent_of(w):
            return None
    return shift


class Placement:
    """Where the replacement lines of one loosely matched block go, indentation-wise.

    ``window`` is the file's lines that the quoted lines ``search`` matched, line for line;
    ``evidence`` pairs a quoted line's index with the replacement line the model kept in its
    place (the same content). The rule, after aider's:

    - quote off the file by one uniform offset: the replacement is re-indented by that offset
      (the model wrote it in the frame of its quote), unless the lines it kept (same content)
      carry the file's indentation more often than the quote's: then it was written where it
      belongs, and is taken as written;
    - quote off unevenly (a docstring column quoted one space left, object properties quoted two
      spaces deep): the replacement is taken as written. A model that wrote it in the frame of
      its uneven quote gets its lines moved by the offset of the quoted line each replaces only
      through ``reading="shifted"``, which a caller tries when the automatic reading leaves a
      file that does not parse (see :func:`codeflash_engine.text.edits.apply_edit`).

    Either way a kept line whose indentation is its quote's or its file line's is the file's
    line, untouched (trailing spaces and punctuation included): lines the model wrote correctly
    stay correct. ``reading`` forces one frame (``"shifted"``: the quote's, ``"as_written"``: the
    file's).
    """

    __slots__ = ("as_written", "search", "shift", "window")

    def __init__(
        self,
        window: Sequence[str],
        search: Sequence[str],
        evidence: Iterable[tuple[int, str]] = (),
        reading: Reading = "auto",
    ) -> None:
        self.window = window
        self.search = search
        self.shift = uniform_shift(window, search)
        if reading != "auto":
            self.as_written = reading == "as_written"
            return
        # votes of the kept lines: (file's frame, quote's frame)
        votes = [0, 0]
        for i, line in evidence:
            if line.strip() and line.strip() == search[i].strip():
                indent, s_ind, w_ind = _indent_of(line), _indent_of(search[i]), _indent_of(window[i])
                if s_ind != w_ind:
                    votes[0] += indent == w_ind
                    votes[1] += indent == s_ind
        file_frame, quote_frame = votes
        self.as_written = self.shift is None or file_frame > quote_frame

    def kept(self, line: str, i: int) -> str:
        """A replacement line with the content of quoted line ``i``: the file's line when only
        the quote's inaccuracy (or nothing) changed its indentation, else a changed line."""
        if not line.strip():
            return self.window[i] if not self.window[i].strip() else line
        if _indent_of(line) in (_indent_of(self.search[i]), _indent_of(self.window[i])):
            return self.window[i]
        return self.changed(line, i, i + 1)

    def changed(self, line: str, i1: int, i2: int) -> str:
        """A new or changed replacement line written in place of quoted lines ``[i1, i2)``."""
        if self.as_written:
            return line
        if self.shift is not None:
            return self.shift.apply(line)
        return shift_near(self.window, self.search, i1, i2).apply(line)


def merge_replacement(
    window: Sequence[str], search: Sequence[str], replace: Sequence[str], level: Level, reading: Reading = "auto"
) -> list[str]:
    """The lines to put in place of ``window`` (the file lines ``search`` matched).

    At the exact level that is ``replace`` itself. Otherwise SEARCH and REPLACE are aligned on
    their content at ``level`` (indentation aside): the lines REPLACE keeps are the file's own
    lines, and the others are placed by :class:`Placement` (re-indented by a uniform offset, or as
    written).
    """
    if level is Level.EXACT:
        return list(replace)
    key = KEYS[level]
    sm = difflib.SequenceMatcher(None, [key(s) for s in search], [key(r) for r in replace], autojunk=False)
    opcodes = sm.get_opcodes()
    # the lines the model kept: a line-for-line "replace" pair never votes in Placement (its lines
    # differ in their key, so in their stripped text; at the trailing-whitespace level, where they
    # may not, the quote and the file line have the same indentation, which is no vote either)
    evidence = [(i1 + k, replace[j1 + k]) for tag, i1, i2, j1, _ in opcodes if tag == "equal" for k in range(i2 - i1)]
    place = Placement(window, search, evidence, reading)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            out.extend(place.kept(replace[j1 + k], i1 + k) for k in range(i2 - i1))
        elif tag == "replace" and i2 - i1 == j2 - j1:  # line for line
            out.extend(place.changed(replace[j1 + k], i1 + k, i1 + k + 1) for k in range(i2 - i1))
        else:
            out.extend(place.changed(r, i1, i2) for r in replace[j1:j2])
    return out


def shift_near(window: Sequence[str], search: Sequence[str], i1: int, i2: int) -> Shift:
    """How to re-indent replacement lines written in place of ``search[i1:i2]`` (or inserted at
    ``i1`` when the range is empty), for a block matched at the whitespace level or looser.

    The LLM's indentation may be off by a different amount on every line, so the shift is taken
    from the nearest non-blank search line (inside the range, then before it, then after it).
    """
    for k in (*range(i1, i2), *range(i1 - 1, -1, -1), *range(i2, len(search))):
        if search[k].strip():  # every k is a quoted line's index (the ranges are within search)
            return Shift(_indent_of(search[k]), _indent_of(window[k]))
    return Shift()


# ------------------------------------------------------------------------------------------
# "Did you mean"
# ------------------------------------------------------------------------------------------


@attrs.frozen
class Suggestion:
    """The file lines most like a block that did not match: 0-based ``start``, the lines, and their
    similarity ratio (0..1) to the block."""

    start: int
    lines: tuple[str, ...]
    ratio: float


def closest(view: Lines, search: Sequence[str], lo: int = 0, hi: int | None = None) -> Suggestion | None:
    """The window of ``len(search)`` file lines in ``[lo, hi)`` most like ``search``, or None.

    Linear in the file: each search line votes for the window starts its stripped text occurs at;
    if no line occurs anywhere, the three longest search lines are looked up with difflib's close
    matches instead. Windows below a 0.4 similarity ratio are not offered.
    """
    hi = len(view) if hi is None else min(hi, len(view))
    n = len(search)
    if n == 0 or hi <= lo:
        return None
    fkeys = view.keys(Level.WHITESPACE)
    skeys = [s.strip() for s in search]
    wanted = {k for k in skeys if k}
    where: dict[str, list[int]] = {}
    for i in range(lo, hi):
        k = fkeys[i]
        if k in wanted:
            where.setdefault(k, []).append(i)
    votes: Counter[int] = Counter()
    for j, k in enumerate(skeys):
        positions = where.get(k)
        if positions and len(positions) <= 50:
            for p in positions:
                votes[p - j] += 1
    if not votes:
        unique = list(dict.fromkeys(fkeys[lo:hi]))
        first_at: dict[str, int] = {}
        for i in range(lo, hi):
            first_at.setdefault(fkeys[i], i)
        for j, k in sorted(((j, k) for j, k in enumerate(skeys) if k), key=lambda t: -len(t[1]))[:3]:
            for hit in difflib.get_close_matches(k, unique, n=3, cutoff=0.6):
                votes[first_at[hit] - j] += 1
    if not votes:
        return None
    best = min(votes, key=lambda s: (-votes[s], s))
    start = max(lo, min(best, hi - n))
    start = max(start, lo)
    window = view.lines[start : start + n]
    ratio = difflib.SequenceMatcher(
        None, "\n".join(w.strip() for w in window), "\n".join(skeys), autojunk=False
    ).ratio()
    if ratio < 0.4:
        return None
    return Suggestion(start=start, lines=tuple(window), ratio=ratio)
