"""Review suggestions at their edges: the comment GitHub applies, hunks of one line or none, changes
at the ends of a file, regions on the hunks' bounds or across two of them, unchanged files. Found
by the mutation run of text/suggestions.py (the main cases are in tests/cfapi/test_pull_request_text.py)."""

from __future__ import annotations

import pytest

from codeflash_engine.text.suggestions import Suggestion, changed_regions, plan_suggestions, right_side_ranges


@pytest.mark.parametrize(
    ("replacement", "body"),
    [
        ("    return sorted(xs)\n", "```suggestion\n    return sorted(xs)\n```"),
        ("    return sorted(xs)", "```suggestion\n    return sorted(xs)\n```"),
        ("", "```suggestion\n```"),
        ("s = '`'\n", "```suggestion\ns = '`'\n```"),
        ("doc = '``````'\n", "```````suggestion\ndoc = '``````'\n```````"),
    ],
    ids=["line", "no-final-newline", "deletion", "one-backtick", "six-backticks"],
)
def test_the_comment_is_a_suggestion_block_github_can_apply(replacement: str, body: str) -> None:
    """Three backticks unless the text holds a longer run; the closing fence on a line of its own;
    an empty replacement (lines deleted) is an empty block."""
    assert Suggestion("a.py", 3, 4, replacement).comment_body() == body


def test_hunk_ranges_of_one_line_and_of_none() -> None:
    """``+5`` is one line (the count defaults to 1); ``+7,0`` (lines only removed) has no new side."""
    assert right_side_ranges("@@ -4 +5 @@\n-a\n+b\n@@ -9,2 +7,0 @@\n-c\n-d\n@@ -30,1 +28,2 @@\n x\n+y") == [
        (5, 5),
        (28, 29),
    ]
    assert right_side_ranges("no hunk here") == []


def test_changes_at_the_ends_of_a_file() -> None:
    """An insertion at the end is anchored on the last line; a whole new file has no line to anchor
    on (line 0, which no suggestion can use); a removed last line is replaced by nothing."""
    assert changed_regions("a\nb\n", "a\nb\nc\n") == [Suggestion("", 2, 2, "b\nc\n")]
    assert changed_regions("a\n", "top\na\n") == [Suggestion("", 1, 1, "top\na\n")]
    assert changed_regions("a\nb\n", "a\nnew\nb\n") == [Suggestion("", 1, 1, "a\nnew\n")]  # on the line before
    assert changed_regions("", "x\ny\n") == [Suggestion("", 0, 0, "x\ny\n")]
    assert changed_regions("a\nb\n", "a\n") == [Suggestion("", 2, 2, "")]
    assert changed_regions("a\nb\nc\nd\n", "A\nb\nc\nD\n") == [Suggestion("", 1, 1, "A\n"), Suggestion("", 4, 4, "D\n")]


OLD = "".join(f"line{i}\n" for i in range(1, 21))


def changed(*numbers: int) -> str:
    new = OLD
    for n in numbers:
        new = new.replace(f"line{n}\n", f"LINE{n}\n")
    return new


@pytest.mark.parametrize(
    ("numbers", "planned"),
    [
        ((5,), [5]),
        ((9,), [9]),
        ((5, 9), [5, 9]),
        ((4,), None),
        ((10,), None),
        ((5, 10), None),
    ],
    ids=["first-line-of-the-hunk", "last-line-of-the-hunk", "both-ends", "just-before", "just-after", "one-outside"],
)
def test_a_region_counts_when_it_lies_within_a_hunk_bounds_included(
    numbers: tuple[int, ...], planned: list[int] | None
) -> None:
    """The hunk ``+5,5`` covers lines 5 to 9: changes there are suggestions; one change outside
    sends the whole change to a dependent pull request."""
    plan = plan_suggestions({"a.py": (OLD, changed(*numbers))}, {"a.py": "@@ -5,5 +5,5 @@\n x"})
    expected = None if planned is None else [Suggestion("a.py", n, n, f"LINE{n}\n") for n in planned]
    assert plan == expected


def test_a_change_of_the_first_line_is_a_suggestion() -> None:
    """Line 1 is a line like any other (only line 0, a new file, has none to replace)."""
    new = OLD.replace("line1\n", "LINE1\n")
    assert plan_suggestions({"a.py": (OLD, new)}, {"a.py": "@@ -1,3 +1,3 @@\n-line1\n+LINE1"}) == [
        Suggestion("a.py", 1, 1, "LINE1\n")
    ]


def test_a_region_across_two_hunks_is_no_suggestion() -> None:
    """Lines 5-6 replaced as one region, with line 5 in one hunk and 6 in the next: GitHub takes a
    suggestion within one hunk only."""
    new = OLD.replace("line5\nline6\n", "LINE5-6\n")
    patch = "@@ -1,5 +1,5 @@\n x\n@@ -6,5 +6,5 @@\n x"
    assert plan_suggestions({"a.py": (OLD, new)}, patch_of("a.py", patch)) is None
    assert plan_suggestions({"a.py": (OLD, new)}, patch_of("a.py", "@@ -1,10 +1,10 @@\n x")) == [
        Suggestion("a.py", 5, 6, "LINE5-6\n")
    ]


def patch_of(path: str, patch: str) -> dict[str, str]:
    return {path: patch}


def test_unchanged_files_are_skipped_wherever_they_are() -> None:
    """A file whose content is unchanged needs no suggestion, even when it is not in the pull
    request, and the files after it are still planned, each under its own path."""
    changes = {
        "same.py": (OLD, OLD),
        "a.py": (OLD, changed(5)),
        "untouched.py": ("x\n", "x\n"),
        "b.py": (OLD, changed(6)),
    }
    patches = {"a.py": "@@ -1,10 +1,10 @@\n x", "b.py": "@@ -1,10 +1,10 @@\n x"}
    assert plan_suggestions(changes, patches) == [
        Suggestion("a.py", 5, 5, "LINE5\n"),
        Suggestion("b.py", 6, 6, "LINE6\n"),
    ]
    assert plan_suggestions({"same.py": (OLD, OLD)}, {}) == []
