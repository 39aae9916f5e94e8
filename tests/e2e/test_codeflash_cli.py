"""The published Codeflash CLI (0.20.6), unchanged, runs whole optimizations against our engine.

Each run: a sample git project, our engine on localhost:8000 (PostgreSQL behind it, a key it
issued), the fake LLM scripted with realistic answers, the engine's own cfapi on localhost:3001, and
``codeflash --file ... --function ... --no-pr -y``.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import attrs
import pytest
import pytest_asyncio
from cli_harness import (
    AI_PORT,
    CFAPI_PORT,
    CliRun,
    EngineProcess,
    ToolchainMissing,
    build_cli_venv,
    connect_process,
    engine_process,
    ensure_ports_free,
    github_remote,
    install_node_modules,
    install_script,
    run_cli,
    task_of,
    tracked_files,
    write_js_project,
    write_project,
)

from codeflash_engine.testing.fake_github import FakeGitHub
from codeflash_engine.testing.fake_llm import FakeLLM, FakeRequest

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

GITHUB_TOKEN = "ghp_e2e" + "0" * 33

#: the calls of a successful run, contract section 6
EXPECTED_CALLS = [
    "/ai/testgen",
    "/ai/testgen",
    "/ai/optimize",
    "/ai/optimize-line-profiler",
    "/ai/refinement",
    "/ai/log_features",
    "/ai/explain",
    "/ai/optimization_review",
]


@pytest.fixture(scope="session")
def cli_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with codeflash==0.20.6 and pytest<9 (reused across runs)."""
    cached = os.environ.get("CODEFLASH_E2E_CLI_VENV")
    return build_cli_venv(Path(cached) if cached else tmp_path_factory.mktemp("cli") / "venv")


@pytest.fixture
def issued_key(pg_dsn: str) -> str:
    """A key issued by the engine's own command (`codeflash-engine keys create`), one per run: a
    CLI run makes 8-20 requests, and one key shared by every run would meet the default rate
    limit (40 per minute per key) a few runs in."""
    exe = Path(sys.executable).with_name("codeflash-engine")
    result = subprocess.run(
        [str(exe), "keys", "create", "--user", "e2e-user", "--tier", "pro"],
        env={**os.environ, "DATABASE_URL": pg_dsn},
        capture_output=True,
        text=True,
        check=True,
    )
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("cf-")
    return key


@attrs.frozen
class Outcome:
    run: CliRun
    project: Path
    engine: EngineProcess
    fake: FakeLLM

    def calls(self) -> list[str]:
        return [r["route"] for r in self.engine.access_lines() if str(r.get("route", "")).startswith("/ai/")]

    def statuses(self) -> list[int]:
        return [int(r["status"]) for r in self.engine.access_lines() if str(r.get("route", "")).startswith("/ai/")]


@pytest_asyncio.fixture
async def optimize_run(cli_venv: Path, issued_key: str, pg_dsn: str, tmp_path: Path) -> AsyncIterator[Any]:
    """A function ``(files, script, *cli_args) -> Outcome`` that performs one whole run."""
    ensure_ports_free(AI_PORT, CFAPI_PORT)
    async with FakeLLM() as fake:

        async def go(
            files: dict[str, str],
            script: dict[str, Any],
            *cli_args: str,
            project: Path | None = None,
            models: str = "openai:gpt-4.1=1",
            github: FakeGitHub | None = None,
            via_connect: bool = False,
        ) -> Outcome:
            """One run; ``project`` is a prepared project (else a Python one made of ``files``);
            ``models`` the engine's model mix (OpenAI and Anthropic both answer from the fake)."""
            project = project or write_project(tmp_path / "project", files)
            install_script(fake, script)
            env = {
                "OPENAI_API_KEY": "sk-e2e-fake",
                "OPENAI_BASE_URL": fake.openai_base_url,
                "ANTHROPIC_API_KEY": "sk-ant-e2e-fake",
                "ANTHROPIC_BASE_URL": fake.url,
                "CODEFLASH_ENGINE_MODELS": models,
                "DATABASE_URL": pg_dsn,
                "CODEFLASH_ENGINE_LOG_LEVEL": "INFO",
            }
            if github is not None:  # pull requests on the fake GitHub; the CLI runs without --no-pr
                env |= {"CODEFLASH_ENGINE_GITHUB_TOKEN": GITHUB_TOKEN, "CODEFLASH_ENGINE_GITHUB_API_URL": github.url}
            async with contextlib.AsyncExitStack() as stack:
                if via_connect:  # the engine elsewhere (a port of its own); `connect` on the CLI's ports
                    engine = await stack.enter_async_context(
                        engine_process(env, tmp_path / "engine.log", port=0, cfapi_port=0)
                    )
                    await stack.enter_async_context(
                        connect_process(f"http://127.0.0.1:{engine.port}", issued_key, tmp_path / "connect.log")
                    )
                else:
                    engine = await stack.enter_async_context(engine_process(env, tmp_path / "engine.log"))
                cli_key = "cf-" + "d" * 43 if via_connect else issued_key  # connect sends the developer's key
                run = await run_cli(cli_venv, project, tmp_path / "home", cli_key, *cli_args, no_pr=github is None)
                await asyncio.sleep(0.5)  # let the engine's recorder flush
            return Outcome(run, project, engine, fake)

        yield go


async def optimization_event_trace(dsn: str) -> str:
    """The trace id of the one optimization event the CLI reported (mark-as-success), found."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT trace_id, optimization_found FROM optimization_events ORDER BY created DESC")
    finally:
        await conn.close()
    assert rows and rows[0]["optimization_found"], rows
    return str(rows[0]["trace_id"])


async def trace_records(dsn: str, trace_id: str) -> tuple[list[str], dict[str, Any] | None]:
    conn = await asyncpg.connect(dsn)
    try:
        calls = [
            r["call_type"] for r in await conn.fetch("SELECT call_type FROM llm_calls WHERE trace_id = $1", trace_id)
        ]
        features = await conn.fetchrow("SELECT * FROM optimization_features WHERE trace_id = $1", trace_id)
        return calls, dict(features) if features else None
    finally:
        await conn.close()


MARKED = [("/cfapi/mark-as-success", 200)]


def assert_success(outcome: Outcome, path: str, expected_code: str, cfapi: list[tuple[str, int]] | None = None) -> None:
    assert outcome.run.returncode == 0, outcome.run.output[-5000:]
    assert outcome.run.succeeded, outcome.run.output[-5000:]
    assert expected_code in (outcome.project / path).read_text()
    failed = [(r.get("route"), r.get("status"), r.get("error_class")) for r in outcome.engine.access_lines()]
    assert all(status == 200 for status in outcome.statuses()), [f for f in failed if f[1] != 200]
    assert outcome.engine.cfapi_calls() == (MARKED if cfapi is None else cfapi)


# ------------------------------------------------------------------------------------------- run 1
SORTER = """
def sort_list(xs):
    out = list(xs)
    for i in range(len(out)):
        for j in range(len(out) - 1 - i):
            if out[j] > out[j + 1]:
                out[j], out[j + 1] = out[j + 1], out[j]
    return out
"""
SORTER_FAST = (
    "The bubble sort is O(n^2). The built-in sorted() uses Timsort: O(n log n), in C, and it is stable.\n\n"
    "```python:pkg/sorter.py\ndef sort_list(xs):\n    return sorted(xs)\n```\n"
)
SORTER_TESTS = """Here are the tests:

```python
import random

from pkg.sorter import sort_list


def test_small():
    assert sort_list([3, 1, 2]) == [1, 2, 3]


def test_empty():
    assert sort_list([]) == []


def test_duplicates_and_negatives():
    assert sort_list([2, -1, 2, 0, -1]) == [-1, -1, 0, 2, 2]


def test_does_not_mutate():
    data = [5, 4, 3]
    sort_list(data)
    assert data == [5, 4, 3]


def test_large():
    rng = random.Random(0)
    data = [rng.randint(-1000, 1000) for _ in range(600)]
    assert sort_list(data) == sorted(data)
```
"""
COMMON = {
    "explain": "<explanation>Replaced the hand-written loop with a built-in doing the work in C.</explanation>",
    "review": "<review>high</review><explanation>Correct, simpler and much faster.</explanation>",
    "rank": '{"ranking": [0, 1, 2]}',
}


@pytest.mark.parametrize(
    "models", ["openai:gpt-4.1=1", "anthropic:claude-sonnet-4-6=1,openai:gpt-4.1=1"], ids=["openai", "mixed"]
)
async def test_a_whole_optimization_succeeds(optimize_run: Any, pg_dsn: str, models: str) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/sorter.py": SORTER},
        {
            "optimize": SORTER_FAST,
            "optimize_line_profiler": SORTER_FAST,
            "refine": SORTER_FAST,
            "testgen": SORTER_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/sorter.py",
        "--function",
        "sort_list",
        models=models,
    )
    assert_success(outcome, "pkg/sorter.py", "return sorted(xs)")
    if "anthropic" in models:  # both SDKs were used: the fake saw both wire formats
        assert {r.api for r in outcome.fake.requests} == {"openai", "anthropic"}
    calls = outcome.calls()
    for route in set(EXPECTED_CALLS):
        assert calls.count(route) >= EXPECTED_CALLS.count(route), (route, calls)
    trace_id = await optimization_event_trace(pg_dsn)
    recorded, features = await trace_records(pg_dsn, trace_id)
    assert {"testgen", "optimize", "optimize_line_profiler", "refine", "explain", "review"} <= set(recorded)
    assert len(recorded) == len(outcome.fake.requests)
    assert features is not None


# ------------------------------------------------------------------- run 1b: the default mode, a pull request
async def test_the_default_mode_opens_a_pull_request_on_github(optimize_run: Any, tmp_path: Path) -> None:
    """No ``--no-pr``: the CLI checks the engine can open pull requests on the project's GitHub
    repository, and the engine opens one on the (fake) GitHub with the optimized file."""
    project = write_project(tmp_path / "project", {"pkg/sorter.py": SORTER})
    github_remote(project, tmp_path / "origin.git", "acme", "sample")
    async with FakeGitHub(token=GITHUB_TOKEN) as github:
        github.add_repository("acme", "sample", tracked_files(project))
        outcome: Outcome = await optimize_run(
            {},
            {
                "optimize": SORTER_FAST,
                "optimize_line_profiler": SORTER_FAST,
                "refine": SORTER_FAST,
                "testgen": SORTER_TESTS,
                **COMMON,
            },
            "--file",
            "pkg/sorter.py",
            "--function",
            "sort_list",
            project=project,
            github=github,
        )
    output = outcome.run.output
    assert outcome.run.returncode == 0, output[-5000:]
    assert outcome.run.succeeded, output[-5000:]
    assert "return sorted(xs)" in (project / "pkg/sorter.py").read_text()
    [pull] = github.pulls("acme", "sample")
    assert f"Successfully created a new PR #{pull.number}" in " ".join(output.split()), output[-3000:]
    assert pull.state == "open" and pull.base == "main"
    assert "return sorted(xs)" in github.files_at("acme", "sample", pull.head)["pkg/sorter.py"]
    assert "return sorted(xs)" not in github.files_at("acme", "sample", "main")["pkg/sorter.py"]
    assert "sort_list" in pull.title and "sort_list" in pull.body
    speedup = re.search(r"by ([\d,]+%)", pull.title)
    assert speedup is not None and speedup[1] in pull.body, (pull.title, pull.body[:500])
    assert "a built-in doing the work in C" in pull.body  # the explanation the CLI sent
    cfapi_calls = outcome.engine.cfapi_calls()
    assert {route for route, _ in cfapi_calls} == {"/cfapi/is-github-app-installed", "/cfapi/create-pr"}, cfapi_calls
    assert all(status == 200 for _, status in cfapi_calls) and cfapi_calls[-1] == ("/cfapi/create-pr", 200)


# --------------------------------------------------------- run 1c: the engine elsewhere, through `connect`
async def test_a_run_through_connect_to_an_engine_elsewhere(optimize_run: Any, pg_dsn: str) -> None:
    """The engine on another port (as on a team's server), ``codeflash-engine connect URL`` on the
    CLI's ports with the developer's key: the CLI's run is the same as against a local engine."""
    outcome: Outcome = await optimize_run(
        {"pkg/sorter.py": SORTER},
        {
            "optimize": SORTER_FAST,
            "optimize_line_profiler": SORTER_FAST,
            "refine": SORTER_FAST,
            "testgen": SORTER_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/sorter.py",
        "--function",
        "sort_list",
        via_connect=True,
    )
    # connect asked the engine whose the key is before listening (cli-get-user)
    assert_success(outcome, "pkg/sorter.py", "return sorted(xs)", [("/cfapi/cli-get-user", 200), *MARKED])
    calls = outcome.calls()
    assert "/ai/optimize" in calls and "/ai/testgen" in calls
    trace_id = await optimization_event_trace(pg_dsn)
    recorded, _ = await trace_records(pg_dsn, trace_id)
    assert "optimize" in recorded


# ------------------------------------------------------------------------------------------- run 2
PRIMES = """
async def count_primes(limit):
    count = 0
    for n in range(2, limit):
        is_prime = True
        for d in range(2, n):
            if n % d == 0:
                is_prime = False
                break
        if is_prime:
            count += 1
    return count
"""
PRIMES_FAST = """A sieve of Eratosthenes replaces trial division: O(n log log n) instead of O(n^2).

```python:pkg/primes.py
async def count_primes(limit):
    if limit < 3:
        return 0
    sieve = bytearray([1]) * limit
    sieve[0] = sieve[1] = 0
    for i in range(2, int(limit**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytes(len(range(i * i, limit, i)))
    return sum(sieve)
```
"""
PRIMES_TESTS = """```python
import pytest

from pkg.primes import count_primes


@pytest.mark.asyncio
async def test_small_limits():
    assert await count_primes(0) == 0
    assert await count_primes(2) == 0
    assert await count_primes(3) == 1
    assert await count_primes(10) == 4


@pytest.mark.asyncio
async def test_hundred():
    assert await count_primes(100) == 25


@pytest.mark.asyncio
async def test_larger():
    assert await count_primes(3000) == 430
```
"""


async def test_an_async_function(optimize_run: Any) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/primes.py": PRIMES},
        {
            "optimize": PRIMES_FAST,
            "optimize_line_profiler": PRIMES_FAST,
            "refine": PRIMES_FAST,
            "testgen": PRIMES_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/primes.py",
        "--function",
        "count_primes",
    )
    assert_success(outcome, "pkg/primes.py", "sieve")


# ------------------------------------------------------------------------------------------- run 3
UTIL = """
import math


def distance(a, b):
    return math.sqrt(sum([math.pow(x - y, 2) for x, y in zip(a, b)]))
"""
GEOMETRY = """
from pkg.util import distance


class PointCloud:
    def __init__(self, points):
        self.points = [tuple(p) for p in points]

    def nearest_index(self, query):
        ranked = sorted([(distance(p, query), i) for i, p in enumerate(self.points)])
        return ranked[0][1]
"""
GEOMETRY_FAST = """Sorting every distance to take the first is O(n log n); min() is O(n). Comparing squared
distances avoids the square root, and the helper no longer builds a list or calls math.pow.

```python:pkg/geometry.py
from pkg.util import squared_distance


class PointCloud:
    def nearest_index(self, query):
        points = self.points
        return min(range(len(points)), key=lambda i: (squared_distance(points[i], query), i))
```

```python:pkg/util.py
def squared_distance(a, b):
    total = 0.0
    for x, y in zip(a, b):
        d = x - y
        total += d * d
    return total
```
"""
GEOMETRY_TESTS = """```python
import random

from pkg.geometry import PointCloud


def test_single_point():
    assert PointCloud([(1, 2)]).nearest_index((0, 0)) == 0


def test_picks_the_closest():
    cloud = PointCloud([(0, 0), (5, 5), (1, 1), (-3, 2)])
    assert cloud.nearest_index((1.2, 0.9)) == 2
    assert cloud.nearest_index((-2, 2)) == 3


def test_ties_take_the_first():
    assert PointCloud([(1, 0), (0, 1), (-1, 0)]).nearest_index((0, 0)) == 0


def test_many_points():
    rng = random.Random(1)
    cloud = PointCloud([(rng.uniform(-100, 100), rng.uniform(-100, 100)) for _ in range(400)])
    for _ in range(20):
        q = (rng.uniform(-100, 100), rng.uniform(-100, 100))
        pts = cloud.points
        expected = min(range(400), key=lambda i: ((pts[i][0] - q[0]) ** 2 + (pts[i][1] - q[1]) ** 2, i))
        assert cloud.nearest_index(q) == expected
```
"""


async def test_a_method_with_a_helper_in_another_file(optimize_run: Any) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/util.py": UTIL, "pkg/geometry.py": GEOMETRY},
        {
            "optimize": GEOMETRY_FAST,
            "optimize_line_profiler": GEOMETRY_FAST,
            "refine": GEOMETRY_FAST,
            "testgen": GEOMETRY_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/geometry.py",
        "--function",
        "PointCloud.nearest_index",
    )
    assert_success(outcome, "pkg/geometry.py", "min(range(len(points))")
    assert "def squared_distance" in (outcome.project / "pkg/util.py").read_text()


# ------------------------------------------------------------------------------------------- run 4
NORMS = """
import math


def norms(vectors):
    out = []
    for v in vectors:
        total = 0.0
        for x in v:
            total = total + math.pow(x, 2)
        out.append(math.sqrt(total))
    return out
"""
NORMS_TESTS = """```python
from pkg.vectors import norms


def test_unit_vectors():
    assert norms([[1, 0, 0], [0, 1, 0]]) == [1.0, 1.0]


def test_pythagoras():
    assert norms([[3, 4], [5, 12]]) == [5.0, 13.0]


def test_empty():
    assert norms([]) == []
    assert norms([[]]) == [0.0]


def test_many():
    vectors = [[(i * j) % 7 - 3 for j in range(50)] for i in range(300)]
    expected = [sum(x * x for x in v) ** 0.5 for v in vectors]
    assert norms(vectors) == expected
```
"""


def messy_answer(request: FakeRequest) -> str:
    """Prose around an untagged-path fence, no import of math, and duplicates across calls."""
    local = "root" if len([r for r in request_log if r == "optimize"]) % 2 else "sqrt"
    request_log.append(task_of(request))
    return (
        "Sure! Here is a faster version. It hoists the attribute lookup of the square root and lets sum() "
        "run the inner loop in C.\n\n"
        f"```python\ndef norms(vectors):\n    {local} = math.sqrt\n"
        f"    return [{local}(sum([x * x for x in v], 0.0)) for v in vectors]\n```\n\n"
        "Let me know if you need anything else!"
    )


request_log: list[str] = []


async def test_an_answer_that_needs_postprocessing(optimize_run: Any) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/vectors.py": NORMS},
        {
            "optimize": messy_answer,
            "optimize_line_profiler": messy_answer,
            "refine": messy_answer,
            "testgen": NORMS_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/vectors.py",
        "--function",
        "norms",
    )
    assert_success(outcome, "pkg/vectors.py", "= math.sqrt")
    assert "import math" in (outcome.project / "pkg/vectors.py").read_text()


# ------------------------------------------------------------------------------------------- run 5
async def test_every_llm_call_failing_ends_cleanly(optimize_run: Any) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/sorter.py": SORTER},
        {},
        "--file",
        "pkg/sorter.py",
        "--function",
        "sort_list",
    )
    output = outcome.run.output
    assert outcome.run.returncode == 0, output[-5000:]
    assert "Traceback" not in output
    assert "optimization successful" not in output.lower()
    assert (outcome.project / "pkg/sorter.py").read_text().strip() == SORTER.strip()
    statuses = outcome.statuses()
    assert statuses and all(status == 502 for status in statuses), outcome.engine.access_lines()
    assert outcome.engine.cfapi_calls() == []


# ------------------------------------------------------------------------------------------- run 6
INVENTORY = """
from dataclasses import dataclass, field

TAX_PERCENT = 20


@dataclass
class Item:
    name: str
    cents: int
    quantity: int


@dataclass
class Inventory:
    items: list = field(default_factory=list)

    def add(self, item):
        self.items.append(item)

    def total_value(self, with_tax=False):
        total = 0
        for item in self.items:
            subtotal = 0
            for _ in range(item.quantity):
                subtotal = subtotal + item.cents
            total = total + subtotal
        if with_tax:
            total = total * (100 + TAX_PERCENT) // 100
        return total
"""
#: an aider-style SEARCH/REPLACE edit of the original file, not a whole definition
INVENTORY_SEARCH_REPLACE = """Multiplying price by quantity replaces the inner loop, and sum() runs the outer one in C.

pkg/inventory.py
```python
<<<<<<< SEARCH
        total = 0
        for item in self.items:
            subtotal = 0
            for _ in range(item.quantity):
                subtotal = subtotal + item.cents
            total = total + subtotal
=======
        total = sum(item.cents * item.quantity for item in self.items)
>>>>>>> REPLACE
```
"""
#: a V4A patch of the original file
INVENTORY_V4A = """The line profile shows the inner loop taking 90% of the time: one multiplication replaces it.

*** Begin Patch
*** Update File: pkg/inventory.py
@@ def total_value(self, with_tax=False):
         total = 0
         for item in self.items:
-            subtotal = 0
-            for _ in range(item.quantity):
-                subtotal = subtotal + item.cents
-            total = total + subtotal
+            total += item.cents * item.quantity
         if with_tax:
*** End Patch
"""
#: refinement and adaptive answers without code: whatever wins came from an edit
NOTHING_TO_ADD = "The candidate is already as fast as this code can be; I have nothing to add."
#: unittest-style tests, a parametrized pytest test and a fixture, as models write them
INVENTORY_TESTS = """```python
import unittest

import pytest

from pkg.inventory import Inventory, Item


@pytest.fixture
def stocked():
    inventory = Inventory()
    for i in range(1, 200):
        inventory.add(Item(f"item-{i}", i * 7 % 1000, i % 13))
    return inventory


class TestTotalValue(unittest.TestCase):
    def test_empty(self):
        self.assertEqual(Inventory().total_value(), 0)

    def test_one_item(self):
        inventory = Inventory([Item("a", 250, 4)])
        self.assertEqual(inventory.total_value(), 1000)
        self.assertEqual(inventory.total_value(with_tax=True), 1200)


@pytest.mark.parametrize("quantity", [0, 1, 5, 50])
def test_quantities(quantity):
    assert Inventory([Item("x", 99, quantity)]).total_value() == 99 * quantity


def test_many_items(stocked):
    expected = sum(item.cents * item.quantity for item in stocked.items)
    assert stocked.total_value() == expected
    assert stocked.total_value(with_tax=True) == expected * 120 // 100
```
"""


async def test_edit_format_answers_and_unittest_style_tests(optimize_run: Any) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/inventory.py": INVENTORY},
        {
            "optimize": INVENTORY_SEARCH_REPLACE,
            "optimize_line_profiler": INVENTORY_V4A,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": INVENTORY_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/inventory.py",
        "--function",
        "Inventory.total_value",
    )
    assert_success(outcome, "pkg/inventory.py", "item.cents * item.quantity")
    text = (outcome.project / "pkg/inventory.py").read_text()
    winner = [edit for edit in ("sum(item.cents", "total += item.cents") if edit in text]
    assert len(winner) == 1, text  # the SEARCH/REPLACE candidate or the V4A one
    assert "for _ in range(item.quantity)" not in text
    assert "def add(self, item):" in text and "TAX_PERCENT = 20" in text


# ------------------------------------------------------------------------------------------- run 7
STATS = """
def mean(values):
    total = 0
    count = 0
    for v in values:
        total += v
        count += 1
    return total / count if count else 0.0


def variance(values):
    acc = 0.0
    for v in values:
        acc += (v - mean(values)) ** 2
    return acc / len(values) if values else 0.0
"""
#: the target and its helper rewritten, and a new module-level constant they share
STATS_FAST = """The mean is computed again for every value: O(n^2). Computing it once, with len() and sum(), is O(n).

```python:pkg/stats.py
_EMPTY = 0.0


def mean(values):
    n = len(values)
    return sum(values) / n if n else _EMPTY


def variance(values):
    n = len(values)
    if not n:
        return _EMPTY
    m = mean(values)
    return sum([(v - m) ** 2 for v in values], 0.0) / n
```
"""
#: the same idea in XML tags, as some models answer
STATS_TAGGED = """<explanation>The profile shows the two Python loops; sum() over a list does both in C.</explanation>
<code>
```python:pkg/stats.py
def variance(values):
    n = len(values)
    if n == 0:
        return 0.0
    m = sum(values) / n
    return sum([(v - m) ** 2 for v in values], 0.0) / n
```
</code>
"""
STATS_TESTS = """```python
import pytest

from pkg.stats import mean, variance


def test_empty():
    assert variance([]) == 0.0
    assert mean([]) == 0.0


def test_constant():
    assert variance([3, 3, 3, 3]) == 0.0


def test_known_values():
    assert variance([1, 2, 3, 4]) == pytest.approx(1.25)
    assert variance([2, 4, 4, 4, 5, 5, 7, 9]) == pytest.approx(4.0)


def test_large():
    values = [(i * 37) % 101 for i in range(400)]
    m = sum(values) / len(values)
    assert variance(values) == pytest.approx(sum((v - m) ** 2 for v in values) / len(values))
```
"""


async def test_a_helper_rewritten_with_a_new_constant_and_a_tagged_answer(optimize_run: Any) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/stats.py": STATS},
        {
            "optimize": STATS_FAST,
            "optimize_line_profiler": STATS_TAGGED,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": STATS_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/stats.py",
        "--function",
        "variance",
    )
    assert_success(outcome, "pkg/stats.py", "sum([(v - m) ** 2 for v in values], 0.0)")
    text = (outcome.project / "pkg/stats.py").read_text()
    compile(text, "pkg/stats.py", "exec")  # whichever won, the file is whole
    if "_EMPTY" in text:  # the first candidate won: its helper and constant came along
        assert "_EMPTY = 0.0" in text and "return sum(values) / n if n else _EMPTY" in text


# ------------------------------------------------------------------------------------------- run 8
@pytest.fixture(scope="session")
def node_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Vitest and the client's npm runtime, installed once for the JavaScript/TypeScript runs."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node and npm are needed for the JavaScript/TypeScript runs")
    cached = os.environ.get("CODEFLASH_E2E_NODE_MODULES")
    root = Path(cached) if cached else tmp_path_factory.mktemp("node-deps")
    try:
        return install_node_modules(root)
    except ToolchainMissing as exc:
        pytest.skip(str(exc))


SORT_JS = """
export function sortList(xs) {
  const out = xs.slice();
  for (let i = 0; i < out.length; i++) {
    for (let j = 0; j < out.length - 1 - i; j++) {
      if (out[j] > out[j + 1]) {
        const t = out[j];
        out[j] = out[j + 1];
        out[j + 1] = t;
      }
    }
  }
  return out;
}
"""
SORT_TS = SORT_JS.replace("sortList(xs)", "sortList(xs: number[]): number[]")
SORT_JS_FAST = (
    "The bubble sort is O(n^2); the built-in sort is O(n log n) in native code. A numeric comparator "
    "keeps the order of numbers.\n\n```{tag}:src/sorter.{ext}\n{header}\n"
    "  return xs.slice().sort((a, b) => a - b);\n}}\n```\n"
)
#: Vitest tests as models write them; the import of the code under test is the engine's to fix
SORT_JS_TESTS = """```{tag}
import {{ describe, it, expect }} from 'vitest';
import {{ sortList }} from './sorter';

describe('sortList', () => {{
  it('sorts a small list', () => {{
    expect(sortList([3, 1, 2])).toEqual([1, 2, 3]);
  }});
  it('leaves its input alone', () => {{
    const xs = [5, 4, 3];
    sortList(xs);
    expect(xs).toEqual([5, 4, 3]);
  }});
  it('handles negatives and duplicates', () => {{
    expect(sortList([0, -1, 5, -1, 3])).toEqual([-1, -1, 0, 3, 5]);
  }});
  it('sorts many numbers', () => {{
    const xs = Array.from({{ length: 2000 }}, (_, i) => (i * 7919) % 2003);
    expect(sortList(xs)).toEqual(xs.slice().sort((a, b) => a - b));
  }});
  it('sorts a reversed list', () => {{
    const xs = Array.from({{ length: 1500 }}, (_, i) => 1500 - i);
    expect(sortList(xs)[0]).toBe(1);
  }});
}});
```
"""


@pytest.mark.parametrize("language", ["javascript", "typescript"])
async def test_a_javascript_or_typescript_function(
    optimize_run: Any, node_modules: Path, tmp_path: Path, language: str
) -> None:
    ts = language == "typescript"
    ext, tag = ("ts", "typescript") if ts else ("js", "javascript")
    header = "export function sortList(xs: number[]): number[] {" if ts else "export function sortList(xs) {"
    fast = SORT_JS_FAST.format(tag=tag, ext=ext, header=header)
    project = write_js_project(
        tmp_path / "js-project", {f"src/sorter.{ext}": SORT_TS if ts else SORT_JS}, node_modules, typescript=ts
    )
    outcome: Outcome = await optimize_run(
        {},
        {
            "optimize": fast,
            "optimize_line_profiler": fast,
            "refine": fast,
            "adaptive": fast,
            "testgen": SORT_JS_TESTS.format(tag=tag),
            **COMMON,
        },
        "--file",
        f"src/sorter.{ext}",
        "--function",
        "sortList",
        project=project,
    )
    assert_success(outcome, f"src/sorter.{ext}", "return xs.slice().sort((a, b) => a - b);")


# ------------------------------------------------------------------------------------------- run 9
#: a nested package with a relative import; the target is a staticmethod used by a property
SHAPES_FILES = {
    "pkg/shapes/__init__.py": "",
    "pkg/shapes/util.py": """
def cross(ax, ay, bx, by):
    return ax * by - ay * bx
""",
    "pkg/shapes/geometry.py": '''
from .util import cross


class Polygon:
    def __init__(self, points):
        self.points = list(points)

    @staticmethod
    def area_of(points):
        """Shoelace formula."""
        total = 0
        n = len(points)
        for i in range(n):
            j = (i + 1) % n
            xi = points[i][0]
            yi = points[i][1]
            xj = points[j][0]
            yj = points[j][1]
            total = total + cross(xi, yi, xj, yj)
        return abs(total) / 2

    @property
    def area(self):
        return Polygon.area_of(self.points)
''',
}
SHAPES_FAST = '''Index arithmetic and the helper call dominate; zip over a rotated copy with the cross product inline.

```python:pkg/shapes/geometry.py
class Polygon:
    @staticmethod
    def area_of(points):
        """Shoelace formula."""
        if not points:
            return 0.0
        rotated = points[1:] + points[:1]
        total = sum(x1 * y2 - y1 * x2 for (x1, y1), (x2, y2) in zip(points, rotated))
        return abs(total) / 2
```
'''
SHAPES_TESTS = """```python
from unittest import mock

import pytest

from pkg.shapes.geometry import Polygon


def test_unit_square():
    assert Polygon.area_of([(0, 0), (1, 0), (1, 1), (0, 1)]) == 1


def test_triangle_and_property():
    poly = Polygon([(0, 0), (4, 0), (0, 3)])
    assert poly.area == 6


def test_empty_and_degenerate():
    assert Polygon.area_of([]) == 0
    assert Polygon.area_of([(1, 1)]) == 0


def test_many_points():
    pts = [(i % 97, (i * 31) % 89) for i in range(3000)]
    nxt = pts[1:] + pts[:1]
    expected = abs(sum(a[0] * b[1] - a[1] * b[0] for a, b in zip(pts, nxt))) / 2
    assert Polygon.area_of(pts) == pytest.approx(expected)
```
"""


async def test_a_staticmethod_in_a_nested_package(optimize_run: Any) -> None:
    outcome: Outcome = await optimize_run(
        SHAPES_FILES,
        {
            "optimize": SHAPES_FAST,
            "optimize_line_profiler": SHAPES_FAST,
            "refine": SHAPES_FAST,
            "adaptive": SHAPES_FAST,
            "testgen": SHAPES_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/shapes/geometry.py",
        "--function",
        "Polygon.area_of",
    )
    assert_success(outcome, "pkg/shapes/geometry.py", "zip(points, rotated)")
    text = (outcome.project / "pkg/shapes/geometry.py").read_text()
    assert "    @staticmethod\n    def area_of(points):" in text and "def area(self):" in text


def dump_llm_exchange(outcome: Outcome, path: Path) -> None:
    """Every request the fake LLM saw (task, prompt), kept beside the run for a failure's diagnosis."""
    parts = [
        f"===== {task_of(r)} ({r.api})\n--- system\n{r.system}\n--- user\n{r.user}\n" for r in outcome.fake.requests
    ]
    path.write_text("\n".join(parts))


# ------------------------------------------------------------------------------------------- run 10
#: a package using relative imports; the answer is a chatty markdown answer: prose between two
#: path-tagged blocks (the target's module, with a changed import list, and the helper's module,
#: with a new function) and a closing usage example, as models write despite the instructions
TEXT_FILES = {
    "pkg/text/__init__.py": "",
    "pkg/text/normalize.py": r"""
import re

_PUNCT = re.compile(r"[^\w\s]")


def normalize_word(word):
    return _PUNCT.sub("", word.lower())
""",
    "pkg/text/counter.py": """
from .normalize import normalize_word


def word_counts(text):
    counts = {}
    for raw in text.split():
        word = normalize_word(raw)
        if not word:
            continue
        if word in counts:
            counts[word] = counts[word] + 1
        else:
            counts[word] = 1
    return counts
""",
}
TEXT_FAST = r"""## What is slow

`word_counts` calls `normalize_word` once per token, so the regular expression and `str.lower()` run
thousands of times on tiny strings, and the counting is done with a dictionary lookup in Python.

## The fix

1. Normalise the **whole text once**: lowering and stripping punctuation commute with splitting on
   whitespace (the pattern never removes whitespace), so the result is the same.
2. Count with `collections.Counter`, which counts in C and keeps first-seen order; `dict()` turns it
   back into the plain `dict` the callers get today.

Here is the updated counter module:

```python:pkg/text/counter.py
from collections import Counter

from .normalize import normalize_text


def word_counts(text):
    return dict(Counter(normalize_text(text).split()))
```

And the helper module gains a whole-text variant (`normalize_word` stays, other code may use it):

```python:pkg/text/normalize.py
import re

_PUNCT = re.compile(r"[^\w\s]")


def normalize_word(word):
    return _PUNCT.sub("", word.lower())


def normalize_text(text):
    return _PUNCT.sub("", text.lower())
```

Usage is unchanged:

```python
>>> word_counts("The cat, the hat.")
{'the': 2, 'cat': 1, 'hat': 1}
```

On a 10,000-word text this is roughly 5-8x faster.
"""
TEXT_TESTS = """```python
from pkg.text.counter import word_counts


def test_simple():
    assert word_counts("The cat, the hat.") == {"the": 2, "cat": 1, "hat": 1}


def test_order_is_first_seen():
    assert list(word_counts("b a b c a")) == ["b", "a", "c"]


def test_punctuation_only_tokens_are_dropped():
    assert word_counts("-- ... !!") == {}
    assert word_counts("") == {}


def test_inner_punctuation_and_whitespace():
    assert word_counts("don't\\tstop\\nDON'T  e-mail") == {"dont": 2, "stop": 1, "email": 1}


def test_long_text():
    words = ["Alpha,", "beta", "GAMMA.", "delta!", "alpha", "(beta)"]
    text = " ".join(words[(i * 7) % len(words)] for i in range(6000))
    counts = word_counts(text)
    assert counts == {"alpha": 2000, "beta": 2000, "gamma": 1000, "delta": 1000}
```
"""


async def test_relative_imports_and_a_chatty_answer_changing_two_modules(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        TEXT_FILES,
        {
            "optimize": TEXT_FAST,
            "optimize_line_profiler": TEXT_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": TEXT_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/text/counter.py",
        "--function",
        "word_counts",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/text/counter.py", "return dict(Counter(normalize_text(text).split()))")
    counter = (outcome.project / "pkg/text/counter.py").read_text()
    assert "from .normalize import normalize_text" in counter and "from collections import Counter" in counter
    assert ">>>" not in counter  # the usage example is not code to write
    normalize = (outcome.project / "pkg/text/normalize.py").read_text()
    # (codeflash 0.20.6 writes a new helper function twice: add_global_assignments and then
    # replace_functions_in_file each add it; harmless at run time, so only its presence is checked)
    assert "def normalize_text(text):" in normalize and "def normalize_word(word):" in normalize


# ------------------------------------------------------------------------------------------- run 11
#: a module of several functions; the answer is a fenced unified diff with two hunks (a new import
#: at the top, the target's body) whose context is only what the prompt showed
REPORT = """
from collections import defaultdict


def parse_record(line):
    key, _, amount = line.partition(",")
    return key.strip(), int(amount)


def totals_by_key(records):
    totals = defaultdict(int)
    for key, amount in records:
        totals[key] += amount
    return dict(totals)


def top_keys(records, n=3):
    totals = totals_by_key(records)
    remaining = dict(totals)
    result = []
    while remaining and len(result) < n:
        best = None
        for key in remaining:
            if best is None or (remaining[key], key) > (remaining[best], best):
                best = key
        result.append(best)
        del remaining[best]
    return result


def format_report(records, n=3):
    totals = totals_by_key(records)
    return "\\n".join(f"{key}: {totals[key]}" for key in top_keys(records, n))
"""
REPORT_DIFF = """`top_keys` finds the maximum of the remaining keys n times, which is O(n * k). `heapq.nlargest` \
selects the n largest `(total, key)` pairs in one O(k log n) pass and returns them in the same \
descending order, so ties on the total are still broken by the larger key.

```diff
--- a/pkg/report.py
+++ b/pkg/report.py
@@ -1,3 +1,4 @@
+import heapq
 from collections import defaultdict
\x20
\x20
@@ -15,13 +16,5 @@ def totals_by_key(records):
\x20
 def top_keys(records, n=3):
     totals = totals_by_key(records)
-    remaining = dict(totals)
-    result = []
-    while remaining and len(result) < n:
-        best = None
-        for key in remaining:
-            if best is None or (remaining[key], key) > (remaining[best], best):
-                best = key
-        result.append(best)
-        del remaining[best]
-    return result
+    largest = heapq.nlargest(n, zip(totals.values(), totals.keys()))
+    return [key for _, key in largest]
```
"""
REPORT_TESTS = """```python
from pkg.report import format_report, top_keys


def test_basic():
    records = [("a", 5), ("b", 7), ("a", 4), ("c", 1)]
    assert top_keys(records) == ["a", "b", "c"]
    assert top_keys(records, n=1) == ["a"]


def test_ties_take_the_larger_key():
    assert top_keys([("x", 2), ("y", 2), ("w", 2)], n=2) == ["y", "x"]


def test_n_larger_than_keys_and_nothing():
    assert top_keys([("k", 1)], n=10) == ["k"]
    assert top_keys([], n=3) == []
    assert top_keys([("k", 1)], n=0) == []


def test_report():
    assert format_report([("a", 1), ("b", 3)], n=2) == "b: 3\\na: 1"


def test_many_keys():
    records = [(f"key{i % 2500:04d}", (i * 7919) % 1009) for i in range(10000)]
    totals = {}
    for key, amount in records:
        totals[key] = totals.get(key, 0) + amount
    expected = [key for _, key in sorted(((v, k) for k, v in totals.items()), reverse=True)[:60]]
    assert top_keys(records, n=60) == expected
```
"""


async def test_a_unified_diff_against_a_module_of_several_functions(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/report.py": REPORT},
        {
            "optimize": REPORT_DIFF,
            "optimize_line_profiler": REPORT_DIFF,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": REPORT_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/report.py",
        "--function",
        "top_keys",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/report.py", "heapq.nlargest(n, zip(totals.values(), totals.keys()))")
    text = (outcome.project / "pkg/report.py").read_text()
    assert "import heapq" in text and "while remaining" not in text
    for untouched in ("def parse_record(line):", "def totals_by_key(records):", "def format_report(records, n=3):"):
        assert untouched in text, text


# ------------------------------------------------------------------------------------------- run 12
#: the target calls a memoised helper (``@functools.lru_cache``); the answer rewrites both, moves to
#: ``from functools import lru_cache`` and must keep the helper memoised
PRICING = """
import functools

RATES = {"standard": 100, "express": 250, "overnight": 600}
STEP_GRAMS = 500


@functools.lru_cache(maxsize=None)
def rate_table(kind):
    base = RATES[kind]
    table = []
    for step in range(64):
        table.append(base + 15 * step)
    return tuple(table)


def shipping_cost(parcels, kind="standard"):
    table = rate_table(kind)
    total = 0
    for weight in parcels:
        step = 0
        while step < len(table) - 1 and (step + 1) * STEP_GRAMS <= weight:
            step += 1
        total += table[step]
    return total
"""
PRICING_FAST = """The inner `while` loop walks the rate table one 500 g step at a time, so a 30 kg parcel costs 60 \
iterations. The step is simply `weight // STEP_GRAMS`, clamped to the table, so each parcel is O(1). \
The table itself is built with `range` (still memoised with `lru_cache`).

```python:pkg/pricing.py
from functools import lru_cache

RATES = {"standard": 100, "express": 250, "overnight": 600}
STEP_GRAMS = 500


@lru_cache(maxsize=None)
def rate_table(kind):
    base = RATES[kind]
    return tuple(range(base, base + 15 * 64, 15))


def shipping_cost(parcels, kind="standard"):
    table = rate_table(kind)
    last = len(table) - 1
    total = 0
    for weight in parcels:
        step = int(weight // STEP_GRAMS) if weight >= STEP_GRAMS else 0
        total += table[step if step < last else last]
    return total
```
"""
PRICING_TESTS = """```python
import pytest

from pkg.pricing import rate_table, shipping_cost


def test_light_parcels():
    assert shipping_cost([0, 1, 499]) == 300
    assert shipping_cost([500], kind="express") == 265


def test_heavy_parcels_are_capped():
    assert shipping_cost([10**6], kind="overnight") == 600 + 15 * 63


def test_negative_and_float_weights():
    assert shipping_cost([-20, 750.5, 999.9, 1000.0]) == 100 + 115 + 115 + 130


def test_unknown_kind():
    with pytest.raises(KeyError):
        shipping_cost([1], kind="drone")


def test_table_is_memoised():
    assert rate_table("standard") is rate_table("standard")
    assert len(rate_table("express")) == 64


def test_many_parcels():
    parcels = [(i * 7919) % 33000 for i in range(5000)]
    expected = sum(100 + 15 * min(w // 500, 63) for w in parcels)
    assert shipping_cost(parcels) == expected
```
"""


async def test_a_memoised_helper_and_a_changed_import_style(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/pricing.py": PRICING},
        {
            "optimize": PRICING_FAST,
            "optimize_line_profiler": PRICING_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": PRICING_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/pricing.py",
        "--function",
        "shipping_cost",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/pricing.py", "total += table[step if step < last else last]")
    text = (outcome.project / "pkg/pricing.py").read_text()
    compile(text, "pkg/pricing.py", "exec")
    # the helper stays memoised, whichever spelling of the decorator was kept, and its import is there
    assert re.search(r"@(functools\.)?lru_cache\(maxsize=None\)\ndef rate_table\(kind\):", text), text
    if "@lru_cache" in text:
        assert "from functools import lru_cache" in text, text
    else:
        assert "import functools" in text, text


# ------------------------------------------------------------------------------------------- run 13
#: lookup tables at module level (new constants) in a module with a docstring, ``__all__``, a
#: constant table and other functions; built from literals, or from the module's own constant (which
#: codeflash 0.20.6 cannot place: see the xfail)
DNA = '''
"""DNA sequence helpers."""

from collections import Counter

__all__ = ["base_counts", "gc_content", "reverse_complement"]

COMPLEMENT = {"A": "T", "T": "A", "C": "G", "G": "C", "N": "N"}


def base_counts(seq):
    return dict(Counter(seq.upper()))


def gc_content(seq):
    if not seq:
        return 0.0
    return sum(1 for base in seq.upper() if base in "GC") / len(seq)


def reverse_complement(seq):
    out = ""
    for base in reversed(seq.upper()):
        out += COMPLEMENT[base]
    return out
'''
#: the tables spelled out from literals (what models often write)
DNA_FAST = """Building the result one character at a time is O(n) dictionary lookups and string appends in \
Python. `str.translate` with a table made once by `str.maketrans` does the mapping in C, and slicing \
with `[::-1]` reverses in C. `translate` would pass unknown characters through, so a set check first \
keeps the `KeyError` (for the same character: the last invalid one, as the reversed loop meets it first).

```python:pkg/dna.py
_VALID = frozenset("ACGTN")
_TABLE = str.maketrans("ACGTN", "TGCAN")


def reverse_complement(seq):
    s = seq.upper()
    if not _VALID.issuperset(s):
        for base in reversed(s):
            if base not in _VALID:
                raise KeyError(base)
    return s[::-1].translate(_TABLE)
```
"""
#: the same tables built from the module's own constant, which the answer repeats unchanged
DNA_FAST_FROM_CONSTANT = DNA_FAST.replace(
    '_VALID = frozenset("ACGTN")\n_TABLE = str.maketrans("ACGTN", "TGCAN")\n',
    'COMPLEMENT = {"A": "T", "T": "A", "C": "G", "G": "C", "N": "N"}\n'
    "_VALID = frozenset(COMPLEMENT)\n_TABLE = str.maketrans(COMPLEMENT)\n",
)
DNA_TESTS = """```python
import pytest

from pkg.dna import reverse_complement


def test_simple():
    assert reverse_complement("ATGC") == "GCAT"


def test_lowercase_and_n():
    assert reverse_complement("aacgn") == "NCGTT"


def test_empty():
    assert reverse_complement("") == ""


def test_invalid_base():
    with pytest.raises(KeyError):
        reverse_complement("ACGU")
    with pytest.raises(KeyError):
        reverse_complement("X" + "A" * 50)


def test_long_sequence_round_trips():
    seq = "".join("ACGTN"[(i * 7) % 5] for i in range(20000))
    rc = reverse_complement(seq)
    assert len(rc) == 20000
    assert reverse_complement(rc) == seq
```
"""


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(DNA_FAST, id="from-literals"),
        pytest.param(
            DNA_FAST_FROM_CONSTANT,
            id="from-the-constant",
            marks=pytest.mark.xfail(
                strict=True,
                reason="codeflash 0.20.6 inserts new module-level assignments right after the imports "
                "(GlobalAssignmentTransformer.leave_Module: only those naming a def/class go after the "
                "definitions), so `_TABLE = str.maketrans(COMPLEMENT)` lands above `COMPLEMENT = ...`: "
                "NameError on import; the engine's candidate has them in the right order",
            ),
        ),
    ],
)
async def test_module_level_lookup_tables(optimize_run: Any, tmp_path: Path, answer: str) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/dna.py": DNA},
        {
            "optimize": answer,
            "optimize_line_profiler": answer,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": DNA_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/dna.py",
        "--function",
        "reverse_complement",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/dna.py", "return s[::-1].translate(_TABLE)")
    text = (outcome.project / "pkg/dna.py").read_text()
    compile(text, "pkg/dna.py", "exec")
    assert text.count("COMPLEMENT = {") == 1, text
    assert text.index('"""DNA sequence helpers."""') < text.index("_TABLE = str.maketrans("), text
    assert '__all__ = ["base_counts", "gc_content", "reverse_complement"]' in text and "def gc_content(seq):" in text


# ------------------------------------------------------------------------------------------- run 14
#: a src layout (``module-root = "src/pkg"``), typing-only imports under ``if TYPE_CHECKING:``
#: (with postponed annotations) and a frozen dataclass from another module, which the tests build (so
#: they import the class the client adds to the tests' context under its absolute path); the answer
#: repeats the guarded block (trimmed to its own needs) and adds a runtime import
ORDERS_FILES = {
    "src/pkg/models.py": """
from dataclasses import dataclass


@dataclass(frozen=True)
class Order:
    customer: str
    cents: int
    status: str = "paid"
""",
    "src/pkg/orders.py": """
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from pkg.models import Order


def count_open(orders: Iterable[Order]) -> int:
    return sum(1 for order in orders if order.status == "open")


def paid_totals(orders: Sequence[Order], customers: Sequence[str]) -> list[int]:
    result = []
    for customer in customers:
        total = 0
        for order in orders:
            if order.customer == customer and order.status == "paid":
                total += order.cents
        result.append(total)
    return result
""",
}
ORDERS_FAST = """`paid_totals` scans every order once per customer: O(customers x orders). Summing the paid \
orders per customer in one pass and then looking each customer up is O(customers + orders); a customer \
without paid orders still gets 0, and the list keeps the order (and repeats) of `customers`.

```python:src/pkg/orders.py
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pkg.models import Order


def paid_totals(orders: Sequence[Order], customers: Sequence[str]) -> list[int]:
    totals: defaultdict[str, int] = defaultdict(int)
    for order in orders:
        if order.status == "paid":
            totals[order.customer] += order.cents
    get = totals.get
    return [get(customer, 0) for customer in customers]
```
"""
ORDERS_TESTS = """```python
from pkg.models import Order
from pkg.orders import paid_totals


def test_basic():
    orders = [Order("ann", 500), Order("bob", 250), Order("ann", 100, "open"), Order("ann", 50)]
    assert paid_totals(orders, ["ann", "bob"]) == [550, 250]


def test_missing_and_repeated_customers():
    orders = [Order("ann", 5)]
    assert paid_totals(orders, ["zed", "ann", "ann"]) == [0, 5, 5]
    assert paid_totals([], ["ann"]) == [0]
    assert paid_totals(orders, []) == []


def test_refunded_orders_do_not_count():
    assert paid_totals([Order("ann", 5, "refunded")], ["ann"]) == [0]


def test_many():
    statuses = ("paid", "open", "paid", "refunded")
    orders = [Order(f"c{i % 300}", (i * 37) % 1000, statuses[i % 4]) for i in range(6000)]
    customers = [f"c{i}" for i in range(0, 320, 2)]
    expected = [sum(o.cents for o in orders if o.customer == c and o.status == "paid") for c in customers]
    assert paid_totals(orders, customers) == expected
```
"""


async def test_a_src_layout_with_type_checking_imports_and_a_dataclass(optimize_run: Any, tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", ORDERS_FILES, module_root="src/pkg")
    outcome: Outcome = await optimize_run(
        {},
        {
            "optimize": ORDERS_FAST,
            "optimize_line_profiler": ORDERS_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": ORDERS_TESTS,
            **COMMON,
        },
        "--file",
        "src/pkg/orders.py",
        "--function",
        "paid_totals",
        project=project,
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    testgen_prompt = next(r.user for r in outcome.fake.requests if task_of(r) == "testgen")
    # the client names the context class's file by its absolute path; the model sees it relative to
    # the project, and the engine still maps it to pkg.models (the tests import Order from there)
    assert re.search(r"```python:(?:src/)?pkg/models\.py\n@dataclass", testgen_prompt), testgen_prompt
    assert str(outcome.project) not in testgen_prompt
    assert_success(outcome, "src/pkg/orders.py", "totals[order.customer] += order.cents")
    text = (outcome.project / "src/pkg/orders.py").read_text()
    compile(text, "src/pkg/orders.py", "exec")
    assert text.startswith("from __future__ import annotations\n"), text
    assert text.count("if TYPE_CHECKING:") == 1, text  # the guarded block is not repeated
    assert "Iterable" in text.split("def count_open")[0], text  # count_open's annotation still resolves
    assert "from collections import defaultdict" in text and "def count_open(" in text


# ------------------------------------------------------------------------------------------- run 15
#: a module indented with tabs, or with two spaces (Google style); the answer, in four spaces as
#: models write, rewrites a method and adds a module-level helper: the file keeps one indentation
#: (the engine converts the answer's units to the file's, as the CLI does for code it adds itself)
LEDGER = """
class Ledger:
    def __init__(self, entries):
        self.entries = list(entries)

    def balances(self, accounts):
        result = []
        for account in accounts:
            total = 0
            for name, amount in self.entries:
                if name == account:
                    total += amount
            result.append(total)
        return result

    def size(self):
        return len(self.entries)
"""
LEDGER_FAST = """`balances` scans every entry once per account: O(accounts x entries). One pass sums the \
entries per account (`_totals`, a module-level helper), then each account is a dictionary lookup.

```python:pkg/ledger.py
class Ledger:
    def balances(self, accounts):
        totals = _totals(self.entries)
        result = []
        for account in accounts:
            result.append(totals.get(account, 0))
        return result


def _totals(entries):
    totals = {}
    for name, amount in entries:
        if name in totals:
            totals[name] += amount
        else:
            totals[name] = amount
    return totals
```
"""
LEDGER_TESTS = """```python
from pkg.ledger import Ledger


def test_basic():
    ledger = Ledger([("ann", 5), ("bob", -2), ("ann", 7)])
    assert ledger.balances(["ann", "bob", "cy"]) == [12, -2, 0]


def test_empty():
    assert Ledger([]).balances(["ann"]) == [0]
    assert Ledger([("ann", 1)]).balances([]) == []


def test_many():
    entries = [(f"acct{i % 200}", (i * 37) % 101 - 50) for i in range(5000)]
    accounts = [f"acct{i}" for i in range(0, 240, 3)]
    expected = [sum(a for n, a in entries if n == acct) for acct in accounts]
    assert Ledger(entries).balances(accounts) == expected
```
"""


@pytest.mark.parametrize("unit", ["\t", "  "], ids=["tabs", "two-spaces"])
async def test_a_file_indented_with_tabs_or_two_spaces(optimize_run: Any, tmp_path: Path, unit: str) -> None:
    source = "".join(
        unit * ((len(line) - len(line.lstrip(" "))) // 4) + line.lstrip(" ") for line in LEDGER.splitlines(True)
    )
    project = write_project(tmp_path / "project", {"pkg/ledger.py": source})
    outcome: Outcome = await optimize_run(
        {},
        {
            "optimize": LEDGER_FAST,
            "optimize_line_profiler": LEDGER_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": LEDGER_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/ledger.py",
        "--function",
        "Ledger.balances",
        project=project,
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/ledger.py", "totals = _totals(self.entries)")
    text = (outcome.project / "pkg/ledger.py").read_text()
    compile(text, "pkg/ledger.py", "exec")
    u = unit
    assert f"{u}def balances(self, accounts):\n{u * 2}totals = _totals(self.entries)\n" in text, text
    assert f"{u * 2}for account in accounts:\n{u * 3}result.append(totals.get(account, 0))\n" in text, text
    # (written twice by codeflash 0.20.6, as in run 10: only its indentation is checked)
    assert f"def _totals(entries):\n{u}totals = {{}}\n{u}for name, amount in entries:\n{u * 2}if name" in text, text
    assert f"{u}def size(self):\n{u * 2}return len(self.entries)\n" in text, text
    indents = {line[: len(line) - len(line.lstrip())] for line in text.splitlines() if line.strip()}
    assert indents == {"", u, u * 2, u * 3}, (indents, text)  # one unit throughout, nothing mixed


# ------------------------------------------------------------------------------------------- run 16
#: a module in sections separated by form feeds (``^L`` page breaks, as Emacs users write), which
#: Python reads as whitespace but ``str.splitlines`` as line ends: the answer is merged where the
#: target is, not some lines above it
PAGED = """
\"\"\"Inventory reports.\"\"\"

import math
\x0c
# ---- constants

SCALE = 100
\x0c
# ---- reports


def restock(levels, minimum):
    orders = []
    for name, level in levels.items():
        if level < minimum:
            missing = minimum - level
            position = 0
            while position < len(orders) and orders[position][0] < name:
                position += 1
            orders.insert(position, (name, math.ceil(missing / SCALE) * SCALE))
    return orders


def describe(orders):
    return ", ".join(f"{name}: {amount}" for name, amount in orders)
"""
PAGED_FAST = """Each order is inserted after a linear scan for its position: O(n^2). Filtering first and \
sorting once is O(n log n), and `-(-x // SCALE)` rounds up with integers.

```python:pkg/paged.py
def restock(levels, minimum):
    low = [(name, level) for name, level in levels.items() if level < minimum]
    low.sort()
    return [(name, -((level - minimum) // SCALE) * SCALE) for name, level in low]
```
"""
PAGED_TESTS = """```python
from pkg.paged import restock


def test_basic():
    assert restock({"b": 5, "a": 250, "c": 0}, 100) == [("b", 100), ("c", 100)]


def test_nothing_low():
    assert restock({"a": 500}, 100) == []
    assert restock({}, 100) == []


def test_many():
    levels = {f"item{i:05d}": (i * 37) % 1000 for i in range(1500)}
    orders = restock(levels, 400)
    assert orders == sorted(orders)
    assert all(amount % 100 == 0 and amount > 0 for _, amount in orders)
    assert len(orders) == sum(1 for v in levels.values() if v < 400)
```
"""


async def test_a_module_in_sections_separated_by_form_feeds(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/paged.py": PAGED},
        {
            "optimize": PAGED_FAST,
            "optimize_line_profiler": PAGED_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": PAGED_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/paged.py",
        "--function",
        "restock",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(
        outcome, "pkg/paged.py", "low = [(name, level) for name, level in levels.items() if level < minimum]"
    )
    text = (outcome.project / "pkg/paged.py").read_text()
    compile(text, "pkg/paged.py", "exec")
    assert "orders.insert" not in text and "missing = minimum - level" not in text, text
    assert text.count("\x0c") == 2 and "def describe(orders):" in text, text


# ------------------------------------------------------------------------------------------- run 17
#: an answer that keeps the original under another name "for comparison", adds a benchmark
#: function (with the import only it needs) and a constant nothing reads, as models do despite the
#: instructions: the client adds every new top-level definition to the user's file, so the engine
#: leaves out those nothing the candidate keeps refers to (a new helper the function calls stays)
TAGS = """
def unique_tags(posts):
    seen = []
    for post in posts:
        for tag in post:
            tag = tag.strip().lower()
            if tag and tag not in seen:
                seen.append(tag)
    return seen


def tag_count(posts):
    return len(unique_tags(posts))
"""
TAGS_FAST = """`tag not in seen` scans the list of tags seen so far for every tag: O(n^2). A dictionary keeps \
the first-seen order and answers membership in O(1); normalising moves into a helper.

```python:pkg/tags.py
import timeit

_MAX_TAGS = 10_000


def _normal(tag):
    return tag.strip().lower()


def unique_tags(posts):
    seen = {}
    for post in posts:
        for tag in post:
            tag = _normal(tag)
            if tag:
                seen[tag] = None
    return list(seen)


def unique_tags_reference(posts):
    seen = []
    for post in posts:
        for tag in post:
            tag = tag.strip().lower()
            if tag and tag not in seen:
                seen.append(tag)
    return seen


def benchmark():
    posts = [[f"tag{i % 500}", f"Tag{i % 300} "] for i in range(5000)]
    assert unique_tags(posts) == unique_tags_reference(posts)
    return timeit.timeit(lambda: unique_tags(posts), number=10)
```

On my machine `benchmark()` shows about a 40x speedup.
"""
TAGS_TESTS = """```python
from pkg.tags import unique_tags


def test_order_and_normalising():
    assert unique_tags([["Python", " web "], ["python", "API"], [""]]) == ["python", "web", "api"]


def test_empty():
    assert unique_tags([]) == []
    assert unique_tags([[], ["  "]]) == []


def test_many():
    posts = [[f"tag{i % 700}", f" TAG{(i * 7) % 900} "] for i in range(3000)]
    out = unique_tags(posts)
    assert len(out) == len(set(out)) == 900
```
"""


async def test_an_answer_with_a_draft_a_benchmark_and_an_unused_constant(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/tags.py": TAGS},
        {
            "optimize": TAGS_FAST,
            "optimize_line_profiler": TAGS_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": TAGS_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/tags.py",
        "--function",
        "unique_tags",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/tags.py", "seen[tag] = None")
    text = (outcome.project / "pkg/tags.py").read_text()
    compile(text, "pkg/tags.py", "exec")
    assert "def _normal(tag):" in text and "def tag_count(posts):" in text, text
    for left_out in ("unique_tags_reference", "def benchmark", "timeit", "_MAX_TAGS"):
        assert left_out not in text, (left_out, text)


# ------------------------------------------------------------------------------------------- run 18
#: a method of a frozen dataclass, in a module named like a standard one (``pkg/statistics.py``,
#: the tests importing both); a test checks a count computed from its data size (3000 values,
#: windows of 50: 2951 sums), which the engine's size cap must not break by cutting the size alone
SERIES = """
from dataclasses import dataclass


@dataclass(frozen=True)
class Series:
    values: tuple

    def moving_sum(self, k):
        out = []
        for i in range(len(self.values) - k + 1):
            total = 0
            for j in range(i, i + k):
                total = total + self.values[j]
            out.append(total)
        return out
"""
SERIES_FAST = """Each window is summed again from scratch: O(n * k). A sliding window adds the value that \
enters and subtracts the one that leaves: O(n).

```python:pkg/statistics.py
from dataclasses import dataclass


@dataclass(frozen=True)
class Series:
    values: tuple

    def moving_sum(self, k):
        vals = self.values
        n = len(vals)
        if k <= 0 or k > n:
            return [0] * (n - k + 1) if k <= 0 else []
        total = sum(vals[:k])
        out = [total]
        for i in range(k, n):
            total += vals[i] - vals[i - k]
            out.append(total)
        return out
```
"""
SERIES_TESTS = """```python
import statistics

from pkg.statistics import Series


def test_basic():
    assert Series((1, 2, 3, 4)).moving_sum(2) == [3, 5, 7]


def test_window_longer_than_the_series():
    assert Series((1, 2)).moving_sum(3) == []


def test_mean_of_the_sums():
    sums = Series(tuple(range(100))).moving_sum(10)
    assert statistics.mean(sums) == sum(sums) / len(sums)


def test_many_values():
    series = Series(tuple((i * 7) % 13 for i in range(3000)))
    sums = series.moving_sum(50)
    assert len(sums) == 2951
    assert max(sums) <= 50 * 12
```
"""


async def test_a_frozen_dataclass_method_in_a_module_named_like_a_standard_one(
    optimize_run: Any, tmp_path: Path
) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/statistics.py": SERIES},
        {
            "optimize": SERIES_FAST,
            "optimize_line_profiler": SERIES_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": SERIES_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/statistics.py",
        "--function",
        "Series.moving_sum",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/statistics.py", "total += vals[i] - vals[i - k]")
    output = " ".join(outcome.run.output.split())
    # every generated test passes on the original code (none was broken by the size cap)
    baseline = re.search(
        r"Overall test results for original code .*?Generated Regression Tests - Passed: (\d+), Failed: (\d+)", output
    )
    assert baseline is not None and int(baseline[1]) > 0 and baseline[2] == "0", output[-5000:]
    assert "@dataclass(frozen=True)" in (outcome.project / "pkg/statistics.py").read_text()


# ------------------------------------------------------------------------------------------- run 19
#: the answer gives the class of the method a constant of its own (``_TABLE = ...`` in the class body,
#: read as ``self._TABLE``): codeflash 0.20.6 takes only the methods of an existing class from a
#: candidate, so the method ran without its attribute (AttributeError, no optimization); the engine
#: moves such a new class attribute to the module's top level, where the client carries it over
SCORER = """
class Scorer:
    def __init__(self, weight):
        self.weight = weight

    def score(self, words):
        total = 0
        for word in words:
            for ch in word:
                if ch in ["a", "e", "i", "o", "u", "y", "A", "E", "I", "O", "U", "Y"]:
                    total += 1
        return total * self.weight
"""
SCORER_FAST = """A list membership test per character is slow; `str.translate` with a table made once (a \
class constant) deletes the vowels in C, and the length difference counts them.

```python:pkg/scorer.py
class Scorer:
    _TABLE = str.maketrans("", "", "aeiouyAEIOUY")

    def score(self, words):
        text = "".join(words)
        return (len(text) - len(text.translate(self._TABLE))) * self.weight
```
"""
SCORER_TESTS = """```python
from pkg.scorer import Scorer


def test_basic():
    assert Scorer(2).score(["hello", "World"]) == 6


def test_empty():
    assert Scorer(5).score([]) == 0
    assert Scorer(5).score(["", "xyz"]) == 5


def test_many():
    words = ["Mississippi", "rhythm", "AEIOU", "queue"] * 3000
    assert Scorer(1).score(words) == (4 + 1 + 5 + 4) * 3000
```
"""


async def test_a_new_class_attribute_read_by_the_method(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/scorer.py": SCORER},
        {
            "optimize": SCORER_FAST,
            "optimize_line_profiler": SCORER_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": SCORER_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/scorer.py",
        "--function",
        "Scorer.score",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/scorer.py", "len(text.translate(_TABLE))")
    text = (outcome.project / "pkg/scorer.py").read_text()
    compile(text, "pkg/scorer.py", "exec")
    assert text.index('_TABLE = str.maketrans("", "", "aeiouyAEIOUY")') < text.index("class Scorer:"), text


# ------------------------------------------------------------------------------------------- run 20
#: the answer writes the staticmethod it optimises without ``@staticmethod`` (models write the bare
#: function): codeflash 0.20.6 takes the candidate's decorators as they are, so ``self.dedupe(x)``
#: passed the instance as ``prices``; the engine puts a method's binding decorator back (and all of
#: the original's when the answer has none)
BASKET = """
class Basket:
    def __init__(self, prices):
        self.prices = list(prices)

    @staticmethod
    def dedupe(prices):
        out = []
        for p in prices:
            if p not in out:
                out.append(p)
        return out

    def distinct_total(self):
        return sum(self.dedupe(self.prices))
"""
BASKET_FAST = """`p not in out` scans the list for every price: O(n^2). `dict.fromkeys` keeps the first-seen order \
in O(n).

```python:pkg/prices.py
class Basket:
    def dedupe(prices):
        return list(dict.fromkeys(prices))
```
"""
BASKET_TESTS = """```python
from pkg.prices import Basket


def test_basic():
    assert Basket.dedupe([3, 1, 3, 2]) == [3, 1, 2]


def test_through_an_instance():
    basket = Basket([5, 5, 2])
    assert basket.dedupe([1, 1]) == [1]
    assert basket.distinct_total() == 7


def test_many():
    prices = [(i * 7919) % 2500 for i in range(5000)]
    assert Basket(prices).dedupe(prices) == list(dict.fromkeys(prices))
```
"""


async def test_a_staticmethod_answered_without_its_decorator(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/prices.py": BASKET},
        {
            "optimize": BASKET_FAST,
            "optimize_line_profiler": BASKET_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": BASKET_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/prices.py",
        "--function",
        "Basket.dedupe",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/prices.py", "return list(dict.fromkeys(prices))")
    text = (outcome.project / "pkg/prices.py").read_text()
    assert "    @staticmethod\n    def dedupe(prices):\n        return list(dict.fromkeys(prices))\n" in text, text


# ------------------------------------------------------------------------------------------- run 21
#: ``typing.overload`` stubs before the implementation (typed libraries): the engine's candidate is
#: the file with only the implementation's body changed, but codeflash 0.20.6 replaces every
#: definition of the name, so each stub becomes a copy of the implementation and ``@overload`` (and
#: its import) are gone; the code still runs, so the run succeeds: see the xfail
OVERLOADED = """
from __future__ import annotations

from typing import overload


@overload
def clean(x: str) -> str: ...
@overload
def clean(x: list[str]) -> list[str]: ...
def clean(x):
    if isinstance(x, str):
        return x.strip()
    out = []
    for item in x:
        out = out + [item.strip()]
    return out
"""
OVERLOADED_FAST = """`out = out + [...]` copies the list for every item: O(n^2). A comprehension builds it once.

```python:pkg/clean.py
from __future__ import annotations

from typing import overload


@overload
def clean(x: str) -> str: ...
@overload
def clean(x: list[str]) -> list[str]: ...
def clean(x):
    if isinstance(x, str):
        return x.strip()
    return [item.strip() for item in x]
```
"""
OVERLOADED_TESTS = """```python
from pkg.clean import clean


def test_str():
    assert clean("  a ") == "a"


def test_list():
    assert clean([" a", "b "]) == ["a", "b"]
    assert clean([]) == []


def test_many():
    items = [f"  item{i}  " for i in range(4000)]
    assert clean(items) == [f"item{i}" for i in range(4000)]
```
"""


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,  # only the last check, on the file the CLI wrote (the others raise RuntimeError)
    reason="codeflash 0.20.6 replaces every `def clean` of the module with the candidate's implementation "
    "(replace_functions_in_file matches by name), so the two `@overload` stubs become copies of it and the "
    "now unused `from typing import overload` is removed; the engine's candidate keeps the stubs",
)
async def test_overload_stubs_before_the_implementation(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/clean.py": OVERLOADED},
        {
            "optimize": OVERLOADED_FAST,
            "optimize_line_profiler": OVERLOADED_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": OVERLOADED_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/clean.py",
        "--function",
        "clean",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    try:  # the run itself succeeds: a failure here is a real one, not the expected one
        assert "@overload" in next(r.user for r in outcome.fake.requests if task_of(r) == "optimize")
        assert_success(outcome, "pkg/clean.py", "return [item.strip() for item in x]")
    except AssertionError as exc:
        raise RuntimeError(f"the run itself failed: {exc}") from exc
    text = (outcome.project / "pkg/clean.py").read_text()
    assert text.count("@overload\ndef clean(") == 2 and text.count("return [item.strip() for item in x]") == 1, text


# ------------------------------------------------------------------------------------------- run 22
#: a class with a property and its setter, which codeflash 0.20.6 leaves out of the code it sends
#: (the model sees only ``self.entries``); the answer defines the getter anew beside the method: the
#: engine took it for a new method, and the CLI appended it to the class, replacing the property
#: (and its setter: "property 'entries' of 'Account' object has no setter"). A new method named like
#: an attribute the class reads but that the file does not show is now left out of the candidate
ACCOUNT = """
class Account:
    def __init__(self, entries):
        self._entries = list(entries)

    @property
    def entries(self):
        return list(self._entries)

    @entries.setter
    def entries(self, value):
        self._entries = list(value)

    def total_above(self, threshold):
        t = 0
        for i in range(len(self.entries)):
            e = self.entries[i]
            if e > threshold:
                t = t + e
        return t
"""
ACCOUNT_FAST = """`self.entries` copies the whole list on every access, twice per element: O(n^2). Summing the \
private list directly is O(n); the getter can copy with a slice.

```python:pkg/acct.py
class Account:
    @property
    def entries(self):
        return self._entries[:]

    def total_above(self, threshold):
        return sum(e for e in self._entries if e > threshold)
```
"""
ACCOUNT_TESTS = """```python
from pkg.acct import Account


def test_basic():
    assert Account([1, 5, 10]).total_above(4) == 15


def test_setter():
    account = Account([1])
    account.entries = (7, 8)
    assert account.entries == [7, 8]
    assert account.total_above(7) == 8


def test_many():
    values = [(i * 37) % 101 for i in range(1500)]
    assert Account(values).total_above(50) == sum(v for v in values if v > 50)
```
"""


async def test_an_answer_redefining_a_property_the_cli_did_not_send(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/acct.py": ACCOUNT},
        {
            "optimize": ACCOUNT_FAST,
            "optimize_line_profiler": ACCOUNT_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": ACCOUNT_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/acct.py",
        "--function",
        "Account.total_above",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/acct.py", "return sum(e for e in self._entries if e > threshold)")
    text = (outcome.project / "pkg/acct.py").read_text()
    assert "    @entries.setter\n    def entries(self, value):" in text and text.count("def entries(") == 2, text


# ------------------------------------------------------------------------------------------- run 23
#: the answer moves the fast code into a module of its own (a block for ``pkg/text/_kernels.py``, a
#: file the CLI did not send, and ``from ._kernels import ...`` in the target's module): the CLI
#: writes only the files it sent, so the import failed (ModuleNotFoundError); the engine folds the
#: new module's code into the file that imports from it
RUNS = """
def longest_run(values):
    best = 0
    for i in range(len(values)):
        length = 1
        while i + length < len(values) and values[i + length] == values[i]:
            length += 1
        if length > best:
            best = length
    return best
"""
RUNS_FAST = """Every position starts a new scan of its run: O(n * run length). `itertools.groupby` walks the \
values once, in C. I put the kernel in a small module of its own so it can be reused.

```python:pkg/text/_kernels.py
from itertools import groupby


def max_group_length(values):
    return max((sum(1 for _ in group) for _, group in groupby(values)), default=0)
```

```python:pkg/text/runs.py
from ._kernels import max_group_length


def longest_run(values):
    return max_group_length(values)
```
"""
RUNS_TESTS = """```python
from pkg.text.runs import longest_run


def test_basic():
    assert longest_run([1, 1, 2, 2, 2, 1]) == 3
    assert longest_run("aabbbbc") == 4


def test_empty_and_single():
    assert longest_run([]) == 0
    assert longest_run([7]) == 1


def test_long_runs():
    values = [i // 400 for i in range(6000)]
    assert longest_run(values) == 400
```
"""


async def test_an_answer_that_moves_code_into_a_new_module(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/text/__init__.py": "", "pkg/text/runs.py": RUNS},
        {
            "optimize": RUNS_FAST,
            "optimize_line_profiler": RUNS_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": RUNS_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/text/runs.py",
        "--function",
        "longest_run",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/text/runs.py", "return max_group_length(values)")
    text = (outcome.project / "pkg/text/runs.py").read_text()
    compile(text, "pkg/text/runs.py", "exec")
    assert "def max_group_length(values):" in text and "_kernels" not in text, text
    assert not (outcome.project / "pkg/text/_kernels.py").exists()


# ------------------------------------------------------------------------------------------- run 24
#: a project with tests of its own (``tests/conftest.py`` with a fixture, a test module using it):
#: the CLI finds them, runs them on the original and on the candidate as existing unit tests
BALANCE = """
def running_balance(amounts):
    out = []
    for i in range(len(amounts)):
        total = 0
        for j in range(i + 1):
            total += amounts[j]
        out.append(total)
    return out
"""
BALANCE_CONFTEST = """
import pytest


@pytest.fixture
def amounts():
    return [(i * 37) % 101 - 50 for i in range(2000)]
"""
BALANCE_OWN_TESTS = """
from pkg.ledger import running_balance


def test_balance_of_the_fixture(amounts):
    out = running_balance(amounts)
    assert len(out) == len(amounts)
    assert out[-1] == sum(amounts)


def test_small():
    assert running_balance([1, 2, 3]) == [1, 3, 6]
"""
BALANCE_FAST = """Each prefix is summed again from the start: O(n^2). `itertools.accumulate` keeps the running \
total: O(n), in C.

```python:pkg/ledger.py
from itertools import accumulate


def running_balance(amounts):
    return list(accumulate(amounts))
```
"""
BALANCE_TESTS = """```python
from pkg.ledger import running_balance


def test_basic():
    assert running_balance([5, -2, 7]) == [5, 3, 10]


def test_empty():
    assert running_balance([]) == []


def test_many():
    values = [(i * 13) % 17 for i in range(3000)]
    out = running_balance(values)
    assert out[-1] == sum(values)
```
"""


async def test_a_project_with_its_own_tests_and_a_conftest_fixture(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/ledger.py": BALANCE, "tests/conftest.py": BALANCE_CONFTEST, "tests/test_ledger.py": BALANCE_OWN_TESTS},
        {
            "optimize": BALANCE_FAST,
            "optimize_line_profiler": BALANCE_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": BALANCE_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/ledger.py",
        "--function",
        "running_balance",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/ledger.py", "return list(accumulate(amounts))")
    output = " ".join(outcome.run.output.split())
    existing = re.search(r"Existing Unit Tests - Passed: (\d+), Failed: (\d+)", output)
    assert existing is not None and int(existing[1]) >= 2 and existing[2] == "0", output[-5000:]


# ------------------------------------------------------------------------------------------- run 25
#: the answer replaces a helper of the module (``def chain``, which the target calls) by the
#: standard one of the same name (``from itertools import chain``): the client adds the import at
#: the top, where the module's ``def chain``, made later, rebinds the name, and the candidate read
#: the project's function (``AttributeError: ... 'from_iterable'``); the engine imports it under an
#: alias that the answer's new code reads, and the module's helper stays for its other callers
CHAINS = """
def chain(*lists):
    out = []
    for xs in lists:
        out = out + list(xs)
    return out


def flatten_all(groups):
    return chain(*groups)
"""
CHAINS_FAST = """`out = out + list(xs)` copies everything gathered so far for every group: O(n^2). \
`itertools.chain.from_iterable` walks the groups once, in C.

```python:pkg/chains.py
from itertools import chain


def flatten_all(groups):
    return list(chain.from_iterable(groups))
```
"""
CHAINS_TESTS = """```python
from pkg.chains import chain, flatten_all


def test_basic():
    assert flatten_all([[1, 2], (3,), []]) == [1, 2, 3]


def test_empty():
    assert flatten_all([]) == []


def test_the_module_s_chain():
    assert chain([1], (2, 3)) == [1, 2, 3]


def test_many():
    groups = [[i, i + 1, i + 2] for i in range(0, 2700, 3)]
    assert flatten_all(groups) == list(range(2700))
```
"""


async def test_an_answer_importing_a_name_the_module_defines(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/chains.py": CHAINS},
        {
            "optimize": CHAINS_FAST,
            "optimize_line_profiler": CHAINS_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": CHAINS_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/chains.py",
        "--function",
        "flatten_all",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/chains.py", "return list(_chain.from_iterable(groups))")
    text = (outcome.project / "pkg/chains.py").read_text()
    assert "from itertools import chain as _chain" in text and "def chain(*lists):" in text, text


# ------------------------------------------------------------------------------------------- run 26
#: a classmethod of an ``Enum`` (a lookup by name that iterates its 80 members), answered with its
#: ``__members__`` mapping; a test checks a count written from its data size (``range(5000)`` and
#: ``5000 // 90 * 10``, 550, no large number to notice): the engine's size cap cut the range to
#: 1000 alone, the check failed on the original code, and the run found no optimization for want
#: of passing tests; a check computed from a capped size now keeps the test's (affordable) sizes
COLORS = "\n".join(
    ["from enum import Enum", "", "", "class Color(Enum):"]
    + [f"    C{i} = {i}" for i in range(80)]
    + [
        "",
        "    @classmethod",
        "    def parse_all(cls, names):",
        "        out = []",
        "        for name in names:",
        "            found = None",
        "            for member in cls:",
        "                if member.name == name.upper():",
        "                    found = member",
        "                    break",
        "            out.append(found)",
        "        return out",
        "",
    ]
)
COLORS_FAST = """Iterating the enum for every name is O(n * members), with Python-level attribute access. \
`__members__` is a mapping: one lookup per name.

```python:pkg/colors.py
class Color(Enum):
    @classmethod
    def parse_all(cls, names):
        members = cls.__members__
        return [members.get(name.upper()) for name in names]
```
"""
COLORS_TESTS = """```python
from pkg.colors import Color


def test_basic():
    assert Color.parse_all(["c1", "C79", "nope"]) == [Color.C1, Color.C79, None]


def test_empty():
    assert Color.parse_all([]) == []


def test_many():
    names = [f"c{i % 90}" for i in range(5000)]
    out = Color.parse_all(names)
    assert out.count(None) == 5000 // 90 * 10
    assert len(Color) == 80
```
"""


async def test_a_classmethod_of_an_enum(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/colors.py": COLORS},
        {
            "optimize": COLORS_FAST,
            "optimize_line_profiler": COLORS_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": COLORS_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/colors.py",
        "--function",
        "Color.parse_all",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/colors.py", "return [members.get(name.upper()) for name in names]")
    text = (outcome.project / "pkg/colors.py").read_text()
    assert text.count("    C79 = 79") == 1 and "    @classmethod\n    def parse_all(cls, names):" in text, text


# ------------------------------------------------------------------------------------------- run 27
#: an async target tested from plain test functions through ``asyncio.run`` (and one through a
#: helper coroutine gathering several calls), as models write without pytest-asyncio: the
#: performance file, which keeps only the target calls of each assertion, kept ``count_primes(10)``
#: without the ``asyncio.run`` around it, a coroutine nobody ran: "the overall summed benchmark
#: runtime of the original function is 0", no optimization; what runs the coroutine now stays
PRIMES_SYNC_TESTS = """```python
import asyncio

from pkg.primes import count_primes


async def _both(a, b):
    return await asyncio.gather(count_primes(a), count_primes(b))


def test_small_limits():
    assert asyncio.run(count_primes(0)) == 0
    assert asyncio.run(count_primes(10)) == 4


def test_gathered():
    assert asyncio.run(_both(100, 3)) == [25, 1]


def test_larger():
    assert asyncio.run(count_primes(3000)) == 430
```
"""


async def test_an_async_target_run_by_asyncio_run_in_plain_tests(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/primes.py": PRIMES},
        {
            "optimize": PRIMES_FAST,
            "optimize_line_profiler": PRIMES_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": PRIMES_SYNC_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/primes.py",
        "--function",
        "count_primes",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/primes.py", "sieve")


# ------------------------------------------------------------------------------------------- run 28
#: tests that check the target inside ``assert`` through a helper of the test file (``assert
#: _sorted_ok(data)``) or in a comprehension (``assert all(sort_list(d) == sorted(d) for d in
#: data)``): the performance file, which keeps only the target calls of each assertion, made the
#: first ``pass`` and the second ``sort_list(d)`` (``NameError``): "the overall summed benchmark
#: runtime of the original function is 0", no optimization; the helper's call, and the
#: comprehension with what consumes it, now stay
HELPER_TESTS = """```python
from pkg.sorter import sort_list


def _sorted_ok(xs):
    return sort_list(xs) == sorted(xs)


def test_small():
    assert _sorted_ok([3, 1, 2])


def test_duplicates():
    assert _sorted_ok([2, -1, 2, 0, -1])


def test_large():
    assert _sorted_ok([(i * 7919) % 1000 for i in range(600)])
```
"""
COMPREHENSION_TESTS = """```python
from pkg.sorter import sort_list


def test_small():
    cases = [[3, 1, 2], [2, -1, 2, 0, -1], []]
    assert all(sort_list(c) == sorted(c) for c in cases)


def test_large():
    cases = [[(i * p) % 1000 for i in range(300)] for p in (7919, 31)]
    assert [sort_list(c) for c in cases] == [sorted(c) for c in cases]
```
"""


@pytest.mark.parametrize("tests", [HELPER_TESTS, COMPREHENSION_TESTS], ids=["helper", "comprehension"])
async def test_tests_that_assert_through_a_helper_or_a_comprehension(
    optimize_run: Any, tmp_path: Path, tests: str
) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/sorter.py": SORTER},
        {
            "optimize": SORTER_FAST,
            "optimize_line_profiler": SORTER_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": tests,
            **COMMON,
        },
        "--file",
        "pkg/sorter.py",
        "--function",
        "sort_list",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/sorter.py", "return sorted(xs)")


# ------------------------------------------------------------------------------------------- run 29
#: a function with a long docstring (a doctest in it) that the answer leaves out
DOCS = '''
def dedupe_emails(emails):
    """Return the e-mail addresses without repeats, lower-cased, in first-seen order.

    Addresses are compared case-insensitively (the domain part is case-insensitive by the
    standard; the local part is in practice), and surrounding blanks are ignored.

    >>> dedupe_emails(["A@x.org", " a@X.org ", "b@y.org"])
    ['a@x.org', 'b@y.org']

    Args:
        emails: an iterable of strings.

    Returns:
        A new list; the input is not changed.
    """
    out = []
    for email in emails:
        email = email.strip().lower()
        if email not in out:
            out.append(email)
    return out
'''
DOCS_FAST = """`email not in out` scans the list for every address: O(n^2). `dict.fromkeys` keeps the \
first-seen order in O(n).

```python:pkg/emails.py
def dedupe_emails(emails):
    return list(dict.fromkeys(email.strip().lower() for email in emails))
```
"""
DOCS_TESTS = """```python
from pkg.emails import dedupe_emails


def test_basic():
    assert dedupe_emails(["A@x.org", " a@X.org ", "b@y.org"]) == ["a@x.org", "b@y.org"]


def test_empty():
    assert dedupe_emails([]) == []


def test_many():
    emails = [f"User{i % 2500}@Example.org" for i in range(6000)]
    assert len(dedupe_emails(emails)) == 2500
```
"""


async def test_an_answer_leaving_out_a_long_docstring(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/emails.py": DOCS},
        {
            "optimize": DOCS_FAST,
            "optimize_line_profiler": DOCS_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": DOCS_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/emails.py",
        "--function",
        "dedupe_emails",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/emails.py", "return list(dict.fromkeys(email.strip().lower() for email in emails))")
    text = (outcome.project / "pkg/emails.py").read_text()
    assert ">>> dedupe_emails(" in text and "A new list; the input is not changed." in text, text


# ------------------------------------------------------- run 30: JavaScript/TypeScript project shapes
def js30_project(
    root: Path, files: dict[str, str], node_modules: Path, *, commonjs: bool = False, ts: bool = False
) -> Path:
    """A JS/TS project as :func:`write_js_project` makes it; ``commonjs``: package.json without
    ``"type": "module"`` (a CommonJS project, as most older Node projects are)."""
    project = write_js_project(root, files, node_modules, typescript=ts)
    if commonjs:
        package = (project / "package.json").read_text().replace('  "type": "module",\n', "")
        (project / "package.json").write_text(package)
        git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-C", str(project)]
        subprocess.run([*git, "commit", "-q", "-a", "-m", "commonjs"], check=True)
    return project


#: CommonJS: `require` of a helper module, JSDoc over the target, `module.exports = { ... }`; the
#: answer (```js, no path, prose after) only the function; tests in Jest's style (`test.each`, no
#: import from vitest), which the client would leave without `test` (and turn an import from
#: vitest into a `require`, which Vitest refuses)
JS30_CJS_FILES = {
    "src/text.js": """
    'use strict';

    function normalizeWord(word) {
      return word.toLowerCase().replace(/[^a-z0-9]/g, '');
    }

    module.exports = { normalizeWord };
    """,
    "src/words.js": """
    'use strict';

    const { normalizeWord } = require('./text');

    /**
     * The distinct normalised words of a text, in first-seen order.
     *
     * @param {string[]} words the words, as they appear
     * @returns {string[]} the distinct normalised words
     */
    function uniqueWords(words) {
      const out = [];
      for (const word of words) {
        const w = normalizeWord(word);
        if (w && out.indexOf(w) === -1) {
          out.push(w);
        }
      }
      return out;
    }

    module.exports = { uniqueWords };
    """,
}
JS30_CJS_FAST = """The `indexOf` check scans the output array for every word, which makes the function \
O(n·k) where k is the number of distinct words. Tracking the words already seen in a `Set` makes \
each check O(1):

```js
/**
 * The distinct normalised words of a text, in first-seen order.
 *
 * @param {string[]} words the words, as they appear
 * @returns {string[]} the distinct normalised words
 */
function uniqueWords(words) {
  const seen = new Set();
  const out = [];
  for (const word of words) {
    const w = normalizeWord(word);
    if (w && !seen.has(w)) {
      seen.add(w);
      out.push(w);
    }
  }
  return out;
}
```

The output order is unchanged (first-seen), and the input array is not modified.
"""
JS30_CJS_TESTS = """```javascript
const { uniqueWords } = require('../src/words');

describe('uniqueWords', () => {
  test.each([
    [[], []],
    [['a', 'A', 'a!'], ['a']],
    [['Hello', 'world', 'hello'], ['hello', 'world']],
  ])('uniqueWords(%j) -> %j', (input, expected) => {
    expect(uniqueWords(input)).toEqual(expected);
  });

  it('skips words with no letters', () => {
    expect(uniqueWords(['--', 'ok'])).toEqual(['ok']);
  });

  it('handles many words', () => {
    const words = Array.from({ length: 6000 }, (_, i) => `Word${i % 3000}`);
    const result = uniqueWords(words);
    expect(result.length).toBe(3000);
    expect(result[0]).toBe('word0');
  });
});
```
"""


async def test_js30_a_commonjs_project(optimize_run: Any, node_modules: Path, tmp_path: Path) -> None:
    project = js30_project(tmp_path / "js-project", JS30_CJS_FILES, node_modules, commonjs=True)
    outcome: Outcome = await optimize_run(
        {},
        {
            "optimize": JS30_CJS_FAST,
            "optimize_line_profiler": JS30_CJS_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": JS30_CJS_TESTS,
            **COMMON,
        },
        "--file",
        "src/words.js",
        "--function",
        "uniqueWords",
        project=project,
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "src/words.js", "if (w && !seen.has(w)) {")
    text = (project / "src/words.js").read_text()
    assert "module.exports = { uniqueWords };" in text and "require('./text')" in text, text


#: TypeScript: interfaces, a type alias, generics, an optional parameter, an `as` cast; the target
#: is an instance method of an exported class; the answer is the whole file, fenced ```typescript;
#: the tests call it on `new Ledger(...)` directly (which the client's instrumentation mangles),
#: inside `expect(Object.keys(...))` (which it does not time) and use `test` without importing it
JS30_TS_LEDGER = """
export interface Entry {
  id: number;
  category: string;
  amount: number;
  note?: string;
}

export type Totals = Record<string, number>;

function roundCents(value: number): number {
  return Math.round(value * 100) / 100;
}

export class Ledger<T extends Entry = Entry> {
  private readonly entries: T[] = [];

  constructor(initial?: T[]) {
    if (initial) {
      this.entries.push(...initial);
    }
  }

  add(entry: T): this {
    this.entries.push(entry);
    return this;
  }

  /** Total amount per category, categories in first-seen order. */
  totalsByCategory(minAmount?: number): Totals {
    const categories: string[] = [];
    for (const e of this.entries) {
      if (!categories.includes(e.category)) {
        categories.push(e.category);
      }
    }
    const totals = {} as Totals;
    for (const c of categories) {
      let sum = 0;
      for (const e of this.entries) {
        if (e.category === c && (minAmount === undefined || e.amount >= minAmount)) {
          sum += e.amount;
        }
      }
      totals[c] = roundCents(sum);
    }
    return totals;
  }
}
"""
JS30_TS_LEDGER_FAST = """Here's an optimized version. The original walks every entry once per category \
(O(n·c)) and uses `includes` to collect categories; a single pass with a `Map`, in a small private \
helper, does it in O(n):

```typescript
export interface Entry {
  id: number;
  category: string;
  amount: number;
  note?: string;
}

export type Totals = Record<string, number>;

function roundCents(value: number): number {
  return Math.round(value * 100) / 100;
}

export class Ledger<T extends Entry = Entry> {
  private readonly entries: T[] = [];

  constructor(initial?: T[]) {
    if (initial) {
      this.entries.push(...initial);
    }
  }

  add(entry: T): this {
    this.entries.push(entry);
    return this;
  }

  private sumsByCategory(minAmount?: number): Map<string, number> {
    const sums = new Map<string, number>();
    for (const e of this.entries) {
      const prev = sums.get(e.category) ?? 0;
      sums.set(e.category, minAmount === undefined || e.amount >= minAmount ? prev + e.amount : prev);
    }
    return sums;
  }

  /** Total amount per category, categories in first-seen order. */
  totalsByCategory(minAmount?: number): Totals {
    const sums = this.sumsByCategory(minAmount);
    const totals = {} as Totals;
    for (const [c, sum] of sums) {
      totals[c] = roundCents(sum);
    }
    return totals;
  }
}
```

**Why it's faster:**
- One pass over the entries instead of one per category.
- `Map` keeps insertion order, so categories still come out in first-seen order.
"""
JS30_TS_LEDGER_TESTS = """```typescript
import { describe, it, expect } from 'vitest';
import { Ledger, Entry } from '../src/ledger';

const make = (n: number, cats: number): Entry[] =>
  Array.from({ length: n }, (_, i) => ({ id: i, category: `c${i % cats}`, amount: (i % 7) + 0.25 }));

describe('Ledger.totalsByCategory', () => {
  it('is empty for an empty ledger', () => {
    expect(new Ledger().totalsByCategory()).toEqual({});
  });

  test.each([
    [undefined, 12.75],
    [5, 10.5],
  ])('sums food with minAmount=%s', (minAmount, food) => {
    const ledger = new Ledger([
      { id: 1, category: 'food', amount: 10.5 },
      { id: 2, category: 'rent', amount: 500 },
      { id: 3, category: 'food', amount: 2.25 },
    ]);
    expect(ledger.totalsByCategory(minAmount).food).toBeCloseTo(food);
  });

  it('keeps categories in first-seen order', () => {
    const ledger = new Ledger().add({ id: 1, category: 'b', amount: 1 }).add({ id: 2, category: 'a', amount: 5 });
    expect(Object.keys(ledger.totalsByCategory())).toEqual(['b', 'a']);
  });

  it('handles many categories', () => {
    const totals = new Ledger(make(4000, 800)).totalsByCategory();
    expect(Object.keys(totals).length).toBe(800);
  });

  it('handles many entries', () => {
    const ledger = new Ledger(make(6000, 1200));
    expect(Object.keys(ledger.totalsByCategory(3)).length).toBe(1200);
  });
});
```
"""


async def ts_ledger_run(optimize_run: Any, node_modules: Path, tmp_path: Path, answer: str) -> tuple[Outcome, str]:
    """``Ledger.totalsByCategory`` of the TypeScript ledger optimized with ``answer``: the outcome,
    and the file as the run left it."""
    project = js30_project(tmp_path / "js-project", {"src/ledger.ts": JS30_TS_LEDGER}, node_modules, ts=True)
    outcome: Outcome = await optimize_run(
        {},
        {
            "optimize": answer,
            "optimize_line_profiler": answer,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": JS30_TS_LEDGER_TESTS,
            **COMMON,
        },
        "--file",
        "src/ledger.ts",
        "--function",
        "Ledger.totalsByCategory",
        project=project,
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    return outcome, (project / "src/ledger.ts").read_text()


async def test_js30_a_typescript_class_method(optimize_run: Any, node_modules: Path, tmp_path: Path) -> None:
    outcome, text = await ts_ledger_run(optimize_run, node_modules, tmp_path, JS30_TS_LEDGER_FAST)
    assert_success(outcome, "src/ledger.ts", "const sums = new Map<string, number>();")
    assert "Ledger_sumsByCategory.call(this, minAmount)" in text, text  # the helper method, kept


#: ESM: the answer adds a helper function next to the target and imports a Node builtin, neither
#: of which the client copies into the file as they are
JS30_ESM_RECORDS = """
export function dedupeRecords(records) {
  const out = [];
  for (const record of records) {
    if (!out.some((kept) => JSON.stringify(kept) === JSON.stringify(record))) {
      out.push(record);
    }
  }
  return out;
}
"""
JS30_ESM_RECORDS_FAST = """Each record is compared with every kept record, serialising both each time: O(n²) \
`JSON.stringify` calls. Fingerprinting each record once and remembering the fingerprints in a `Set` makes \
it O(n). A SHA-1 digest keeps the set's keys short even for large records.

```javascript:src/records.js
import { createHash } from 'node:crypto';

function fingerprint(record) {
  return createHash('sha1').update(JSON.stringify(record)).digest('base64');
}

export function dedupeRecords(records) {
  const seen = new Set();
  const out = [];
  for (const record of records) {
    const key = fingerprint(record);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(record);
    }
  }
  return out;
}
```
"""
JS30_ESM_RECORDS_TESTS = """```javascript
import { describe, it, expect } from 'vitest';
import { dedupeRecords } from '../src/records.js';

describe('dedupeRecords', () => {
  it('keeps an empty list empty', () => {
    expect(dedupeRecords([])).toEqual([]);
  });

  it('drops structural duplicates, keeping the first', () => {
    const a = { id: 1, tags: ['x'] };
    const result = dedupeRecords([a, { id: 1, tags: ['x'] }, { id: 2 }]);
    expect(result).toEqual([{ id: 1, tags: ['x'] }, { id: 2 }]);
    expect(result[0]).toBe(a);
  });

  it('handles many records', () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({ id: i % 2000, name: `n${i % 2000}` }));
    expect(dedupeRecords(records).length).toBe(2000);
  });
});
```
"""


async def test_js30_an_answer_with_a_new_helper_and_import(
    optimize_run: Any, node_modules: Path, tmp_path: Path
) -> None:
    project = js30_project(tmp_path / "js-project", {"src/records.js": JS30_ESM_RECORDS}, node_modules)
    outcome: Outcome = await optimize_run(
        {},
        {
            "optimize": JS30_ESM_RECORDS_FAST,
            "optimize_line_profiler": JS30_ESM_RECORDS_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": JS30_ESM_RECORDS_TESTS,
            **COMMON,
        },
        "--file",
        "src/records.js",
        "--function",
        "dedupeRecords",
        project=project,
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "src/records.js", "const key = fingerprint(record);")
    text = (project / "src/records.js").read_text()
    assert "createHash('sha1')" in text, text


# ------------------------------------------------------------------- run 31: more Python project shapes
#: keyword-only parameters; tests in a pytest class (a fixture method, a parametrized method), with
#: the `sys.path` line and `if __name__ == "__main__"` block models add; an answer in a bare block
#: with a new import
R31_RANK = '''
def top_scores(scores, k=3, *, key=None, reverse=True):
    """The k best items of scores (by key), best first; ties keep their order."""
    key = key or (lambda item: item)
    pool = list(scores)
    out = []
    while pool and len(out) < k:
        best = pool[0]
        for item in pool[1:]:
            if (key(item) > key(best)) if reverse else (key(item) < key(best)):
                best = item
        pool.remove(best)
        out.append(best)
    return out
'''
R31_RANK_FAST = """Each pick scans the whole pool and `list.remove` scans it again: O(n·k). `heapq.nlargest` \
(or `nsmallest`) does the selection in O(n log k) in C, and it is stable, as the loop is.

```python
import heapq


def top_scores(scores, k=3, *, key=None, reverse=True):
    \"\"\"The k best items of scores (by key), best first; ties keep their order.\"\"\"
    pick = heapq.nlargest if reverse else heapq.nsmallest
    return pick(k, scores, key=key)
```
"""
R31_RANK_TESTS = """```python
import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

from pkg.ranking import top_scores  # noqa: E402


class TestTopScores:
    @pytest.fixture
    def people(self):
        return [("ann", 3), ("bob", 9), ("cy", 9), ("dee", 1)]

    def test_default_k(self):
        assert top_scores([5, 1, 9, 7]) == [9, 7, 5]

    @pytest.mark.parametrize("k, expected", [(0, []), (1, [9]), (10, [9, 7, 5, 1])])
    def test_k(self, k, expected):
        assert top_scores([5, 1, 9, 7], k) == expected

    def test_key_and_ties(self, people):
        assert top_scores(people, 2, key=lambda p: p[1]) == [("bob", 9), ("cy", 9)]

    def test_smallest(self):
        assert top_scores([5, 1, 9, 7], k=2, reverse=False) == [1, 5]

    def test_many(self):
        values = [(i * 7919) % 10007 for i in range(3000)]
        result = top_scores(values, k=60)
        assert result == sorted(values, reverse=True)[:60]


if __name__ == "__main__":
    pytest.main([__file__, "-v"])
```
"""


async def test_r31_keyword_only_args_and_pytest_class_tests(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/ranking.py": R31_RANK},
        {
            "optimize": R31_RANK_FAST,
            "optimize_line_profiler": R31_RANK_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": R31_RANK_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/ranking.py",
        "--function",
        "top_scores",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/ranking.py", "return pick(k, scores, key=key)")


#: a method of a `__slots__` class answered as the whole class with a new helper method whose
#: annotation names a type the answer never imports (`Iterator`)
R31_GRID = '''
from collections.abc import Iterable


class Grid:
    __slots__ = ("width", "height", "cells")

    def __init__(self, width: int, height: int, live: Iterable[tuple[int, int]] = ()) -> None:
        self.width = width
        self.height = height
        self.cells = set(live)

    @property
    def size(self) -> int:
        return self.width * self.height

    def live_neighbours(self) -> dict[tuple[int, int], int]:
        """For every live cell, the number of live cells around it."""
        counts = {}
        for x, y in self.cells:
            n = 0
            for ox, oy in self.cells:
                if (ox, oy) != (x, y) and abs(ox - x) <= 1 and abs(oy - y) <= 1:
                    n += 1
            counts[(x, y)] = n
        return counts
'''
R31_GRID_FAST = """Every cell is compared with every other live cell: O(n²). A cell has at most eight \
neighbours, so looking those up in the set is O(n).

```python:pkg/grid.py
class Grid:
    __slots__ = ("width", "height", "cells")

    def __init__(self, width: int, height: int, live: Iterable[tuple[int, int]] = ()) -> None:
        self.width = width
        self.height = height
        self.cells = set(live)

    @property
    def size(self) -> int:
        return self.width * self.height

    def _around(self, x: int, y: int) -> Iterator[tuple[int, int]]:
        return ((x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy)

    def live_neighbours(self) -> dict[tuple[int, int], int]:
        \"\"\"For every live cell, the number of live cells around it.\"\"\"
        cells = self.cells
        counts = {}
        for x, y in cells:
            counts[(x, y)] = sum(1 for other in self._around(x, y) if other in cells)
        return counts
```
"""
R31_GRID_TESTS = """```python
import pytest

from pkg.grid import Grid


@pytest.fixture
def blinker():
    return Grid(5, 5, [(1, 2), (2, 2), (3, 2)])


def test_blinker(blinker):
    assert blinker.live_neighbours() == {(1, 2): 1, (2, 2): 2, (3, 2): 1}


def test_empty():
    assert Grid(3, 3).live_neighbours() == {}


def test_block():
    block = Grid(4, 4, [(0, 0), (0, 1), (1, 0), (1, 1)])
    assert set(block.live_neighbours().values()) == {3}


def test_many():
    grid = Grid(100, 100, [(x, y) for x in range(0, 100, 2) for y in range(0, 42, 3)])
    counts = grid.live_neighbours()
    assert len(counts) == len(grid.cells)
    assert max(counts.values()) == 0
```
"""


async def test_r31_a_slots_class_method_with_a_new_helper_method(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/grid.py": R31_GRID},
        {
            "optimize": R31_GRID_FAST,
            "optimize_line_profiler": R31_GRID_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": R31_GRID_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/grid.py",
        "--function",
        "Grid.live_neighbours",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/grid.py", "sum(1 for other in self._around(x, y) if other in cells)")


#: a module with a docstring, `__all__` and a compiled pattern, answered whole; tests import the
#: module under an alias (`import pkg.textstats as ts`) and expect a TypeError from a keyword-only call
R31_TEXT = '''"""Word statistics."""

import re

__all__ = ["word_freq"]

_WORD = re.compile(r"[a-z']+")


def word_freq(text, *, min_len=1, stop=frozenset()):
    """Counts of the words of text (lower-cased), most frequent first, ties alphabetical."""
    counts = {}
    for word in _WORD.findall(text.lower()):
        if len(word) < min_len or word in stop:
            continue
        if word in counts:
            counts[word] = counts[word] + 1
        else:
            counts[word] = 1
    items = list(counts.items())
    for i in range(len(items)):
        for j in range(len(items) - 1 - i):
            a, b = items[j], items[j + 1]
            if (b[1], a[0]) > (a[1], b[0]):
                items[j], items[j + 1] = b, a
    return items
'''
R31_TEXT_FAST = """The bubble sort at the end is O(n²) in the number of distinct words. `Counter` counts in C \
and `sorted` with the key `(-count, word)` gives the same order in O(n log n).

```python:pkg/textstats.py
\"\"\"Word statistics.\"\"\"

import re
from collections import Counter

__all__ = ["word_freq"]

_WORD = re.compile(r"[a-z']+")


def word_freq(text, *, min_len=1, stop=frozenset()):
    \"\"\"Counts of the words of text (lower-cased), most frequent first, ties alphabetical.\"\"\"
    counts = Counter(w for w in _WORD.findall(text.lower()) if len(w) >= min_len and w not in stop)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
```
"""
R31_TEXT_TESTS = """```python
import pytest

import pkg.textstats as ts


def test_basic():
    assert ts.word_freq("b a b c a b") == [("b", 3), ("a", 2), ("c", 1)]


def test_min_len_and_stop_words():
    text = "The cat and the hat and a bat"
    assert ts.word_freq(text, min_len=3, stop={"the", "and"}) == [("bat", 1), ("cat", 1), ("hat", 1)]


def test_keyword_only():
    with pytest.raises(TypeError):
        ts.word_freq("a b", 2)


def test_long_text():
    words = ["".join(chr(97 + int(d)) for d in str(i % 700)) for i in range(20000)]
    result = ts.word_freq(" ".join(words))
    assert len(result) == 700
    assert result[0][1] >= result[-1][1]
```
"""


async def test_r31_a_module_imported_under_an_alias_and_a_whole_file_answer(optimize_run: Any, tmp_path: Path) -> None:
    outcome: Outcome = await optimize_run(
        {"pkg/textstats.py": R31_TEXT},
        {
            "optimize": R31_TEXT_FAST,
            "optimize_line_profiler": R31_TEXT_FAST,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": R31_TEXT_TESTS,
            **COMMON,
        },
        "--file",
        "pkg/textstats.py",
        "--function",
        "word_freq",
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    assert_success(outcome, "pkg/textstats.py", "return sorted(counts.items(), key=lambda item: (-item[1], item[0]))")


# ---------------------------------------------------------- run 32: new names in a CommonJS answer
#: the answer of a CommonJS file takes a new helper from a module the file already requires: with
#: `const { normalizeWord, foldWord } = require(...)` (copied whole by the client next to the
#: file's own require: `normalizeWord` declared twice), or with an `import` (the engine's `await
#: import` made the module one Node refuses to `require`)
JS32_FILES = {
    "src/text.js": """
    'use strict';

    function normalizeWord(word) {
      return word.toLowerCase().replace(/[^a-z0-9]/g, '');
    }

    const NON_WORD = /[^a-z0-9]/g;

    function foldWord(word) {
      return word.toLowerCase().replace(NON_WORD, '');
    }

    module.exports = { normalizeWord, foldWord };
    """,
    "src/words.js": """
    'use strict';

    const { normalizeWord } = require('./text');

    function uniqueWords(words) {
      const out = [];
      for (const word of words) {
        const w = normalizeWord(word);
        if (w && out.indexOf(w) === -1) {
          out.push(w);
        }
      }
      return out;
    }

    module.exports = { uniqueWords };
    """,
}

JS32_BODY = """function uniqueWords(words) {
  const seen = new Set();
  const out = [];
  for (const word of words) {
    const w = foldWord(word);
    if (w && !seen.has(w)) {
      seen.add(w);
      out.push(w);
    }
  }
  return out;
}
```
"""
JS32_REQUIRE_ANSWER = (
    "A `Set` makes the check O(1):\n\n```js\nconst { normalizeWord, foldWord } = require('./text');\n\n" + JS32_BODY
)
JS32_IMPORT_ANSWER = "A `Set` makes the check O(1):\n\n```js\nimport { foldWord } from './text';\n\n" + JS32_BODY


async def js32_run(optimize_run: Any, node_modules: Path, tmp_path: Path, answer: str) -> Outcome:
    project = js30_project(tmp_path / "js-project", JS32_FILES, node_modules, commonjs=True)
    outcome: Outcome = await optimize_run(
        {},
        {
            "optimize": answer,
            "optimize_line_profiler": answer,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": JS30_CJS_TESTS,
            **COMMON,
        },
        "--file",
        "src/words.js",
        "--function",
        "uniqueWords",
        project=project,
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    return outcome


async def test_js32_a_require_of_a_known_and_a_new_name(optimize_run: Any, node_modules: Path, tmp_path: Path) -> None:
    outcome = await js32_run(optimize_run, node_modules, tmp_path, JS32_REQUIRE_ANSWER)
    assert_success(outcome, "src/words.js", "if (w && !seen.has(w)) {")
    text = (outcome.project / "src/words.js").read_text()
    assert "const { foldWord } = require('./text');" in text and "import" not in text, text


async def test_js32_an_import_in_a_commonjs_file(optimize_run: Any, node_modules: Path, tmp_path: Path) -> None:
    outcome = await js32_run(optimize_run, node_modules, tmp_path, JS32_IMPORT_ANSWER)
    assert_success(outcome, "src/words.js", "if (w && !seen.has(w)) {")
    text = (outcome.project / "src/words.js").read_text()
    assert "const { foldWord } = require('./text');" in text and "import" not in text, text


# ----------------------------------------------------------- run 33: new fields in a class answer
#: the TypeScript ledger again; the answer adds a static constant and an instance field holding a
#: map it reuses (the client keeps neither: `Ledger.CENTS` and `this.sums` were undefined), and
#: repeats the class's `add`, which the client never sent (it was lifted out as dead code)
JS33_FIELDS_FAST = """One pass with a `Map` instead of one pass per category; the map is kept on the ledger and \
reused, and the rounding factor is a class constant.

```typescript
export class Ledger<T extends Entry = Entry> {
  private static readonly CENTS = 100;
  private readonly entries: T[] = [];
  private sums = new Map<string, number>();

  constructor(initial?: T[]) {
    if (initial) {
      this.entries.push(...initial);
    }
  }

  add(entry: T): this {
    this.entries.push(entry);
    return this;
  }

  /** Total amount per category, categories in first-seen order. */
  totalsByCategory(minAmount?: number): Totals {
    const sums = this.sums;
    sums.clear();
    for (const e of this.entries) {
      const prev = sums.get(e.category) ?? 0;
      sums.set(e.category, minAmount === undefined || e.amount >= minAmount ? prev + e.amount : prev);
    }
    const totals = {} as Totals;
    for (const [c, sum] of sums) {
      totals[c] = Math.round(sum * Ledger.CENTS) / Ledger.CENTS;
    }
    return totals;
  }
}
```
"""


async def test_js33_a_static_and_an_instance_field_added_to_the_class(
    optimize_run: Any, node_modules: Path, tmp_path: Path
) -> None:
    outcome, text = await ts_ledger_run(optimize_run, node_modules, tmp_path, JS33_FIELDS_FAST)
    assert_success(outcome, "src/ledger.ts", "sums.clear();")
    assert "const Ledger_CENTS = 100;" in text and "Ledger_sums.set(this, new Map<string, number>());" in text, text
    assert "Ledger_add" not in text, text  # the class's other method, repeated by the answer, stays where it is


# ------------------------------------------------------------------------------------------ run 34
#: the same TypeScript ledger; the answer adds a private memo map (`#sums`, only read), a rounding
#: helper kept as an arrow-function field, and two statics the second of which reads the first:
#: each needs a form the client keeps (a WeakMap of the instances, a field the target sets, constants)
JS34_PRIVATE_FAST = """A single pass with a reusable map. The per-category map lives in a private field so it is \
not visible on the instance; rounding uses precomputed class constants.

```typescript
export class Ledger<T extends Entry = Entry> {
  static readonly DIGITS = 2;
  static readonly CENTS = 10 ** Ledger.DIGITS;
  #sums: Map<string, number> = new Map();
  private readonly entries: T[] = [];
  private round = (value: number): number => Math.round(value * Ledger.CENTS) / Ledger.CENTS;

  constructor(initial?: T[]) {
    if (initial) {
      this.entries.push(...initial);
    }
  }

  /** Total amount per category, categories in first-seen order. */
  totalsByCategory(minAmount?: number): Totals {
    this.#sums.clear();
    for (const e of this.entries) {
      const prev = this.#sums.get(e.category) ?? 0;
      this.#sums.set(e.category, minAmount === undefined || e.amount >= minAmount ? prev + e.amount : prev);
    }
    const totals = {} as Totals;
    for (const [c, sum] of this.#sums) {
      totals[c] = this.round(sum);
    }
    return totals;
  }
}
```
"""


async def test_js34_a_private_field_a_function_field_and_statics_reading_statics(
    optimize_run: Any, node_modules: Path, tmp_path: Path
) -> None:
    outcome, text = await ts_ledger_run(optimize_run, node_modules, tmp_path, JS34_PRIVATE_FAST)
    assert_success(outcome, "src/ledger.ts", "Ledger_sums.get(this)!.clear();")
    assert "const Ledger_sums = new WeakMap<object, Map<string, number>>();" in text, text
    assert "const Ledger_CENTS = 10 ** Ledger_DIGITS;" in text and "Ledger_round.set(this, (value: number)" in text, (
        text
    )


# ------------------------------------------------------------------- run 35: more Python project shapes
def top_level_statements(source: str, skipped: set[str]) -> list[str]:
    """The AST dumps of a module's top-level statements, leaving out the definitions named in
    ``skipped`` (``name`` for a function or class, ``Class.method`` for one method of a class)."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            node.body = [m for m in node.body if f"{node.name}.{getattr(m, 'name', '')}" not in skipped]
    return [ast.dump(node) for node in tree.body if getattr(node, "name", None) not in skipped]


def assert_rest_unchanged(before: str, after: str, *targets: str) -> None:
    """Every top-level statement of ``before`` besides the ``targets`` is still in ``after``, as
    often as before and in the same order (the answer may add imports and helpers between them)."""
    kept = top_level_statements(before, set(targets))
    now = top_level_statements(after, set(targets))
    remaining = iter(now)
    assert all(any(dump == other for other in remaining) for dump in kept), (before, after)
    assert all(now.count(dump) == kept.count(dump) for dump in kept), (before, after)


async def r35_run(
    optimize_run: Any,
    tmp_path: Path,
    files: dict[str, str],
    target: tuple[str, str],
    answer: str,
    tests: str,
    *,
    project: Path | None = None,
) -> Outcome:
    """One run of ``target`` (file, function) with ``answer`` for every optimization request and
    ``tests`` for every test-generation request; the LLM exchange is kept beside the run."""
    path, function = target
    outcome: Outcome = await optimize_run(
        files,
        {
            "optimize": answer,
            "optimize_line_profiler": answer,
            "refine": NOTHING_TO_ADD,
            "adaptive": NOTHING_TO_ADD,
            "testgen": tests,
            **COMMON,
        },
        "--file",
        path,
        "--function",
        function,
        project=project,
    )
    dump_llm_exchange(outcome, tmp_path / "llm.txt")
    (tmp_path / "cli.txt").write_text(outcome.run.output)
    return outcome


def compiled(outcome: Outcome, path: str) -> str:
    """The text of ``path`` in the project after the run, checked to compile."""
    text = (outcome.project / path).read_bytes().decode()
    compile(text, path, "exec")
    return text


#: a module checked out with CRLF line endings (a Windows user's repository); the answer gives only
#: the function, with a new import. The client writes the whole module back with LF line endings
R35_ORDERS = """\
\"\"\"Order helpers.\"\"\"


def normalise_sku(sku):
    \"\"\"The SKU without surrounding spaces, upper-cased.\"\"\"
    return sku.strip().upper()


def duplicate_skus(skus):
    \"\"\"The SKUs seen more than once (normalised), in the order of their first appearance.\"\"\"
    out = []
    for i, sku in enumerate(skus):
        key = normalise_sku(sku)
        if key in out:
            continue
        for other in skus[i + 1 :]:
            if normalise_sku(other) == key:
                out.append(key)
                break
    return out


def total_quantity(lines):
    \"\"\"The sum of the quantities of (sku, quantity) lines.\"\"\"
    return sum(quantity for _, quantity in lines)
"""
R35_ORDERS_FAST = """Every SKU is compared with all the SKUs after it, normalising both each time: O(n²) calls \
of `normalise_sku`. Normalising once and counting with a `Counter` makes it O(n):

```python:pkg/orders.py
from collections import Counter


def duplicate_skus(skus):
    \"\"\"The SKUs seen more than once (normalised), in the order of their first appearance.\"\"\"
    keys = [normalise_sku(sku) for sku in skus]
    counts = Counter(keys)
    seen = set()
    out = []
    for key in keys:
        if counts[key] > 1 and key not in seen:
            seen.add(key)
            out.append(key)
    return out
```

The order of the result is unchanged: a duplicate is reported where it first appears.
"""
R35_ORDERS_TESTS = """```python
from pkg.orders import duplicate_skus


def test_basic():
    assert duplicate_skus(["a1", " B2", "b2 ", "A1", "c3"]) == ["A1", "B2"]


def test_no_duplicates_and_empty():
    assert duplicate_skus(["x", "y"]) == []
    assert duplicate_skus([]) == []


def test_many():
    skus = [f"sku-{i % 1200}" for i in range(1500)]
    result = duplicate_skus(skus)
    assert len(result) == 300
    assert result[0] == "SKU-0"
```
"""


def commit_crlf(project: Path, path: str) -> None:
    """Gives ``path`` of ``project`` CRLF line endings and commits it (the client works on a clean tree)."""
    target = project / path
    target.write_bytes(target.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-C", str(project)]
    subprocess.run([*git, "add", path], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "CRLF"], check=True)


async def test_r35_a_module_with_crlf_line_endings(optimize_run: Any, tmp_path: Path) -> None:
    files = {"pkg/orders.py": R35_ORDERS}
    project = write_project(tmp_path / "project", files)
    commit_crlf(project, "pkg/orders.py")
    before = (project / "pkg/orders.py").read_bytes().decode()
    outcome = await r35_run(
        optimize_run,
        tmp_path,
        files,
        ("pkg/orders.py", "duplicate_skus"),
        R35_ORDERS_FAST,
        R35_ORDERS_TESTS,
        project=project,
    )
    assert_success(outcome, "pkg/orders.py", "counts = Counter(keys)")
    text = compiled(outcome, "pkg/orders.py")
    assert "from collections import Counter" in text, text
    assert_rest_unchanged(before, text, "duplicate_skus")
    # codeflash 0.20.6 reads the module with universal newlines and writes it back with LF: every
    # line of the file shows in `git diff` (the client's doing; no \r ever reaches the engine)
    assert "\r" not in text, repr(text)


#: a generator function, consumed by list() in the tests; the answer is the function alone. It
#: stops at a sentinel with a bare `return`: codeflash 0.20.6 lists only functions that have a
#: `return` statement, so a generator without one cannot be chosen with --function at all
R35_RUNNING = '''
def running_max(values):
    """Yields, for every value up to the first None, the largest value seen so far."""
    seen = []
    for value in values:
        if value is None:
            return
        seen.append(value)
        yield max(seen)


def running_min(values):
    """Yields, for every value, the smallest value seen so far."""
    best = None
    for value in values:
        best = value if best is None or value < best else best
        yield best
'''
R35_RUNNING_FAST = """`max(seen)` scans the whole prefix again for every value, so the generator is O(n²). \
Keeping the best value so far makes it O(n) and keeps it lazy:

```python
def running_max(values):
    \"\"\"Yields, for every value up to the first None, the largest value seen so far.\"\"\"
    best = None
    for value in values:
        if value is None:
            return
        if best is None or value > best:
            best = value
        yield best
```
"""
R35_RUNNING_TESTS = """```python
import itertools

from pkg.streams import running_max


def test_basic():
    assert list(running_max([3, 1, 4, 1, 5, 9, 2, 6])) == [3, 3, 4, 4, 5, 9, 9, 9]


def test_empty_and_sentinel():
    assert list(running_max([])) == []
    assert list(running_max([2, 5, None, 9])) == [2, 5]


def test_lazy():
    assert list(itertools.islice(running_max(itertools.count()), 5)) == [0, 1, 2, 3, 4]


def test_many():
    values = [(i * 7919) % 10007 for i in range(4000)]
    result = list(running_max(values))
    assert len(result) == 4000
    assert result[-1] == max(values)
```
"""


async def test_r35_a_generator_consumed_by_list(optimize_run: Any, tmp_path: Path) -> None:
    outcome = await r35_run(
        optimize_run,
        tmp_path,
        {"pkg/streams.py": R35_RUNNING},
        ("pkg/streams.py", "running_max"),
        R35_RUNNING_FAST,
        R35_RUNNING_TESTS,
    )
    assert_success(outcome, "pkg/streams.py", "if best is None or value > best:")
    assert_rest_unchanged(textwrap.dedent(R35_RUNNING).lstrip(), compiled(outcome, "pkg/streams.py"), "running_max")


#: a method of a subclass calling super().lines(...), the base class in another module; the
#: answer repeats the whole subclass
R35_REPORT_FILES = {
    "pkg/reports/__init__.py": "",
    "pkg/reports/base.py": '''
class Report:
    """A titled, plain-text report."""

    def __init__(self, title):
        self.title = title

    def lines(self, rows):
        return [self.title, "=" * len(self.title)]
''',
    "pkg/reports/sales.py": '''
from pkg.reports.base import Report


class SalesReport(Report):
    """Sales per region."""

    def __init__(self, title, currency="EUR"):
        super().__init__(title)
        self.currency = currency

    def lines(self, rows):
        out = super().lines(rows)
        regions = []
        for region, _ in rows:
            if region not in regions:
                regions.append(region)
        for region in regions:
            total = 0
            for other, amount in rows:
                if other == region:
                    total += amount
            out.append(f"{region}: {total} {self.currency}")
        return out
''',
}
R35_REPORT_FAST = """The rows are scanned once per region, and the membership test on the `regions` list is \
linear too. One pass into a dict (which keeps the first-seen order) does it in O(n):

```python:pkg/reports/sales.py
from pkg.reports.base import Report


class SalesReport(Report):
    \"\"\"Sales per region.\"\"\"

    def __init__(self, title, currency="EUR"):
        super().__init__(title)
        self.currency = currency

    def lines(self, rows):
        out = super().lines(rows)
        totals = {}
        for region, amount in rows:
            totals[region] = totals.get(region, 0) + amount
        currency = self.currency
        out.extend(f"{region}: {total} {currency}" for region, total in totals.items())
        return out
```
"""
R35_REPORT_TESTS = """```python
from pkg.reports.base import Report
from pkg.reports.sales import SalesReport


def test_basic():
    report = SalesReport("Q1")
    assert report.lines([("north", 5), ("south", 2), ("north", 1)]) == ["Q1", "==", "north: 6 EUR", "south: 2 EUR"]


def test_empty_and_currency():
    assert SalesReport("Sales", currency="USD").lines([]) == ["Sales", "====="]


def test_is_a_report():
    assert isinstance(SalesReport("x"), Report)


def test_many_regions():
    rows = [(f"r{i % 400}", i % 17) for i in range(4000)]
    result = SalesReport("Year").lines(rows)
    assert len(result) == 402
    assert result[2].startswith("r0: ")
```
"""


async def test_r35_a_subclass_method_calling_super(optimize_run: Any, tmp_path: Path) -> None:
    outcome = await r35_run(
        optimize_run,
        tmp_path,
        R35_REPORT_FILES,
        ("pkg/reports/sales.py", "SalesReport.lines"),
        R35_REPORT_FAST,
        R35_REPORT_TESTS,
    )
    assert_success(outcome, "pkg/reports/sales.py", "totals[region] = totals.get(region, 0) + amount")
    text = compiled(outcome, "pkg/reports/sales.py")
    assert "out = super().lines(rows)" in text, text
    before = textwrap.dedent(R35_REPORT_FILES["pkg/reports/sales.py"]).lstrip()
    assert_rest_unchanged(before, text, "SalesReport.lines")
    assert (outcome.project / "pkg/reports/base.py").read_text() == textwrap.dedent(
        R35_REPORT_FILES["pkg/reports/base.py"]
    ).lstrip()


#: a target decorated by the project's own decorator (`@timed`, from another module of the
#: project); the answer keeps the decorator and adds an import
R35_TIMED_FILES = {
    "pkg/instrument.py": '''
import functools
import time

CALLS = {}


def timed(fn):
    """Counts the calls of fn and the time they took, in CALLS under its name."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            count, spent = CALLS.get(fn.__name__, (0, 0.0))
            CALLS[fn.__name__] = (count + 1, spent + time.perf_counter() - start)

    return wrapper
''',
    "pkg/metrics.py": '''
import math

from pkg.instrument import timed


@timed
def percentile(values, q):
    """The q-th percentile (0 to 100) of values, by the nearest-rank method."""
    ordered = []
    for value in values:
        i = 0
        while i < len(ordered) and ordered[i] <= value:
            i += 1
        ordered.insert(i, value)
    if not ordered:
        raise ValueError("percentile of no values")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@timed
def spread(values):
    """The difference between the largest and the smallest value."""
    return max(values) - min(values)
''',
}
R35_TIMED_FAST = """The insertion sort is O(n²). `sorted` is O(n log n) in C; the nearest rank is computed \
the same way. I kept the `@timed` decorator so the call statistics are still collected.

```python:pkg/metrics.py
import math

from pkg.instrument import timed


@timed
def percentile(values, q):
    \"\"\"The q-th percentile (0 to 100) of values, by the nearest-rank method.\"\"\"
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
```
"""
R35_TIMED_TESTS = """```python
import pytest

from pkg.instrument import CALLS
from pkg.metrics import percentile


def test_median_and_extremes():
    values = [15, 20, 35, 40, 50]
    assert percentile(values, 50) == 35
    assert percentile(values, 0) == 15
    assert percentile(values, 100) == 50


def test_empty():
    with pytest.raises(ValueError):
        percentile([], 50)


def test_calls_are_counted():
    before = CALLS.get("percentile", (0, 0.0))[0]
    percentile([1, 2, 3], 90)
    assert CALLS["percentile"][0] == before + 1


def test_many():
    values = [(i * 7919) % 10007 for i in range(3000)]
    assert percentile(values, 50) == sorted(values)[1499]
```
"""


async def test_r35_a_target_decorated_by_a_project_decorator(optimize_run: Any, tmp_path: Path) -> None:
    outcome = await r35_run(
        optimize_run,
        tmp_path,
        R35_TIMED_FILES,
        ("pkg/metrics.py", "percentile"),
        R35_TIMED_FAST,
        R35_TIMED_TESTS,
    )
    assert_success(outcome, "pkg/metrics.py", "ordered = sorted(values)")
    text = compiled(outcome, "pkg/metrics.py")
    assert "@timed\ndef percentile(values, q):" in text and text.count("@timed") == 2, text
    assert_rest_unchanged(textwrap.dedent(R35_TIMED_FILES["pkg/metrics.py"]).lstrip(), text, "percentile")


#: a function defined in a package's __init__.py (which also re-exports a name of a submodule)
R35_GEO_FILES = {
    "pkg/geo/units.py": '''
def to_metres(value, unit):
    """value in metres (unit: "m", "km" or "mi")."""
    return value * {"m": 1.0, "km": 1000.0, "mi": 1609.344}[unit]
''',
    "pkg/geo/__init__.py": '''
"""Small geometry helpers."""

from pkg.geo.units import to_metres

__all__ = ["dedupe_points", "to_metres"]


def dedupe_points(points):
    """The points without repeats, in the order of their first appearance."""
    out = []
    for point in points:
        if point not in out:
            out.append(point)
    return out
''',
}
R35_GEO_FAST = """`point not in out` scans the list: O(n²) in all. `dict.fromkeys` removes the repeats in one \
pass and keeps the first-seen order (dicts are ordered since Python 3.7):

```python:pkg/geo/__init__.py
def dedupe_points(points):
    \"\"\"The points without repeats, in the order of their first appearance.\"\"\"
    return list(dict.fromkeys(points))
```
"""
R35_GEO_TESTS = """```python
from pkg.geo import dedupe_points, to_metres


def test_basic():
    assert dedupe_points([(0, 0), (1, 2), (0, 0), (3, 4), (1, 2)]) == [(0, 0), (1, 2), (3, 4)]


def test_empty():
    assert dedupe_points([]) == []


def test_reexport():
    assert to_metres(2, "km") == 2000.0


def test_many():
    points = [(i % 1500, (i * 7) % 1500) for i in range(4000)]
    assert len(dedupe_points(points)) == 1500
```
"""


async def test_r35_a_function_in_a_package_init(optimize_run: Any, tmp_path: Path) -> None:
    outcome = await r35_run(
        optimize_run,
        tmp_path,
        R35_GEO_FILES,
        ("pkg/geo/__init__.py", "dedupe_points"),
        R35_GEO_FAST,
        R35_GEO_TESTS,
    )
    assert_success(outcome, "pkg/geo/__init__.py", "return list(dict.fromkeys(points))")
    text = compiled(outcome, "pkg/geo/__init__.py")
    assert_rest_unchanged(textwrap.dedent(R35_GEO_FILES["pkg/geo/__init__.py"]).lstrip(), text, "dedupe_points")


#: a module with a docstring, `__all__` and its own `if __name__ == "__main__":` block; the answer
#: repeats all the code it was sent (the target and its unchanged helper) with a new import, and
#: adds a demo block of its own, as models do despite the instructions
R35_RANKS = '''
"""Ranks of numbers read from the standard input, one a line."""

import sys

__all__ = ["ranks", "main"]


def _as_number(value):
    """value as a float; a string is parsed, surrounding spaces ignored."""
    return float(value.strip()) if isinstance(value, str) else float(value)


def ranks(values):
    """The 1-based rank of every value in values; equal values share the lowest rank."""
    numbers = [_as_number(value) for value in values]
    out = []
    for number in numbers:
        rank = 1
        for other in numbers:
            if other < number:
                rank += 1
        out.append(rank)
    return out


def main(argv=None):
    lines = [line for line in sys.stdin if line.strip()]
    for line, rank in zip(lines, ranks(lines)):
        print(f"{line.strip()}\\t{rank}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''
R35_RANKS_FAST = """Each value is compared with every other one: O(n²). Sorting once and bisecting gives the \
number of smaller values in O(log n) each, O(n log n) in all. Here is the complete code:

```python:pkg/ranking.py
from bisect import bisect_left


def _as_number(value):
    \"\"\"value as a float; a string is parsed, surrounding spaces ignored.\"\"\"
    return float(value.strip()) if isinstance(value, str) else float(value)


def ranks(values):
    \"\"\"The 1-based rank of every value in values; equal values share the lowest rank.\"\"\"
    numbers = [_as_number(value) for value in values]
    ordered = sorted(numbers)
    return [bisect_left(ordered, number) + 1 for number in numbers]


if __name__ == "__main__":
    print(ranks([30, " 10", 20.0]))  # [3, 1, 2]
```
"""
R35_RANKS_TESTS = """```python
from pkg.ranking import ranks


def test_basic():
    assert ranks([30, 10, 20]) == [3, 1, 2]


def test_ties_and_strings():
    assert ranks(["5", " 1 ", 5.0, 3]) == [3, 1, 3, 2]


def test_empty():
    assert ranks([]) == []


def test_many():
    values = [(i * 7919) % 10007 for i in range(2500)]
    result = ranks(values)
    assert min(result) == 1
    assert max(result) == 2500
```
"""


async def test_r35_a_module_with_all_and_a_main_block_answered_with_a_demo_block(
    optimize_run: Any, tmp_path: Path
) -> None:
    outcome = await r35_run(
        optimize_run,
        tmp_path,
        {"pkg/ranking.py": R35_RANKS},
        ("pkg/ranking.py", "ranks"),
        R35_RANKS_FAST,
        R35_RANKS_TESTS,
    )
    assert_success(outcome, "pkg/ranking.py", "return [bisect_left(ordered, number) + 1 for number in numbers]")
    text = compiled(outcome, "pkg/ranking.py")
    assert text.startswith('"""Ranks of numbers read from the standard input, one a line."""\n'), text
    assert "from bisect import bisect_left" in text and "print(ranks(" not in text, text
    assert_rest_unchanged(textwrap.dedent(R35_RANKS).lstrip(), text, "ranks")


#: an inner function (a closure) that the answer turns into a module-level helper. codeflash 0.20.6
#: inserts every new module-level function of a candidate twice: `add_global_assignments` adds the
#: functions the file lacks, then `replace_functions_in_file` adds those missing from the objects of
#: the context it sent, without looking at the file it now edits (a shape of the client the engine
#: cannot avoid; the module still runs, the second copy rebinding the same code)
R35_ANAGRAMS = '''
def group_anagrams(words):
    """Groups of words that are anagrams of each other; groups and words in first-seen order."""

    def signature(word):
        counts = [0] * 26
        for ch in word.lower():
            if "a" <= ch <= "z":
                counts[ord(ch) - 97] += 1
        return tuple(counts)

    groups = []
    for word in words:
        sig = signature(word)
        for group in groups:
            if signature(group[0]) == sig:
                group.append(word)
                break
        else:
            groups.append([word])
    return groups


def largest_group(words):
    """The largest group of anagrams (the first of the largest ones)."""
    return max(group_anagrams(words), key=len, default=[])
'''
R35_ANAGRAMS_FAST = """The inner `signature` is recomputed for the first word of every group on every word: \
O(n·g). Keying a dict by the signature makes grouping O(n), and moving `signature` to module level \
saves re-creating the closure on each call:

```python:pkg/anagrams.py
def _signature(word):
    counts = [0] * 26
    for ch in word.lower():
        if "a" <= ch <= "z":
            counts[ord(ch) - 97] += 1
    return tuple(counts)


def group_anagrams(words):
    \"\"\"Groups of words that are anagrams of each other; groups and words in first-seen order.\"\"\"
    groups = {}
    for word in words:
        groups.setdefault(_signature(word), []).append(word)
    return list(groups.values())
```
"""
R35_ANAGRAMS_TESTS = """```python
from pkg.anagrams import group_anagrams


def test_basic():
    assert group_anagrams(["listen", "google", "Silent", "enlist", "gogole"]) == [
        ["listen", "Silent", "enlist"],
        ["google", "gogole"],
    ]


def test_empty_and_punctuation():
    assert group_anagrams([]) == []
    assert group_anagrams(["a-b", "ba"]) == [["a-b", "ba"]]


def test_many():
    words = ["".join(chr(97 + (i * k) % 26) for k in range(1, 6)) for i in range(3000)]
    groups = group_anagrams(words)
    assert sum(len(g) for g in groups) == 3000
```
"""


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,  # only the last check, on the copies of the helper (the others raise RuntimeError)
    reason="codeflash 0.20.6 inserts a candidate's new module-level function twice "
    "(add_global_assignments, then replace_functions_in_file)",
)
async def test_r35_a_closure_turned_into_a_module_level_helper(optimize_run: Any, tmp_path: Path) -> None:
    outcome = await r35_run(
        optimize_run,
        tmp_path,
        {"pkg/anagrams.py": R35_ANAGRAMS},
        ("pkg/anagrams.py", "group_anagrams"),
        R35_ANAGRAMS_FAST,
        R35_ANAGRAMS_TESTS,
    )
    try:  # the run itself succeeds: a failure here is a real one, not the expected one
        assert_success(outcome, "pkg/anagrams.py", "groups.setdefault(_signature(word), []).append(word)")
        text = compiled(outcome, "pkg/anagrams.py")
        assert "\ndef _signature(word):" in text and "def signature(" not in text, text
        assert_rest_unchanged(textwrap.dedent(R35_ANAGRAMS).lstrip(), text, "group_anagrams", "_signature")
    except AssertionError as exc:
        raise RuntimeError(f"the run itself failed: {exc}") from exc
    assert text.count("def _signature(word):") == 1, text


#: a module-level cache dict used by a helper, and a mutable default argument (`stop=[]`); the
#: answer repeats the cache's definition and keeps the default
R35_STEMS = '''
_STEMS = {}


def stem(word):
    """The lower-cased word without a common English suffix, memoised in _STEMS."""
    key = word.lower()
    cached = _STEMS.get(key)
    if cached is None:
        cached = key
        for suffix in ("ing", "ed", "ly", "es", "s"):
            if key.endswith(suffix) and len(key) - len(suffix) >= 3:
                cached = key[: -len(suffix)]
                break
        _STEMS[key] = cached
    return cached


def stem_counts(words, stop=[]):
    """(stem, count) pairs of words in first-seen order, leaving out the stems in stop."""
    pairs = []
    for word in words:
        s = stem(word)
        if s in stop:
            continue
        for pair in pairs:
            if pair[0] == s:
                pair[1] += 1
                break
        else:
            pairs.append([s, 1])
    return [(s, n) for s, n in pairs]
'''
R35_STEMS_FAST = """Each word is looked up in the list of pairs (O(k)) and `stop` is a list too. A dict keeps \
the first-seen order and counts in O(1); `stop` becomes a set once per call. I kept the `_STEMS` cache \
and the signature as they are.

```python:pkg/stemming.py
_STEMS = {}


def stem_counts(words, stop=[]):
    \"\"\"(stem, count) pairs of words in first-seen order, leaving out the stems in stop.\"\"\"
    stop_set = set(stop)
    counts = {}
    for word in words:
        s = stem(word)
        if s not in stop_set:
            counts[s] = counts.get(s, 0) + 1
    return list(counts.items())
```
"""
R35_STEMS_TESTS = """```python
from pkg.stemming import _STEMS, stem_counts


def test_basic():
    assert stem_counts(["Walking", "walked", "walks", "talk"]) == [("walk", 3), ("talk", 1)]


def test_stop_words():
    assert stem_counts(["the", "cats", "the", "dogs"], stop=["the"]) == [("cat", 1), ("dog", 1)]


def test_cache_is_filled():
    stem_counts(["jumping"])
    assert _STEMS["jumping"] == "jump"


def test_many():
    words = [f"w{i % 700}ing" for i in range(4000)]
    result = stem_counts(words)
    assert len(result) == 700
    assert result[0] == ("w0", 6)
```
"""


async def test_r35_a_module_cache_and_a_mutable_default(optimize_run: Any, tmp_path: Path) -> None:
    outcome = await r35_run(
        optimize_run,
        tmp_path,
        {"pkg/stemming.py": R35_STEMS},
        ("pkg/stemming.py", "stem_counts"),
        R35_STEMS_FAST,
        R35_STEMS_TESTS,
    )
    assert_success(outcome, "pkg/stemming.py", "counts[s] = counts.get(s, 0) + 1")
    text = compiled(outcome, "pkg/stemming.py")
    assert "def stem_counts(words, stop=[]):" in text and text.count("_STEMS = {}") == 1, text
    assert_rest_unchanged(textwrap.dedent(R35_STEMS).lstrip(), text, "stem_counts")
