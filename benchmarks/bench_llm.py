"""The LLM layer's own cost: many concurrent calls to a fake LLM in another process.

The fake server (``python -m codeflash_engine.testing.fake_llm``) runs in a child process with a
fixed latency, so this process's CPU time is the engine's alone. ``--calls`` calls are started at
once through :class:`~codeflash_engine.infra.llm.client.LLMClient` (the official SDK over its
aiohttp transport, the retry/deadline/semaphore machinery, cost and a call record per call, with
the background recorder writing to a counting sink). The per-provider bound
``--concurrency`` lets them through in waves, so the ideal wall time is the latency times
``ceil(calls / concurrency)``.

For scale, the same calls are also made by a bare ``aiohttp.ClientSession`` (one shared session,
a semaphore of the same size, JSON decoding of the answer): the passthrough floor.

Reported for each: wall time against the ideal, CPU time per call (process time: user + system,
all threads of this process), calls per CPU-second, and how long the event loop's thread sat in
the run queue waiting for a core (``/proc/self/task/<tid>/schedstat``): on a machine shared with
other work, that wait is part of the wall time and not the engine's doing.

    .venv/bin/python benchmarks/bench_llm.py                      # 1,000 calls, 50 ms, bound 64
    .venv/bin/python benchmarks/bench_llm.py --concurrency 200 --providers openai,anthropic --json
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import aiohttp

from codeflash_engine.infra.llm import Deadline, ModelChoice, open_llm_client
from codeflash_engine.infra.recorder import Recorder
from codeflash_engine.infra.records import Record
from codeflash_engine.plugins.types import Prompt
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import API_KEY

MODELS = {"openai": "gpt-4.1", "anthropic": "claude-sonnet-4-6"}
PROMPT = Prompt(
    system="You are a performance engineer. Rewrite the function to run faster, same behaviour.",
    user="```python\n" + "\n".join(f"def f{i}(xs):\n    return [x * {i} for x in xs]" for i in range(10)) + "\n```",
    cache_prefix_chars=200,
)


class CountingSink:
    """A record sink that only counts (the recorder's cost without a database)."""

    def __init__(self) -> None:
        self.count = 0

    async def write(self, batch: Sequence[Record]) -> None:
        self.count += len(batch)


def start_fake(latency: float) -> tuple[subprocess.Popen[str], str]:
    """The fake server in a child process; returns it and its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "codeflash_engine.testing.fake_llm", "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"the fake LLM did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[-1]


def run_queue_wait() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (0 where Linux does not say)."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class Clock:
    """Wall time, process CPU time and run-queue wait between ``start`` and ``stop``."""

    def start(self) -> None:
        gc.collect()
        self.cpu0, self.wait0, self.wall0 = time.process_time(), run_queue_wait(), time.perf_counter()

    def stop(self) -> tuple[float, float, float]:
        wall = time.perf_counter() - self.wall0
        return wall, time.process_time() - self.cpu0, run_queue_wait() - self.wait0


def measure(clock: tuple[float, float, float], calls: int, latency: float, concurrency: int, ok: int) -> dict[str, Any]:
    wall, cpu, waited = clock
    waves = math.ceil(calls / concurrency)
    ideal = latency * waves
    return {
        "calls": calls,
        "ok": ok,
        "concurrency": concurrency,
        "waves": waves,
        "wall_s": round(wall, 3),
        "ideal_s": round(ideal, 3),
        "wall_over_ideal": round(wall / ideal, 2),
        "cpu_s": round(cpu, 3),
        "run_queue_wait_s": round(waited, 3),
        "cpu_ms_per_call": round(cpu / calls * 1000, 3),
        "calls_per_cpu_second": round(calls / cpu) if cpu else None,
    }


async def run_engine(url: str, provider: str, calls: int, concurrency: int, latency: float) -> dict[str, Any]:
    base: dict[str, Any] = {
        "openai_api_key": None,
        "openai_base_url": None,
        "azure_openai_api_key": None,
        "azure_openai_endpoint": None,
        "anthropic_api_key": None,
        "anthropic_base_url": None,
        "aws_access_key_id": None,
        "aws_secret_access_key": None,
    }
    if provider == "openai":
        base.update(openai_api_key=API_KEY, openai_base_url=f"{url}/v1")
    else:
        base.update(anthropic_api_key="sk-ant-bench-0123456789abcdef", anthropic_base_url=url)
    model = ModelChoice(provider, MODELS[provider])
    settings = Settings(
        **base,
        codeflash_engine_models=f"{provider}:{model.model}",
        codeflash_engine_llm_concurrency=concurrency,
    )
    sink = CountingSink()
    async with Recorder(sink) as recorder, open_llm_client(settings, recorder) as client:

        async def one() -> bool:
            done = await client.complete(
                PROMPT, model=model, call_type="bench", trace_id="bench", deadline=Deadline.after(120)
            )
            return bool(done.text)

        # warm-up: open the pool's connections and import what the SDK imports lazily
        await asyncio.gather(*(one() for _ in range(min(concurrency, calls))))
        clock = Clock()
        clock.start()
        results = await asyncio.gather(*(one() for _ in range(calls)), return_exceptions=True)
        measured = clock.stop()
    ok = sum(1 for r in results if r is True)
    out = measure(measured, calls, latency, concurrency, ok)
    out["records_written"] = sink.count
    errors = [repr(r) for r in results if r is not True][:3]
    if errors:
        out["errors"] = errors
    return out


async def run_floor(url: str, calls: int, concurrency: int, latency: float) -> dict[str, Any]:
    body = {
        "model": "gpt-4.1",
        "messages": [{"role": "system", "content": PROMPT.system}, {"role": "user", "content": PROMPT.user}],
    }
    headers = {"Authorization": f"Bearer {API_KEY}"}
    slots = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one() -> bool:
            async with slots, session.post(f"{url}/v1/chat/completions", json=body, headers=headers) as response:
                data = await response.json()
                return bool(data["choices"][0]["message"]["content"])

        await asyncio.gather(*(one() for _ in range(min(concurrency, calls))))
        clock = Clock()
        clock.start()
        results = await asyncio.gather(*(one() for _ in range(calls)), return_exceptions=True)
        measured = clock.stop()
    return measure(measured, calls, latency, concurrency, sum(1 for r in results if r is True))


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    proc, url = start_fake(args.latency)
    try:
        out: dict[str, Any] = {
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "latency_s": args.latency,
            "runs": {},
        }
        for _ in range(args.repeat):
            out["runs"].setdefault("aiohttp floor", []).append(
                await run_floor(url, args.calls, args.concurrency, args.latency)
            )
            for provider in args.providers:
                out["runs"].setdefault(f"engine {provider}", []).append(
                    await run_engine(url, provider, args.calls, args.concurrency, args.latency)
                )
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median CPU per call."""
    ordered = sorted(runs, key=lambda r: r["cpu_ms_per_call"])
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64, help="the per-provider bound (default: the setting's)")
    parser.add_argument("--latency", type=float, default=0.05, help="the fake's latency in seconds")
    parser.add_argument("--providers", default="openai", help="comma-separated: openai, anthropic")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median is reported")
    parser.add_argument("--json", action="store_true", help="print every run as JSON")
    args = parser.parse_args()
    args.providers = [p.strip() for p in args.providers.split(",") if p.strip()]
    for provider in args.providers:
        if provider not in MODELS:
            parser.error(f"unknown provider {provider!r}")

    result = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{args.calls} concurrent calls, fake LLM latency {args.latency * 1000:.0f} ms in another process, "
        f"bound {args.concurrency} per provider, {result['machine']['cpus']} CPUs, median of {args.repeat}"
    )
    print(
        f"{'target':<18} {'wall s':>7} {'ideal s':>8} {'wall/ideal':>10} {'CPU wait s':>10} "
        f"{'CPU ms/call':>12} {'calls/CPU-s':>12} ok"
    )
    for name, runs in result["runs"].items():
        r = best(runs)
        print(
            f"{name:<18} {r['wall_s']:>7.3f} {r['ideal_s']:>8.3f} {r['wall_over_ideal']:>10.2f} "
            f"{r['run_queue_wait_s']:>10.3f} {r['cpu_ms_per_call']:>12.3f} {r['calls_per_cpu_second']:>12} "
            f"{r['ok']}/{r['calls']}"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (CPU wait: time the event loop waited for a core)")


if __name__ == "__main__":
    main()
