"""Fault injection under load (shortened; ``benchmarks/load_engine.py --faults`` runs the full version).

The fake LLM answers a share of calls with 429s, 500s, hangs, bodies that are not JSON and
garbage; PostgreSQL is restarted mid-load; a worker is killed. Whatever happens: no request
outlives its deadline, every answer is contract-valid or a JSON error, and the records in the
database match the requests served.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from ops_support import engine_env, engine_process, llm_calls, wait_for_rows

from codeflash_engine.testing.fake_llm import FakeLLM
from codeflash_engine.testing.load import FaultMix, Outcome, run_load
from codeflash_engine.testing.postgres import ThrowawayPostgres

pytestmark = pytest.mark.slow

DEADLINE = 4.0
#: what the load generator waits at most: the deadline, postprocessing and the way back
LIMIT = DEADLINE + 4.0


def check_answers(outcomes: list[Outcome], allowed: set[int]) -> None:
    answered = [o for o in outcomes if o.status is not None]
    assert answered
    assert not [o for o in outcomes if o.error == "timeout"], "a request outlived its deadline"
    assert max(o.seconds for o in answered) < DEADLINE + 3.0
    assert {o.status for o in answered} <= allowed, sorted({o.status for o in answered})  # type: ignore[type-var]
    assert [o.problem for o in answered if o.problem] == []


async def test_llm_faults_and_a_postgres_restart_under_load(
    tmp_path: Path, ops_db: str, ops_key: str, request: pytest.FixtureRequest
) -> None:
    if os.environ.get("DATABASE_URL"):
        pytest.skip("needs the throwaway server (it is stopped and restarted)")
    server: ThrowawayPostgres = request.getfixturevalue("pg_server")
    faults = FaultMix(rate=0.3, hang_seconds=20, seed=3)
    async with FakeLLM(latency=0.3, default=faults, keep_requests=False) as fake:
        env = engine_env(
            fake.url,
            DATABASE_URL=ops_db,
            CODEFLASH_ENGINE_REQUEST_DEADLINE=str(DEADLINE),
            CODEFLASH_ENGINE_LLM_TIMEOUT="0.8",
        )
        with engine_process(tmp_path, env) as proc:
            load = asyncio.create_task(
                run_load(f"{proc.base}/ai/optimize", ops_key, duration=9.0, concurrency=12, limit=LIMIT)
            )
            await asyncio.sleep(2.5)
            await asyncio.to_thread(server.stop)
            await asyncio.sleep(1.5)
            await asyncio.to_thread(server.restart)
            outcomes = await load
            # every call was recorded under its request's trace (the outage's records included)
            served = [o for o in outcomes if o.status in (200, 502)]
            rows = await wait_for_rows(ops_db, 6 * len(served), timeout=20)
            proc.signal(signal.SIGTERM)
            assert await asyncio.to_thread(proc.wait, 40) == 0
    check_answers(outcomes, {200, 502, 503})
    statuses = {o.status for o in outcomes}
    assert 503 in statuses and 200 in statuses, statuses  # the outage was seen, and so was service
    assert {"hang", "rate_limited", "server_error", "not_json", "garbage"} <= set(faults.counts)
    calls = await llm_calls(ops_db)
    assert rows == 6 * len(served) == sum(len(c) for c in calls.values())
    assert fake.served >= rows  # retries are attempts within their call's one record
    assert set(calls) == {o.trace_id for o in served}  # refused requests (503) made no call
    for o in served:
        assert len(calls[o.trace_id]) == 6
        if o.status == 502:
            assert calls[o.trace_id] == ["error"] * 6  # every call failed
        else:
            assert "ok" in calls[o.trace_id]


async def test_a_worker_killed_mid_load(tmp_path: Path) -> None:
    key = "cf-" + "k" * 43
    async with FakeLLM(latency=0.5, default=FaultMix(), keep_requests=False) as fake:
        env = engine_env(fake.url, CODEFLASH_ENGINE_API_KEYS=key, CODEFLASH_ENGINE_REQUEST_DEADLINE=str(DEADLINE))
        with engine_process(tmp_path, env, workers=2) as proc:
            load = asyncio.create_task(
                run_load(
                    f"{proc.base}/ai/optimize", key, duration=7.0, concurrency=16, limit=LIMIT, pause_on_error=0.05
                )
            )
            await asyncio.sleep(2.0)
            victim = proc.children()[0]
            os.kill(victim, signal.SIGKILL)
            outcomes = await load
            assert victim not in proc.children() and len(proc.children()) == 2  # replaced
            proc.signal(signal.SIGTERM)
            assert await asyncio.to_thread(proc.wait, 40) == 0
    check_answers(outcomes, {200})
    lost = [o for o in outcomes if o.status is None]
    assert len(lost) <= 16, lost  # at most what the killed worker had in flight
    assert len([o for o in outcomes if o.status == 200]) > 3 * len(lost)
