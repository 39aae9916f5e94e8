"""Property tests: for random files and random edits, the rendered SEARCH/REPLACE and V4A edits
apply back to exactly the target text."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeflash_engine.text.edits import apply_edit
from codeflash_engine.text.search_replace import _is_marker, render_search_replace
from codeflash_engine.text.v4a import render_v4a

# Few distinct lines, so that repeated lines (and so ambiguous contexts) are common.
_common = st.sampled_from(
    [
        "",
        "    return x",
        "def f(x):",
        "    x += 1",
        "}",
        "    pass",
        "  ",
        "# “quoted” — dash",
        "...",
        "x = 1",
        "\t\tdeep",
    ]
)
_any = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=20)
_line = st.one_of(_common, _common, _common, _any).filter(lambda x: not _is_marker(x))
_lines = st.lists(_line, max_size=25)


def _text(lines: list[str]) -> str:
    return "".join(x + "\n" for x in lines)


@st.composite
def _edited(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A file and an edited version: a few random replacements, insertions and deletions."""
    before = draw(_lines)
    after = list(before)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(after)))
        j = draw(st.integers(i, min(len(after), i + 4)))
        after[i:j] = draw(st.lists(_line, max_size=4))
    return before, after


# TEXT_EXAMPLES=5000 for a long run.
SETTINGS = settings(
    max_examples=int(os.environ.get("TEXT_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(_edited())
def test_search_replace_round_trip(pair: tuple[list[str], list[str]]) -> None:
    before, after = _text(pair[0]), _text(pair[1])
    edit = render_search_replace({"pkg/mod.py": (before, after)})
    if before == after:
        assert edit == ""
        return
    result = apply_edit({"pkg/mod.py": before}, edit)
    assert result.ok, (edit, result.errors)
    assert result.fuzz == 0
    assert result.files.get("pkg/mod.py", before) == after


@SETTINGS
@given(_edited())
def test_v4a_round_trip(pair: tuple[list[str], list[str]]) -> None:
    before, after = _text(pair[0]), _text(pair[1])
    edit = render_v4a({"pkg/mod.py": (before, after)})
    result = apply_edit({"pkg/mod.py": before}, edit)
    if before == after:
        assert not result.ok  # an empty patch is rejected
        return
    assert result.ok, (edit, result.errors)
    assert result.fuzz == 0
    assert result.files.get("pkg/mod.py", before) == after


@SETTINGS
@given(_edited(), _edited())
def test_multi_file_round_trips_in_crlf(one: tuple[list[str], list[str]], two: tuple[list[str], list[str]]) -> None:
    files = {"a.py": _text(one[0]).replace("\n", "\r\n"), "lib/b.py": _text(two[0]).replace("\n", "\r\n")}
    changes = {"a.py": (_text(one[0]), _text(one[1])), "lib/b.py": (_text(two[0]), _text(two[1]))}
    # An empty file has no line break to tell its style by: it gets LF.
    want = {p: a.replace("\n", "\r\n") if b else a for p, (b, a) in changes.items() if a != b}
    for edit in (render_search_replace(changes), render_v4a(changes)):
        if not want:
            continue
        result = apply_edit(files, edit)
        assert result.ok, (edit, result.errors)
        assert {p: result.files.get(p, files[p]) for p in want} == want


@SETTINGS
@given(_lines, _lines)
def test_add_and_delete_round_trip(new: list[str], gone: list[str]) -> None:
    files = {"old.py": _text(gone)}
    v4a = render_v4a({"new.py": (None, _text(new)), "old.py": (_text(gone), None)})
    result = apply_edit(files, v4a)
    assert result.ok, result.errors
    assert result.files == {"new.py": _text(new)} and result.deleted == ("old.py",)
    sr = render_search_replace({"new.py": (None, _text(new))})
    result = apply_edit(files, sr)
    assert result.ok, result.errors
    assert result.files.get("new.py", "") == _text(new)
