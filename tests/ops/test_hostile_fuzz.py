"""Issue 16: generated hostile bodies at every endpoint of /openapi.json.

For every operation the engine documents, hypothesis generates bodies: valid CLI-shaped bodies
with fields replaced by hostile values (NUL and control characters, lone surrogates, huge and
negative numbers, wrong types, deep nesting, long lists, pathological code: thousands of unary
minus signs, attribute chains, lambdas, ternaries, brackets), fields removed, unknown fields,
random JSON and raw bytes that are not JSON. Every answer must be JSON, with a status below 500
(or 502: the model failed); the engine's own event-loop monitor must never see a lag of 50 ms or
more; and the recorder's queue must drain afterwards.

Cases are drawn before the engine starts (drawing and serialising them would otherwise count as
lag); ``CODEFLASH_ENGINE_HOSTILE_EXAMPLES`` (default 10 per operation) makes the run longer.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from codeflash_engine.app import LOOP_MONITOR, create_app
from codeflash_engine.http.metrics import RECORDER
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import API_KEY, EngineClient
from codeflash_engine.testing.fake_llm import FakeLLM

sys.path.insert(0, str(Path(__file__).parents[1] / "endpoints"))
import endpoint_samples as samples

EXAMPLES = int(os.environ.get("CODEFLASH_ENGINE_HOSTILE_EXAMPLES", "10"))
#: the design's bound on a blocked event loop
LAG_LIMIT = 0.050
AUTH = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}

#: a valid body per operation (the CLI's shapes); operations without one start from {}
SAMPLES: dict[str, Callable[[], Any]] = {
    "/ai/optimize": samples.optimize,
    "/ai/optimize-line-profiler": samples.line_profiler,
    "/ai/refinement": lambda: [samples.refinement_item()],
    "/ai/code_repair": samples.code_repair,
    "/ai/adaptive_optimize": samples.adaptive,
    "/ai/testgen": samples.testgen,
    "/ai/testgen_review": samples.testgen_review,
    "/ai/testgen_repair": samples.testgen_repair,
    "/ai/rank": samples.rank,
    "/ai/explain": samples.explain,
    "/ai/optimization_review": samples.optimization_review,
    "/ai/log_features": samples.log_features,
    "/ai/workflow-gen": samples.workflow_gen,
    "/ai/rewrite_jit": samples.rewrite_jit,
}


def _fenced(code: str) -> str:
    return f"```python:pkg/sorter.py\n{code}\n```"


PATHOLOGICAL_CODE = [
    "x = " + "-" * 6000 + "1",
    "x = " + "a." * 3000 + "b",
    "f = " + "lambda: " * 2000 + "1",
    "x = " + "1 if 1 else " * 3000 + "1",
    "x = " + "(" * 5000 + ")" * 5000,
    "x = " + "[" * 5000,
    "def f():\n" + "".join("    " * (i + 1) + "if x:\n" for i in range(90)) + "    " * 91 + "pass",
    "x = 1\n" * 20_000,
]
NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "poison\x00x",
    "\ud800",
    "a\udfffb",
    "\x01\x02\x1b[31m\r\n\t",
    "'; DROP TABLE llm_calls; --",
    "../../etc/passwd",
    "pkg/primes.py",
    "\u202e\u200b\ufeff",
    "𝕏" * 100,
    "x" * 100_000,
    *[_fenced(code) for code in PATHOLOGICAL_CODE],
    *PATHOLOGICAL_CODE[:3],
]
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(NASTY_TEXT),
)
json_value = st.recursive(
    json_leaf, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
)


def _deep(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"k": [value]}
    return value


hostile_value = st.one_of(
    json_value,
    st.sampled_from(NASTY_TEXT),
    st.sampled_from([[], {}, [None] * 500, ["x"] * 300, _deep(60), 10**30, -1, 0, 1e308, -1e-308, True]),
    st.lists(st.sampled_from(NASTY_TEXT), min_size=1, max_size=40),
)


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with a few fields (at any depth) replaced, removed or added."""
    body = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 4))):
        target = body
        if isinstance(target, list) and target:
            target = target[draw(st.integers(0, len(target) - 1))]
        while isinstance(target, dict) and target and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(target)))
            if isinstance(target[key], dict | list) and target[key]:
                inner = target[key]
                target = inner[0] if isinstance(inner, list) else inner
            else:
                break
        if not isinstance(target, dict):
            continue
        action = draw(st.sampled_from(["replace", "replace", "replace", "remove", "add"]))
        if action == "add" or not target:
            target[draw(st.text(min_size=1, max_size=12))] = fresh(draw(hostile_value))
        elif action == "remove":
            del target[draw(st.sampled_from(sorted(target)))]
        else:
            target[draw(st.sampled_from(sorted(target)))] = fresh(draw(hostile_value))
    return body


def fresh(value: Any) -> Any:
    """A copy of a drawn value: later mutations of the body must not change the strategies' own
    lists and dictionaries (``sampled_from`` hands out the same objects each time), or hypothesis
    sees the next example drawn differently and stops with ``FlakyStrategyDefinition``."""
    return copy.deepcopy(value)


RAW = [b"", b" ", b"\xff\xfe\x00", b"{", b"[" * 100_000, b"{" * 50_000, b"null", b'"text"', b"1e999999", b"[]"]


def body_strategy(path: str) -> st.SearchStrategy[bytes]:
    """Serialised hostile bodies for one operation."""
    base = SAMPLES.get(path, dict)()
    as_json = st.one_of(mutated(base), mutated(base), mutated(base), json_value)
    return st.one_of(as_json.map(lambda v: json.dumps(v).encode()), st.sampled_from(RAW))


def draw_cases(paths: list[str], per_path: int) -> list[tuple[str, bytes]]:
    """Hostile bodies for every path, drawn by hypothesis (before any event loop runs)."""
    return [(path, body) for path in paths for body in _draw(body_strategy(path), per_path)]


def _draw(strategy: st.SearchStrategy[bytes], count: int) -> list[bytes]:
    collected: list[bytes] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(body: bytes) -> None:
        collected.append(body)

    collect()
    return collected


def documented_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the engine's /openapi.json (built without serving)."""
    from codeflash_engine.http.openapi import document
    from codeflash_engine.http.state import ENDPOINTS

    app = create_app(Settings(codeflash_engine_api_keys=API_KEY, openai_api_key="sk-fake"))
    endpoints = app[ENDPOINTS]
    doc = document(endpoints)
    return [(method.upper(), path) for path, ops in doc["paths"].items() for method in ops]


@pytest.fixture(scope="module")
def cases() -> list[tuple[str, str, bytes]]:
    operations = documented_operations()
    post_paths = [path for method, path in operations if method == "POST"]
    drawn = draw_cases(post_paths, EXAMPLES)
    gets = [("GET", path, b"") for method, path in operations if method == "GET"]
    return gets + [("POST", path, body) for path, body in drawn]


async def test_hostile_bodies_at_every_endpoint(
    cases: list[tuple[str, str, bytes]],
    fake_llm: FakeLLM,
    fake_llm_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Any],
) -> None:
    """Embedded mode (the in-memory store)."""
    await _fuzz(
        "memory", cases, fake_llm, fake_llm_settings, aiohttp_client, API_KEY, {"codeflash_engine_api_keys": API_KEY}
    )


async def test_hostile_bodies_at_every_endpoint_on_postgresql(
    cases: list[tuple[str, str, bytes]],
    fake_llm: FakeLLM,
    fake_llm_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Any],
    ops_db: str,
    ops_key: str,
) -> None:
    """PostgreSQL mode: NUL characters and lone surrogates must reach the database without stopping records."""
    await _fuzz("postgres", cases, fake_llm, fake_llm_settings, aiohttp_client, ops_key, {"database_url": ops_db})


async def _fuzz(
    store: str,
    cases: list[tuple[str, str, bytes]],
    fake_llm: FakeLLM,
    fake_llm_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Any],
    key: str,
    where: dict[str, Any],
) -> None:
    fake_llm.reply(samples.TESTS_ANSWER, contains="test")
    fake_llm.reply(samples.FAST_ANSWER)
    auth = {**AUTH, "Authorization": f"Bearer {key}"}
    settings = fake_llm_settings(
        models="openai:gpt-4.1=1",
        **where,
        codeflash_engine_request_deadline=20,
        codeflash_engine_loop_monitor_interval=0.005,
        codeflash_engine_max_body_bytes=4 * 1024 * 1024,
        rate_limit_max=100_000,
        codeflash_engine_rate_limit_llm_calls=1_000_000,
    )
    app = create_app(settings)
    client: EngineClient = await aiohttp_client(app)
    monitor = app[LOOP_MONITOR]
    await asyncio.sleep(0.05)
    monitor.max_lag = 0.0
    failures: list[str] = []
    worst: dict[str, float] = {}
    for method, path, body in cases:
        before = monitor.max_lag
        monitor.max_lag = 0.0
        resp = await client.request(method, path, data=body, headers=auth)
        raw = await resp.read()
        await asyncio.sleep(0.006)  # let the monitor take one more sample of this request
        lag = monitor.max_lag
        if lag >= LAG_LIMIT:  # a stall the engine causes happens again; the machine being busy does not
            monitor.max_lag = 0.0
            again = await client.request(method, path, data=body, headers=auth)
            await again.read()
            await asyncio.sleep(0.006)
            lag = min(lag, monitor.max_lag)
        worst[path] = max(worst.get(path, 0.0), lag)
        monitor.max_lag = max(before, lag)
        request = f"{method} {path} {body[:120]!r}"
        if path == "/metrics":
            assert resp.status == 200
            continue
        if resp.content_type != "application/json":
            failures.append(f"{request}: {resp.status} {resp.content_type} {raw[:200]!r}")
            continue
        answer = json.loads(raw)
        if resp.status >= 500 and resp.status != 502:
            failures.append(f"{request}: {resp.status} {answer}")
        if resp.status != 200 and not (isinstance(answer, dict) and str(answer.get("error", "")).strip()):
            failures.append(f"{request}: {resp.status} without an error message: {answer}")
        if lag >= LAG_LIMIT:
            failures.append(f"{request}: the event loop lagged {lag * 1000:.0f} ms")
    recorder = app[RECORDER]
    for _ in range(200):
        if recorder.queue_depth == 0:
            break
        await asyncio.sleep(0.05)
    assert recorder.queue_depth == 0, "the recorder's queue did not drain"
    assert recorder.dropped == 0 and recorder.rejected == 0
    report = ", ".join(f"{p} {v * 1000:.1f} ms" for p, v in sorted(worst.items(), key=lambda kv: -kv[1])[:5])
    print(f"\n{store}: {len(cases)} hostile requests; worst loop lag per endpoint: {report}")
    assert not failures, "\n".join(failures[:30])


#: model answers a parser may choke on: each pathological program as a fenced answer
HOSTILE_ANSWERS = [f"Faster.\n\n{_fenced(code)}\n" for code in PATHOLOGICAL_CODE] + [
    "```python\n" + "-" * 6000 + "1\n```",
    "\x00" * 100,
    "",
    "[" * 5000,  # nested past the JSON parser's depth, where a reader expects JSON
    "{[" * 3000 + '{"ranking": [1, 0]}',
    "<think>" + "Let me think. " * 20_000,  # a reasoning model cut off while thinking: nothing is left
    "Here: " + "[0] {} " * 20_000,  # brackets everywhere (40,000 of them), no answer
    "```python\ndef f(x):\n    return '\ud800' + x\n```",  # a lone surrogate in the code
]


@pytest.mark.parametrize("answer", HOSTILE_ANSWERS, ids=[f"answer{i}" for i in range(len(HOSTILE_ANSWERS))])
async def test_hostile_model_answers_at_every_llm_endpoint(
    answer: str,
    fake_llm: FakeLLM,
    fake_llm_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Any],
) -> None:
    """Valid bodies, pathological model answers: a rejected candidate, a 502, never a 500 (issue 16, class 4)."""
    bodies = [(path, json.dumps(make()).encode()) for path, make in SAMPLES.items() if path != "/ai/log_features"]
    fake_llm.reply(answer)
    settings = fake_llm_settings(
        models="openai:gpt-4.1=1",
        codeflash_engine_api_keys=API_KEY,
        codeflash_engine_request_deadline=20,
        codeflash_engine_loop_monitor_interval=0.005,
        rate_limit_max=100_000,
        codeflash_engine_rate_limit_llm_calls=1_000_000,
    )
    app = create_app(settings)
    client: EngineClient = await aiohttp_client(app)
    monitor = app[LOOP_MONITOR]
    await asyncio.sleep(0.05)
    failures: list[str] = []
    stalls: list[str] = []
    for path, body in bodies:
        monitor.max_lag = 0.0
        resp = await client.post(path, data=body, headers=AUTH)
        raw = await resp.read()
        await asyncio.sleep(0.006)
        lag = monitor.max_lag
        if resp.content_type != "application/json":
            failures.append(f"{path}: {resp.status} {resp.content_type} {raw[:200]!r}")
            continue
        answer_json = json.loads(raw)
        if (resp.status >= 500 and resp.status != 502) or (resp.status != 200 and not answer_json.get("error")):
            failures.append(f"{path}: {resp.status} {str(answer_json)[:300]}")
        if lag >= LAG_LIMIT:  # a busy machine is not the engine blocking: the stall must come again
            monitor.max_lag = 0.0
            await (await client.post(path, data=body, headers=AUTH)).read()
            await asyncio.sleep(0.006)
            if monitor.max_lag >= LAG_LIMIT:
                stalls.append(f"{path}: the event loop lagged {lag * 1000:.0f} and {monitor.max_lag * 1000:.0f} ms")
    assert not failures, "\n".join(failures)
    assert not stalls, "; ".join(stalls)
