"""The pull request's title and body, and which changes fit review suggestions."""

from __future__ import annotations

from codeflash_engine.text.pull_request import MAX_BODY, OptimizationReport, fence, pr_body, pr_title
from codeflash_engine.text.suggestions import Suggestion, changed_regions, plan_suggestions, right_side_ranges

REPORT = OptimizationReport(
    function_name="sort_list",
    file_path="pkg/sorter.py",
    explanation="Timsort in C instead of a bubble sort.",
    original_runtime="1.48 milliseconds",
    best_runtime="12.0 microseconds",
    speedup_x="122.33x",
    speedup_pct="12,233%",
    loop_count=412,
    report_table={
        "🌀 Generated Regression Tests": {"passed": 5, "failed": 0},
        "⏪ Replay Tests": {"passed": 0, "failed": 0},
    },
    generated_tests="def test_a():\n    assert sort_list([2, 1]) == [1, 2]\n",
    existing_tests="| Test | Original | Optimized | Speedup |\n|---|---|---|---|\n| `t` | 1ms | 2us | 400%✅ |\n",
    coverage_message="Coverage: 100.0%",
    review="high",
    trace_id="abc",
)


def test_the_title_names_the_function_the_speedup_and_the_file() -> None:
    assert pr_title(REPORT) == "⚡️ Speed up `sort_list` by 12,233% (122.33x) in `pkg/sorter.py`"
    assert len(pr_title(OptimizationReport(function_name="f" * 400, file_path="a.py"))) == 250


def test_the_body_renders_what_the_cli_sent() -> None:
    body = pr_body(REPORT)
    for shown in (
        "`sort_list`",
        "12,233% (122.33x)",
        "**Runtime:** 1.48 milliseconds → 12.0 microseconds (best of 412 runs)",
        "Timsort in C",
        "| 🌀 Generated Regression Tests | 5 | 0 |",
        "**Coverage:** Coverage: 100.0%",
        "rates this optimization **high**",
        "```python\ndef test_a():",
        "| `t` | 1ms | 2us | 400%✅ |",  # the CLI's markdown table, shown as is
        "trace `abc`",
    ):
        assert shown in body, shown
    assert "Replay Tests" not in body  # a kind with no test is left out


def test_fences_are_never_closed_by_what_they_hold() -> None:
    assert fence("x = '```'", "python") == "````python\nx = '```'\n````"
    report = OptimizationReport(function_name="f`", file_path="a.py", generated_tests="s = '`````'\n")
    body = pr_body(report)
    assert "``````python\ns = '`````'\n``````" in body and "`f`" in body


def test_a_body_too_long_for_github_is_cut_section_by_section() -> None:
    huge = OptimizationReport(function_name="f", file_path="a.py", generated_tests="x = 1\n" * 50_000, speedup_pct="9%")
    body = pr_body(huge)
    assert len(body) <= MAX_BODY
    assert "more characters not shown" in body and "9%" in body


def test_hunk_ranges_of_a_patch() -> None:
    patch = "@@ -1,3 +1,4 @@\n a\n+b\n c\n d\n@@ -10 +11 @@\n-x\n+y\n@@ -20,2 +21,0 @@\n-p\n-q"
    assert right_side_ranges(patch) == [(1, 4), (11, 11)]


def test_changed_regions_anchor_insertions_on_a_neighbouring_line() -> None:
    old = "a\nb\nc\n"
    assert changed_regions(old, "a\nB\nc\n") == [Suggestion("", 2, 2, "B\n")]
    assert changed_regions(old, "a\nb\nnew\nc\n") == [Suggestion("", 2, 2, "b\nnew\n")]
    assert changed_regions(old, "top\na\nb\nc\n") == [Suggestion("", 1, 1, "top\na\n")]
    assert changed_regions(old, "a\nc\n") == [Suggestion("", 2, 2, "")]


def test_suggestions_only_when_every_change_is_inside_the_pull_requests_diff() -> None:
    old = "".join(f"line{i}\n" for i in range(1, 31))
    new = old.replace("line5\n", "LINE5\n")
    inside = {"a.py": "@@ -3,6 +3,6 @@\n x"}
    assert plan_suggestions({"a.py": (old, new)}, inside) == [Suggestion("a.py", 5, 5, "LINE5\n")]
    assert plan_suggestions({"a.py": (old, new.replace("line25\n", "LINE25\n"))}, inside) is None
    assert plan_suggestions({"a.py": (old, new)}, {}) is None  # the file is not in the pull request
    assert plan_suggestions({"a.py": ("", "x\n")}, {"a.py": "@@ -0,0 +1 @@\n+x"}) is None
    suggestion = Suggestion("a.py", 1, 1, "a ``` b\n")
    assert suggestion.comment_body() == "````suggestion\na ``` b\n````"


def test_changed_regions_count_lines_as_git_does() -> None:
    """A form feed (``^L`` page break) or a line separator in a string is no line end for git: the
    suggestion replaces the line GitHub numbers as the changed one."""
    old = 'import math\n\x0c\nNOTE = "a\u2028b"\r\ndef f(x):\n    return x\n'
    new = old.replace("    return x\n", "    return x + 0\n")
    assert changed_regions(old, new) == [Suggestion("", 5, 5, "    return x + 0\n")]
