"""Latency the guards add to each request, against PostgreSQL on this machine.

A server process serves one handler twice: under ``/ai/ping`` (behind the guards: key lookup and
rate-limit hit in one statement) and under ``/open/ping`` (no guards). A client process sends
``--requests`` requests to each at ``--concurrency`` in flight and reports:

- the guards' own time per request, measured inside the server from entering the middleware
  to calling the handler (includes waiting for a pooled connection and for the event loop);
- end-to-end latency seen by the client on both routes, and the difference.

Scenarios: every request on one key (one hot counter row: the worst case), and requests spread
over ``--keys`` keys. The rate limit is set high enough never to refuse.

    .venv/bin/python benchmarks/bench_guards.py                  # throwaway PostgreSQL
    DATABASE_URL=postgresql://... .venv/bin/python benchmarks/bench_guards.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import statistics
import sys
import time
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]
from aiohttp import web
from pydantic import SecretStr

from codeflash_engine.http.errors import error_middleware
from codeflash_engine.http.guards import GUARD_SECONDS, guards_middleware, store_context
from codeflash_engine.http.state import SETTINGS
from codeflash_engine.infra.db.migrate import migrate
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.types import Plan
from codeflash_engine.settings import Settings
from codeflash_engine.testing.postgres import scratch_database

# --- server -------------------------------------------------------------------------------------


async def _ping(request: web.Request) -> web.Response:
    """The handler: waits about ``?sleep_ms=`` (standing in for the LLM calls), reports the guards' time.

    The wait is drawn uniformly between half and one and a half times ``sleep_ms``, so that the
    200 clients do not move in lockstep (arriving as bursts of 200 at once every ``sleep_ms``).
    """
    guard = request.get(GUARD_SECONDS)
    sleep_ms = float(request.query.get("sleep_ms", "0"))
    if sleep_ms > 0:
        await asyncio.sleep(sleep_ms * random.uniform(0.5, 1.5) / 1000)
    return web.json_response({"guard_ms": None if guard is None else guard * 1000})


def _serve(dsn: str, port: int, pool_max: int) -> None:
    settings = Settings(
        database_url=SecretStr(dsn), database_pool_max=pool_max, rate_limit_max=10**9, rate_limit_window_ms=60_000
    )
    app = web.Application(middlewares=[error_middleware, guards_middleware])
    app[SETTINGS] = settings
    app.cleanup_ctx.append(store_context)
    app.router.add_post("/ai/ping", _ping)
    app.router.add_post("/open/ping", _ping)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=1024)


# --- CPU accounting (robust when other work shares the machine) ----------------------------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` (Linux /proc), 0 if unknown."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


class _CpuMeter:
    """CPU used by the server process and by its PostgreSQL backends between two readings."""

    def __init__(self, server_pid: int, dsn: str) -> None:
        self.server_pid = server_pid
        self.dsn = dsn

    async def _backend_pids(self) -> list[int]:
        conn = await asyncpg.connect(self.dsn)
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity"
                " WHERE application_name = 'codeflash-engine' AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()
        return [r["pid"] for r in rows]

    async def read(self) -> tuple[float, dict[int, float]]:
        pids = await self._backend_pids()
        return _cpu_of(self.server_pid), {pid: _cpu_of(pid) for pid in pids}

    @staticmethod
    def spent(before: tuple[float, dict[int, float]], after: tuple[float, dict[int, float]]) -> tuple[float, float]:
        server = after[0] - before[0]
        database = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in after[1].items())
        return server, database


# --- client -------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(_pct(values, 50), 3),
        "p90": round(_pct(values, 90), 3),
        "p99": round(_pct(values, 99), 3),
        "mean": round(statistics.fmean(values), 3),
        "max": round(max(values), 3),
    }


async def _phase(
    session: aiohttp.ClientSession, url: str, keys: list[str], requests: int, concurrency: int, stagger_ms: float = 0
) -> tuple[list[float], list[float], float]:
    """Send ``requests`` POSTs, ``concurrency`` at a time; (client ms, server guard ms, seconds).

    Each client starts after a random delay of up to ``stagger_ms``, so the phase does not open
    with one burst of ``concurrency`` requests.
    """
    client_ms: list[float] = []
    guard_ms: list[float] = []
    counter = iter(range(requests))

    async def worker() -> None:
        await asyncio.sleep(random.uniform(0, stagger_ms) / 1000)
        for i in counter:
            headers = {"Authorization": f"Bearer {keys[i % len(keys)]}"}
            started = time.perf_counter()
            async with session.post(url, headers=headers) as resp:
                body = await resp.json()
                if resp.status != 200:
                    raise RuntimeError(f"{url}: {resp.status} {body}")
            client_ms.append((time.perf_counter() - started) * 1000)
            if body["guard_ms"] is not None:
                guard_ms.append(body["guard_ms"])

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return client_ms, guard_ms, time.perf_counter() - started


async def _client(
    port: int, keys: list[str], requests: int, concurrency: int, handler_ms: float, meter: _CpuMeter
) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    query = f"?sleep_ms={handler_ms:g}"
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(400):
            try:
                async with session.post(f"{base}/open/ping") as resp:
                    if resp.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        else:
            raise RuntimeError("the server did not start")
        # warm up: connections, pool, prepared statements
        await _phase(session, f"{base}/ai/ping", keys, max(requests // 10, concurrency), concurrency)
        await _phase(session, f"{base}/open/ping", keys, max(requests // 10, concurrency), concurrency)
        before = await meter.read()
        open_ms, _, open_s = await _phase(session, f"{base}/open/ping{query}", keys, requests, concurrency, handler_ms)
        middle = await meter.read()
        guarded_ms, guard_ms, guarded_s = await _phase(
            session, f"{base}/ai/ping{query}", keys, requests, concurrency, handler_ms
        )
        after = await meter.read()
    open_server, _ = _CpuMeter.spent(before, middle)
    guarded_server, guarded_db = _CpuMeter.spent(middle, after)
    return {
        "keys": len(keys),
        "handler_ms": handler_ms,
        "requests": requests,
        "concurrency": concurrency,
        "guard_ms_in_server": _summary(guard_ms),
        "client_ms_unguarded": _summary(open_ms),
        "client_ms_guarded": _summary(guarded_ms),
        "client_added_ms": {q: round(_pct(guarded_ms, p) - _pct(open_ms, p), 3) for q, p in (("p50", 50), ("p99", 99))},
        "cpu_us_per_request": {
            "server_added": round((guarded_server - open_server) / requests * 1e6),
            "postgres": round(guarded_db / requests * 1e6),
        },
        "rps_unguarded": round(requests / open_s),
        "rps_guarded": round(requests / guarded_s),
    }


# --- setup --------------------------------------------------------------------------------------


async def _make_keys(dsn: str, n: int, plans: bool = False) -> list[str]:
    """``n`` keys of as many users; with ``plans``, each key on a plan of its own with a rate limit
    and a spend budget (never reached), so the guards resolve the plan and check the budget of
    ``n`` tenants (each one's spend read at most once per CODEFLASH_ENGINE_BUDGET_CACHE_SECONDS)."""
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    async with PostgresStore(dsn, migrate=False, pool_max=2, prune_interval=0) as store:
        plan = None
        if plans:
            await store.set_plan(Plan("bench", rate_limit_max=10**9, rate_limit_window_ms=60_000, budget_usd=10**6))
            plan = "bench"
        return [(await store.create_key(f"bench-user-{i}", plan=plan)).key for i in range(n)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="requests per route and scenario")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--keys", type=int, default=200, help="keys in the spread scenario")
    parser.add_argument("--pool-max", type=int, default=10, help="server pool size (DATABASE_POOL_MAX)")
    parser.add_argument(
        "--handler-ms",
        default="200,0",
        help="comma-separated handler times to try: 200 ms keeps 200 requests in flight at ~1000 req/s "
        "(real requests wait on LLMs for seconds); 0 saturates the machine (a throughput test)",
    )
    parser.add_argument(
        "--plans", action="store_true", help="keys on a plan with its own rate limit and a spend budget (issue 17)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()

    server_dsn = os.environ.get("DATABASE_URL") or None
    load_before = os.getloadavg()[0]
    results = []
    with scratch_database(server_dsn, "cfe_bench") as dsn:
        keys = asyncio.run(_make_keys(dsn, max(args.keys, 1), args.plans))
        port = _free_port()
        server = multiprocessing.get_context("spawn").Process(target=_serve, args=(dsn, port, args.pool_max))
        server.start()
        try:
            for handler_ms in [float(x) for x in args.handler_ms.split(",")]:
                for scenario, scenario_keys in (("one key", keys[:1]), (f"{len(keys)} keys", keys)):
                    meter = _CpuMeter(server.pid or 0, dsn)
                    result = asyncio.run(
                        _client(port, scenario_keys, args.requests, args.concurrency, handler_ms, meter)
                    )
                    results.append({"scenario": f"{scenario}, handler {handler_ms:g} ms", **result})
        finally:
            server.terminate()
            server.join(10)

    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"guards latency, {args.requests} requests per route at concurrency {args.concurrency}, "
        f"pool max {args.pool_max}, {os.cpu_count()} CPUs (client, server and PostgreSQL share them), "
        f"load average before {load_before:.2f}{', keys on a plan with a budget' if args.plans else ''}"
    )
    for r in results:
        g, u, s = r["guard_ms_in_server"], r["client_ms_unguarded"], r["client_ms_guarded"]
        added = r["client_added_ms"]
        print(f"\n[{r['scenario']}]")
        print(f"  guards, timed in the server : p50 {g['p50']:8.3f} ms  p99 {g['p99']:8.3f} ms  max {g['max']:8.3f} ms")
        rps = r["rps_unguarded"]
        print(f"  client, no guards           : p50 {u['p50']:8.3f} ms  p99 {u['p99']:8.3f} ms  {rps} req/s")
        print(
            f"  client, guards              : p50 {s['p50']:8.3f} ms  p99 {s['p99']:8.3f} ms  {r['rps_guarded']} req/s"
        )
        print(f"  client, difference          : p50 {added['p50']:+8.3f} ms  p99 {added['p99']:+8.3f} ms")
        cpu = r["cpu_us_per_request"]
        print(f"  CPU per guarded request     : server +{cpu['server_added']} us, PostgreSQL {cpu['postgres']} us")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
