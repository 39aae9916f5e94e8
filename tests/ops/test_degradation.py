"""PostgreSQL going away: guards fail closed with a 503, records wait (bounded), all recovers by itself."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from ops_support import bearer, llm_calls, wait_for_rows
from pydantic import SecretStr

from codeflash_engine.app import create_app
from codeflash_engine.http.metrics import RECORDER
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import EngineClient
from codeflash_engine.testing.fake_llm import FakeLLM, Reply
from codeflash_engine.testing.load import candidate_answer, optimize_body
from codeflash_engine.testing.postgres import ThrowawayPostgres

pytestmark = pytest.mark.slow

ClientFactory = Callable[[web.Application], Awaitable[EngineClient]]


@pytest.fixture
def pg_server_only(request: pytest.FixtureRequest) -> ThrowawayPostgres:
    if os.environ.get("DATABASE_URL"):
        pytest.skip("needs the throwaway server (it is stopped and restarted)")
    server: ThrowawayPostgres = request.getfixturevalue("pg_server")
    return server


def metric_value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        metric, _, value = line.rpartition(" ")
        base, _, rest = metric.partition("{")
        if base == name and all(f'{k}="{v}"' in rest for k, v in labels.items()):
            return float(value)
    return 0.0


def slow_answers(fake: FakeLLM, latency: float) -> None:
    fake.add(lambda req: Reply(candidate_answer(fake.served), latency=latency))


async def test_database_down_fails_closed_buffers_records_and_recovers(
    pg_server_only: ThrowawayPostgres,
    ops_db: str,
    ops_key: str,
    fake_llm: FakeLLM,
    fake_llm_settings: Callable[..., Settings],
    aiohttp_client: ClientFactory,
) -> None:
    slow_answers(fake_llm, 1.0)
    settings = fake_llm_settings(models="openai:gpt-4.1=1", database_url=SecretStr(ops_db), rate_limit_max=1000)
    client = await aiohttp_client(create_app(settings))
    auth = bearer(ops_key)
    first, during, after = optimize_body(), optimize_body(), optimize_body()
    assert (await client.post("/ai/optimize", json=first, headers=auth)).status == 200

    in_flight = asyncio.create_task(client.post("/ai/optimize", json=during, headers=auth))
    await asyncio.sleep(0.4)  # past the guards, waiting on the LLM
    pg_server_only.stop()
    try:
        refused = await client.post("/ai/optimize", json=optimize_body(), headers=auth)
        assert refused.status == 503 and refused.headers["Retry-After"] == "5"
        assert await refused.json() == {"error": "the database is unavailable; try again shortly"}
        other = await client.post("/ai/explain", json={}, headers=auth)
        assert other.status == 503  # every /ai route: no key check, no entry
        assert (await client.get("/healthcheck")).status == 200
        resp = await in_flight
        assert resp.status == 200 and len((await resp.json())["optimizations"]) == 6  # accepted before: served
        await asyncio.sleep(0.5)
        text = await (await client.get("/metrics")).text()
        assert metric_value(text, "codeflash_engine_recorder_queue_depth") >= 6  # waiting for the database
        assert metric_value(text, "codeflash_engine_recorder_sink_failures_total") >= 1
        assert metric_value(text, "codeflash_engine_errors_total", source="http", **{"class": "http_503"}) == 2
    finally:
        pg_server_only.restart()

    # back by itself: the next request is served and the buffered records are written
    assert (await client.post("/ai/optimize", json=after, headers=auth)).status == 200
    assert await wait_for_rows(ops_db, 18, timeout=15) == 18
    calls = await llm_calls(ops_db)
    assert {t: len(c) for t, c in calls.items()} == {first["trace_id"]: 6, during["trace_id"]: 6, after["trace_id"]: 6}
    assert client.app[RECORDER].dropped == 0


async def test_records_beyond_the_bound_are_dropped_and_counted(
    pg_server_only: ThrowawayPostgres,
    ops_db: str,
    ops_key: str,
    fake_llm: FakeLLM,
    fake_llm_settings: Callable[..., Settings],
    aiohttp_client: ClientFactory,
) -> None:
    slow_answers(fake_llm, 0.8)
    settings = fake_llm_settings(
        models="openai:gpt-4.1=1", database_url=SecretStr(ops_db), codeflash_engine_recorder_queue=4
    )
    client = await aiohttp_client(create_app(settings))
    auth = bearer(ops_key)
    assert (await client.post("/ai/optimize", json=optimize_body(), headers=auth)).status == 200
    pending = [asyncio.create_task(client.post("/ai/optimize", json=optimize_body(), headers=auth)) for _ in range(3)]
    await asyncio.sleep(0.4)
    pg_server_only.stop()
    try:
        assert [r.status for r in await asyncio.gather(*pending)] == [200] * 3
        await asyncio.sleep(0.3)
        recorder = client.app[RECORDER]
        assert recorder.dropped > 0 and recorder.queue_depth <= 4 + recorder.batch_size
        text = await (await client.get("/metrics")).text()
        assert metric_value(text, "codeflash_engine_recorder_records_total", outcome="dropped") == recorder.dropped
    finally:
        pg_server_only.restart()
    total = 6 * 4
    rows = await wait_for_rows(ops_db, total - recorder.dropped, timeout=15)
    assert rows == total - recorder.dropped  # what was kept is written, what was dropped is counted
