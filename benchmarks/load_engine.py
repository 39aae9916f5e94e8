"""Issue 10's load run: 200 concurrent /ai/optimize for 60 s against the engine with PostgreSQL.

For each combination of ``--workers`` (default 1 and 2) and ``--faults`` (default 0 and 0.1, the
share of LLM calls the fake answers with a 429, a 500, a 30 s hang, a body that is not JSON or a
garbage answer), it starts a throwaway PostgreSQL (or uses ``DATABASE_URL``'s server), the fake
LLM at 500 ms in its own process and ``codeflash-engine serve --workers N``, runs the closed-loop
load, and reports latency p50/p99, statuses, the engine's overhead (end-to-end minus the 500 ms
of the slowest call, for requests that met no fault; and the engine's own header), the workers'
peak memory, and whether the records in the database match the requests served (six
``llm_calls`` rows for each request answered 200 or 502, none for the others).

``--sigterm S`` sends SIGTERM to the engine S seconds into each run instead, and checks that no
accepted request and no record was lost: every request is answered 200/502 or was refused at
connect (and made no LLM call), and the rows match.

    .venv/bin/python benchmarks/load_engine.py                          # four runs of 60 s
    .venv/bin/python benchmarks/load_engine.py --workers 2 --sigterm 30 # the SIGTERM run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).parent))

from bench_engine_lib import (
    VENV_BIN,
    MemoryPeak,
    Proc,
    engine_env,
    fake_llm,
    free_port,
    machine,
    metric,
    scrape,
    wait_http,
)

from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.testing.load import Outcome, run_load, summarize
from codeflash_engine.testing.postgres import scratch_database

LATENCY = 0.5


@contextlib.contextmanager
def database() -> Iterator[str]:
    """A fresh database in DATABASE_URL's server or in a throwaway one; dropped at the end."""
    with scratch_database(os.environ.get("DATABASE_URL") or None, "cfe_load") as dsn:
        yield dsn


async def issue_key(dsn: str) -> str:
    async with PostgresStore(dsn, pool_max=2, prune_interval=0) as store:
        return (await store.create_key(f"load-{uuid.uuid4().hex[:6]}", tier="pro")).key


async def rows_by_trace(dsn: str) -> dict[str, list[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT trace_id, outcome FROM llm_calls")
    finally:
        await conn.close()
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["trace_id"], []).append(row["outcome"])
    return out


def records_match(outcomes: list[Outcome], rows: dict[str, list[str]]) -> dict[str, Any]:
    """Do the records match the requests served? (six rows per 200/502 answer, none for the rest)"""
    served = {o.trace_id for o in outcomes if o.status in (200, 502)}
    missing = [t for t in served if len(rows.get(t, [])) != 6]
    stray = [t for t in rows if t not in served]
    return {
        "rows": sum(len(r) for r in rows.values()),
        "expected_rows": 6 * len(served),
        "traces_with_wrong_count": len(missing),
        "rows_of_unanswered_requests": len(stray),
        "match": not missing and not stray,
    }


async def one_run(args: argparse.Namespace, workers: int, faults: float, dsn: str) -> dict[str, Any]:
    with fake_llm(latency=LATENCY, fault_rate=faults, hang=30.0, seed=11) as fake:
        key = await issue_key(dsn)
        port = free_port()
        env = engine_env(
            fake,
            DATABASE_URL=dsn,
            CODEFLASH_ENGINE_API_KEYS="",
            CODEFLASH_ENGINE_LLM_TIMEOUT="5",
            CODEFLASH_ENGINE_SHUTDOWN_GRACE="60",
            DATABASE_POOL_MAX="10",
        )
        proc = Proc(
            [str(VENV_BIN / "codeflash-engine"), "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            name="load-engine",
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{base}/healthcheck")
            await asyncio.sleep(3.0 if workers > 1 else 0.5)
            url = f"{base}/ai/optimize"
            warmup = await run_load(url, key, requests=100, concurrency=50, deep=False)
            warm = {o.trace_id for o in warmup}  # excluded from the check (their rows may land late)
            sigterm_at: float | None = None
            async with MemoryPeak(proc.pid) as memory:
                load = asyncio.create_task(
                    run_load(
                        url, key, duration=args.duration, concurrency=args.concurrency, limit=300, pause_on_error=0.05
                    )
                )
                if args.sigterm is not None:
                    await asyncio.sleep(args.sigterm)
                    sigterm_at = time.perf_counter()
                    proc.popen.send_signal(signal.SIGTERM)
                started = time.perf_counter()
                outcomes = await load
                wall = time.perf_counter() - started if sigterm_at is None else args.duration
            samples = {} if sigterm_at is not None else scrape(base)
            if sigterm_at is None:
                proc.popen.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(proc.popen.wait, 120)
        finally:
            proc.terminate()
        log = proc.text()
        await asyncio.sleep(0.5)
        rows = await rows_by_trace(dsn)
        summary = summarize(outcomes, llm_latency_s=LATENCY, wall_s=wall)
        closed = re.findall(r"recorder closed: (\d+) record\(s\) written, (\d+) dropped", log)
        row: dict[str, Any] = {
            "run": f"{workers} worker(s), {faults:.0%} LLM faults, {args.concurrency} in flight"
            + (f", SIGTERM at {args.sigterm:g} s" if sigterm_at is not None else ""),
            **summary,
            "peak_rss_mib_all_workers": round(memory.peak_total / 2**20),
            "peak_rss_mib_largest_process": round(memory.peak_worker / 2**20),
            "engine_exit_code": code,
            "recorder_dropped": sum(int(d) for _, d in closed),
            "records": records_match(outcomes, {t: r for t, r in rows.items() if t not in warm}),
            **machine(),
        }
        if samples:
            row["event_loop_lag_max_ms"] = round(
                metric(samples, "codeflash_engine_event_loop_lag_max_seconds") * 1000, 1
            )
        if sigterm_at is not None:
            answered = [o for o in outcomes if o.status is not None]
            in_flight = [o for o in answered if o.started < sigterm_at < o.started + o.seconds]
            refused = [o for o in outcomes if o.status is None]
            row["sigterm"] = {
                "answered": len(answered),
                "in_flight_at_sigterm_then_answered": len(in_flight),
                "answered_non_200_502": len([o for o in answered if o.status not in (200, 502)]),
                "refused_at_connect_after_sigterm": len(refused),
                "refused_with_llm_calls": len([o for o in refused if o.trace_id in rows]),
                "lost": len([o for o in refused if o.trace_id in rows])
                + len([o for o in answered if o.status not in (200, 502)]),
            }
        return row


def show(row: dict[str, Any]) -> None:
    lat, over, eng = row["latency_ms"], row["overhead_ms"], row["engine_overhead_ms"]
    print(
        f"{row['run']:<58} p50 {lat['p50']:7.1f} p99 {lat['p99']:7.1f} ms  "
        f"overhead p50 {over['p50']:6.1f} p99 {over['p99']:7.1f} (engine {eng['p50']:5.1f}/{eng['p99']:6.1f})  "
        f"{row['rps']:6.1f} req/s  {row['statuses']}  peak RSS {row['peak_rss_mib_all_workers']} MiB  "
        f"records match {row['records']['match']} ({row['records']['rows']} rows)  "
        f"dropped {row['recorder_dropped']}  exit {row['engine_exit_code']}  load {row['loadavg_1m']}"
        + (f"  SIGTERM {row['sigterm']}" if "sigterm" in row else ""),
        flush=True,
    )


def run_all(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for workers in args.workers:
        for faults in args.faults:
            with database() as dsn:
                row = asyncio.run(one_run(args, workers, faults, dsn))
            rows.append(row)
            if not args.json:
                show(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2])
    parser.add_argument("--faults", type=lambda s: [float(x) for x in s.split(",")], default=[0.0, 0.1])
    parser.add_argument("--sigterm", type=float, default=None, help="send SIGTERM this many seconds into each run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = run_all(args)
    if args.json:
        print(json.dumps(rows, indent=1))
    bad = [r for r in rows if not r["records"]["match"] or r["problems"] or r.get("sigterm", {}).get("lost")]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
