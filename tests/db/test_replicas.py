"""Two engine processes sharing one PostgreSQL database: one rate limit, one revocation list."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from db_support import fetch

from codeflash_engine.infra.db import apikeys
from codeflash_engine.infra.db.migrate import load_migrations
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.types import Plan
from codeflash_engine.infra.records import LLMCallRecord

APP = Path(__file__).with_name("guarded_app.py")
LIMIT = 40
#: a day: a burst of requests cannot straddle two windows (windows are aligned on the epoch)
WINDOW_MS = 86_400_000


async def wait_until_up(port: int, proc: asyncio.subprocess.Process, seconds: float = 30.0) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(int(seconds / 0.05)):
            if proc.returncode is not None:
                raise AssertionError(f"replica on port {port} exited with {proc.returncode}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthcheck") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"replica on port {port} did not start")


@pytest.fixture
async def replicas(new_db: str) -> AsyncIterator[list[int]]:
    """Two processes serving the guarded app on their own ports, both on ``new_db``.

    Both start at the same moment on an empty database, so they also race to migrate it.
    """
    env = {
        **os.environ,
        "DATABASE_URL": new_db,
        "RATE_LIMIT_MAX": str(LIMIT),
        "RATE_LIMIT_WINDOW_MS": str(WINDOW_MS),
        "CODEFLASH_ENGINE_BUDGET_CACHE_SECONDS": "0",
    }
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, str(APP), "0", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(2)
    ]
    try:
        ports = []
        for proc in procs:  # each binds a port of its own and prints it
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            assert line.strip().isdigit(), f"a replica did not say its port: {line!r}"
            ports.append(int(line))
        for port, proc in zip(ports, procs, strict=True):
            await wait_until_up(port, proc)
        yield ports
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
        for proc in procs:
            _, stderr = await proc.communicate()
            assert b"Traceback" not in stderr and b"Warning" not in stderr, stderr.decode()


async def test_two_processes_share_one_rate_limit(replicas: list[int], new_db: str) -> None:
    async with PostgresStore(new_db, migrate=False, pool_max=2, prune_interval=0) as store:
        new = await store.create_key("alice")
        migrations = await fetch(new_db, "SELECT version FROM schema_migrations")
        assert len(migrations) == len(load_migrations())  # both replicas migrated at once: each file applied once

    headers = {"Authorization": f"Bearer {new.key}", "Connection": "close"}
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def call(i: int) -> tuple[int, str | None, dict[str, str]]:
            port = replicas[i % 2]
            async with session.post(f"http://127.0.0.1:{port}/ai/ping", headers=headers, json={}) as resp:
                return resp.status, resp.headers.get("Retry-After"), await resp.json()

        results = await asyncio.gather(*(call(i) for i in range(100)))

    statuses = [status for status, _, _ in results]
    assert statuses.count(200) == LIMIT
    assert statuses.count(429) == 100 - LIMIT
    for status, retry_after, body in results:
        if status == 429:
            assert retry_after is not None and 1 <= int(retry_after) <= WINDOW_MS // 1000
            assert "rate limit exceeded" in body["error"]
        else:
            assert body["user_id"] == "alice"
    # each replica answered its 50; separate limits would have let up to 40 through on each
    per_replica = [[status for status, _, _ in results[first::2]] for first in (0, 1)]
    assert [len(answers) for answers in per_replica] == [50, 50]
    assert sum(answers.count(200) for answers in per_replica) == LIMIT


async def test_revocation_reaches_every_replica_at_once(replicas: list[int], new_db: str) -> None:
    async with PostgresStore(new_db, migrate=False, pool_max=2, prune_interval=0) as store:
        new = await store.create_key("bob")
        headers = {"Authorization": f"Bearer {new.key}"}
        async with aiohttp.ClientSession() as session:
            for port in replicas:
                async with session.post(f"http://127.0.0.1:{port}/ai/ping", headers=headers) as resp:
                    assert resp.status == 200
            assert await store.revoke_key(key_hash=apikeys.hash_key(new.key))
            for port in replicas:
                async with session.post(f"http://127.0.0.1:{port}/ai/ping", headers=headers) as resp:
                    assert resp.status == 401
                    assert "revoked" in (await resp.json())["error"]


async def test_an_organizations_quota_and_budget_hold_across_replicas(replicas: list[int], new_db: str) -> None:
    async with PostgresStore(new_db, migrate=False, pool_max=2, prune_interval=0) as store:
        await store.set_plan(Plan("team", optimizations_limit=7, budget_usd=1.0, period="day"))
        acme = await store.create_organization("acme", plan="team")
        keys = [(await store.create_key(user, organization_id=acme.id)).key for user in ("alice", "bob")]
        connector = aiohttp.TCPConnector(limit=0, force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def optimize(i: int) -> int:
                port, key = replicas[i % 2], keys[(i // 2) % 2]  # both users on both replicas
                url = f"http://127.0.0.1:{port}/ai/optimize?trace=t{i}"
                async with session.post(url, headers={"Authorization": f"Bearer {key}"}) as resp:
                    return resp.status

            statuses = await asyncio.gather(*(optimize(i) for i in range(40)))
            assert statuses.count(200) == 7 and statuses.count(402) == 33
            assert (await store.plan_quota_used(f"org:{acme.id}", "day")) == 7

            # the organization's spend reaches its budget: every replica refuses both users
            await store.set_plan(Plan("team", budget_usd=1.0, period="day"))
            ok = await asyncio.gather(*(optimize(i) for i in range(4)))
            assert ok == [200] * 4
            spent = LLMCallRecord("x", "optimize", "m", "openai", cost_usd=1.0, user_id="bob", organization_id=acme.id)
            await store.write_records([spent])
            refused = await asyncio.gather(*(optimize(i) for i in range(4)))
            assert refused == [402] * 4
