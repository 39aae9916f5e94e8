"""Issue 16, class 2: a quota unit is one function optimization, counted once per trace_id.

The first LLM-backed request of a trace counts, whichever endpoint it is; later requests of the
same trace are free; once the quota is used up, every LLM-backed request of a trace that was not
admitted gets 402. Both stores (PostgreSQL and the in-memory one) behave the same.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from aiohttp import web
from aiohttp.test_utils import TestClient
from guarded_app import make_app

from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import CallCharge, Plan
from codeflash_engine.settings import Settings

DAY_MS = 86_400_000

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_admit_trace_counts_a_trace_once(store: Store) -> None:
    await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=2)
    first = await store.admit_trace("alice", "t1")
    assert first.allowed and first.counted and first.used == 1
    again = await store.admit_trace("alice", "t1")
    assert again.allowed and not again.counted
    assert (await store.admit_trace("alice", "t2")).counted
    refused = await store.admit_trace("alice", "t3")
    assert not refused.allowed and not refused.counted and refused.used == 2
    assert (await store.admit_trace("alice", "t1")).allowed  # admitted before: still served
    assert not (await store.admit_trace("alice", "t3")).allowed  # a refused trace left no trace
    assert not (await store.admit_trace("alice", None)).allowed
    await store.release_trace("alice", "t2")
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 1
    assert (await store.admit_trace("alice", "t3")).counted
    await store.release_trace("alice", "never-admitted")  # gives nothing back
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 2


async def test_concurrent_first_requests_of_a_trace_count_once(store: Store) -> None:
    await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=5)
    decisions = await asyncio.gather(*(store.admit_trace("alice", f"t{i % 3}") for i in range(30)))
    assert all(d.allowed for d in decisions)
    assert sum(d.counted for d in decisions) == 3
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 3


async def test_concurrent_requests_of_a_trace_at_the_edge_of_the_quota(store: Store) -> None:
    """Refused requests leave no row: every request of a refused trace is refused, also when they
    arrive together (the CLI starts testgen and optimize of one function at once), and a trace
    refused once is counted when the quota allows it later."""
    await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=1)
    assert (await store.admit_trace("alice", "in")).counted
    refused = await asyncio.gather(*(store.admit_trace("alice", "late") for _ in range(8)))
    assert [d.allowed for d in refused] == [False] * 8
    assert {(d.used, d.limit, d.plan_type) for d in refused} == {(1, 1, "free")}
    assert all(d.period_end is not None for d in refused)
    await store.set_subscription("alice", plan_type="free", optimizations_limit=2)
    later = await asyncio.gather(*(store.admit_trace("alice", "late") for _ in range(8)))
    assert all(d.allowed for d in later) and sum(d.counted for d in later) == 1
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 2


async def test_a_plan_quota_counts_each_trace_once_per_tenant(store: Store) -> None:
    """Without a subscription, the plan's quota is counted on the tenant's counter: two traces of
    a limit of two pass (each request of them), the others are refused and leave no row."""
    plan = Plan("team", optimizations_limit=2, period="month")
    await store.create_key("carol")
    decisions = await asyncio.gather(
        *(store.admit_trace("carol", f"t{i % 4}", tenant="org:7", plan=plan) for i in range(16))
    )
    by_trace: dict[str, set[bool]] = {}
    for i, d in enumerate(decisions):
        by_trace.setdefault(f"t{i % 4}", set()).add(d.allowed)
    assert sorted(by_trace.values(), key=sorted) == [{False}, {False}, {True}, {True}]
    counted = [d for d in decisions if d.counted]
    assert len(counted) == 2 and {d.tenant for d in counted} == {"org:7"}
    assert {d.used for d in counted} == {1, 2} and all(d.plan_type == "team" for d in decisions if d.first)
    refused = next(d for d in decisions if not d.allowed)
    assert (refused.used, refused.limit, refused.plan_type) == (2, 2, "team") and refused.period_end is not None
    # a user of the same tenant shares the counter; a trace given back frees a unit
    assert not (await store.admit_trace("dave", "t9", tenant="org:7", plan=plan)).allowed
    allowed = next(f"t{i % 4}" for i, d in enumerate(decisions) if d.counted)
    await store.release_trace("carol", allowed, tenant="org:7", period="month")
    assert (await store.admit_trace("dave", "t9", tenant="org:7", plan=plan)).counted


async def test_traces_of_users_without_subscription_are_unmetered(store: Store) -> None:
    await store.create_key("bob")
    decision = await store.admit_trace("bob", "nul\u0000trace")
    assert decision.allowed and not decision.counted


async def _client(aiohttp_client: ClientFactory, store: Store) -> TestClient[web.Request, web.Application]:
    settings = Settings(rate_limit_max=1000, rate_limit_window_ms=60_000)
    return await aiohttp_client(make_app(settings, store))


async def test_one_unit_per_trace_across_endpoints(store: Store, aiohttp_client: ClientFactory) -> None:
    new = await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=1)
    client = await _client(aiohttp_client, store)
    assert (await client.post("/ai/optimize?trace=T", headers=bearer(new.key))).status == 200
    assert (await client.post("/ai/optimize-line-profiler?trace=T", headers=bearer(new.key))).status == 200
    assert (await client.post("/ai/optimize?trace=T", headers=bearer(new.key))).status == 200
    resp = await client.post("/ai/optimize-line-profiler?trace=OTHER", headers=bearer(new.key))
    assert resp.status == 402 and "quota exhausted" in (await resp.json())["error"]
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 1


async def test_a_failed_first_request_gives_its_trace_back(store: Store, aiohttp_client: ClientFactory) -> None:
    new = await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=1)
    client = await _client(aiohttp_client, store)
    assert (await client.post("/ai/optimize?trace=A&status=502", headers=bearer(new.key))).status == 502
    assert (await client.post("/ai/optimize?trace=B", headers=bearer(new.key))).status == 200
    assert (await client.post("/ai/optimize?trace=A", headers=bearer(new.key))).status == 402


# --- the whole engine: every LLM-backed endpoint is metered ----------------------------------


async def test_quota_zero_refuses_every_llm_backed_endpoint(
    fake_llm_settings: Callable[..., Settings], aiohttp_client: ClientFactory
) -> None:
    from codeflash_engine.app import create_app
    from codeflash_engine.http.guards import STORE

    settings = fake_llm_settings(models="openai:gpt-4.1=1", codeflash_engine_request_deadline=20)
    app = create_app(settings)
    client = await aiohttp_client(app)
    store = app[STORE]
    new = await store.create_key("zero")
    await store.set_subscription("zero", plan_type="free", optimizations_limit=0)
    doc = await (await client.get("/openapi.json")).json()
    item: dict[str, Any] = {
        "trace_id": "t-zero",
        "optimization_id": "o1",
        "original_source_code": "```python:a.py\ndef f(): return 1\n```",
        "optimized_source_code": "```python:a.py\ndef f(): return 2\n```",
    }
    refused = 0
    for path in doc["paths"]:
        if not path.startswith("/ai/") or path == "/ai/log_features":
            continue
        body: Any = [item] if path == "/ai/refinement" else _minimal(path)
        resp = await client.post(path, data=json.dumps(body), headers=bearer(new.key))
        answer = await resp.json()
        assert resp.status in (402, 422), (path, resp.status, answer)
        refused += resp.status == 402
    assert refused >= 10
    resp = await client.post("/ai/log_features", data=json.dumps({"trace_id": "t-zero"}), headers=bearer(new.key))
    assert resp.status == 200  # telemetry costs nothing


def _minimal(path: str) -> dict[str, Any]:
    """A valid body for ``path`` (the endpoint samples), so that only the quota can refuse it."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "endpoints"))
    import endpoint_samples as samples

    name = path.removeprefix("/ai/").replace("-", "_")
    name = {"optimize_line_profiler": "line_profiler", "adaptive_optimize": "adaptive"}.get(name, name)
    body: dict[str, Any] = getattr(samples, name)()
    if "trace_id" in body:
        body["trace_id"] = "t-zero"
    return body


async def test_a_failure_after_llm_calls_keeps_its_unit(
    fake_llm: Any, fake_llm_settings: Callable[..., Settings], aiohttp_client: ClientFactory
) -> None:
    """Failing on purpose after the calls were made must not make them free."""
    from codeflash_engine.app import create_app
    from codeflash_engine.http.guards import STORE
    from codeflash_engine.testing.fake_llm import Fault

    fake_llm.fail(Fault.bad_request("no"))
    app = create_app(fake_llm_settings(models="openai:gpt-4.1=1", codeflash_engine_request_deadline=20))
    client = await aiohttp_client(app)
    store = app[STORE]
    new = await store.create_key("one")
    await store.set_subscription("one", plan_type="free", optimizations_limit=1)
    body = _minimal("/ai/explain")
    resp = await client.post("/ai/explain", data=json.dumps({**body, "trace_id": "first"}), headers=bearer(new.key))
    assert resp.status == 502
    resp = await client.post("/ai/explain", data=json.dumps({**body, "trace_id": "second"}), headers=bearer(new.key))
    assert resp.status == 402


async def test_trace_admissions_older_than_a_week_are_pruned(migrated_db: str) -> None:
    async with PostgresStore(migrated_db, migrate=False, pool_max=2, prune_interval=0) as store:
        await store.create_key("erin")
        await store.set_subscription("erin", plan_type="free", optimizations_limit=10)
        for trace in ("old", "recent"):
            assert (await store.admit_trace("erin", trace)).counted
        conn = await asyncpg.connect(migrated_db)
        try:
            await conn.execute("UPDATE quota_traces SET created = now() - interval '8 days' WHERE trace_id = 'old'")
            await store.prune()
            left = [r["trace_id"] for r in await conn.fetch("SELECT trace_id FROM quota_traces WHERE user_id = 'erin'")]
        finally:
            await conn.close()
        assert left == ["recent"]
        assert not (await store.admit_trace("erin", "recent")).counted


async def test_later_requests_of_an_admitted_trace_need_no_round_trip(migrated_db: str) -> None:
    """A process remembers the traces it saw admitted: their later requests are admitted without
    asking the database (here the database's row is gone, and they are still not counted); a
    trace given back is forgotten, so its next request counts again."""
    async with PostgresStore(migrated_db, migrate=False, pool_max=2, prune_interval=0) as store:
        await store.create_key("fay")
        await store.set_subscription("fay", plan_type="free", optimizations_limit=10)
        assert (await store.admit_trace("fay", "t")).counted
        conn = await asyncpg.connect(migrated_db)
        try:
            await conn.execute("DELETE FROM quota_traces WHERE user_id = 'fay'")
        finally:
            await conn.close()
        again = await store.admit_trace("fay", "t")
        assert again.allowed and not again.counted and not again.first
        await store.release_trace("fay", "t")
        assert (await store.admit_trace("fay", "t")).counted
        sub = await store.get_subscription("fay")
        assert sub is not None and sub.optimizations_used == 2


async def test_the_first_request_of_a_trace_is_marked_first(store: Store) -> None:
    """`first` (the request keeps the trace's original code) is set once per trace, with or
    without a subscription, and the plan's counter reads what was counted on it."""
    await store.create_key("gus")
    await store.set_subscription("gus", plan_type="free", optimizations_limit=5)
    assert [(await store.admit_trace("gus", "t")).first for _ in range(3)] == [True, False, False]
    await store.create_key("hal")
    plan = Plan("team", optimizations_limit=5, period="month")
    firsts = [(await store.admit_trace("hal", f"t{i // 2}", tenant="user:hal", plan=plan)).first for i in range(4)]
    assert firsts == [True, False, True, False]
    assert await store.plan_quota_used("user:hal", "month") == 2
    assert await store.plan_quota_used("user:nobody", "month") == 0
    unmetered = [(await store.admit_trace("ivy", "t")).first for _ in range(2)]
    assert unmetered == [True, False]


async def test_charge_counts_the_calls_then_admits_the_trace(store: Store) -> None:
    """`charge` is the call count and the trace's admission in one step: within the call limit
    the trace is decided exactly as `admit_trace` decides it; a later charge of the same trace
    counts its calls again and not the trace."""
    await store.create_key("jon")
    await store.set_subscription("jon", plan_type="free", optimizations_limit=5)
    calls = CallCharge("j" * 96, DAY_MS, 10, 6)
    first = await store.charge("jon", "t", calls)
    assert first.rate.allowed and first.rate.remaining == 4
    assert first.quota is not None and first.quota.allowed and first.quota.counted and first.quota.first
    assert first.quota.used == 1 and first.quota.limit == 5
    again = await store.charge("jon", "t", CallCharge("j" * 96, DAY_MS, 10, 4))
    assert again.rate.allowed and again.rate.remaining == 0
    assert again.quota is not None and again.quota.allowed and not again.quota.counted and not again.quota.first
    sub = await store.get_subscription("jon")
    assert sub is not None and sub.optimizations_used == 1
    # on a plan's quota, the tenant's counter is the one counted
    plan = Plan("team", optimizations_limit=1, period="month")
    on_plan = await store.charge("kim", "t", CallCharge("m" * 96, DAY_MS, 10, 1), tenant="user:kim", plan=plan)
    assert on_plan.quota is not None and on_plan.quota.counted and on_plan.quota.tenant == "user:kim"
    spent = await store.charge("kim", "u", CallCharge("m" * 96, DAY_MS, 10, 1), tenant="user:kim", plan=plan)
    assert spent.rate.allowed and spent.quota is not None and not spent.quota.allowed and spent.quota.used == 1
    assert await store.plan_quota_used("user:kim", "month") == 1


async def test_charge_past_the_call_limit_admits_no_trace(store: Store) -> None:
    """Past the call limit the calls stay counted (as requests do past the rate limit) but the
    trace is neither counted nor remembered: its next charge within the limit is its first."""
    await store.create_key("lea")
    await store.set_subscription("lea", plan_type="free", optimizations_limit=5)
    refused = await store.charge("lea", "t", CallCharge("l" * 96, DAY_MS, 10, 11))
    assert not refused.rate.allowed and refused.rate.remaining == 0 and refused.rate.retry_after_s >= 1
    assert refused.quota is None
    sub = await store.get_subscription("lea")
    assert sub is not None and sub.optimizations_used == 0
    assert (await store.hit_calls("l" * 96, DAY_MS, 20, 0)).remaining == 9  # the 11 stay counted
    later = await store.charge("lea", "t", CallCharge("l" * 96, DAY_MS, 20, 1))
    assert later.quota is not None and later.quota.first and later.quota.counted


async def test_charge_of_a_trace_seen_here_before_is_one_call_count(migrated_db: str) -> None:
    """A trace this process saw admitted needs only its calls counted (the trace's row is gone
    behind the store's back here, and it is still not counted again)."""
    async with PostgresStore(migrated_db, migrate=False, pool_max=2, prune_interval=0) as store:
        await store.create_key("max")
        await store.set_subscription("max", plan_type="free", optimizations_limit=10)
        assert (await store.charge("max", "t", CallCharge("x" * 96, DAY_MS, 10, 2))).quota is not None
        conn = await asyncpg.connect(migrated_db)
        try:
            await conn.execute("DELETE FROM quota_traces WHERE user_id = 'max'")
        finally:
            await conn.close()
        again = await store.charge("max", "t", CallCharge("x" * 96, DAY_MS, 10, 9))
        assert not again.rate.allowed and again.quota is None
        within = await store.charge("max", "t", CallCharge("x" * 96 + "2", DAY_MS, 10, 1))
        assert within.quota is not None and within.quota.allowed and not within.quota.counted
        sub = await store.get_subscription("max")
        assert sub is not None and sub.optimizations_used == 1


async def test_concurrent_charges_count_every_call_and_each_trace_once(store: Store) -> None:
    """Charges arriving together (the CLI starts testgen and optimize of a function at once, from
    two keys of one user too): every call is counted exactly, each trace once, and past the call
    limit exactly the requests beyond it are refused and admit nothing."""
    await store.create_key("ned")
    await store.set_subscription("ned", plan_type="free", optimizations_limit=20)
    keys = ["a" * 96, "b" * 96]
    charges = await asyncio.gather(
        *(store.charge("ned", f"t{i % 3}", CallCharge(keys[i % 2], DAY_MS, 1000, 2)) for i in range(24))
    )
    assert all(c.rate.allowed and c.quota is not None and c.quota.allowed for c in charges)
    assert sum(c.quota.counted for c in charges if c.quota is not None) == 3
    for key in keys:
        assert (await store.peek_rate(key + ":llm", DAY_MS, 1000)).remaining == 1000 - 12 * 2
    edge = await asyncio.gather(*(store.charge("ned", f"u{i}", CallCharge("c" * 96, DAY_MS, 10, 1)) for i in range(16)))
    allowed = [c for c in edge if c.rate.allowed]
    assert len(allowed) == 10 and all(c.quota is not None and c.quota.counted for c in allowed)
    assert all(c.quota is None for c in edge if not c.rate.allowed)
    sub = await store.get_subscription("ned")
    assert sub is not None and sub.optimizations_used == 3 + 10


async def test_a_trace_on_an_unlimited_subscription_is_counted_and_can_be_given_back(store: Store) -> None:
    """No limit is not unmetered: the first request of each trace counts on the subscription,
    says so (a failed request gives it back), and names the subscription's plan."""
    await store.create_key("wes")
    await store.set_subscription("wes", plan_type="enterprise", optimizations_limit=None, period="day")
    first = await store.admit_trace("wes", "t1")
    assert first.allowed and first.counted and first.first and first.used == 1 and first.limit is None
    assert first.plan_type == "enterprise" and first.period_end is not None
    charged = await store.charge("wes", "t2", CallCharge("w" * 96, DAY_MS, 10, 1))
    assert charged.quota is not None and charged.quota.counted and charged.quota.used == 2
    await store.release_trace("wes", "t2")
    sub = await store.get_subscription("wes")
    assert sub is not None and sub.optimizations_used == 1


async def test_a_refused_trace_is_no_first_request_on_either_store(store: Store) -> None:
    """A refusal admits nothing: it is not the trace's first request (`first`: admitted now), it
    counts nothing and names no tenant, and it reads the same on both stores, for a refusal on a
    subscription and on a plan's quota, through `admit_trace` and through `charge`."""
    await store.create_key("ora")
    await store.set_subscription("ora", plan_type="free", optimizations_limit=1, period="day")
    assert (await store.admit_trace("ora", "t1")).first
    refused = await store.admit_trace("ora", "t2")
    assert (refused.allowed, refused.counted, refused.first, refused.tenant) == (False, False, False, None)
    assert (refused.used, refused.limit, refused.plan_type) == (1, 1, "free")
    charged = await store.charge("ora", "t3", CallCharge("o" * 96, DAY_MS, 10, 1))
    assert charged.quota is not None and not charged.quota.allowed and not charged.quota.first
    plan = Plan("team", optimizations_limit=1, period="week")
    assert (await store.admit_trace("pia", "t1", tenant="org:7", plan=plan)).first
    spent = await store.admit_trace("pia", "t2", tenant="org:7", plan=plan)
    assert (spent.allowed, spent.counted, spent.first, spent.tenant) == (False, False, False, None)
    assert (spent.used, spent.limit, spent.plan_type) == (1, 1, "team")
    on_plan = await store.charge("pia", "t3", CallCharge("p" * 96, DAY_MS, 10, 1), tenant="org:7", plan=plan)
    assert on_plan.quota is not None and not on_plan.quota.allowed and not on_plan.quota.first
    # nothing was admitted: the refused traces are each one's first once the quota allows
    await store.set_subscription("ora", plan_type="free", optimizations_limit=5)
    assert (await store.admit_trace("ora", "t2")).first
