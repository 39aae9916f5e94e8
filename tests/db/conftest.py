"""Fixtures for the store tests: a fresh PostgreSQL database per test module, both stores."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from db_support import create_database, drop_database, run_sync, truncate

from codeflash_engine.infra.db.memory import MemoryStore
from codeflash_engine.infra.db.migrate import migrate
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.store import Store


@pytest.fixture(scope="module")
def fresh_db(pg_dsn: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database of its own for this test module (dropped afterwards)."""
    dsn = create_database(pg_dsn, request.module.__name__.rpartition(".")[2][:20])
    try:
        yield dsn
    finally:
        drop_database(pg_dsn, dsn)


@pytest.fixture
def emptied_db(fresh_db: str) -> str:
    """This module's database, migrated, and emptied before each test."""

    async def empty() -> None:
        async with PostgresStore(fresh_db, pool_min=1, pool_max=1, prune_interval=0):
            pass
        await truncate(fresh_db)

    run_sync(empty)
    return fresh_db


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
