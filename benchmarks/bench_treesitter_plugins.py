"""Benchmark of the Java and JS/TS plugins' postprocessing (tree-sitter), per batch of 10 answers.

One batch is what the engine does for one optimize call: ``postprocess_candidates`` over 10 raw
answers, then ``validate`` on every file of every candidate returned (the pipeline's last check).
Each case is timed ``--runs`` times; p50 and p90 are reported, with the number of candidates kept.

- java, method: a 2,000-line Java class; each answer is prose plus the changed 100-line target
  method inside its class (the answer format the prompts ask for);
- java, whole file: each answer repeats the whole 2,000-line class with its change (worst case);
- typescript, function / whole file: the same for a 2,000-line TypeScript module (a class and
  functions), the target an exported generic function.

Every answer differs from the others in one statement of the target, so all 10 are distinct
candidates and nothing is skipped by deduplication.

Run: ``.venv/bin/python benchmarks/bench_treesitter_plugins.py`` (``--runs N``, ``--json``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from codeflash_engine.plugins.types import Candidate, CandidatesRequest, CodeFile, Task
from codeflash_engine_java import plugin as java_plugin
from codeflash_engine_js_ts import plugin as jsts_plugin

JAVA_PATH = "src/main/java/com/acme/bench/Scores.java"
TS_PATH = "src/bench/scores.ts"
ANSWERS = 10
METHOD_LINES = 100


# --- Java ---------------------------------------------------------------------------------------


def java_method(name: str, variant: int = -1) -> list[str]:
    """A 100-line static method of loop blocks; ``variant`` >= 0 changes one block."""
    lines = [
        f"    /** Score the items ({name}). */",
        f"    public static long {name}(final int[] items, int limit) throws IllegalArgumentException {{",
        "        long total = 0;",
        "        Set<Integer> seen = new HashSet<>();",
    ]
    k = 0
    while len(lines) + 5 <= METHOD_LINES - 2:
        extra = f" + {variant + 1}" if k == variant % 20 else ""
        lines += [
            f"        for (int i{k} : items) {{",
            f"            if (i{k} % {k + 2} == 0 && seen.add(i{k})) {{",
            f"                total += (long) i{k} * {k + 1}{extra};",
            "            }",
            "        }",
        ]
        k += 1
    while len(lines) < METHOD_LINES - 2:
        lines.append(f"        total ^= {len(lines)};")
    return [*lines, "        return Math.min(total, limit);", "    }"]


def java_file(n_lines: int, target: str, variant: int = -1) -> str:
    methods = max(1, -(-n_lines // (METHOD_LINES + 1)))
    out = ["package com.acme.bench;", "", "import java.util.HashSet;", "import java.util.Set;", ""]
    out.append("public final class Scores {")
    for m in range(methods):
        name = target if m == methods // 2 else f"helper{m}"
        out += [*java_method(name, variant if name == target else -1), ""]
    out.append("}")
    return "\n".join(out) + "\n"


def java_answers(whole_file: bool) -> tuple[CodeFile, tuple[str, ...]]:
    original = CodeFile(JAVA_PATH, java_file(2000, "score"))
    answers = []
    for v in range(ANSWERS):
        code = (
            java_file(2000, "score", v)
            if whole_file
            else "public final class Scores {\n" + "\n".join(java_method("score", v)) + "\n}\n"
        )
        answers.append(f"Answer {v}: fold the blocks.\n\n```java:{JAVA_PATH}\n{code}```\n")
    return original, tuple(answers)


# --- TypeScript ---------------------------------------------------------------------------------


def ts_function(name: str, variant: int = -1) -> list[str]:
    """A 100-line exported generic function of loop blocks; ``variant`` >= 0 changes one block."""
    lines = [
        f"/** Score the items ({name}). */",
        f"export function {name}<T extends {{ id: number }}>(items: readonly T[], limit: number = 10): number {{",
        "  let total = 0;",
        "  const seen = new Set<number>();",
    ]
    k = 0
    while len(lines) + 6 <= METHOD_LINES - 2:
        extra = f" + {variant + 1}" if k == variant % 20 else ""
        lines += [
            f"  for (const i{k} of items) {{",
            f"    if (i{k}.id % {k + 2} === 0 && !seen.has(i{k}.id)) {{",
            f"      seen.add(i{k}.id);",
            f"      total += i{k}.id * {k + 1}{extra};",
            "    }",
            "  }",
        ]
        k += 1
    while len(lines) < METHOD_LINES - 2:
        lines.append(f"  total ^= {len(lines)};")
    return [*lines, "  return Math.min(total, limit);", "}"]


def ts_file(n_lines: int, target: str, variant: int = -1) -> str:
    functions = max(1, -(-n_lines // (METHOD_LINES + 1)))
    out = ["import { clamp } from './math';", "import type { Item } from './types';", ""]
    for f in range(functions):
        name = target if f == functions // 2 else f"helper{f}"
        out += [*ts_function(name, variant if name == target else -1), ""]
    return "\n".join(out) + "\n"


def ts_answers(whole_file: bool) -> tuple[CodeFile, tuple[str, ...]]:
    original = CodeFile(TS_PATH, ts_file(2000, "score"))
    answers = []
    for v in range(ANSWERS):
        code = ts_file(2000, "score", v) if whole_file else "\n".join(ts_function("score", v)) + "\n"
        answers.append(f"Answer {v}: fold the blocks.\n\n```typescript:{TS_PATH}\n{code}```\n")
    return original, tuple(answers)


# --- harness ------------------------------------------------------------------------------------


def batch(language: str, original: CodeFile, answers: tuple[str, ...], plugin: Any) -> Callable[[], int]:
    """One engine-shaped batch: postprocess 10 answers, then validate every returned file."""
    request = CandidatesRequest(
        task=Task.OPTIMIZE,
        language=language,
        language_version="17" if language == "java" else "20.11.1",
        original=(original,),
        answers=answers,
        target="Scores.score" if language == "java" else "score",
    )

    def run() -> int:
        candidates: list[Candidate] = plugin.postprocess_candidates(request=request)
        for candidate in candidates:
            for file in candidate.files:
                if plugin.validate(language=language, code=file.code, language_version=None):
                    raise AssertionError("a returned candidate does not validate")
        return len(candidates)

    return run


def measure(run: Callable[[], int], runs: int) -> dict[str, float]:
    kept = run()  # warm-up (query compilation, imports)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p90_ms": times[min(len(times) - 1, int(len(times) * 0.9))],
        "per_answer_p50_ms": statistics.median(times) / ANSWERS,
        "kept": kept,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cases = {
        "java, method answers (2,000-line file)": batch("java", *java_answers(False), java_plugin),
        "java, whole-file answers (2,000-line file)": batch("java", *java_answers(True), java_plugin),
        "typescript, function answers (2,000-line file)": batch("typescript", *ts_answers(False), jsts_plugin),
        "typescript, whole-file answers (2,000-line file)": batch("typescript", *ts_answers(True), jsts_plugin),
    }
    results = {name: measure(run, args.runs) for name, run in cases.items()}
    for name, r in results.items():
        if r["kept"] != ANSWERS:
            raise SystemExit(f"{name}: {r['kept']:.0f} of {ANSWERS} answers kept; the benchmark input is wrong")
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{ANSWERS} answers per batch, {args.runs} runs; postprocess_candidates + validate of every file kept")
    for name, r in results.items():
        print(
            f"{name:50s} p50 {r['p50_ms']:8.1f} ms   p90 {r['p90_ms']:8.1f} ms"
            f"   ({r['per_answer_p50_ms']:.1f} ms/answer, {r['kept']:.0f} kept)"
        )


if __name__ == "__main__":
    main()
