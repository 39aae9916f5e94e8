"""Fixtures of the dashboard tests: an engine with the dashboard on (embedded store, fake LLM)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest
from admin_support import ADMIN_TOKEN, SECRET, AdminClient
from aiohttp import web

from codeflash_engine.app import create_app
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import API_KEY


@pytest.fixture
def admin_settings(fake_llm_settings: Callable[..., Settings]) -> Settings:
    """An engine over the fake LLM with the dashboard on, embedded mode, one API key."""
    settings: Settings = fake_llm_settings(
        "openai",
        models="openai:gpt-4.1=1",
        codeflash_engine_api_keys=API_KEY,
        codeflash_engine_request_deadline=20,
        codeflash_engine_admin_token=ADMIN_TOKEN,
        secret_key=SECRET,
    )
    return settings


@pytest.fixture
async def admin_client(
    aiohttp_client: Callable[[web.Application], Awaitable[AdminClient]], admin_settings: Settings
) -> AdminClient:
    return await aiohttp_client(create_app(admin_settings))


@pytest.fixture
async def database(pg_dsn: str) -> AsyncIterator[str]:
    """An empty database of its own (the engine migrates it when it opens)."""
    name = f"cfe_admin_{uuid.uuid4().hex[:10]}"
    server = await asyncpg.connect(pg_dsn)
    try:
        await server.execute(f'CREATE DATABASE "{name}"')
        yield f"{pg_dsn.rpartition('/')[0]}/{name}"
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()


@pytest.fixture
async def pg_admin_client(
    aiohttp_client: Callable[[web.Application], Awaitable[AdminClient]],
    fake_llm_settings: Callable[..., Settings],
    database: str,
) -> AdminClient:
    settings = fake_llm_settings(
        "openai",
        models="openai:gpt-4.1=1",
        database_url=database,
        codeflash_engine_admin_token=ADMIN_TOKEN,
        secret_key=SECRET,
    )
    return await aiohttp_client(create_app(settings))


@pytest.fixture(params=["memory", "postgres"])
def any_store_client(request: pytest.FixtureRequest) -> AdminClient:
    """The dashboard on each store in turn: embedded (in memory), then PostgreSQL."""
    name = "admin_client" if request.param == "memory" else "pg_admin_client"
    client: AdminClient = request.getfixturevalue(name)
    return client
