"""Which format an edit is read as, the paths it names, and which reading of its indentation wins."""

from __future__ import annotations

import pytest

from codeflash_engine.text.edits import apply_edit, detect_format, edit_paths

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
