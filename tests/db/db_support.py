"""Helpers shared by the store tests (a module of its own: test files cannot import conftest
by name when several test folders have one)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from click.testing import CliRunner, Result

from codeflash_engine.cli import main
from codeflash_engine.infra.records import LLMCallRecord

T = TypeVar("T")

TABLES = (
    "cf_api_keys",
    "users",
    "organizations",
    "subscriptions",
    "llm_calls",
    "optimization_errors",
    "optimization_features",
    "verified_wins",
    "rate_limit_counters",
    "quota_traces",
    "plan_quota_usage",
)


def run_sync(fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a fresh loop in another thread (safe inside any test)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(fn())).result()  # type: ignore[arg-type]


def with_database(dsn: str, name: str) -> str:
    """``dsn`` pointing at database ``name`` instead."""
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{name}"


def create_database(server_dsn: str, prefix: str) -> str:
    name = f"cfe_{prefix}_{uuid.uuid4().hex[:10]}"

    async def go() -> None:
        conn = await asyncpg.connect(server_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    run_sync(go)
    return with_database(server_dsn, name)


def drop_database(server_dsn: str, dsn: str) -> None:
    name = dsn.rpartition("/")[2]

    async def go() -> None:
        conn = await asyncpg.connect(server_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    run_sync(go)


async def truncate(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        # plans: back to the one the migration seeds
        await conn.execute("DELETE FROM plans WHERE name <> 'default'")
        await conn.execute(
            "UPDATE plans SET rate_limit_max = NULL, rate_limit_window_ms = NULL, optimizations_limit = NULL,"
            " budget_usd = NULL, period = 'month', models = NULL"
        )
    finally:
        await conn.close()


async def fetch(dsn: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


def spend(
    usd: float,
    *,
    user_id: str,
    organization_id: int | None = None,
    trace_id: str = "spent",
    when: float | None = None,
) -> LLMCallRecord:
    """An optimize call of ``user_id`` (for ``organization_id``) that cost ``usd``, made ``when``
    (Unix seconds; default now)."""
    created = dt.datetime.fromtimestamp(time.time() if when is None else when, dt.UTC)
    return LLMCallRecord(
        trace_id=trace_id,
        call_type="optimize",
        model_name="gpt-4.1",
        provider="openai",
        cost_usd=usd,
        user_id=user_id,
        organization_id=organization_id,
        created=created,
    )


def run_cli(args: list[str], dsn: str) -> Result:
    """The engine's command line, run by click's CliRunner against the database ``dsn``."""
    return CliRunner().invoke(main, args, env={"DATABASE_URL": dsn})
