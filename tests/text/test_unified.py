"""Unified diffs (git diff, diff -u, aider's udiff) applied through the V4A reader."""

from __future__ import annotations

from codeflash_engine.text.edits import apply_edit, detect_format, edit_paths
from codeflash_engine.text.prose import explanation_of
from codeflash_engine.text.unified import is_header, to_v4a, unified_diff_at

SORTER = """import math


def sort_list(xs):
    out = list(xs)
    for i in range(len(out)):
        for j in range(len(out) - 1 - i):
            if out[j] > out[j + 1]:
                out[j], out[j + 1] = out[j + 1], out[j]
    return out


def spread(xs):
    return math.sqrt(max(xs) - min(xs))
"""

GIT_DIFF = """The bubble sort is quadratic; sorted() is Timsort in C.

```diff
diff --git a/pkg/sorter.py b/pkg/sorter.py
index 3b18e51..a1c2d3e 100644
--- a/pkg/sorter.py
+++ b/pkg/sorter.py
@@ -4,9 +4,4 @@ import math
 def sort_list(xs):
-    out = list(xs)
-    for i in range(len(out)):
-        for j in range(len(out) - 1 - i):
-            if out[j] > out[j + 1]:
-                out[j], out[j + 1] = out[j + 1], out[j]
-    return out
+    return sorted(xs)

@@ -14,2 +9,3 @@ def sort_list(xs):
 def spread(xs):
-    return math.sqrt(max(xs) - min(xs))
+    lo, hi = min(xs), max(xs)
+    return math.sqrt(hi - lo)
```

Both functions keep their signatures.
"""


def test_a_git_diff_in_a_fence_applies_with_wrong_line_numbers() -> None:
    assert detect_format(GIT_DIFF) == "unified"
    result = apply_edit({"pkg/sorter.py": SORTER}, GIT_DIFF)
    assert result.errors == () and result.format == "unified"
    text = result.files["pkg/sorter.py"]
    assert "    return sorted(xs)\n" in text and "for i in range" not in text
    assert "    lo, hi = min(xs), max(xs)\n    return math.sqrt(hi - lo)\n" in text
    assert text.startswith("import math\n\n\ndef sort_list(xs):\n")
    assert edit_paths(GIT_DIFF) == ["pkg/sorter.py"]


def test_the_explanation_leaves_the_diff_out() -> None:
    assert explanation_of(GIT_DIFF) == (
        "The bubble sort is quadratic; sorted() is Timsort in C.\n\nBoth functions keep their signatures."
    )
    bare = "Faster:\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n"
    assert explanation_of(bare) == "Faster:"


def test_new_deleted_and_renamed_files() -> None:
    diff = (
        "--- /dev/null\n+++ b/pkg/fast.py\n@@ -0,0 +1,2 @@\n+def fast():\n+    return 1\n"
        "--- a/pkg/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x = 1\n"
        "--- a/pkg/a.py\n+++ b/pkg/b.py\n@@ -1 +1 @@\n-y = 1\n+y = 2\n"
    )
    result = apply_edit({"pkg/old.py": "x = 1\n", "pkg/a.py": "y = 1\n"}, diff)
    assert result.errors == ()
    assert result.files == {"pkg/fast.py": "def fast():\n    return 1\n", "pkg/b.py": "y = 2\n"}
    assert set(result.deleted) == {"pkg/old.py", "pkg/a.py"}


def test_no_newline_markers_timestamps_and_crlf() -> None:
    diff = (
        "--- pkg/a.py\t2026-11-27 10:00:00.000000000 +0000\r\n"
        "+++ pkg/a.py\t2026-11-27 10:01:00.000000000 +0000\r\n"
        "@@ -1,2 +1,2 @@\r\n a = 1\r\n-b = 2\r\n\\ No newline at end of file\r\n+b = 3\r\n"
    )
    assert "\\ No newline" not in to_v4a(diff)
    result = apply_edit({"pkg/a.py": "a = 1\nb = 2"}, diff)
    assert result.errors == ()
    assert result.files["pkg/a.py"].startswith("a = 1\nb = 3")


def test_a_diff_that_does_not_match_is_refused_whole() -> None:
    diff = "--- a/pkg/a.py\n+++ b/pkg/a.py\n@@ -1 +1 @@\n-nothing = 'like this'\n+z = 0\n"
    result = apply_edit({"pkg/a.py": "a = 1\n"}, diff)
    assert result.files == {} and result.errors


def test_what_is_not_a_unified_diff() -> None:
    for text in (
        "--- a/x.py\n+++ b/x.py\n",  # headers without a hunk
        "Some prose\n- a bullet\n+ another\n",
        "```python\nx = 1\n```",
    ):
        assert unified_diff_at(text) == -1
        assert detect_format(text) is None


def test_is_header_table() -> None:
    """A header is a ``--- `` line followed by a ``+++ `` line; a ``--- `` line last is not one."""
    cases = [
        (["--- a/x.py", "+++ b/x.py"], 0, True),
        (["--- a/x.py", "+++ b/x.py"], 1, False),
        (["--- a/x.py"], 0, False),  # nothing after it (a markdown rule, say)
        (["prose", "--- a/x.py"], 1, False),
        (["--- a/x.py", "x"], 0, False),
        (["+++ b/x.py", "--- a/x.py"], 0, False),
        (["---", "+++ b/x.py"], 0, False),
    ]
    for lines, i, expected in cases:
        assert is_header(lines, i) is expected, (lines, i)
    assert to_v4a("Some prose.\n--- a/x.py") == "*** Begin Patch\n*** End Patch\n"


def test_header_paths_with_and_without_prefixes() -> None:
    for old, new, paths in [
        ("a/x.py", "b/x.py", ["x.py"]),
        ("x.py", "x.py", ["x.py"]),
        ("ab/x.py", "ab/x.py", ["ab/x.py"]),
        ('"a/x.py"', '"b/y.py"\t2026-01-01', ["x.py", "y.py"]),
    ]:
        assert edit_paths(f"--- {old}\n+++ {new}\n@@ -1 +1 @@\n-a\n+b\n") == paths, (old, new)


def test_the_v4a_text_of_a_diff() -> None:
    """Each ``@@`` line becomes a bare ``@@`` (its ranges and section heading dropped), the lines
    under it are kept as they are, the header's paths name the file."""
    diff = "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 3\n@@ -9 +9 @@ def f():\n-c\n+d\n"
    assert to_v4a(diff) == (
        "*** Begin Patch\n*** Update File: x.py\n@@\n a = 1\n-b = 2\n+b = 3\n@@\n-c\n+d\n\n*** End Patch\n"
    )


def test_the_last_line_and_the_first_are_no_header() -> None:
    """A diff cut off above its ``+++ `` line that ends on a ``--- `` line: the lines are read
    from the first, and the last line with the first is no header (nothing wraps around)."""
    assert to_v4a("+++ b/x.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n--- a/x.py") == "*** Begin Patch\n*** End Patch\n"
