"""The pull request's title and body in the cases the other tests leave out: a speedup given one
way only, throughput, benchmarks, tables left as tables, and bodies too long for GitHub."""

from __future__ import annotations

import re
from typing import Any

import attrs

from codeflash_engine.text.pull_request import MAX_BODY, OptimizationReport, fence_tag, pr_body, pr_title

BASE = OptimizationReport(function_name="sort_list", file_path="pkg/sorter.py")


def report(**fields: Any) -> OptimizationReport:
    return attrs.evolve(BASE, **fields)


def test_the_title_says_the_speedup_however_the_cli_gave_it() -> None:
    assert pr_title(report(speedup_pct="9%")) == "⚡️ Speed up `sort_list` by 9% in `pkg/sorter.py`"
    assert pr_title(report(speedup_x="1.09x")) == "⚡️ Speed up `sort_list` by 1.09x in `pkg/sorter.py`"
    assert pr_title(report()) == "⚡️ Speed up `sort_list` by an unmeasured amount in `pkg/sorter.py`"
    assert "\n" not in pr_title(report(function_name="sort\nlist"))  # a title is one line


def test_a_title_of_exactly_250_characters_is_kept_whole() -> None:
    base = pr_title(report(file_path=""))
    fitting = report(file_path="p" * (250 - len(base)))
    assert len(pr_title(fitting)) == 250 and not pr_title(fitting).endswith("...")
    longer = report(file_path="p" * (251 - len(base)))
    assert len(pr_title(longer)) == 250 and pr_title(longer).endswith("...")


def test_fence_tags_follow_the_extension_whatever_its_case() -> None:
    assert fence_tag("pkg/Sorter.PY") == "python"
    assert fence_tag("src/App.TSX") == "tsx"
    assert fence_tag("Makefile") == ""


def test_runtimes_throughput_and_benchmarks() -> None:
    body = pr_body(
        report(
            original_runtime="1.48 milliseconds",
            best_runtime="12.0 microseconds",
            original_async_throughput=1200,
            best_async_throughput=4800,
            benchmark_details=[
                {
                    "benchmark_name": "bench_sort",
                    "test_function": "test_big",
                    "original_timing": "3.20 milliseconds",
                    "expected_new_timing": "40.1 microseconds",
                    "speedup_percent": 7880,
                },
                {"benchmark_name": "bench_odd", "test_function": "test_odd", "speedup_percent": "fast"},
            ],
        )
    )
    assert "**Runtime:** 1.48 milliseconds → 12.0 microseconds\n" in body  # no loop count: no "best of"
    assert "**Throughput:** 1,200 → 4,800 operations" in body
    assert (
        "| Benchmark | Original | Optimized | Speedup |\n|---|---|---|---:|\n"
        "| `bench_sort::test_big` | 3.20 milliseconds | 40.1 microseconds | 7880.00% |\n"
        "| `bench_odd::test_odd` | ? | ? | ? |"
    ) in body


def test_half_given_measurements_are_left_out() -> None:
    body = pr_body(report(original_runtime="1.48 milliseconds", original_async_throughput=1200))
    assert "**Runtime:**" not in body and "**Throughput:**" not in body
    assert "#### 📝 Explanation" not in pr_body(report(explanation="  \n "))


def test_the_test_table_and_a_coverage_only_verification() -> None:
    body = pr_body(report(report_table={"⚙️ Existing Unit Tests": {"passed": 0, "failed": 3}}))
    assert "| Tests | ✅ Passed | ❌ Failed |\n|---|---:|---:|\n| ⚙️ Existing Unit Tests | 0 | 3 |" in body
    body = pr_body(report(coverage_message="Coverage: 80.0%", review=" high\n"))
    assert "rates this optimization **high**." in body
    assert "#### ✅ Correctness verification\n\n**Coverage:** Coverage: 80.0%" in body


def test_tables_are_shown_as_tables_and_tests_as_code() -> None:
    table = "| Test | Original | Optimized |\n|---|---|---|\n| `t` | 1ms | 2us |"
    body = pr_body(report(existing_tests=table, replay_tests=table, generated_tests="def test_a():\n    pass\n"))
    assert body.count("\n\n" + table + "\n\n</details>") == 2
    assert "```\n|" not in body and "```python\n|" not in body  # no table inside a code block
    assert "```python\ndef test_a():\n    pass\n```" in body


def test_line_profiles_before_and_after() -> None:
    body = pr_body(report(original_line_profiler="total 9 s", optimized_line_profiler="total 1 s"))
    assert "<summary>📈 Line profile before</summary>\n\ntotal 9 s\n" in body
    assert "<summary>📈 Line profile after</summary>\n\ntotal 1 s\n" in body


def test_a_cut_says_how_much_was_left_out() -> None:
    table = "| a |\n" * 2_000  # exactly 12,000 characters: short enough to stay whole
    body = pr_body(report(generated_tests="x = 1\n" * 13_000, existing_tests=table))  # 78,000 + 12,000
    [left_out] = re.findall(r"\.\.\. \(([\d,]+) more characters not shown\)", body)
    assert int(left_out.replace(",", "")) == 78_000 - 12_000
    assert "\n\n" + table.strip() + "\n\n</details>" in body
    assert len(body) <= MAX_BODY


def test_many_long_sections_are_replaced_by_a_note() -> None:
    long = "| a | b |\n" * 2_000  # 20,000 characters each
    body = pr_body(
        report(
            generated_tests=long,
            existing_tests=long,
            replay_tests=long,
            concolic_tests=long,
            original_line_profiler=long,
            optimized_line_profiler=long,
            explanation="Timsort.",
        )
    )
    assert len(body) <= MAX_BODY
    assert body.count("(too long to show here)") == 6
    assert "Timsort." in body and "<summary>📈 Line profile after</summary>" in body


def test_a_huge_explanation_still_fits_githubs_limit() -> None:
    body = pr_body(report(explanation="word " * 30_000, speedup_pct="9%"))
    assert len(body) <= MAX_BODY and "more characters not shown" in body
    assert body.startswith("### ⚡️ `sort_list` in `pkg/sorter.py` is 9% faster")


def test_generated_tests_the_cli_already_fenced_are_not_fenced_again() -> None:
    sent = "```python\ndef test_a():\n    pass\n```\n\n```python\ndef test_b():\n    pass\n```\n\n"
    body = pr_body(report(generated_tests=sent))
    assert "````" not in body
    assert "```python\ndef test_a():\n    pass\n```" in body and "```python\ndef test_b():\n    pass\n```" in body
