"""A call cut as a straggler reaches PostgreSQL with its outcome and attempts (migration 0006)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.records import LLMCallRecord


async def _admin(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest_asyncio.fixture
async def fresh_db(pg_dsn: str) -> AsyncIterator[str]:
    name = f"cfe_llm_{uuid.uuid4().hex[:10]}"
    await _admin(pg_dsn, f'CREATE DATABASE "{name}"')
    try:
        yield pg_dsn.rpartition("/")[0] + "/" + name
    finally:
        with contextlib.suppress(Exception):
            await _admin(pg_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_cancelled_calls_keep_their_outcome_and_attempts(fresh_db: str) -> None:
    calls = [
        LLMCallRecord(trace_id="t", call_type="optimize", model_name="gpt-4.1", provider="openai", tokens_in=10),
        LLMCallRecord(
            trace_id="t",
            call_type="optimize",
            model_name="gpt-4.1",
            provider="openai",
            outcome="cancelled",
            error_class="straggler",
            attempts=2,
        ),
    ]
    async with PostgresStore(fresh_db, pool_max=2, prune_interval=0) as store:
        await store.write_records(calls)
        stored = (await store.records_for_trace("t")).calls
    assert sorted((c.outcome, c.error_class, c.attempts) for c in stored) == [
        ("cancelled", "straggler", 2),
        ("ok", None, 1),
    ]
