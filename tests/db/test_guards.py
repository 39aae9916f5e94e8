"""The guards middleware on a tiny app, over both stores (PostgreSQL: the real server)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from guarded_app import make_app

from codeflash_engine.infra.db import apikeys
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import Plan
from codeflash_engine.settings import Settings
from codeflash_engine.testing.postgres import ThrowawayPostgres

DAY_MS = 86_400_000

ClientFactory = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


def settings(limit: int = 1000, window_ms: int = DAY_MS) -> Settings:
    return Settings(rate_limit_max=limit, rate_limit_window_ms=window_ms)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def client_for(
    aiohttp_client: ClientFactory, store: Store, **kw: int
) -> TestClient[web.Request, web.Application]:
    return await aiohttp_client(make_app(settings(**kw), store))


async def test_public_routes_need_no_key(store: Store, aiohttp_client: ClientFactory) -> None:
    client = await client_for(aiohttp_client, store)
    resp = await client.get("/healthcheck")
    assert resp.status == 200
    resp = await client.get("/nothing-here")
    assert resp.status == 404  # not /ai: the guards do not answer for it


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, "missing API key"),
        ({"Authorization": ""}, "missing API key"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "malformed"),
        ({"Authorization": "Bearer"}, "malformed"),
        ({"Authorization": "Bearer sk-1234567890abcdefghij"}, "malformed"),
        ({"Authorization": "Bearer cf-short"}, "malformed"),
        ({"Authorization": "Bearer cf-" + "a" * 300}, "malformed"),
        ({"Authorization": "Bearer cf-abc def ghi jkl mno pqr"}, "malformed"),
        ({"Authorization": "Bearer cf-" + "Z" * 43}, "not recognised"),
    ],
)
async def test_refused_keys_get_401_json(
    store: Store, aiohttp_client: ClientFactory, headers: dict[str, str], fragment: str
) -> None:
    client = await client_for(aiohttp_client, store)
    for path in ("/ai/ping", "/ai/optimize", "/ai/no-such-endpoint", "/ai"):
        resp = await client.post(path, headers=headers, json={})
        assert resp.status == 401, path
        assert fragment in (await resp.json())["error"]
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_valid_key_passes_with_identity(store: Store, aiohttp_client: ClientFactory) -> None:
    new = await store.create_key("alice", tier="pro", organization="acme")
    client = await client_for(aiohttp_client, store)
    resp = await client.post("/ai/ping", headers=bearer(new.key), json={})
    assert resp.status == 200
    body = await resp.json()
    assert body["user_id"] == "alice" and body["tier"] == "pro"
    assert body["organization_id"] == new.info.organization_id and body["key_suffix"] == new.key[-6:]
    resp = await client.post("/ai/ping", headers={"Authorization": f"bearer  {new.key} "}, json={})
    assert resp.status == 200  # scheme is case-insensitive, spaces tolerated
    resp = await client.post("/ai/no-such-endpoint", headers=bearer(new.key), json={})
    assert resp.status == 404


async def test_revoked_key_is_refused_at_once(store: Store, aiohttp_client: ClientFactory) -> None:
    new = await store.create_key("alice")
    client = await client_for(aiohttp_client, store)
    assert (await client.post("/ai/ping", headers=bearer(new.key))).status == 200
    assert await store.revoke_key(key_id=new.info.id)
    resp = await client.post("/ai/ping", headers=bearer(new.key))
    assert resp.status == 401
    assert "revoked" in (await resp.json())["error"]


async def test_expired_key_is_refused_with_its_date(store: Store, aiohttp_client: ClientFactory) -> None:
    new = await store.create_key("alice", expires=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    client = await client_for(aiohttp_client, store)
    assert (await client.post("/ai/ping", headers=bearer(new.key))).status == 200
    ended = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    assert await store.expire_key(new.info.id, ended)
    resp = await client.post("/ai/ping", headers=bearer(new.key))
    assert resp.status == 401
    assert (await resp.json())["error"] == (
        f"this API key expired on {ended:%Y-%m-%d %H:%M} UTC: ask the operator for a new one"
    )


async def test_rate_limit_429_with_retry_after(store: Store, aiohttp_client: ClientFactory) -> None:
    alice = await store.create_key("alice")
    bob = await store.create_key("bob")
    client = await client_for(aiohttp_client, store, limit=3)
    statuses = [(await client.post("/ai/ping", headers=bearer(alice.key))).status for _ in range(3)]
    assert statuses == [200, 200, 200]
    resp = await client.post("/ai/ping", headers=bearer(alice.key))
    assert resp.status == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= DAY_MS // 1000
    assert "rate limit exceeded" in (await resp.json())["error"]
    assert (await client.post("/ai/ping", headers=bearer(bob.key))).status == 200  # per key
    assert (await client.get("/healthcheck")).status == 200


async def test_quota_on_optimization_endpoints(store: Store, aiohttp_client: ClientFactory) -> None:
    new = await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=2)
    client = await client_for(aiohttp_client, store)
    assert (await client.post("/ai/optimize", headers=bearer(new.key))).status == 200
    assert (await client.post("/ai/optimize-line-profiler", headers=bearer(new.key))).status == 200
    resp = await client.post("/ai/optimize", headers=bearer(new.key))
    assert resp.status == 402
    error = (await resp.json())["error"]
    assert "quota exhausted" in error and "2 of 2" in error and "free" in error and "resets at" in error
    # other endpoints are not metered
    assert (await client.post("/ai/ping", headers=bearer(new.key))).status == 200
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 2


async def test_failed_optimizations_are_given_back(store: Store, aiohttp_client: ClientFactory) -> None:
    new = await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=1)
    client = await client_for(aiohttp_client, store)
    assert (await client.post("/ai/optimize?status=502", headers=bearer(new.key))).status == 502
    assert (await client.post("/ai/optimize?raise=1", headers=bearer(new.key))).status == 500
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 0
    assert (await client.post("/ai/optimize", headers=bearer(new.key))).status == 200
    assert (await client.post("/ai/optimize", headers=bearer(new.key))).status == 402


async def test_rate_limit_counts_before_quota(store: Store, aiohttp_client: ClientFactory) -> None:
    new = await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=10)
    client = await client_for(aiohttp_client, store, limit=1)
    assert (await client.post("/ai/optimize", headers=bearer(new.key))).status == 200
    assert (await client.post("/ai/optimize", headers=bearer(new.key))).status == 429
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 1  # a rate-limited request costs no quota


async def test_keys_never_logged_or_stored_in_clear(
    pg_store: PostgresStore, migrated_db: str, aiohttp_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    from db_support import TABLES, fetch

    caplog.set_level(logging.DEBUG)
    new = await pg_store.create_key("alice", organization="acme")
    await pg_store.set_subscription("alice", plan_type="free", optimizations_limit=1)
    client = await client_for(aiohttp_client, pg_store, limit=3)
    for path in ("/ai/ping", "/ai/optimize", "/ai/optimize", "/ai/ping", "/ai/ping"):
        await client.post(path, headers=bearer(new.key))
    await pg_store.revoke_key(key_hash=apikeys.hash_key(new.key))
    await client.post("/ai/ping", headers=bearer(new.key))
    secret = new.key[3:]
    logged = [r.getMessage() + repr(r.args) + repr(vars(r)) for r in caplog.records]
    assert logged, "expected some log lines (rate limit, ...)"
    assert not any(secret in line for line in logged)
    for table in TABLES:
        for row in await fetch(migrated_db, f"SELECT * FROM {table}"):
            assert secret not in repr(dict(row)), table
    rows = await fetch(migrated_db, "SELECT key_hash, suffix FROM cf_api_keys")
    assert [(r["key_hash"], r["suffix"]) for r in rows] == [(apikeys.hash_key(new.key), new.key[-6:])]


async def test_database_down_fails_closed_then_recovers(
    migrated_db: str, aiohttp_client: ClientFactory, request: pytest.FixtureRequest
) -> None:
    if os.environ.get("DATABASE_URL"):
        pytest.skip("needs the throwaway server (it is stopped and restarted)")
    server: ThrowawayPostgres = request.getfixturevalue("pg_server")
    async with PostgresStore(migrated_db, migrate=False, pool_max=4, prune_interval=0, command_timeout=2) as store:
        new = await store.create_key("down-test")
        client = await client_for(aiohttp_client, store)
        assert (await client.post("/ai/ping", headers=bearer(new.key))).status == 200
        server.stop()
        try:
            for path in ("/ai/ping", "/ai/optimize"):
                resp = await client.post(path, headers=bearer(new.key))
                assert resp.status == 503
                assert (await resp.json())["error"] == "the database is unavailable; try again shortly"
                assert resp.headers["Retry-After"] == "5"
            assert (await client.get("/healthcheck")).status == 200
        finally:
            server.restart()
        resp = await client.post("/ai/ping", headers=bearer(new.key))
        assert resp.status == 200


async def test_a_405_or_404_under_ai_costs_no_quota_and_no_rate(store: Store, aiohttp_client: ClientFactory) -> None:
    """A request no handler will serve (wrong method, unknown route) makes no LLM call: it is
    authenticated but neither rate-limited nor metered."""
    new = await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=1)
    client = await client_for(aiohttp_client, store, limit=2)
    for _ in range(3):
        assert (await client.get("/ai/optimize", headers=bearer(new.key))).status == 405
        assert (await client.post("/ai/no-such-route", headers=bearer(new.key))).status == 404
    assert (await client.get("/ai/optimize")).status == 401  # still behind the key check
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 0
    assert (await client.post("/ai/optimize", headers=bearer(new.key))).status == 200
    assert (await client.post("/ai/ping", headers=bearer(new.key))).status == 200
    assert (await client.post("/ai/ping", headers=bearer(new.key))).status == 429  # two counted, not eight


@pytest.mark.parametrize(
    ("path", "guarded"),
    [
        ("/ai/ping", True),
        ("/ai", True),
        ("/ai/", True),
        ("/ai/unknown/deeper", True),
        ("//ai/ping", True),
        ("///ai", True),
        ("/ai/%70ing", True),  # percent-encoded: the route /ai/ping
        ("/ai/./ping", True),
        ("/x/../ai/ping", False),  # dot segments are not resolved: no route, a public 404
        ("/aii", False),
        ("//aii", False),
        ("/ai-ping", False),
        ("/healthcheck", False),
        ("/nothing/ai/ping", False),
    ],
)
async def test_which_paths_are_guarded(store: Store, aiohttp_client: ClientFactory, path: str, guarded: bool) -> None:
    """Every spelling of an ``/ai`` path needs a key; nothing else does. The request line is
    sent as written (the client library would normalise it first)."""
    client = await client_for(aiohttp_client, store)
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    answer = (await reader.read()).decode()
    writer.close()
    status = int(answer.split(" ", 2)[1])
    if guarded:
        assert status == 401 and "missing API key" in answer, (path, answer)
    else:
        assert status in (404, 405), (path, answer)


@pytest.mark.parametrize(
    ("query", "status", "given_back"),
    [
        ("", 200, False),
        ("?status=502", 502, True),  # failed before any LLM call
        ("?status=422", 422, True),
        ("?raise=1", 500, True),
        ("?status=502&made=0", 502, True),  # counted calls, none made
        ("?status=502&made=1", 502, False),  # the unit paid for the calls it made
        ("?raise=1&made=2", 500, False),
        ("?made=3", 200, False),
    ],
)
async def test_quota_refund_rule(
    store: Store, aiohttp_client: ClientFactory, query: str, status: int, given_back: bool
) -> None:
    """A counted optimization is given back exactly when the request does not end in 200 and
    made no LLM call."""
    new = await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=5)
    client = await client_for(aiohttp_client, store)
    assert (await client.post(f"/ai/optimize{query}", headers=bearer(new.key))).status == status
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == (0 if given_back else 1)


async def test_a_store_that_cannot_be_reached_is_a_503(migrated_db: str, aiohttp_client: ClientFactory) -> None:
    """Fail closed: a store that cannot answer (here never opened) is a 503 with Retry-After, on
    every /ai route, LLM-backed or not."""
    store = PostgresStore(migrated_db, migrate=False, pool_max=2, prune_interval=0)
    client = await client_for(aiohttp_client, store)
    for path in ("/ai/ping", "/ai/optimize", "/ai/log_features"):
        resp = await client.post(path, headers=bearer("cf-" + "a" * 43))
        assert resp.status == 503, path
        assert resp.headers["Retry-After"] == "5"
        assert (await resp.json())["error"]


async def test_what_the_guards_set_for_the_request(store: Store, aiohttp_client: ClientFactory) -> None:
    """The organization (for the records), the plan's model mix (for the LLM client) and privacy
    mode (for the logs and records) reach the rest of the request."""
    await store.set_plan(Plan("mixed", models="openai:gpt-4.1=1"))
    org = await store.create_organization("acme", privacy_mode=True)
    plain = await store.create_key("alice")
    member = await store.create_key("bob", organization_id=org.id, plan="mixed")
    client = await client_for(aiohttp_client, store)
    seen = {}
    for name, new in (("plain", plain), ("member", member)):
        resp = await client.post("/ai/log_features", headers=bearer(new.key))
        assert resp.status == 200
        body = await resp.json()
        seen[name] = body["context"]
        assert 0 <= body["guard_ms"] < 60_000  # measured, not a clock reading
    assert seen["plain"] == {"organization_id": None, "plan_models": None, "privacy": False}
    assert seen["member"] == {"organization_id": org.id, "plan_models": "openai:gpt-4.1=1", "privacy": True}


async def test_an_expired_key_is_refused_on_routes_that_do_not_count(
    store: Store, aiohttp_client: ClientFactory
) -> None:
    new = await store.create_key("alice", expires=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    client = await client_for(aiohttp_client, store)
    for method, path in (("POST", "/ai/log_features"), ("GET", "/ai/optimize"), ("POST", "/ai/ping")):
        resp = await client.request(method, path, headers=bearer(new.key))
        assert resp.status == 401 and "expired" in (await resp.json())["error"], (method, path)
