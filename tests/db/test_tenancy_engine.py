"""Issue 17 through the whole engine (fake LLM): a plan's model mix, the organization's spend.

Each test runs with the in-memory store and with PostgreSQL (the engine opens it from
DATABASE_URL, as in production).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from db_support import truncate
from pydantic import SecretStr

from codeflash_engine.app import create_app
from codeflash_engine.http.guards import STORE
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import Plan, TraceRecords
from codeflash_engine.settings import Settings

sys.path.insert(0, str(Path(__file__).parents[1] / "endpoints"))
import endpoint_samples as samples

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture(params=["memory", "postgres"])
async def engine_settings(
    request: pytest.FixtureRequest, fake_llm_settings: Callable[..., Settings]
) -> Callable[..., Settings]:
    """Settings for the whole engine on the fake LLM, with each store in turn."""
    extra: dict[str, Any] = {}
    if request.param == "postgres":
        dsn: str = request.getfixturevalue("migrated_db")
        await truncate(dsn)
        extra["database_url"] = SecretStr(dsn)

    def make(**overrides: Any) -> Settings:
        return fake_llm_settings(models="openai:gpt-4.1=1", codeflash_engine_request_deadline=20, **extra, **overrides)

    return make


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def records_of(store: Store, trace_id: str, calls: int) -> TraceRecords:
    """The trace's records once the recorder has written ``calls`` LLM calls (it writes in the background)."""
    for _ in range(200):
        found = await store.records_for_trace(trace_id)
        if len(found.calls) >= calls:
            return found
        await asyncio.sleep(0.025)
    raise AssertionError(f"{trace_id}: {len(found.calls)} calls recorded, {calls} expected")


async def test_a_plans_model_mix_serves_its_requests(
    engine_settings: Callable[..., Settings], aiohttp_client: ClientFactory
) -> None:
    app = create_app(engine_settings())
    client = await aiohttp_client(app)
    store = app[STORE]
    await store.set_plan(Plan("premium", models="openai:gpt-4.1-mini=1,anthropic:claude-x=5"))
    acme = await store.create_organization("acme", plan="premium")
    premium = await store.create_key("alice", organization_id=acme.id)
    plain = await store.create_key("bob")
    for key, trace in ((premium.key, "t-premium"), (plain.key, "t-plain")):
        body = samples.optimize(trace_id=trace, n_candidates=3)
        resp = await client.post("/ai/optimize", data=json.dumps(body), headers=bearer(key))
        assert resp.status == 200, await resp.text()
    premium_calls = (await records_of(store, "t-premium", 3)).calls
    # the plan's mix, kept to the providers the engine has (no Anthropic here)
    assert {c.model_name for c in premium_calls} == {"gpt-4.1-mini"}
    assert {c.organization_id for c in premium_calls} == {acme.id}  # the organization's spend
    plain_calls = (await records_of(store, "t-plain", 3)).calls
    assert {c.model_name for c in plain_calls} == {"gpt-4.1"}
    assert {c.organization_id for c in plain_calls} == {None}
