"""Probe: how long large but valid request bodies hold the engine's event loop, per /ai/ endpoint.

Every /ai/ endpoint gets bodies at the schema's limits (engine/codeflash_engine/http/schemas.py):
each text field near MAX_TEXT (1 MiB) with realistic content where the engine reads it (markdown
code blocks of valid Python, line-profiler tables, pytest files, unified diffs), maps filled up to
MAX_ENTRIES and lists up to their bounds, every body under a 64 MiB body limit (the probe raises
the default, 16 MiB, to that). The engine runs in this process (``create_app``, served on a
loopback port) so that its loop monitor's ``max_lag`` can be read; the fake LLM runs in a process
of its own (encoding a large answer is not the engine's work) and answers what a model would
plausibly answer for that endpoint; each body is sent by a separate process (writing 60 MB from
this process would hold the loop too).

    .venv/bin/python benchmarks/probe_large_bodies.py                 # every endpoint and shape
    .venv/bin/python benchmarks/probe_large_bodies.py --only rank     # endpoints whose path has "rank"
    .venv/bin/python benchmarks/probe_large_bodies.py --debug         # name the slow callbacks

With ``--debug`` the loop runs in asyncio debug mode with ``slow_callback_duration`` 20 ms, and
every callback slower than that is listed under its row (debug mode slows everything a little, so
lags are read from a run without it). A row reports the HTTP status, the wall time of the request,
the loop's largest lag while it ran, and the longest garbage collection meanwhile (a collection
holds the GIL throughout, whichever thread runs it: trees kept after a plugin call made them long);
``--repeat N`` sends each body N times and keeps the smallest lag (a busy machine is not the
engine: on a loaded machine every lag grows, so compare runs made under the same load).

To attribute a lag that no slow callback explains, sample which thread holds the GIL:
``.venv/bin/py-spy record --gil -f raw -o out.raw -- .venv/bin/python benchmarks/probe_large_bodies.py
--only rank`` (a plugin's thread holding it in long C calls, a parse or a free, delays the loop too).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from codeflash_engine.app import LOOP_MONITOR, create_app
from codeflash_engine.http.schemas import (
    MAX_ADAPTIVE_CANDIDATES,
    MAX_ENTRIES,
    MAX_FUNCTIONS_TO_REPAIR,
    MAX_RANKED,
    MAX_REFINEMENT_ITEMS,
    MAX_REPO_FILES,
    MAX_REVIEWED_TESTS,
    MAX_TEST_DIFFS,
    MAX_TEXT,
)
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import fake_llm_elsewhere

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "endpoints"))
import endpoint_samples as s

API_KEY = "cf-" + "e" * 43
#: characters of a text field "at the limit": just under MAX_TEXT
NEAR = MAX_TEXT - 4096
#: the body limit the probe serves with: an operator's raised one (the default is 16 MiB), to see
#: what the largest bodies cost
BODY_LIMIT = 64 * 1024 * 1024
#: a body stays under this many bytes
BODY_BUDGET = 60 * 1024 * 1024

# --- realistic content ---------------------------------------------------------------------------


def python_source(chars: int, tag: str = "f") -> str:
    """Valid Python of about ``chars`` characters: many small functions with docstrings and loops."""
    parts: list[str] = ["import math\n\n"]
    size, i = len(parts[0]), 0
    while size < chars:
        part = (
            f"def {tag}_{i}(xs, ys):\n"
            f'    """Return the pairwise combination number {i} of xs and ys."""\n'
            "    out = []\n"
            "    for x, y in zip(xs, ys):\n"
            "        if x > y:\n"
            f"            out.append(math.sqrt(x - y) + {i})\n"
            "        else:\n"
            f"            out.append(x + y * {i})\n"
            "    return out\n\n\n"
        )
        parts.append(part)
        size += len(part)
        i += 1
    return "".join(parts)[:chars].rpartition("\n\n\n")[0] + "\n"


def markdown_files(chars: int, files: int, root: str = "pkg") -> str:
    """``files`` markdown code blocks ```` ```python:<path> ```` of valid Python, about ``chars`` in all."""
    each = max(200, chars // files - 40)
    blocks = [f"```python:{root}/m{k}.py\n{python_source(each, f'f{k}')}```" for k in range(files)]
    return "\n".join(blocks)[:chars].rpartition("\n```python:")[0] or "\n".join(blocks)


def profile_table(chars: int) -> str:
    """A line-profiler report in the client's markdown form, about ``chars`` characters."""
    head = "# Timer unit: 1e-09 s\n## Function: f_0\n## Total time: 0.0374 s\n"
    head += "| Hits | Time | Per Hit | % Time | Line Contents |\n|---:|---:|---:|---:|:---|\n"
    rows, size, i = [head], len(head), 0
    while size < chars:
        row = f"| {4950 + i} | {2.1e7 + i:.4g} | {4242 + i} | {i % 100}.{i % 10} | out.append(x + y * {i}) |\n"
        rows.append(row)
        size += len(row)
        i += 1
    return "".join(rows)[:chars].rpartition("\n")[0]


def pytest_source(chars: int, module: str = "pkg.sorter", function: str = "sort_list") -> str:
    """A pytest file of about ``chars`` characters calling ``function`` from ``module``."""
    parts = [f"from {module} import {function}\n\n\n"]
    size, i = len(parts[0]), 0
    while size < chars:
        part = (
            f"def test_case_{i}():\n"
            f"    data = [{i}, {i + 3}, {i + 1}, {i + 2}]\n"
            f"    assert {function}(data) == sorted(data)\n\n\n"
        )
        parts.append(part)
        size += len(part)
        i += 1
    return "".join(parts)[:chars].rpartition("\n\n\n")[0] + "\n"


def unified_diff(chars: int, path: str = "pkg/m0.py") -> str:
    """A unified diff of about ``chars`` characters changing many lines of one file."""
    parts = [f"--- a/{path}\n+++ b/{path}\n"]
    size, i = len(parts[0]), 0
    while size < chars:
        hunk = (
            f"@@ -{i * 10 + 1},3 +{i * 10 + 1},3 @@\n def f_{i}(xs, ys):\n"
            f"-    out = []\n+    out = [0] * len(xs)\n     for x, y in zip(xs, ys):\n"
        )
        parts.append(hunk)
        size += len(hunk)
        i += 1
    return "".join(parts)[:chars].rpartition("\n@@")[0] + "\n"


def prose(chars: int) -> str:
    """Explanatory prose of about ``chars`` characters."""
    sentence = "The loop now reuses the list it allocates and sorts once with Timsort instead of swapping pairs. "
    return (sentence * (chars // len(sentence) + 1))[:chars]


def small_files(count: int, chars_each: int) -> dict[str, str]:
    """``count`` context files of valid Python, ``chars_each`` characters each."""
    return {f"pkg/ctx/c{k}.py": python_source(chars_each, f"c{k}") for k in range(count)}


# --- bodies per endpoint ---------------------------------------------------------------------------

SOURCE_MD = markdown_files(NEAR, 32)  # 32 files of ~32 KB: a module and its neighbours
MANY_BLOCKS_MD = markdown_files(NEAR, 2000)  # 2,000 files of ~500 characters
PY = python_source(NEAR - 100)
TESTS = pytest_source(NEAR)
PROFILE = profile_table(NEAR)
PROSE = prose(NEAR)
#: what a model answers to a candidate request: pkg/m0.py rewritten (about 32 KB)
CANDIDATE_ANSWER = (
    "Reuse the output list.\n\n```python:pkg/m0.py\n"
    + SOURCE_MD.split("```python:pkg/m0.py\n", 1)[1].split("```", 1)[0].replace("out = []", "out = [0] * 0", 1)
    + "```\n"
)
TESTS_ANSWER = "Here are the tests.\n\n```python\n" + pytest_source(40_000) + "```\n"


def shapes_optimize() -> dict[str, dict[str, Any]]:
    """/ai/optimize bodies."""
    return {
        "fields-1MiB": s.optimize(source_code=SOURCE_MD, dependency_code=PY, n_candidates=1),
        "2000-blocks": s.optimize(source_code=MANY_BLOCKS_MD, dependency_code=PY, n_candidates=1),
    }


def shapes_line_profiler() -> dict[str, dict[str, Any]]:
    """/ai/optimize-line-profiler bodies."""
    return {
        "fields-1MiB": s.line_profiler(
            source_code=SOURCE_MD, dependency_code=PY, line_profiler_results=PROFILE, n_candidates=1
        ),
        "2000-blocks": s.line_profiler(
            source_code=MANY_BLOCKS_MD, dependency_code=PY, line_profiler_results=PROFILE, n_candidates=1
        ),
    }


def refinement_item_at_limit(k: int, context_files: dict[str, str], references: str = PY) -> dict[str, Any]:
    """One /ai/refinement item with every text field near 1 MiB."""
    return s.refinement_item(
        optimization_id=f"5b0c8a2e-6c4f-4a53-9d0e-2f1f7c2d9a{k:02d}",
        original_source_code=SOURCE_MD,
        read_only_dependency_code=PY,
        original_line_profiler_results=PROFILE,
        optimized_source_code=SOURCE_MD.replace("if x > y:", "if y < x:"),
        optimized_explanation=PROSE,
        optimized_line_profiler_results=PROFILE,
        function_references=references,
        additional_context_files=context_files,
    )


def shapes_refinement() -> dict[str, Any]:
    """/ai/refinement bodies (a list)."""
    files = small_files(MAX_ENTRIES, 4000)
    return {
        "1-item-fields-1MiB": [refinement_item_at_limit(0, files)],
        f"{MAX_REFINEMENT_ITEMS}-items-fields-1MiB": [  # 6 MiB each: 64 MiB would not fit 7 fields each
            refinement_item_at_limit(k, small_files(MAX_ENTRIES, 1000), references="")
            for k in range(MAX_REFINEMENT_ITEMS)
        ],
    }


def test_diff_at_limit(k: int, chars: int) -> dict[str, Any]:
    """One /ai/code_repair test difference with text fields of ``chars`` characters."""
    return {
        "scope": "return_value",
        "original_pass": True,
        "candidate_pass": False,
        "original_value": repr(list(range(chars // 6)))[:chars],
        "candidate_value": repr(list(range(1, chars // 6)))[:chars],
        "test_src_code": pytest_source(chars)[:chars],
        "candidate_pytest_error": ("E   AssertionError: lists differ\n" * (chars // 32))[:chars],
        "original_pytest_error": None,
    }


def shapes_code_repair() -> dict[str, dict[str, Any]]:
    """/ai/code_repair bodies."""
    modified = SOURCE_MD.replace("if x > y:", "if y < x:")
    per_diff = (BODY_BUDGET - 3 * NEAR) // (MAX_TEST_DIFFS * 4)
    return {
        "fields-1MiB": s.code_repair(
            original_source_code=SOURCE_MD, modified_source_code=modified, test_diffs=[test_diff_at_limit(0, NEAR)]
        ),
        f"{MAX_TEST_DIFFS}-diffs": s.code_repair(
            original_source_code=SOURCE_MD,
            modified_source_code=modified,
            test_diffs=[test_diff_at_limit(k, per_diff) for k in range(MAX_TEST_DIFFS)],
        ),
    }


def shapes_adaptive() -> dict[str, dict[str, Any]]:
    """/ai/adaptive_optimize bodies."""
    candidates = [
        {
            "optimization_id": f"a{k}",
            "source_code": SOURCE_MD.replace("out = []", f"out = [{k}] * 0", 1),
            "explanation": PROSE,
            "source": "OPTIMIZE",
            "speedup": f"Performance gain: {k * 10}%",
        }
        for k in range(MAX_ADAPTIVE_CANDIDATES)
    ]
    return {
        "fields-1MiB": s.adaptive(original_source_code=SOURCE_MD, candidates=candidates[:2]),
        f"{MAX_ADAPTIVE_CANDIDATES}-candidates": s.adaptive(original_source_code=SOURCE_MD, candidates=candidates),
    }


def shapes_rewrite_jit() -> dict[str, dict[str, Any]]:
    """/ai/rewrite_jit bodies."""
    return {"fields-1MiB": s.rewrite_jit(source_code=SOURCE_MD, dependency_code=PY, n_candidates=1)}


def shapes_testgen() -> dict[str, dict[str, Any]]:
    """/ai/testgen bodies."""
    fto = {**s.FUNCTION_TO_OPTIMIZE, "parents": [{"name": f"C{k}", "type": "ClassDef"} for k in range(MAX_ENTRIES)]}
    return {
        "fields-1MiB": s.testgen(source_code_being_tested=SOURCE_MD),
        "lists-max": s.testgen(
            source_code_being_tested=SOURCE_MD,
            helper_function_names=[f"f0_{k}" for k in range(MAX_ENTRIES)],
            function_to_optimize=fto,
            qualified_name=".".join(f"C{k}" for k in range(MAX_ENTRIES)) + ".sort_list",
        ),
    }


def reviewed_test(k: int, chars: int) -> dict[str, Any]:
    """One /ai/testgen_review test file of ``chars`` characters with MAX_ENTRIES failures."""
    source = pytest_source(chars)
    failed = [f"test_case_{i}" for i in range(MAX_ENTRIES)]
    return {
        "test_source": source,
        "test_index": k,
        "failed_test_functions": failed,
        "failure_messages": {name: "AssertionError: " + "x" * 200 for name in failed},
    }


def shapes_testgen_review() -> dict[str, dict[str, Any]]:
    """/ai/testgen_review bodies."""
    return {
        "fields-1MiB": s.testgen_review(
            tests=[reviewed_test(0, NEAR)], function_source_code=PY, coverage_summary=PROSE
        ),
        f"{MAX_REVIEWED_TESTS}-tests": s.testgen_review(
            tests=[reviewed_test(k, NEAR) for k in range(MAX_REVIEWED_TESTS)], function_source_code=PY
        ),
    }


def shapes_testgen_repair() -> dict[str, dict[str, Any]]:
    """/ai/testgen_repair bodies."""
    functions = [{"function_name": f"test_case_{i}", "reason": prose(2000)} for i in range(MAX_FUNCTIONS_TO_REPAIR)]
    errors = {f"test_case_{i}": "E   AssertionError\n" * 200 for i in range(MAX_ENTRIES)}
    return {
        "fields-1MiB": s.testgen_repair(
            test_source=TESTS, function_source_code=PY, module_source_code=PY, functions_to_repair=functions[:1]
        ),
        "lists-max": s.testgen_repair(
            test_source=TESTS,
            function_source_code=PY,
            module_source_code=PY,
            functions_to_repair=functions,
            previous_repair_errors=errors,
            helper_function_names=[f"f_{k}" for k in range(MAX_ENTRIES)],
        ),
    }


def shapes_rank() -> dict[str, dict[str, Any]]:
    """/ai/rank bodies."""
    ids = [f"o{k}" for k in range(MAX_RANKED)]
    return {
        f"{MAX_RANKED}-diffs-1MiB": s.rank(
            diffs=[unified_diff(NEAR, f"pkg/m{k}.py") for k in range(MAX_RANKED)],
            optimization_ids=ids,
            speedups=[1.0 + k for k in range(MAX_RANKED)],
            function_references=PY,
        )
    }


def shapes_explain() -> dict[str, dict[str, Any]]:
    """/ai/explain bodies."""
    annotated = "```python\n" + TESTS[: NEAR - 20] + "```"
    return {
        "fields-1MiB": s.explain(
            source_code="# file: pkg/sorter.py\n" + PY,
            optimized_code="# file: pkg/sorter.py\n" + PY.replace("if x > y:", "if y < x:"),
            dependency_code=PY,
            original_line_profiler_results=PROFILE,
            optimized_line_profiler_results=PROFILE,
            annotated_tests=annotated,
            original_explanation=PROSE,
            function_references=PY,
        ),
        "markdown-fields-1MiB": s.explain(
            source_code=SOURCE_MD,
            optimized_code=SOURCE_MD.replace("if x > y:", "if y < x:"),
            dependency_code=SOURCE_MD,
            annotated_tests=annotated,
            original_explanation=PROSE,
        ),
    }


def shapes_optimization_review() -> dict[str, dict[str, Any]]:
    """/ai/optimization_review bodies."""
    return {
        "fields-1MiB": s.optimization_review(
            original_code=SOURCE_MD,
            optimized_code=SOURCE_MD.replace("if x > y:", "if y < x:"),
            explanation=PROSE,
            existing_tests=TESTS,
            generated_tests="```python\n" + TESTS[: NEAR - 20] + "```",
            replay_tests=TESTS,
            calling_fn_details=PY,
            benchmark_details=[
                {"benchmark_name": f"b{k}", "test_function": f"test_{k}", "original_timing": "1 ms"}
                for k in range(MAX_ENTRIES)
            ],
        )
    }


def shapes_log_features() -> dict[str, dict[str, Any]]:
    """/ai/log_features bodies (each field at most 256 KiB of JSON)."""
    ids = [f"o{k}" for k in range(200)]
    return {
        "fields-256KiB": s.log_features(
            speedup_ratio={i: 1.5 for i in ids},
            optimized_runtime={i: 27300 for i in ids},
            is_correct={i: True for i in ids},
            optimized_line_profiler_results={i: PROFILE[:1200] for i in ids},
            optimizations_post={i: SOURCE_MD[:1200] for i in ids},
            metadata={"best_optimization_id": "o1", "notes": PROSE[:250_000]},
        )
    }


def shapes_workflow_gen() -> dict[str, dict[str, Any]]:
    """/ai/workflow-gen bodies."""
    # as many files as the schema takes, each of ~30 KB: ~60 MB, under the body limit
    files = {f"pkg/m{i}.py": "x = 1\n" * 4_500 for i in range(MAX_REPO_FILES - 2)}
    files["pyproject.toml"] = (
        "[project]\nname = 'demo'\ndependencies = [" + ", ".join(f"'dep{k}'" for k in range(20_000)) + "]\n"
    )
    files["requirements.txt"] = "".join(f"dep{k}==1.0\n" for k in range(70_000))
    structure: dict[str, Any] = {"pkg": {f"m{i}.py": None for i in range(MAX_REPO_FILES)}, "tests": {}}
    return {f"{MAX_REPO_FILES}-files": s.workflow_gen(repo_files=files, directory_structure=structure)}


REVIEW_ANSWER = json.dumps(
    {"reviews": [{"test_index": 0, "functions": [{"function_name": "test_case_1", "reason": "weak assertion"}]}]}
)
#: path, bodies, and what the model answers
ENDPOINTS: list[tuple[str, Callable[[], Any], str]] = [
    ("/ai/optimize", shapes_optimize, CANDIDATE_ANSWER),
    ("/ai/optimize-line-profiler", shapes_line_profiler, CANDIDATE_ANSWER),
    ("/ai/refinement", shapes_refinement, CANDIDATE_ANSWER),
    ("/ai/code_repair", shapes_code_repair, CANDIDATE_ANSWER),
    ("/ai/adaptive_optimize", shapes_adaptive, CANDIDATE_ANSWER),
    ("/ai/rewrite_jit", shapes_rewrite_jit, CANDIDATE_ANSWER),
    ("/ai/testgen", shapes_testgen, TESTS_ANSWER),
    ("/ai/testgen_review", shapes_testgen_review, f"```json\n{REVIEW_ANSWER}\n```"),
    ("/ai/testgen_repair", shapes_testgen_repair, TESTS_ANSWER),
    ("/ai/rank", shapes_rank, '{"ranking": [' + ", ".join(str(k) for k in reversed(range(MAX_RANKED))) + "]}"),
    ("/ai/explain", shapes_explain, "<explanation>**Faster**: reuses the list.\n- fewer allocations</explanation>"),
    ("/ai/optimization_review", shapes_optimization_review, "<review>high</review><explanation>ok</explanation>"),
    ("/ai/log_features", shapes_log_features, ""),
    ("/ai/workflow-gen", shapes_workflow_gen, "```yaml\n- uses: actions/checkout@v4\n- run: pip install .\n```"),
]

# --- processes -------------------------------------------------------------------------------------

#: the sender: posts a body file, prints the status, the wall time and the start of the answer
_SEND = """
import http.client, json, sys, time
url, key, path, body_file = sys.argv[1:5]
host, port = url.split("//")[1].split(":")
body = open(body_file, "rb").read()
started = time.monotonic()
connection = http.client.HTTPConnection(host, int(port), timeout=300)
headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
connection.request("POST", path, body=body, headers=headers)
response = connection.getresponse()
answer = response.read()
seconds = time.monotonic() - started
print(json.dumps({"status": response.status, "seconds": seconds, "answer": answer[:300].decode(errors="replace")}))
"""


class SlowCallbacks(logging.Handler):
    """Keeps asyncio debug mode's "Executing ... took N seconds" warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the message of a slow-callback warning."""
        message = record.getMessage()
        if message.startswith("Executing"):
            self.messages.append(message)


class Collections:
    """The longest garbage collection (generation, seconds) since :meth:`clear`: a collection holds
    the GIL throughout, so a long one stalls the loop whichever thread triggered it."""

    def __init__(self) -> None:
        self.longest = (0, 0.0)
        self._started = 0.0

    def clear(self) -> None:
        """Forget the collections seen so far."""
        self.longest = (0, 0.0)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        """gc callback: time each collection."""
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        if took > self.longest[1]:
            self.longest = (info["generation"], took)


COLLECTIONS = Collections()


async def send(engine_url: str, path: str, body_file: Path) -> dict[str, Any]:
    """Post ``body_file`` to ``path`` from a process of its own; its status, seconds and answer."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _SEND, engine_url, API_KEY, path, str(body_file), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    result = json.loads(out)
    assert isinstance(result, dict)
    return result


def settings_for(llm_url: str) -> Settings:
    """Engine settings: the fake LLM as OpenAI, the probe's key, a fine-grained loop monitor."""
    return Settings(
        openai_api_key="sk-fake",
        openai_base_url=f"{llm_url}/v1",
        codeflash_engine_models="openai:gpt-4.1=1",
        codeflash_engine_api_keys=API_KEY,
        codeflash_engine_request_deadline=280,
        codeflash_engine_loop_monitor_interval=0.005,
        codeflash_engine_plugin_timeout=280,
        codeflash_engine_max_body_bytes=BODY_LIMIT,
    )


async def probe(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    """Send every selected body; one row per endpoint and shape."""
    answer_file = folder / "answer.txt"
    answer_file.write_text("")
    rows: list[dict[str, Any]] = []
    slow = SlowCallbacks()
    logging.getLogger("asyncio").addHandler(slow)
    loop = asyncio.get_running_loop()
    if args.debug:
        loop.set_debug(True)
        loop.slow_callback_duration = 0.02
    with fake_llm_elsewhere(answer_file) as llm_url:  # rewritten per endpoint, read per request
        app = create_app(settings_for(llm_url))
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        engine_url = f"http://{host}:{port}"
        try:
            await print_noise_floor(app)
            for path, shapes, answer in ENDPOINTS:
                if args.only and not any(word in path for word in args.only):
                    continue
                answer_file.write_text(answer)
                for shape, body in shapes().items():
                    body_file = folder / "body.json"
                    body_file.write_bytes(json.dumps(body).encode())
                    rows.append(await probe_one(args, app, engine_url, path, shape, body_file, slow))
        finally:
            await runner.cleanup()
    return rows


async def print_noise_floor(app: web.Application) -> None:
    """Print the loop's largest lag over two idle seconds: what the machine's load alone costs."""
    monitor = app[LOOP_MONITOR]
    await asyncio.sleep(0.5)
    monitor.max_lag = 0.0
    await asyncio.sleep(2.0)
    print(f"idle loop: max lag {monitor.max_lag * 1000:.1f} ms over 2 s (the machine's noise floor)", flush=True)


async def probe_one(
    args: argparse.Namespace,
    app: web.Application,
    engine_url: str,
    path: str,
    shape: str,
    body_file: Path,
    slow: SlowCallbacks,
) -> dict[str, Any]:
    """Send one body ``args.repeat`` times; the row with the smallest lag."""
    monitor = app[LOOP_MONITOR]
    best: dict[str, Any] | None = None
    mib = body_file.stat().st_size / 2**20  # noqa: ASYNC240 (the probe's own file, before timing)
    for _ in range(args.repeat):
        await asyncio.sleep(0.1)
        monitor.max_lag = 0.0
        slow.messages.clear()
        COLLECTIONS.clear()
        result = await send(engine_url, path, body_file)
        row = {
            "endpoint": path,
            "shape": shape,
            "mib": mib,
            "status": result["status"],
            "seconds": result["seconds"],
            "lag_ms": monitor.max_lag * 1000,
            "slow": list(slow.messages),
            "gc": COLLECTIONS.longest,
            "answer": result["answer"],
        }
        print_row(row, verbose=args.verbose)
        if best is None or row["lag_ms"] < best["lag_ms"]:
            best = row
    assert best is not None
    return best


def print_row(row: dict[str, Any], *, verbose: bool) -> None:
    """One line per request (and its slow callbacks, in debug mode)."""
    print(
        f"{row['endpoint']:<28} {row['shape']:<26} {row['mib']:6.1f} MiB  {row['status']}"
        f"  {row['seconds']:6.2f} s  lag {row['lag_ms']:6.1f} ms"
        f"  longest gc: gen {row['gc'][0]} {row['gc'][1] * 1000:5.1f} ms",
        flush=True,
    )
    for message in row["slow"]:
        print(f"      slow: {message[:300]}", flush=True)
    if verbose or row["status"] >= 400:
        print(f"      answer: {row['answer'][:200]!r}", flush=True)


def main() -> None:
    """Parse the arguments, run the probe, print the summary table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=[], help="probe only paths containing one of these words")
    parser.add_argument("--debug", action="store_true", help="asyncio debug mode: name callbacks over 20 ms")
    parser.add_argument("--repeat", type=int, default=1, help="send each body N times, keep the smallest lag")
    parser.add_argument("--verbose", action="store_true", help="print the start of every answer")
    args = parser.parse_args()
    gc.callbacks.append(COLLECTIONS)
    with tempfile.TemporaryDirectory(prefix="probe-bodies-") as folder:
        rows = asyncio.run(probe(args, Path(folder)))
    print("\n| endpoint | body shape | MiB | status | seconds | max lag (ms) | longest gc (ms) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['endpoint']} | {row['shape']} | {row['mib']:.1f} | {row['status']} | {row['seconds']:.2f}"
            f" | {row['lag_ms']:.0f} | {row['gc'][1] * 1000:.0f} (gen {row['gc'][0]}) |"
        )


if __name__ == "__main__":
    main()
