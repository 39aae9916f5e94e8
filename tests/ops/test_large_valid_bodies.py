"""Large but valid request bodies do not stall the event loop (benchmarks/probe_large_bodies.py).

Each test pins the cause of a stall the probe found, deterministically rather than by timing:

- markdown fences were sized by a Python loop over every character (0.3 s of CPU per MiB; 32 ranked
  diffs of 1 MiB took 10 s, the loop starved of the GIL meanwhile);
- the language of /ai/rank, /ai/explain and /ai/adaptive_optimize was detected on the event loop
  (three regular-expression scans of every text: 32 diffs of 1 MiB held it ~0.9 s);
- the Python plugin kept trees after its calls returned (the cache of originals, up to 512 KB of
  source; the test cleanup's last eight trees), and every garbage collection walks kept trees:
  ~150 ms per collection for 512 KB, whichever thread triggers it.
"""

from __future__ import annotations

import ast
import gc
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from codeflash_engine.plugins import prompting
from codeflash_engine.plugins.types import Answer, CandidatesRequest, CodeFile, Task
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM
from codeflash_engine_python.candidates.pipeline import CLEANER, IndexCache
from codeflash_engine_python.testgen.cleanup import clean_tests
from codeflash_engine_python.testgen.context import TestTarget

sys.path.insert(0, str(Path(__file__).parents[1] / "endpoints"))
import endpoint_samples as s

#: tracked objects a cache may keep: a collection walks ~1.5 million objects a second on a busy
#: machine, so this many cost each collection about 27 ms (under the 50 ms a slice may take)
MAX_KEPT_OBJECTS = 40_000


def python_module(chars: int, tag: str) -> str:
    """Valid Python of about ``chars`` characters: small functions with a loop each."""
    parts = []
    size = i = 0
    while size < chars:
        part = (
            f"def {tag}_{i}(xs, ys):\n"
            "    out = []\n"
            "    for x, y in zip(xs, ys):\n"
            f"        out.append(x + y * {i})\n"
            "    return out\n\n\n"
        )
        parts.append(part)
        size += len(part)
        i += 1
    return "".join(parts)


def tracked_objects() -> int:
    """Objects the garbage collector tracks once unreachable cycles are gone."""
    gc.collect()
    return len(gc.get_objects())


def line_events(function: Callable[..., Any], *args: Any) -> tuple[Any, int]:
    """``function(*args)`` and how many Python lines of ``function``'s own code it ran."""
    code = function.__code__
    count = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if frame.f_code is not code:
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        result = function(*args)
    finally:
        sys.settrace(None)
    return result, count


def test_a_fence_is_sized_without_a_loop_over_the_characters() -> None:
    code = ("x = 1\n" * 20_000) + "s = '````'\n" + ("y = 2\n" * 20_000) + "t = '``'"
    fenced, lines = line_events(prompting.fence, code, "python")
    assert fenced == f"`````python\n{code}\n`````"
    assert lines < 20, f"{lines} lines of Python for {len(code)} characters"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/ai/rank", s.rank()),
        ("/ai/explain", s.explain()),
        ("/ai/adaptive_optimize", s.adaptive()),
    ],
    ids=["rank", "explain", "adaptive"],
)
async def test_the_language_is_detected_off_the_event_loop(
    path: str,
    body: dict[str, Any],
    engine_client: EngineClient,
    fake_llm: FakeLLM,
    detection_threads: list[int],
) -> None:
    fake_llm.reply(s.FAST_ANSWER)
    status, answer = await call(engine_client, path, body)
    assert status == 200, answer
    assert detection_threads, "the language was not detected"
    assert threading.get_ident() not in detection_threads, "detected on the event loop's thread"


@pytest.fixture
def quiet_collector() -> Iterator[None]:
    """The collector paused while a test counts the objects a call leaves behind."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@pytest.mark.usefixtures("quiet_collector")
def test_the_cache_of_originals_keeps_few_enough_objects_for_a_short_collection() -> None:
    cache = IndexCache()
    files = [python_module(8 * 1024, f"m{k}") for k in range(128)]  # 1 MiB of originals
    before = tracked_objects()
    indexes = [cache.index(code, None) for code in files]
    assert all(index is not None for index in indexes)
    del indexes
    kept = tracked_objects() - before
    assert kept <= MAX_KEPT_OBJECTS, f"the cache keeps {kept} objects that every collection walks"
    assert cache.index(files[-1], None) is cache.index(files[-1], None)  # it still caches


@pytest.mark.usefixtures("quiet_collector")
def test_the_analysis_of_a_large_original_is_not_kept_after_its_answers() -> None:
    files = tuple(CodeFile(path=f"pkg/m{k}.py", code=python_module(32 * 1024, f"m{k}")) for k in range(32))
    faster = files[0].code.replace("out.append(x + y * 0)", "out.append(y * 0 + x)", 1)
    answer = Answer(text=f"Faster.\n\n```python:pkg/m0.py\n{faster}```\n")
    request = CandidatesRequest(
        task=Task.OPTIMIZE, language="python", language_version=None, original=files, answers=(answer,)
    )
    before = tracked_objects()
    candidates = CLEANER.postprocess(request)
    assert [file.path for candidate in candidates for file in candidate.files] == ["pkg/m0.py"]
    del candidates
    kept = tracked_objects() - before
    assert kept <= MAX_KEPT_OBJECTS, f"the cleaner keeps {kept} objects of 1 MiB of original code"


def test_an_analysis_not_kept_is_freed_one_file_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    files = tuple(CodeFile(path=f"pkg/m{k}.py", code=python_module(32 * 1024, f"m{k}")) for k in range(8))
    faster = files[0].code.replace("out.append(x + y * 0)", "out.append(y * 0 + x)", 1)
    answer = Answer(text=f"Faster.\n\n```python:pkg/m0.py\n{faster}```\n")
    request = CandidatesRequest(
        task=Task.OPTIMIZE, language="python", language_version=None, original=files, answers=(answer,)
    )
    analyse = CLEANER.analyse
    indexes: list[weakref.ref[object]] = []

    def watched(request: CandidatesRequest) -> Any:
        original = analyse(request)
        indexes.extend(weakref.ref(file.index) for file in original.files)
        return original

    alive_at_each_yield: list[int] = []
    monkeypatch.setattr(CLEANER, "analyse", watched)
    monkeypatch.setattr(time, "sleep", lambda _: alive_at_each_yield.append(sum(r() is not None for r in indexes)))
    assert CLEANER.postprocess(request)
    assert alive_at_each_yield == list(reversed(range(len(files)))), "the files' trees were not freed one by one"


@pytest.mark.usefixtures("quiet_collector")
def test_cleaning_generated_tests_keeps_no_tree() -> None:
    target = TestTarget(
        function_name="sort_list", qualified_name="sort_list", class_name=None, module_path="pkg.sorter",
        import_name="sort_list",
    )  # fmt: skip
    body = "".join(
        f"def test_case_{i}():\n    assert sort_list([{i}, 1]) == sorted([{i}, 1])\n\n\n" for i in range(2000)
    )
    tests = "from pkg.sorter import sort_list\n\n\n" + body
    before = sum(isinstance(o, ast.AST) for o in gc.get_objects())
    cleaned = clean_tests(tests, target, "pytest", None)
    gc.collect()
    kept = sum(isinstance(o, ast.AST) for o in gc.get_objects()) - before
    assert "def test_case_1999():" in cleaned
    assert kept <= 0, f"{kept} tree nodes kept after the cleanup returned"
