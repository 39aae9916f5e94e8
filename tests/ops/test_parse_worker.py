"""Large request bodies are validated in a worker process (CODEFLASH_ENGINE_PARSE_WORKER_BYTES): the
outcome is the one the event loop would have computed, the threshold is where the README says, a
worker that dies costs the request it was parsing (503) and nothing after it, and the worker stops
with the application."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

import pydantic
import pytest
from aiohttp import web

from codeflash_engine.app import create_app
from codeflash_engine.http.parsing import BodyParser, Outcome, ParseWorkerGone, validate
from codeflash_engine.http.schemas import MAX_TEXT, REFINEMENT_BODY, OptimizeRequest
from codeflash_engine.http.state import BODY_PARSER
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import API_KEY, AUTH, EngineClient
from codeflash_engine.testing.fake_llm import FakeLLM
from codeflash_engine.testing.load import candidate_answer, optimize_body

Schema = type[Any] | pydantic.TypeAdapter[Any]


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _refinement_item(**over: Any) -> dict[str, Any]:
    item = {"optimization_id": "c1", "original_source_code": "x = 1\n", "optimized_source_code": "x = 2\n"}
    return {**item, **over}


#: (schema, body): valid, malformed, wrong in a field, too long in a field, list bodies
CASES: list[tuple[Schema, bytes]] = [
    (OptimizeRequest, _json(optimize_body(trace_id="t-1"))),
    (OptimizeRequest, _json({**optimize_body(), "n_candidates": 3, "is_async": True})),
    (OptimizeRequest, b'{"source_code": "unterminated'),
    (OptimizeRequest, b'{"source_code": "\xff\xfe", "trace_id": "x"}'),
    (OptimizeRequest, b'{"source_code": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"),
    (OptimizeRequest, _json({**optimize_body(), "n_candidates": "six"})),
    (OptimizeRequest, _json({**optimize_body(), "source_code": "x" * (MAX_TEXT + 1)})),
    (OptimizeRequest, _json({"trace_id": "t-2"})),
    (REFINEMENT_BODY, _json([_refinement_item(), _refinement_item(optimization_id="c2", speedup="12%")])),
    (REFINEMENT_BODY, _json([_refinement_item(optimization_id="")])),
    (REFINEMENT_BODY, _json({"not": "a list"})),
]


def _worker_pid(parser: BodyParser) -> int:
    pid = parser.worker_pid
    assert pid is not None, "no worker was started"
    return pid


def _parse_workers() -> set[int]:
    """The parse workers this process started and still has (Linux's /proc)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                argv = cmdline.read().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if parent == os.getpid() and b"codeflash_engine.http.parsing" in argv:
            found.add(int(entry))
    return found


class SlowToRead:
    """A schema whose unpickling takes the worker half a second: a body that is slow to parse."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (time.sleep, (0.5,))


class DiesWhenRead:
    """A schema whose unpickling ends the worker process: a worker dying in the middle of a body."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (os._exit, (3,))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_the_worker_gives_the_outcome_the_event_loop_gives() -> None:
    parser = BodyParser(worker_bytes=0)
    try:
        kinds = set()
        for schema, raw in CASES:
            inline = validate(schema, raw)
            assert await parser.parse(schema, raw) == inline, raw[:80]
            kinds.add(inline.kind)
        assert kinds == {"ok", "malformed", "invalid"}  # the corpus covers every outcome
        assert _alive(_worker_pid(parser))
    finally:
        await parser.close()


async def test_bodies_up_to_the_threshold_are_parsed_inline_and_larger_ones_by_the_worker() -> None:
    raw = _json(optimize_body(trace_id="t-3"))
    at_threshold = BodyParser(worker_bytes=len(raw))
    over_threshold = BodyParser(worker_bytes=len(raw) - 1)
    try:
        assert (await at_threshold.parse(OptimizeRequest, raw)).kind == "ok"
        assert at_threshold.worker_pid is None
        assert (await over_threshold.parse(OptimizeRequest, raw)).kind == "ok"
        assert over_threshold.worker_pid is not None
    finally:
        await at_threshold.close()
        await over_threshold.close()


async def test_two_large_bodies_at_once_start_one_worker() -> None:
    parser = BodyParser(worker_bytes=0)
    raw = _json(optimize_body(trace_id="t-4"))
    before = _parse_workers()
    try:
        first, second = await asyncio.gather(parser.parse(OptimizeRequest, raw), parser.parse(OptimizeRequest, raw))
        assert first == second and first.kind == "ok"
        assert _parse_workers() - before == {_worker_pid(parser)}
    finally:
        await parser.close()


async def test_a_worker_dying_mid_body_costs_that_request_a_503_and_the_next_body_gets_a_new_one() -> None:
    parser = BodyParser(worker_bytes=0)
    raw = _json(optimize_body(trace_id="t-5"))
    try:
        await parser.parse(OptimizeRequest, raw)
        dead = _worker_pid(parser)
        before = _parse_workers()
        with pytest.raises(ParseWorkerGone) as gone:
            await parser.parse(cast(Any, DiesWhenRead()), raw)
        assert gone.value.status == 503
        assert parser.worker_pid is None and not _alive(dead)
        assert _parse_workers() <= before - {dead}  # the one more try's worker ended too
        with pytest.raises(ParseWorkerGone):  # a new worker that ends at once: no third try
            await parser.parse(cast(Any, DiesWhenRead()), raw)
        outcome = await parser.parse(OptimizeRequest, raw)
        assert outcome.kind == "ok" and outcome.value.trace_id == "t-5"
        assert _worker_pid(parser) != dead
    finally:
        await parser.close()


async def test_a_worker_killed_between_bodies_is_replaced_without_an_error() -> None:
    parser = BodyParser(worker_bytes=0)
    raw = _json(optimize_body(trace_id="t-7"))
    try:
        await parser.parse(OptimizeRequest, raw)
        dead = _worker_pid(parser)
        os.kill(dead, signal.SIGKILL)  # the engine has not seen it end yet
        outcome = await parser.parse(OptimizeRequest, raw)
        assert outcome.kind == "ok" and outcome.value.trace_id == "t-7"
        assert _worker_pid(parser) != dead
    finally:
        await parser.close()


async def test_a_request_cancelled_while_the_worker_parses_leaves_the_worker_in_step() -> None:
    parser = BodyParser(worker_bytes=0)
    big = _json(optimize_body(trace_id="t-8"))
    small = _json(optimize_body(trace_id="t-9"))
    try:
        await parser.parse(OptimizeRequest, small)  # the worker is running
        pending = asyncio.ensure_future(parser.parse(cast(Any, SlowToRead()), big))
        await asyncio.sleep(0.05)  # the body is with the worker
        assert not pending.done()
        pending.cancel()
        outcome = await asyncio.wait_for(parser.parse(OptimizeRequest, small), timeout=30)
        assert outcome.kind == "ok" and outcome.value.trace_id == "t-9"
    finally:
        await parser.close()


async def test_the_application_parses_large_bodies_in_the_worker_and_stops_it(
    fake_llm: FakeLLM,
    fake_llm_settings: Callable[..., Settings],
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]],
) -> None:
    fake_llm.reply(candidate_answer(0))
    settings = fake_llm_settings(
        models="openai:gpt-4.1=1", codeflash_engine_api_keys=API_KEY, codeflash_engine_parse_worker_bytes=0
    )
    app = create_app(settings)
    client = await aiohttp_client(app)
    headers = {**AUTH, "Content-Type": "application/json"}

    resp = await client.post("/ai/optimize", data=_json(optimize_body(n_candidates=1)), headers=headers)
    answer = await resp.json()
    assert resp.status == 200, answer
    assert len(answer["optimizations"]) == 1
    resp = await client.post("/ai/optimize", data=b'{"source_code": [', headers=headers)
    assert resp.status == 400 and "not valid JSON" in (await resp.json())["error"]
    resp = await client.post("/ai/optimize", data=_json({**optimize_body(), "n_candidates": "six"}), headers=headers)
    assert resp.status == 422 and "n_candidates" in (await resp.json())["error"]

    pid = _worker_pid(app[BODY_PARSER])
    await client.close()
    assert not _alive(pid), "the worker outlived the application"


def test_outcomes_pickle_as_the_worker_sends_them() -> None:
    import pickle

    outcome = validate(OptimizeRequest, _json(optimize_body(trace_id="t-6")))
    assert pickle.loads(pickle.dumps(outcome)) == outcome
    assert isinstance(outcome, Outcome) and outcome.value.trace_id == "t-6"
