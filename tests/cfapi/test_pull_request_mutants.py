"""The pull request's body at its edges: GitHub's length limit hit exactly (kept whole) or by one
character (cut), how much a cut says it left out, fences for code without backticks, test-table
rows with a count missing, and the correctness section left out when there is nothing to verify."""

from __future__ import annotations

import re
from typing import Any

import attrs

from codeflash_engine.text.pull_request import OptimizationReport, fence, fence_tag, pr_body

#: the longest body the engine sends (GitHub refuses more than 65,536 characters): a number, not the
#: module's constant, so that a change of the constant shows
LIMIT = 60_000

BASE = OptimizationReport(function_name="sort_list", file_path="pkg/sorter.py")


def report(**fields: Any) -> OptimizationReport:
    return attrs.evolve(BASE, **fields)


def full_body(r: OptimizationReport) -> str:
    """The body with no length limit: nothing cut."""
    return pr_body(r, limit=10**9)


def sized(length: int, **fields: Any) -> OptimizationReport:
    """A report whose uncut body is exactly ``length`` characters (the explanation pads it)."""
    short = full_body(report(explanation="x", **fields))
    padded = report(explanation="x" * (length - len(short) + 1), **fields)
    assert len(full_body(padded)) == length
    return padded


def test_a_body_of_exactly_githubs_limit_is_kept_whole() -> None:
    fitting = sized(LIMIT)
    assert pr_body(fitting) == full_body(fitting)
    too_long = sized(LIMIT + 1)
    assert pr_body(too_long) != full_body(too_long) and "more characters not shown" in pr_body(too_long)


def test_a_long_section_is_not_cut_while_the_body_fits_exactly() -> None:
    tests = "x = 1\n" * 2_500  # 15,000 characters: longer than a section may be once cut
    fitting = sized(LIMIT, generated_tests=tests)
    body = pr_body(fitting)
    assert body == full_body(fitting)
    assert "more characters not shown" not in body and "(too long to show here)" not in body


def test_the_last_resort_cut_says_exactly_how_much_was_left_out() -> None:
    huge = report(explanation="word " * 30_000, speedup_pct="9%")
    whole = full_body(huge)
    body = pr_body(huge)
    [left_out] = re.findall(r"\.\.\. \(([\d,]+) more characters not shown\)", body)
    assert int(left_out.replace(",", "")) == len(whole) - (LIMIT - 100)
    assert body.startswith(whole[: LIMIT - 200])


def test_code_without_backticks_gets_a_three_backtick_fence() -> None:
    assert fence("x = 1", "python") == "```python\nx = 1\n```"
    assert fence("a ` b", "") == "```\na ` b\n```"
    body = pr_body(report(generated_tests="def test_a():\n    pass\n"))
    assert "\n\n```python\ndef test_a():\n    pass\n```\n\n</details>" in body


def test_a_dot_file_at_the_root_takes_the_tag_of_its_extension() -> None:
    assert fence_tag(".py") == "python"
    assert fence_tag("a.b/Makefile") == ""


def test_a_count_the_cli_left_out_is_zero() -> None:
    body = pr_body(report(report_table={"⚙️ Existing": {"failed": 2}, "🌀 Generated": {"passed": 3}, "⏪ Replay": {}}))
    assert "| ⚙️ Existing | 0 | 2 |" in body and "| 🌀 Generated | 3 | 0 |" in body
    assert "Replay" not in body


def test_nothing_to_verify_leaves_the_correctness_section_out() -> None:
    body = pr_body(report(report_table={"⏪ Replay": {"passed": 0, "failed": 0}}, coverage_message=" "))
    assert "Correctness verification" not in body
    assert body == (
        "### ⚡️ `sort_list` in `pkg/sorter.py` is an unmeasured amount faster\n\n"
        "---\n<sub>Opened by codeflash-engine</sub>\n"
    )
