"""Graceful shutdown under load: a SIGTERM loses no accepted request and no record (counted in PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from pathlib import Path

import pytest
from ops_support import engine_env, engine_process, features_kept, llm_calls, wait_for_rows

from codeflash_engine.testing.fake_llm import FakeLLM
from codeflash_engine.testing.load import FaultMix, Outcome, run_load

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_under_load_loses_no_accepted_request_and_no_record(
    tmp_path: Path, ops_db: str, ops_key: str, workers: int
) -> None:
    async with FakeLLM(latency=1.2, default=FaultMix(), keep_requests=False) as fake:
        # the straggler cut-off off: on a loaded machine it may cut a late call (outcome
        # "cancelled"), which is the fan-out's policy, not a loss at shutdown (tested apart)
        env = engine_env(
            fake.url, DATABASE_URL=ops_db, CODEFLASH_ENGINE_SHUTDOWN_GRACE="20", CODEFLASH_ENGINE_STRAGGLER_CUTOFF="0"
        )
        with engine_process(tmp_path, env, workers=workers) as proc:
            url = f"{proc.base}/ai/optimize"
            load = asyncio.create_task(
                run_load(url, ops_key, duration=6.0, concurrency=12, limit=30, pause_on_error=0.05, deep=False)
            )
            await asyncio.sleep(2.5)
            sigterm_at = time.perf_counter()
            proc.signal(signal.SIGTERM)
            outcomes: list[Outcome] = await load
            code = await asyncio.to_thread(proc.wait, 40)
            log = proc.log()
        assert code == 0, log[-3000:]

        answered = [o for o in outcomes if o.status is not None]
        refused = [o for o in outcomes if o.status is None]
        assert answered and refused, "the load must straddle the SIGTERM"
        assert {o.status for o in answered} == {200}, [o for o in answered if o.status != 200][:3]
        # every answer is complete and valid; how many distinct candidates survive dedup depends on how the
        # fake's six answer variants interleave across concurrent requests
        assert all(o.problem is None and 1 <= o.candidates <= 6 for o in answered)
        finished_after = [o for o in answered if o.started < sigterm_at < o.started + o.seconds]
        assert len(finished_after) >= 6, "requests in flight at SIGTERM must be answered"
        assert all(o.error != "timeout" for o in refused)
        # nothing refused got in: the requests refused after SIGTERM made no LLM call
        assert all(o.started + o.seconds >= sigterm_at - 0.5 for o in refused)

        # every call the fake served was recorded, under the trace of a request that got its answer
        rows = await wait_for_rows(ops_db, fake.served, timeout=5)
        assert rows == fake.served == 6 * len(answered)
        calls = await llm_calls(ops_db)
        assert set(calls) == {o.trace_id for o in answered}
        assert all(outcomes_ == ["ok"] * 6 for outcomes_ in calls.values())
        # and each answered request's features: its original code, prompt arm and explanations
        features = await features_kept(ops_db)
        assert set(features) == {o.trace_id for o in answered}
        for kept in features.values():
            assert {"original_code", "prompt_arm"} <= kept and any(k.startswith("explanation:") for k in kept)
        closed = re.findall(r"recorder closed: (\d+) record\(s\) written, (\d+) dropped", log)
        assert len(closed) == workers and sum(int(w) for w, _ in closed) == rows + 3 * len(answered)
        assert all(d == "0" for _, d in closed)


async def test_past_the_grace_period_requests_are_cut_but_their_calls_are_recorded(
    tmp_path: Path, ops_db: str, ops_key: str
) -> None:
    async with FakeLLM(latency=6.0, default=FaultMix(), keep_requests=False) as fake:
        env = engine_env(fake.url, DATABASE_URL=ops_db, CODEFLASH_ENGINE_SHUTDOWN_GRACE="1")
        with engine_process(tmp_path, env) as proc:
            load = asyncio.create_task(run_load(f"{proc.base}/ai/optimize", ops_key, requests=3, concurrency=3))
            await asyncio.sleep(1.0)
            proc.signal(signal.SIGTERM)
            outcomes = await load
            assert await asyncio.to_thread(proc.wait, 30) == 0
        assert [o.status for o in outcomes] == [None] * 3  # cut after the grace period
        assert all(o.seconds < 5 for o in outcomes)
        calls = await llm_calls(ops_db)
        assert set(calls) == {o.trace_id for o in outcomes}
        assert all(c == ["cancelled"] * 6 for c in calls.values())  # recorded as cancelled
