"""Fixtures for the operations tests: a fresh PostgreSQL database and a key in it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from ops_support import admin

from codeflash_engine.infra.db.postgres import PostgresStore


@pytest_asyncio.fixture
async def ops_db(pg_dsn: str) -> AsyncIterator[str]:
    """A fresh, empty database for one test (migrated by the first store that opens it)."""
    name = f"cfe_ops_{uuid.uuid4().hex[:10]}"
    await admin(pg_dsn, f'CREATE DATABASE "{name}"')
    try:
        yield pg_dsn.rpartition("/")[0] + "/" + name
    finally:
        with contextlib.suppress(Exception):
            await admin(pg_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest_asyncio.fixture
async def ops_key(ops_db: str) -> str:
    """An API key issued in ``ops_db`` (user ``ops-user``, no quota)."""
    async with PostgresStore(ops_db, pool_max=2, prune_interval=0) as store:
        return (await store.create_key("ops-user", tier="pro")).key
