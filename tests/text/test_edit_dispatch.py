"""Which format an edit is read as, the paths it names, and which reading of its indentation wins."""

from __future__ import annotations

import pytest

from codeflash_engine.text.edits import apply_edit, detect_format, edit_paths
from codeflash_engine.text.search_replace import parse_search_replace, render_search_replace

SR = "<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n"
V4A = "*** Begin Patch\n*** Update File: a.py\n@@\n-x = 1\n+x = 2\n*** End Patch\n"
UNIFIED = "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (V4A, "v4a"),
        (SR, "search_replace"),
        (UNIFIED, "unified"),
        ("a.py\n" + SR, "search_replace"),
        (SR + V4A, "search_replace"),  # the SEARCH marker first, at offset 0
        (V4A + SR, "v4a"),
        ("Prose first.\n" + V4A + SR, "v4a"),
        ("Prose first.\n" + SR + V4A, "search_replace"),
        (UNIFIED + SR, "search_replace"),  # SEARCH/REPLACE and V4A win over a unified diff
        ("no edit here", None),
        ("Quote the marker `*** Begin Patch` at the start of a line.", None),  # not at a line start
    ],
)
def test_detect_format(text: str, expected: str | None) -> None:
    assert detect_format(text) == expected


@pytest.mark.parametrize(
    ("edit", "paths"),
    [
        (V4A, ["a.py"]),
        (UNIFIED, ["a.py"]),
        ("*** Begin Patch\n*** Update File: a.py\n*** Move to: b.py\n@@\n-x\n+y\n*** End Patch\n", ["a.py", "b.py"]),
        ("*** Begin Patch\n*** Update File: /etc/passwd\n@@\n-x\n+y\n*** End Patch\n", []),  # refused path
        ("a.py\n" + SR + "b.py\n" + SR + "a.py\n" + SR, ["a.py", "b.py"]),
        ("nothing", []),
    ],
)
def test_edit_paths(edit: str, paths: list[str]) -> None:
    assert edit_paths(edit) == paths


ORIGINAL = "def f(x):\n    if x:\n        return 1\n    return 2\n"
# quoted two columns to the left, its replacement indented unevenly
UNEVEN = "a.py\n<<<<<<< SEARCH\n  if x:\n      return 1\n=======\n  if x:\n      return 3\n>>>>>>> REPLACE\n"
SHIFTED = "def f(x):\n    if x:\n        return 3\n    return 2\n"
AS_WRITTEN = "def f(x):\n    if x:\n      return 3\n    return 2\n"


@pytest.mark.parametrize(
    ("accepted", "expected"),
    [
        ({ORIGINAL, SHIFTED, AS_WRITTEN}, SHIFTED),  # the automatic reading when it is accepted
        ({ORIGINAL, AS_WRITTEN}, AS_WRITTEN),  # else the first other reading that is
        ({ORIGINAL}, SHIFTED),  # none is: the automatic one, for the caller to refuse
        ({SHIFTED, AS_WRITTEN}, SHIFTED),  # the original itself is not accepted: no judge of this file
    ],
)
def test_the_reading_a_parser_accepts_wins(accepted: set[str], expected: str) -> None:
    result = apply_edit({"a.py": ORIGINAL}, UNEVEN, accept=lambda _path, text: text in accepted)
    assert result.ok and result.files == {"a.py": expected}


@pytest.mark.parametrize(
    ("before", "after", "search"),
    [
        ("a\nb\nc\nd\n", "a\nB\nc\nd\n", ["b"]),  # a unique line is quoted alone
        ("x\ny\nx\nz\n", "x\ny\nX\nz\n", ["y", "x", "z"]),  # a repeated one grows until it is unique
        ("x\nx\n", "x\nX\n", ["x", "x"]),
        ("a\n\nc\n", "a\n\nC\n", ["c"]),
    ],
)
def test_rendered_search_is_as_short_as_unique(before: str, after: str, search: list[str]) -> None:
    edit = render_search_replace({"a.py": (before, after)})
    body = edit.split("<<<<<<< SEARCH\n", 1)[1].split("\n=======\n", 1)[0]
    assert body.split("\n") == search
    assert apply_edit({"a.py": before}, edit).files == {"a.py": after}


def test_an_elided_piece_that_does_not_match_names_the_closest_lines() -> None:
    original = "".join(f"value_{i} = compute({i})\n" for i in range(10))
    edit = (
        "a.py\n<<<<<<< SEARCH\nvalue_1 = compute(1)\n...\nvalue_5 = compute(55)\n=======\n"
        "value_1 = compute(1)\n...\nvalue_5 = compute(0)\n>>>>>>> REPLACE\n"
    )
    result = apply_edit({"a.py": original}, edit)
    assert not result.ok
    assert "piece 2 between '...' lines did not match; did you mean these lines (6-6)?" in result.errors[0]
    assert "value_5 = compute(5)" in result.errors[0]


def _blocks(text: str) -> list[tuple[int, str | None, tuple[str, ...], tuple[str, ...], bool, int]]:
    return [(b.index, b.path, b.search, b.replace, b.complete, b.line) for b in parse_search_replace(text)]


BLOCK = "<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n"


@pytest.mark.parametrize(
    ("text", "blocks"),
    [
        (
            "a.py\n" + BLOCK + "\nb.py\n<<<<<<< SEARCH\np\n=======\nq\n",  # the second one cut off
            [(1, "a.py", ("x",), ("y",), True, 2), (2, "b.py", ("p",), ("q", ""), False, 9)],
        ),
        (BLOCK + "pkg/other.py", [(1, None, ("x",), ("y",), True, 1)]),  # a path after it names nothing
        (
            BLOCK + "pkg/other.py\n" + BLOCK,
            [(1, None, ("x",), ("y",), True, 1), (2, "pkg/other.py", ("x",), ("y",), True, 7)],
        ),
        (
            "a.py\n<<<<<<< SEARCH\nx\n" + BLOCK,  # a SEARCH that never reached its divider
            [(1, "a.py", ("x",), (), False, 2), (2, "a.py", ("x",), ("y",), True, 4)],
        ),
        ("a.py\n" + BLOCK + BLOCK, [(1, "a.py", ("x",), ("y",), True, 2), (2, "a.py", ("x",), ("y",), True, 7)]),
    ],
    ids=["cut off", "path after", "path between", "no divider", "path carried"],
)
def test_parse_search_replace(text: str, blocks: list[tuple[object, ...]]) -> None:
    assert _blocks(text) == blocks


@pytest.mark.parametrize(
    ("search", "replace"),
    [
        ("\nb", "\nB"),  # blank lines around SEARCH are not required to be in the file
        ("b\n", "B\n"),
        ("\nb\n", "\nB\n"),
        ("\n\nb", "B"),
    ],
)
def test_blank_lines_around_search_are_trimmed(search: str, replace: str) -> None:
    edit = f"a.py\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"
    assert apply_edit({"a.py": "a\nb\nc\n"}, edit).files == {"a.py": "a\nB\nc\n"}


def test_the_first_elided_piece_must_match_one_place() -> None:
    original = "".join(f"v{i} = {i}\n" for i in range(6)) + "v1 = 1\n"
    edit = "a.py\n<<<<<<< SEARCH\nv1 = 1\n...\nv4 = 4\n=======\nv1 = 10\n...\nv4 = 40\n>>>>>>> REPLACE\n"
    result = apply_edit({"a.py": original}, edit)
    assert not result.ok
    assert "piece 1 between '...' lines matches 2 places (lines 2, 7)" in result.errors[0]


def test_a_search_found_in_other_files_names_one_of_them() -> None:
    files = {"a.py": "q\n", "b.py": "x = 1\n", "c.py": "x = 1\n"}
    result = apply_edit(files, "a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n")
    assert not result.ok
    assert result.errors[0].count("The SEARCH text does occur in") == 1
    assert "does occur in b.py: is the file name right?" in result.errors[0]


def test_every_line_changed_in_a_quote_off_by_a_uniform_offset_is_re_indented() -> None:
    source = "def f():\n    a = 1\n    b = 2\n"
    edit = "a.py\n<<<<<<< SEARCH\n  a = 1\n  b = 2\n=======\n  a = 10\n  b = 20\n>>>>>>> REPLACE\n"
    assert apply_edit({"a.py": source}, edit).files == {"a.py": "def f():\n    a = 10\n    b = 20\n"}


@pytest.mark.parametrize(
    ("search", "hint"),
    [
        ("    a = 100\n    b = 2", "Did you mean these lines (a.py, lines 2-3)?"),
        ("class Totally:\n    unrelated = True", None),  # nothing close: no hint
    ],
)
def test_a_hint_only_for_lines_that_are_close(search: str, hint: str | None) -> None:
    source = "def f():\n    a = 1\n    b = 2\n"
    errors = apply_edit({"a.py": source}, f"a.py\n<<<<<<< SEARCH\n{search}\n=======\nx\n>>>>>>> REPLACE\n").errors
    assert ("Did you mean" in errors[0]) is (hint is not None)
    if hint is not None:
        assert hint in errors[0]


def test_search_replace_reports_and_messages() -> None:
    numbered = "".join(f"v{i} = {i}\n" for i in range(10))
    loose = "a.py\n<<<<<<< SEARCH\nv1 = 1   \n...\nv4 = 4\n=======\nv1 = 10\n...\nv4 = 40\n>>>>>>> REPLACE\n"
    result = apply_edit({"a.py": numbered}, loose)
    # elision (5000) plus the worst level of its pieces (trailing whitespace: 1), from line 2
    assert result.fuzz == 5001 and [(b.level, b.fuzz, b.line) for b in result.blocks] == [("elision", 5001, 2)]
    unequal = "a.py\n<<<<<<< SEARCH\nv1 = 1\n...\nv4 = 4\n=======\nv1 = 10\nv4 = 40\n>>>>>>> REPLACE\n"
    assert (
        "SEARCH skips lines with '...' 1 time(s) but REPLACE 0 time(s)"
        in apply_edit({"a.py": numbered}, unequal).errors[0]
    )
    block = "a.py\n<<<<<<< SEARCH\nx = 1\n=======\ny\n>>>>>>> REPLACE\n"
    assert (
        "matches 7 places in a.py (lines 1, 2, 3, 4, 5, 6, ...)" in apply_edit({"a.py": "x = 1\n" * 7}, block).errors[0]
    )
    assert (
        "matches 6 places in a.py (lines 1, 2, 3, 4, 5, 6) at" in apply_edit({"a.py": "x = 1\n" * 6}, block).errors[0]
    )
    assert _blocks("a.py\n<<<<<<< SEARCH\nx") == [(1, "a.py", ("x",), (), False, 2)]  # cut off at the very end


@pytest.mark.parametrize("marker", [">>>>>>> REPLACE", "=======", "<<<<<<< SEARCH"])
def test_rendering_refuses_text_with_marker_lines(marker: str) -> None:
    with pytest.raises(ValueError, match="reads as a SEARCH/REPLACE marker"):
        render_search_replace({"a.py": ("a\n", f"{marker}\n")})


@pytest.mark.parametrize(("fences", "path"), [(1, "pkg/a.py"), (3, "pkg/a.py"), (4, None)])
def test_a_file_name_is_looked_for_past_at_most_three_bare_fence_lines(fences: int, path: str | None) -> None:
    text = "pkg/a.py\n" + "```\n" * fences + "<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n"
    assert parse_search_replace(text)[0].path == path
