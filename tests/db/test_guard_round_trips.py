"""Issue 19: what an /ai/optimize request asks PostgreSQL before its LLM calls, statement by
statement, counted where asyncpg sends them (every fetch, fetchrow and execute with arguments
goes through ``Connection._execute``); the recorder's batches, written in the background, are
counted apart. The guards make two statements: the key's admission (with the
request-rate count) and the charge (the planned LLM calls and the trace's admission, one
function call); a later request of the same trace, only the first and the call count."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from db_support import truncate
from pydantic import SecretStr

from codeflash_engine.app import create_app
from codeflash_engine.http.guards import STORE
from codeflash_engine.infra.db import apikeys, queries
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import FakeLLM, echo

sys.path.insert(0, str(Path(__file__).parents[1] / "endpoints"))
import endpoint_samples as samples

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The text of every statement asyncpg executes with arguments, in order."""
    sent: list[str] = []
    execute = asyncpg.Connection._execute

    async def counted(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(query)
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "_execute", counted)
    yield sent


async def test_an_optimize_request_costs_the_guards_two_statements(
    migrated_db: str,
    fake_llm_settings: Callable[..., Settings],
    fake_llm: FakeLLM,
    aiohttp_client: ClientFactory,
    statements: list[str],
) -> None:
    await truncate(migrated_db)
    fake_llm.add(echo)
    settings = fake_llm_settings(
        models="openai:gpt-4.1=1", codeflash_engine_request_deadline=20, database_url=SecretStr(migrated_db)
    )
    app = create_app(settings)
    client = await aiohttp_client(app)
    store = app[STORE]
    assert isinstance(store, PostgresStore)
    store.WINLESS_SECONDS = 3600  # "no wins" stays trusted however slow a loaded machine runs the test
    key = (await store.create_key("ann")).key
    await store.set_subscription("ann", plan_type="free", optimizations_limit=10)
    headers = {"Authorization": f"Bearer {key}"}

    async def optimize(trace: str) -> list[str]:
        statements.clear()
        body = samples.optimize(n_candidates=3, trace_id=trace)
        resp = await client.post("/ai/optimize", json=body, headers=headers)
        assert resp.status == 200, await resp.text()
        return [s for s in statements if s != queries.WRITE_RECORDS]

    # the first request of the process also touches the key's last use and looks for verified
    # wins (remembered as none for a while); the next ones are the steady state
    await optimize("4f7c0000-0000-4000-8000-0000000000a0")
    first_of_trace = await optimize("4f7c0000-0000-4000-8000-0000000000a1")
    assert first_of_trace == [queries.ADMIT_MANY, queries.CHARGE]
    later_of_trace = await optimize("4f7c0000-0000-4000-8000-0000000000a1")
    assert later_of_trace == [queries.ADMIT_MANY, queries.HIT_CALLS]
    sub = await store.get_subscription("ann")
    assert sub is not None and sub.optimizations_used == 2
    calls = await store.peek_rate(apikeys.hash_key(key) + ":llm", 60_000, 400)
    assert calls.remaining == 400 - 3 * 3  # three requests of three planned calls
