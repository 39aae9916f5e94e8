"""Hostile input: huge bodies, deep nesting, invalid UTF-8, wrong types, absurd counts, parser bombs.

Each answer must be a JSON error (or a valid 200) within a bounded time, without stalling the
event loop for long and without the process's memory running away.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from codeflash_engine.app import create_app
from codeflash_engine.infra.observability import LoopMonitor
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import API_KEY, AUTH, EngineClient
from codeflash_engine.testing.fake_llm import FakeLLM, Reply
from codeflash_engine.testing.load import answer_problem, candidate_answer, optimize_body

MiB = 1024 * 1024
#: seconds any one request may take here (the LLM is instant)
TIME_LIMIT = 10.0
#: the longest the event loop may be late while these requests run (the design's goal is 50 ms;
#: this leaves room for a busy CI machine)
LAG_LIMIT = 0.25


@pytest_asyncio.fixture
async def client(
    fake_llm_settings: Callable[..., Settings],
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]],
) -> AsyncIterator[EngineClient]:
    settings = fake_llm_settings(
        models="openai:gpt-4.1=1",
        codeflash_engine_api_keys=API_KEY,
        codeflash_engine_max_body_bytes=4 * MiB,
        codeflash_engine_request_deadline=20,
    )
    yield await aiohttp_client(create_app(settings))


@pytest_asyncio.fixture
async def monitor() -> AsyncIterator[LoopMonitor]:
    watch = LoopMonitor(interval=0.005)
    watch.start()
    yield watch
    await watch.stop()
    assert watch.max_lag < LAG_LIMIT, f"the event loop stalled for {watch.max_lag * 1000:.0f} ms"


async def post(client: EngineClient, path: str, data: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    started = time.perf_counter()
    resp = await client.post(path, data=data, headers={**AUTH, "Content-Type": "application/json", **(headers or {})})
    raw = await resp.read()
    assert time.perf_counter() - started < TIME_LIMIT
    assert resp.content_type == "application/json", (resp.status, raw[:200])
    body = json.loads(raw)
    if resp.status != 200:
        assert set(body) == {"error"} and isinstance(body["error"], str), body
    assert resp.status != 500, body
    return resp.status, body


def optimize_with(**over: Any) -> bytes:
    return json.dumps({**optimize_body(), **over}).encode()


async def test_huge_bodies_are_refused_before_being_read(client: EngineClient, monitor: LoopMonitor) -> None:
    status, body = await post(client, "/ai/optimize", b'{"source_code": "' + b"x" * (5 * MiB) + b'"}')
    assert status == 413 and "CODEFLASH_ENGINE_MAX_BODY_BYTES" in body["error"]
    status, body = await post(client, "/ai/workflow-gen", b"[" * (5 * MiB))
    assert status == 413


async def test_deep_nesting_invalid_utf8_and_non_json(client: EngineClient, monitor: LoopMonitor) -> None:
    for data in (
        b'{"source_code": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
        b'{"a": ' * 100_000 + b"1" + b"}" * 100_000,
        b'{"source_code": "\xff\xfe\xfd", "trace_id": "x"}',
        b"\xc3\x28" * 1000,
        b"not json at all",
        b'{"source_code": "unterminated',
        b"",
        b"null",
        b"[]",
        b'"a string"',
        b"1e999999",
    ):
        status, _ = await post(client, "/ai/optimize", data)
        assert status in (400, 422), (status, data[:40])
    status, _ = await post(client, "/ai/refinement", b"[" * 100_000)
    assert status in (400, 422)


@pytest.mark.parametrize(
    "over",
    [
        {"source_code": 123},
        {"source_code": None},
        {"source_code": ["```python:a.py\nx = 1\n```"]},
        {"trace_id": {"nested": True}},
        {"n_candidates": "six"},
        {"n_candidates": -5},
        {"n_candidates": 1.5},
        {"language": 42},
        {"is_async": "maybe"},
        {"language": "x" * 100_000},
    ],
)
async def test_wrong_types_are_422(client: EngineClient, fake_llm: FakeLLM, over: dict[str, Any]) -> None:
    status, body = await post(client, "/ai/optimize", optimize_with(**over))
    assert status == 422, body
    assert fake_llm.requests == []


async def test_absurd_candidate_counts_are_capped(client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.add(lambda req: Reply(candidate_answer(len(fake_llm.requests))))
    for n in (10**30, 10**9, 2**31, 1000):
        fake_llm.requests.clear()
        status, body = await post(client, "/ai/optimize", optimize_with(n_candidates=n))
        assert status == 200 and answer_problem(status, "application/json", json.dumps(body).encode()) is None
        assert 0 < len(fake_llm.requests) <= 12  # MAX_CANDIDATES, whatever was asked


def fenced(code: str, path: str = "pkg/orders.py") -> str:
    return f"```python:{path}\n{code}\n```"


PARSER_BOMBS = {
    "parentheses": fenced("x = " + "(" * 50_000 + "1" + ")" * 50_000),
    "brackets": fenced("x = " + "[" * 50_000 + "]" * 50_000),
    "long_sum": pytest.param(
        fenced("x = " + "+".join(["a"] * 100_000)),
    ),
    "long_line": fenced("x = '" + "y" * 2_000_000 + "'"),
    "many_functions": fenced("\n".join(f"def f{i}(a):\n    return a + {i}\n" for i in range(3_000))),
    "many_fences": "```python:a.py\nx = 1\n```\n" * 20_000,
    "unclosed_fences": "```python:a.py\n" * 50_000,
    "backticks": "`" * 1_000_000,
    "nested_fstrings": fenced("x = " + 'f"{' * 200 + "1" + '}"' * 200),
    "decorators": fenced("@d\n" * 50_000 + "def f():\n    pass"),
    "many_statements_cut_off": "```python:pkg/orders.py\n" + "".join(f"x{i} = [{i},\n" for i in range(8_000)),
    "indentation": fenced("".join(" " * i + "if x:\n" for i in range(0, 800, 4)) + " " * 800 + "pass"),
    "nul_bytes": fenced("def f():\n    return '\x00'\n"),
}


#: the longest answer a model gives (an output limit of about 16k tokens)
ANSWER_LIMIT = 64 * 1024


@pytest.mark.parametrize("bomb", list(PARSER_BOMBS.values()), ids=list(PARSER_BOMBS))
async def test_code_that_makes_parsers_work_hard(
    client: EngineClient, fake_llm: FakeLLM, monitor: LoopMonitor, bomb: str
) -> None:
    fake_llm.add(lambda req: Reply(candidate_answer(len(fake_llm.requests))))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    status, body = await post(client, "/ai/optimize", optimize_with(source_code=bomb, n_candidates=2))
    assert status in (200, 400, 422, 502), (status, body)
    # the same kind of text in the model's answers
    fake_llm.reset()
    fake_llm.add(lambda req: Reply(bomb[:ANSWER_LIMIT]))
    status, body = await post(client, "/ai/optimize", optimize_with(n_candidates=2))
    assert status in (200, 502), (status, body)
    if status == 200:
        assert answer_problem(200, "application/json", json.dumps(body).encode()) is None
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 400, f"memory grew by {grown_mib:.0f} MiB"
