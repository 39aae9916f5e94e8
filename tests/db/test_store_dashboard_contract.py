"""The store contract of what the operator's dashboard reads (usage, traces, keys' last use).

Every test runs on the in-memory store and on PostgreSQL (a real server), like test_store_contract.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import attrs
import pytest

from codeflash_engine.infra.db.key_use import KeyUse
from codeflash_engine.infra.db.memory import MemoryStore
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import StoreError
from codeflash_engine.infra.records import ErrorRecord, LLMCallRecord

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DAY = dt.timedelta(days=1)


def call(
    trace: str | None,
    *,
    user: str | None = "alice",
    org: int | None = None,
    request: str | None = "r1",
    model: str = "gpt-4.1",
    provider: str = "openai",
    call_type: str = "optimize",
    cost: float = 0.01,
    outcome: str = "ok",
    at: dt.datetime = NOW,
    latency: float = 800.0,
) -> LLMCallRecord:
    return LLMCallRecord(
        trace_id=trace,
        call_type=call_type,
        model_name=model,
        provider=provider,
        tokens_in=1000,
        tokens_out=200,
        tokens_cached=100,
        cost_usd=cost,
        latency_ms=latency,
        outcome=outcome,
        error_class=None if outcome == "ok" else "RateLimitError",
        user_id=user,
        organization_id=org,
        created=at,
        request_id=request,
    )


async def seed(store: Store) -> int:
    """Calls over three days from two users (one in organization acme); returns acme's id."""
    org = (await store.create_key("bob", organization="acme")).info.organization_id
    assert org is not None
    await store.write_records(
        [
            call("t1", request="r1", at=NOW - 2 * DAY),
            call("t1", request="r1", at=NOW - 2 * DAY, model="claude-sonnet-4-5", provider="anthropic", cost=0.02),
            call("t1", request="r2", at=NOW - 2 * DAY, call_type="testgen", outcome="error", cost=0.0),
            call("t2", user="bob", org=org, request="r3", at=NOW - DAY, cost=0.5),
            call("t2", user="bob", org=org, request=None, at=NOW - DAY, cost=0.25),
            call(None, user=None, request="r4", at=NOW - dt.timedelta(hours=1), cost=0.001),
            call("t0", request="r0", at=NOW - 40 * DAY, cost=9.0),  # outside the period
        ]
    )
    return org


async def test_usage_groups_every_way_the_command_does(store: Store) -> None:
    await seed(store)
    since, until = NOW - 7 * DAY, NOW + dt.timedelta(seconds=1)
    by_user = {r.group: r for r in await store.usage(since=since, until=until, group="user")}
    assert list(by_user) == ["-", "alice", "bob"]
    alice = by_user["alice"]
    assert (alice.calls, alice.failed, alice.requests) == (3, 1, 2)
    assert (alice.tokens_in, alice.tokens_out, alice.tokens_cached) == (3000, 600, 300)
    assert alice.cost_usd == pytest.approx(0.03)
    # a call recorded without a request id counts as a request of its own
    assert by_user["bob"].requests == 2 and by_user["bob"].cost_usd == pytest.approx(0.75)

    by_model = {r.group: r.calls for r in await store.usage(since=since, until=until, group="model")}
    assert by_model == {"anthropic:claude-sonnet-4-5": 1, "openai:gpt-4.1": 5}
    by_day = await store.usage(since=since, until=until, group="day")
    days = {f"{at:%Y-%m-%d}" for at in (NOW - 2 * DAY, NOW - DAY, NOW - dt.timedelta(hours=1))}
    assert [r.group for r in by_day] == sorted(days)
    assert sum(r.calls for r in by_day) == 6
    by_type = {r.group: r.calls for r in await store.usage(since=since, until=until, group="call-type")}
    assert by_type == {"optimize": 5, "testgen": 1}
    by_org = {r.group: r.cost_usd for r in await store.usage(since=since, until=until, group="org")}
    assert by_org == {"-": pytest.approx(0.031), "acme": pytest.approx(0.75)}

    # the total counts each request once, though request r1 made calls to two models
    [total] = await store.usage(since=since, until=until, group="total")
    assert (total.group, total.calls, total.failed, total.requests) == ("TOTAL", 6, 1, 5)
    assert total.cost_usd == pytest.approx(0.781)
    assert sum(r.requests for r in await store.usage(since=since, until=until, group="model")) == 6
    [bobs] = await store.usage(since=since, until=until, group="total", user_id="bob")
    assert (bobs.calls, bobs.requests) == (2, 2)
    assert await store.usage(since=NOW + DAY, until=NOW + 2 * DAY, group="total") == []

    only_bob = await store.usage(since=since, until=until, group="user", user_id="bob")
    assert [r.group for r in only_bob] == ["bob"]
    # the period is [since, until)
    assert await store.usage(since=NOW - 2 * DAY + dt.timedelta(seconds=1), until=NOW - DAY, group="user") == []
    with pytest.raises(StoreError):
        await store.usage(since=since, until=until, group="weekday")


async def test_usage_per_day_splits_at_utc_midnight(store: Store) -> None:
    midnight = NOW.replace(hour=0, minute=0, second=0)
    await store.write_records(
        [call("a", at=midnight - dt.timedelta(seconds=1)), call("a", at=midnight), call("a", at=midnight)]
    )
    rows = await store.usage(since=midnight - DAY, until=midnight + DAY, group="day")
    assert [(r.group, r.calls) for r in rows] == [
        (f"{midnight - DAY:%Y-%m-%d}", 1),
        (f"{midnight:%Y-%m-%d}", 2),
    ]


async def test_trace_summaries_newest_first_by_prefix_and_user(store: Store) -> None:
    await seed(store)
    since = NOW - 7 * DAY
    found = await store.trace_summaries(since=since)
    assert [t.trace_id for t in found] == ["t2", "t1"]  # t0 is older than since; untraced calls are not listed
    t1 = found[1]
    assert (t1.user_id, t1.calls, t1.failed) == ("alice", 3, 1)
    assert t1.cost_usd == pytest.approx(0.03) and t1.first == t1.last == NOW - 2 * DAY
    assert [t.trace_id for t in await store.trace_summaries(since=since, user_id="alice")] == ["t1"]
    assert [t.trace_id for t in await store.trace_summaries(since=NOW - 90 * DAY, prefix="t")] == ["t2", "t1", "t0"]
    assert [t.trace_id for t in await store.trace_summaries(since=NOW - 90 * DAY, limit=1)] == ["t2"]
    # a prefix is text, never a pattern
    assert await store.trace_summaries(since=since, prefix="%") == []
    assert await store.trace_summaries(since=since, prefix="t_") == []


async def test_a_trace_keeps_each_calls_request(store: Store) -> None:
    await seed(store)
    await store.write_records([ErrorRecord(trace_id="t1", error_type="testgen", message="no tests", created=NOW)])
    got = await store.records_for_trace("t1")
    assert [c.request_id for c in got.calls] == ["r1", "r1", "r2"]
    assert [e.message for e in got.errors] == ["no tests"]


async def last_used(store: Store, key_id: int) -> dt.datetime | None:
    """The key's last use once written (PostgreSQL writes it in the background, within moments)."""
    for _ in range(200):
        found = {k.id: k for k in await store.list_keys()}[key_id].last_used
        if found is not None:
            return found
        await asyncio.sleep(0.01)
    return None


async def test_last_use_of_a_key(store: Store) -> None:
    new = await store.create_key("alice")
    revoked = await store.create_key("alice")
    assert new.info.last_used is None
    assert (await store.list_keys())[0].last_used is None
    admitted = await store.admit(new.info.key_hash, 60_000, 10)
    assert admitted.key is not None
    first = await last_used(store, new.info.id)
    assert first is not None and abs(first - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=30)
    # written at most once a minute; a request not counted on the rate limit is a use too
    await store.admit(new.info.key_hash, 60_000, 10, count=False)
    await asyncio.sleep(0.1)
    assert {k.id: k for k in await store.list_keys()}[new.info.id].last_used == first
    # a revoked key is not used by a refused request
    assert await store.revoke_key(key_id=revoked.info.id)
    await store.admit(revoked.info.key_hash, 60_000, 10)
    await asyncio.sleep(0.1)
    assert {k.id: k for k in await store.list_keys()}[revoked.info.id].last_used is None


async def test_last_use_is_written_again_after_a_minute(store: Store) -> None:
    new = await store.create_key("bob")
    await store.admit(new.info.key_hash, 60_000, 10)
    assert await last_used(store, new.info.id) is not None
    if isinstance(store, MemoryStore):
        store._keys[new.info.key_hash] = attrs.evolve(new.info, last_used=dt.datetime.now(dt.UTC) - 2 * DAY)
    else:
        await store._run(lambda c: c.execute("UPDATE cf_api_keys SET last_used = now() - interval '2 days'"))
        store._key_use = KeyUse(store._touch_keys)  # a process that did not write it lately
    old = {k.id: k for k in await store.list_keys()}[new.info.id].last_used
    assert old is not None and old < dt.datetime.now(dt.UTC) - DAY
    await store.admit(new.info.key_hash, 60_000, 10)
    for _ in range(200):
        now_used = {k.id: k for k in await store.list_keys()}[new.info.id].last_used
        if now_used is not None and now_used > old:
            break
        await asyncio.sleep(0.01)
    assert now_used is not None and dt.datetime.now(dt.UTC) - now_used < dt.timedelta(seconds=30)
