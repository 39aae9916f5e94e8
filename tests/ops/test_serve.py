"""``codeflash-engine serve --workers N``: supervision, restarts, metrics across workers, exit codes."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import aiohttp
import pytest
from ops_support import EngineProcess, bearer, engine_env, engine_process

from codeflash_engine.serve import EX_CONFIG
from codeflash_engine.testing.fake_llm import FakeLLM
from codeflash_engine.testing.load import FaultMix, optimize_body

pytestmark = pytest.mark.slow

KEY = "cf-" + "w" * 43


def total(text: str, name: str, **labels: str) -> float:
    out = 0.0
    for line in text.splitlines():
        metric, _, value = line.rpartition(" ")
        base, _, rest = metric.partition("{")
        if base == name and all(f'{k}="{v}"' in rest for k, v in labels.items()):
            out += float(value)
    return out


async def optimize_many(base: str, n: int) -> list[int]:
    async with aiohttp.ClientSession() as session:

        async def one() -> int:
            async with session.post(f"{base}/ai/optimize", json=optimize_body(), headers=bearer(KEY)) as resp:
                await resp.read()
                return resp.status

        return list(await asyncio.gather(*(one() for _ in range(n))))


async def scrape(base: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"{base}/metrics") as resp:
        assert resp.status == 200
        return await resp.text()


async def wait_children(proc: EngineProcess, n: int, old: set[int] | None = None, timeout: float = 30) -> list[int]:
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        kids = proc.children()
        if len(kids) == n and (old is None or set(kids) - old):
            return kids
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected {n} workers, have {proc.children()}: {proc.log()[-2000:]}")


async def test_workers_share_the_port_are_replaced_and_report_one_set_of_metrics(tmp_path: Path) -> None:
    async with FakeLLM(default=FaultMix(), keep_requests=False) as fake:
        env = engine_env(fake.url, CODEFLASH_ENGINE_API_KEYS=KEY)
        with engine_process(tmp_path, env, workers=2) as proc:
            workers = await wait_children(proc, 2)
            assert await optimize_many(proc.base, 12) == [200] * 12
            # whichever worker answers the scrape reports what both served
            for _ in range(4):
                text = await scrape(proc.base)
                assert total(text, "codeflash_engine_http_requests_total", route="/ai/optimize", status="200") == 12
                assert total(text, "codeflash_engine_llm_calls_total", outcome="ok") == 72
                assert len([ln for ln in text.splitlines() if ln.startswith("codeflash_engine_worker_resident")]) == 2

            os.kill(workers[0], signal.SIGKILL)
            replaced = await wait_children(proc, 2, old=set(workers))
            assert workers[0] not in replaced
            assert "died (killed by SIGKILL)" in proc.log()
            await asyncio.sleep(1.0)
            for _ in range(20):  # the replacement is serving once /healthcheck has answered from it
                if proc.log().count("LLM providers:") >= 3:
                    break
                await asyncio.sleep(0.25)
            assert await optimize_many(proc.base, 6) == [200] * 6
            text = await scrape(proc.base)
            # counters of the dead worker are kept; its live gauges are gone
            assert total(text, "codeflash_engine_http_requests_total", route="/ai/optimize", status="200") == 18
            memory = [ln for ln in text.splitlines() if ln.startswith("codeflash_engine_worker_resident")]
            assert len(memory) == 2 and not any(f'pid="{workers[0]}"' in ln for ln in memory)

            proc.signal(signal.SIGTERM)
            assert proc.wait(60) == 0
            log = proc.log()
            assert "received SIGTERM: stopping 2 worker(s)" in log and "supervisor exiting with status 0" in log
            assert log.count("recorder closed") == 2  # the two live workers; the killed one never could


async def test_a_configuration_error_stops_the_supervisor(tmp_path: Path) -> None:
    env = engine_env("http://127.0.0.1:9", CODEFLASH_ENGINE_API_KEYS=KEY, CODEFLASH_ENGINE_MODELS="nonsense=x")
    for workers in (1, 2):
        with engine_process(tmp_path, env, workers=workers, wait=False) as proc:
            code = await asyncio.to_thread(proc.wait, 60)
            assert code == EX_CONFIG, proc.log()
            assert "cannot start" in proc.log()
            assert "replacing it" not in proc.log()


async def test_sigterm_before_any_request_exits_cleanly(tmp_path: Path) -> None:
    env = engine_env("http://127.0.0.1:9", CODEFLASH_ENGINE_API_KEYS=KEY)
    with engine_process(tmp_path, env, workers=1) as proc:
        proc.signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 30) == 0
        assert "shutting down gracefully" in proc.log()
