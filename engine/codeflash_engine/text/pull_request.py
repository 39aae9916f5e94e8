"""The title and markdown body of an optimization's pull request (or review), from what the CLI sent.

Pure functions over an :class:`OptimizationReport`. The body stays under GitHub's limit of
65,536 characters: the long sections (generated tests, line profiles) are cut first, with a note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

#: GitHub refuses a pull request body longer than 65,536 characters; keep a margin
MAX_BODY = 60_000
#: a section longer than this is folded and cut when the body is too long
_SECTION_CUT = 12_000

_FENCE_TAGS = {
    ".py": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "jsx",
    ".ts": "typescript",
    ".tsx": "tsx",
    ".java": "java",
    ".go": "go",
}


@attrs.frozen
class OptimizationReport:
    """What the CLI reports about one optimized function (its ``prCommentFields`` and the tests)."""

    function_name: str
    file_path: str
    explanation: str = ""
    original_runtime: str = ""
    best_runtime: str = ""
    speedup_x: str = ""
    speedup_pct: str = ""
    loop_count: int | None = None
    report_table: Mapping[str, Mapping[str, int]] = attrs.field(factory=dict)
    benchmark_details: Sequence[Mapping[str, Any]] = ()
    existing_tests: str = ""
    generated_tests: str = ""
    replay_tests: str = ""
    concolic_tests: str = ""
    coverage_message: str = ""
    review: str = ""
    original_line_profiler: str | None = None
    optimized_line_profiler: str | None = None
    original_async_throughput: int | None = None
    best_async_throughput: int | None = None
    trace_id: str | None = None


def _code(text: str) -> str:
    """``text`` as inline code (backticks inside are dropped)."""
    return "`" + text.replace("`", "").replace("\n", " ") + "`"


def fence(text: str, tag: str = "") -> str:
    """A fenced code block that ``text`` cannot close, whatever backticks it holds."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}{tag}\n{text.rstrip()}\n{marks}"


def fence_tag(path: str) -> str:
    """The markdown fence tag for a file, by its extension ("" when unknown)."""
    dot = path.rfind(".")
    return _FENCE_TAGS.get(path[dot:].lower(), "") if dot >= 0 else ""


def speedup_phrase(report: OptimizationReport) -> str:
    """``1,234% (12.34x)``, or whichever of the two the CLI sent."""
    if report.speedup_pct and report.speedup_x:
        return f"{report.speedup_pct} ({report.speedup_x})"
    return report.speedup_pct or report.speedup_x or "an unmeasured amount"


def pr_title(report: OptimizationReport) -> str:
    """``⚡️ Speed up `sort_list` by 1,234% (12.34x) in `pkg/sorter.py```; at most 250 characters."""
    title = f"⚡️ Speed up {_code(report.function_name)} by {speedup_phrase(report)} in {_code(report.file_path)}"
    return title if len(title) <= 250 else title[:247] + "..."


def _details(summary: str, content: str) -> str:
    return f"<details>\n<summary>{summary}</summary>\n\n{content.strip()}\n\n</details>"


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + f"\n... ({len(text) - limit:,} more characters not shown)"


def _runtime_lines(report: OptimizationReport) -> list[str]:
    lines = []
    if report.original_runtime and report.best_runtime:
        loops = f" (best of {report.loop_count:,} runs)" if report.loop_count else ""
        lines.append(f"**Runtime:** {report.original_runtime} → {report.best_runtime}{loops}")
    if report.original_async_throughput is not None and report.best_async_throughput is not None:
        lines.append(
            f"**Throughput:** {report.original_async_throughput:,} → {report.best_async_throughput:,} operations"
        )
    return lines


def _test_table(report: OptimizationReport) -> str:
    rows = [
        f"| {kind} | {counts.get('passed', 0)} | {counts.get('failed', 0)} |"
        for kind, counts in report.report_table.items()
        if counts.get("passed", 0) or counts.get("failed", 0)
    ]
    if not rows:
        return ""
    return "| Tests | ✅ Passed | ❌ Failed |\n|---|---:|---:|\n" + "\n".join(rows)


def _benchmarks(report: OptimizationReport) -> str:
    rows = []
    for detail in report.benchmark_details:
        name = f"{detail.get('benchmark_name', '?')}::{detail.get('test_function', '?')}"
        speedup = detail.get("speedup_percent")
        pct = f"{speedup:.2f}%" if isinstance(speedup, int | float) else "?"
        rows.append(
            f"| {_code(name)} | {detail.get('original_timing', '?')} | {detail.get('expected_new_timing', '?')} "
            f"| {pct} |"
        )
    if not rows:
        return ""
    return "| Benchmark | Original | Optimized | Speedup |\n|---|---|---|---:|\n" + "\n".join(rows)


def pr_body(report: OptimizationReport, *, limit: int = MAX_BODY) -> str:
    """The pull request's markdown body: summary, explanation, runtimes, tests, review, profiles."""
    long_sections = _long_sections(report)
    body = _assemble(report, long_sections)
    if len(body) > limit:
        long_sections = [(title, _cut(content, _SECTION_CUT), tag) for title, content, tag in long_sections]
        body = _assemble(report, long_sections)
    if len(body) > limit:
        body = _assemble(report, [(title, "(too long to show here)", "") for title, _, _ in long_sections])
    return body if len(body) <= limit else _cut(body, limit - 100)


def _long_sections(report: OptimizationReport) -> list[tuple[str, str, str]]:
    tag = fence_tag(report.file_path)
    sections = [
        ("🌀 Generated regression tests", report.generated_tests, tag),
        ("⚙️ Existing unit tests", report.existing_tests, ""),
        ("⏪ Replay tests", report.replay_tests, ""),
        ("🔎 Concolic coverage tests", report.concolic_tests, ""),
        ("📈 Line profile before", report.original_line_profiler or "", ""),
        ("📈 Line profile after", report.optimized_line_profiler or "", ""),
    ]
    return [(title, content, tag) for title, content, tag in sections if content.strip()]


def _assemble(report: OptimizationReport, long_sections: list[tuple[str, str, str]]) -> str:
    parts = [
        f"### ⚡️ {_code(report.function_name)} in {_code(report.file_path)} is {speedup_phrase(report)} faster",
    ]
    runtime = _runtime_lines(report)
    if runtime:
        parts.append("\n\n".join(runtime))
    if report.explanation.strip():
        parts.append("#### 📝 Explanation\n\n" + report.explanation.strip())
    table = _test_table(report)
    checks = ["#### ✅ Correctness verification"]
    if table:
        checks.append(table)
    if report.coverage_message.strip():
        checks.append(f"**Coverage:** {report.coverage_message.strip()}")
    if len(checks) > 1:
        parts.append("\n\n".join(checks))
    benchmarks = _benchmarks(report)
    if benchmarks:
        parts.append("#### ⏱️ Benchmarks\n\n" + benchmarks)
    if report.review.strip():
        parts.append(f"#### 🔍 Review\n\nThe engine's review rates this optimization **{report.review.strip()}**.")
    for title, content, tag in long_sections:
        text = content.strip()
        # the CLI sends runtime tables as markdown and generated tests already fenced (one block
        # per file); fence only bare code
        shown = text if text.startswith(("|", "```", "~~~")) or not tag else fence(text, tag)
        parts.append(_details(title, shown))
    footer = "Opened by codeflash-engine"
    if report.trace_id:
        footer += f" · trace {_code(report.trace_id)}"
    parts.append(f"---\n<sub>{footer}</sub>")
    return "\n\n".join(parts) + "\n"
