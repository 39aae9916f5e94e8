"""Cutting long text so that a prompt fits a model's window, saying what was cut (issue 22).

Pure functions. A cut always leaves a visible marker (``[... 12,345 characters cut ...]``) in the
text, so the model knows the value is incomplete.
"""

from __future__ import annotations

from collections.abc import Sequence


def marker(count: int) -> str:
    """The text left where ``count`` characters were cut."""
    return f"[... {count:,} characters cut ...]"


def cut_middle(text: str, keep: int) -> str:
    """``text`` cut to about ``keep`` characters: its start (two thirds) and its end (one third)."""
    if len(text) <= keep:
        return text
    keep = max(keep, 0)
    head = keep * 2 // 3
    tail = keep - head
    cut = len(text) - head - tail
    return f"{text[:head]}{marker(cut)}{text[len(text) - tail :] if tail else ''}"


def first_difference(a: str, b: str) -> int:
    """The index of the first character where ``a`` and ``b`` differ (the shorter's length if none).

    A binary search over slice comparisons (C speed): a megabyte takes microseconds, not a loop
    over characters on the event loop."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def cut_around(text: str, at: int, keep: int) -> str:
    """``text`` cut to about ``keep`` characters kept around index ``at``: a quarter before it,
    the rest after it, markers where text was cut."""
    if len(text) <= keep:
        return text
    before = keep // 4
    start = max(0, min(at - before, len(text) - keep))
    end = min(len(text), start + keep)
    head = marker(start) if start else ""
    tail = marker(len(text) - end) if end < len(text) else ""
    return f"{head}{text[start:end]}{tail}"


def cut_pair(a: str | None, b: str | None, keep: int) -> tuple[str | None, str | None]:
    """Two values that differ (an original and a candidate's result), each cut to about ``keep``
    characters around their first difference, so both still show where they part."""
    if a is None or b is None:
        return (cut_middle(a, keep) if a is not None else None, cut_middle(b, keep) if b is not None else None)
    at = first_difference(a, b)
    return cut_around(a, at, keep), cut_around(b, at, keep)


def water_level(lengths: Sequence[int], excess: int) -> int | None:
    """The largest cap L such that capping every length at L removes at least ``excess``
    characters; None when even capping at 0 does not."""
    if excess <= 0:
        return max(lengths, default=0)
    if sum(lengths) < excess:
        return None
    ordered = sorted(lengths, reverse=True)
    removed_above = 0
    for i, length in enumerate(ordered):
        # cap between this length and the next: the i + 1 longest are cut to the cap
        nxt = ordered[i + 1] if i + 1 < len(ordered) else 0
        removable = removed_above + (length - nxt) * (i + 1)
        if removable >= excess:
            return length - -(-(excess - removed_above) // (i + 1))
        removed_above = removable
    return 0
