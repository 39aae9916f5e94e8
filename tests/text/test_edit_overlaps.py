"""Edits made of several pieces: every replacement of an applied edit is in the result, and
pieces that overlap (or come out of order) are refused, never applied with one piece lost.

The pieces are V4A hunks of one ``*** Update File`` and the pieces of a SEARCH/REPLACE block
between ``...`` lines. Files are made of distinct lines, so each piece matches one place and
whether two pieces overlap is known from how they were cut.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeflash_engine.text.edits import apply_edit

PATH = "pkg/mod.py"
SETTINGS = settings(
    max_examples=int(os.environ.get("TEXT_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _file(n: int) -> list[str]:
    return [f"value_{i} = compute({i}, {i * 7})" for i in range(n)]


def _text(lines: list[str]) -> str:
    return "".join(x + "\n" for x in lines)


@st.composite
def _two_pieces(draw: st.DrawFn) -> tuple[list[str], tuple[int, int, int], tuple[int, int, int]]:
    """A file and two pieces (start, changed line, end) cut from it; they may overlap."""
    lines = _file(draw(st.integers(6, 30)))

    def piece() -> tuple[int, int, int]:
        a = draw(st.integers(0, len(lines) - 2))
        b = draw(st.integers(a + 2, min(len(lines), a + 6)))
        return a, draw(st.integers(a, b - 1)), b

    return lines, piece(), piece()


def _expected(lines: list[str], pieces: list[tuple[int, int, int]]) -> str:
    out = list(lines)
    for n, (_, k, _) in enumerate(pieces, start=1):
        out[k] = f"replaced_{n} = True"
    return _text(out)


def _v4a(pieces: list[tuple[int, int, int]], lines: list[str]) -> str:
    body = [f"*** Begin Patch\n*** Update File: {PATH}\n"]
    for n, (a, k, b) in enumerate(pieces, start=1):
        body.append("@@\n")
        for i in range(a, b):
            body.append(f"-{lines[i]}\n+replaced_{n} = True\n" if i == k else f" {lines[i]}\n")
    body.append("*** End Patch\n")
    return "".join(body)


def _elided(pieces: list[tuple[int, int, int]], lines: list[str]) -> str:
    search: list[str] = []
    replace: list[str] = []
    for n, (a, k, b) in enumerate(pieces, start=1):
        if n > 1:
            search.append("...")
            replace.append("...")
        search += lines[a:b]
        replace += [f"replaced_{n} = True" if i == k else lines[i] for i in range(a, b)]
    return f"{PATH}\n<<<<<<< SEARCH\n" + "\n".join(search) + "\n=======\n" + "\n".join(replace) + "\n>>>>>>> REPLACE\n"


def _check(edit: str, lines: list[str], one: tuple[int, int, int], two: tuple[int, int, int]) -> None:
    result = apply_edit({PATH: _text(lines)}, edit)
    in_order = two[0] >= one[2]
    if not in_order:
        # the second piece overlaps the first or comes before it: refused, nothing applied
        assert not result.ok, (edit, result.files)
        assert result.files == {}
        return
    assert result.ok, (edit, result.errors)
    text = result.files[PATH]
    for n in (1, 2):
        assert text.count(f"replaced_{n} = True\n") == 1, (n, edit, text)
    assert text == _expected(lines, [one, two])


@SETTINGS
@given(_two_pieces())
def test_v4a_hunks_all_applied_or_refused(case: tuple[list[str], tuple[int, int, int], tuple[int, int, int]]) -> None:
    lines, one, two = case
    _check(_v4a([one, two], lines), lines, one, two)


@SETTINGS
@given(_two_pieces())
def test_elided_search_pieces_all_applied_or_refused(
    case: tuple[list[str], tuple[int, int, int], tuple[int, int, int]],
) -> None:
    lines, one, two = case
    _check(_elided([one, two], lines), lines, one, two)


# A table of the boundary cases the properties draw only by chance: pieces that touch, share
# one line, nest, or come in reverse order.
CASES = [
    # (first piece, second piece, applied?)
    ((0, 1, 3), (3, 4, 6), True),  # adjacent
    ((0, 1, 3), (2, 3, 5), False),  # share line 2
    ((0, 1, 5), (2, 3, 4), False),  # the second inside the first
    ((4, 5, 7), (0, 1, 3), False),  # reverse order
    ((0, 0, 2), (8, 9, 10), True),  # far apart, the last line changed
]


def test_overlap_table() -> None:
    lines = _file(10)
    for one, two, applied in CASES:
        for edit in (_v4a([one, two], lines), _elided([one, two], lines)):
            result = apply_edit({PATH: _text(lines)}, edit)
            assert result.ok is applied, (one, two, edit, result.errors)
            if applied:
                assert result.files[PATH] == _expected(lines, [one, two])
            else:
                assert result.errors, edit
