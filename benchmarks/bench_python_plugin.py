"""Benchmark of the Python plugin's postprocessing, the CPU work behind every optimize and testgen call.

Measures, each as a batch the way the engine calls the hooks, with p50 and p99 over the runs:

- candidates, small: 10 answers (prose + one fenced block) for a 100-line function in a 100-line file;
- candidates, module: 10 answers holding the changed 100-line function, for a 2,000-line file;
- candidates, module, whole file: 10 answers that each repeat the whole 2,000-line file (worst case);
- tests: cleaning and instrumenting (behaviour and performance files) a 300-line generated test file;

then the event-loop lag while the module batch runs in a worker thread (``asyncio.to_thread``, as
the engine runs the hooks): a 1 ms ticker records how late it wakes up.

Run: ``.venv/bin/python benchmarks/bench_python_plugin.py`` (``--runs N`` for the small cases).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable

from codeflash_engine.plugins.types import Answer, CandidatesRequest, CodeFile, Target, Task, TestsRequest
from codeflash_engine.text.prose import explanation_of
from codeflash_engine_python.plugin import postprocess_candidates
from codeflash_engine_python.testgen.pipeline import postprocess_tests

PATH = "pkg/mod.py"


def make_function(name: str, n_lines: int, variant: int = -1) -> list[str]:
    """A ``n_lines`` function of loop blocks; ``variant`` >= 0 changes one block (a distinct candidate)."""
    lines = [
        f"def {name}(items, limit=10):",
        f'    """Score the items ({name})."""',
        "    total = 0",
        "    seen = set()",
    ]
    k = 0
    while len(lines) < n_lines - 1:
        extra = f" + {variant + 1}" if k == variant % 20 else ""
        lines += [
            f"    for i{k} in items:",
            f"        if i{k} % {k + 2} == 0 and i{k} not in seen:",
            f"            seen.add(i{k})",
            f"            total += i{k} * {k + 1}{extra}",
        ]
        k += 1
    lines = lines[: n_lines - 1]
    lines.append("    return total")
    return lines


def make_module(n_lines: int, target: str, variant: int = -1) -> str:
    """A file of 100-line functions, ``target`` in the middle."""
    functions = max(1, n_lines // 102)
    out = ["import math", ""]
    for f in range(functions):
        name = target if f == functions // 2 else f"helper_{f}"
        out += [*make_function(name, 100, variant if name == target else -1), "", ""]
    return "\n".join(out) + "\n"


def answer(body: str, number: int) -> str:
    return (
        f"Attempt {number}: the loops test membership in a set and skip the repeated modulo work.\n\n"
        f"```python:{PATH}\n{body}\n```\n\nThe behaviour is unchanged."
    )


def candidates_request(original: str, answers: list[str]) -> CandidatesRequest:
    return CandidatesRequest(
        task=Task.OPTIMIZE,
        language="python",
        language_version="3.11.7",
        original=(CodeFile(PATH, original),),
        answers=tuple(Answer(text=a, prose=explanation_of(a)) for a in answers),
        target=Target("score", "score", path=PATH),
        fence_tags=("python", "py", "python3"),
    )


def small_batch() -> CandidatesRequest:
    original = "\n".join(make_function("score", 100)) + "\n"
    return candidates_request(original, [answer("\n".join(make_function("score", 100, j)), j) for j in range(10)])


def module_batch(whole_file: bool) -> CandidatesRequest:
    original = make_module(2000, "score")
    if whole_file:
        answers = [answer(make_module(2000, "score", j), j) for j in range(10)]
    else:
        answers = [answer("\n".join(make_function("score", 100, j)), j) for j in range(10)]
    return candidates_request(original, answers)


def make_tests(n_lines: int) -> str:
    lines = ["```python", "import pytest", "from pkg.mod import score", "", ""]
    k = 0
    while len(lines) < n_lines:
        lines += [
            f"def test_case_{k}():",
            f"    data = list(range({k}, {k + 50}))",
            "    assert score(data) == score(list(data))",
            f"    for n in range({k % 5 + 1}):",
            "        assert score(data[:n]) >= 0",
            "    with pytest.raises(TypeError):",
            f"        score([None, {k}])",
            "",
            "",
        ]
        k += 1
    return "\n".join(lines) + "```\n"


def tests_request() -> TestsRequest:
    return TestsRequest(
        language="python",
        language_version="3.11.7",
        answer=Answer(text=make_tests(300)),
        source_code=(CodeFile(PATH, "\n".join(make_function("score", 100)) + "\n"),),
        target=Target("score", "score", path=PATH),
        module_path="pkg.mod",
        test_module_path="tests.test_score__unit_test_0",
        test_framework="pytest",
        test_timeout=15,
        fence_tags=("python", "py", "python3"),
    )


def measure(label: str, call: Callable[[], object], runs: int) -> None:
    call()  # warm-up (imports, caches)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"{label:<58} p50 {statistics.median(times):8.2f} ms   p99 {p99:8.2f} ms   ({runs} runs)")


async def loop_lag(request: CandidatesRequest | None, batches: int) -> float:
    """Largest lateness of a 1 ms ticker while ``batches`` batches run in a worker thread.

    With ``request`` None the thread only sleeps: the lateness the machine itself causes.
    """
    worst = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not done.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            worst = max(worst, (time.perf_counter() - start) * 1000 - 1)

    task = asyncio.create_task(ticker())
    for _ in range(batches):
        if request is None:
            await asyncio.to_thread(time.sleep, 0.1)
        else:
            await asyncio.to_thread(postprocess_candidates, request)
    done.set()
    await task
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs of the small cases (the large ones get a tenth)")
    args = parser.parse_args()
    small, module, whole, tests = small_batch(), module_batch(False), module_batch(True), tests_request()
    assert len(postprocess_candidates(small)) == 10
    assert len(postprocess_candidates(module)) == 10
    assert len(postprocess_candidates(whole)) == 10
    big = max(10, args.runs // 10)
    measure("candidates: 10 answers, 100-line function", lambda: postprocess_candidates(small), args.runs)
    measure("candidates: 10 answers, 100-line function in 2,000-line file", lambda: postprocess_candidates(module), big)
    measure("candidates: 10 whole-file answers, 2,000-line file", lambda: postprocess_candidates(whole), big)
    measure("tests: clean + instrument a 300-line test file", lambda: postprocess_tests(tests), args.runs)
    for label, request in (("no work (noise floor)", None), ("small batches", small), ("module batches", module)):
        lag = asyncio.run(loop_lag(request, 10))
        print(f"{'event loop, worst 1 ms ticker lateness: ' + label:<58} {lag:8.2f} ms")
    lag = asyncio.run(loop_lag(whole, 5))
    print(f"{'event loop, worst 1 ms ticker lateness: whole-file batches':<58} {lag:8.2f} ms")


if __name__ == "__main__":
    main()
