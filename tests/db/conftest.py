"""Fixtures for the store tests: a fresh PostgreSQL database per test module, both stores."""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

import asyncpg
import pytest

from codeflash_engine.infra.db.memory import MemoryStore
from codeflash_engine.infra.db.migrate import migrate
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.store import Store

T = TypeVar("T")

TABLES = (
    "cf_api_keys",
    "users",
    "organizations",
    "subscriptions",
    "llm_calls",
    "optimization_errors",
    "optimization_features",
    "rate_limit_counters",
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


@pytest.fixture(scope="module")
def fresh_db(pg_dsn: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database of its own for this test module (dropped afterwards)."""
    dsn = create_database(pg_dsn, request.module.__name__.rpartition(".")[2][:20])
    try:
        yield dsn
    finally:
        drop_database(pg_dsn, dsn)


@pytest.fixture
def new_db(pg_dsn: str) -> Iterator[str]:
    """An empty database of its own for this test."""
    dsn = create_database(pg_dsn, "t")
    try:
        yield dsn
    finally:
        drop_database(pg_dsn, dsn)


@pytest.fixture(scope="module")
def migrated_db(fresh_db: str) -> str:
    """This module's database with every migration applied."""

    async def go() -> None:
        conn = await asyncpg.connect(fresh_db)
        try:
            await migrate(conn)
        finally:
            await conn.close()

    run_sync(go)
    return fresh_db


async def truncate(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


async def fetch(dsn: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


@pytest.fixture
async def pg_store(migrated_db: str) -> AsyncIterator[PostgresStore]:
    """A PostgresStore on this module's database, emptied first."""
    await truncate(migrated_db)
    async with PostgresStore(migrated_db, migrate=False, pool_max=8, prune_interval=0) as store:
        yield store


@pytest.fixture(params=["memory", "postgres"])
def store(request: pytest.FixtureRequest) -> Store:
    """Each implementation of the store in turn, empty."""
    if request.param == "memory":
        return MemoryStore()
    pg: PostgresStore = request.getfixturevalue("pg_store")
    return pg
