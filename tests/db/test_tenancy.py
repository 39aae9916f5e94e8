"""Issue 17: plans, organizations, shared quotas and spend budgets, on both stores.

Every test runs on the in-memory store and on PostgreSQL (a real server), through the store and
through the guards of a small application (tests/db/guarded_app.py).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from db_support import spend
from guarded_app import make_app

from codeflash_engine.http.quota import BUDGETS, Budgets
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import Plan, StoreError
from codeflash_engine.infra.records import LLMCallRecord
from codeflash_engine.settings import Settings

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
DAY_MS = 86_400_000


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _client(
    aiohttp_client: ClientFactory, store: Store, *, budgets: Budgets | None = None, rate_limit_max: int = 1000
) -> TestClient[web.Request, web.Application]:
    settings = Settings(rate_limit_max=rate_limit_max, rate_limit_window_ms=DAY_MS)
    app = make_app(settings, store)
    if budgets is not None:
        app[BUDGETS] = budgets
    return await aiohttp_client(app)


# --- plans -----------------------------------------------------------------------------------


async def test_the_default_plan_always_exists_and_plans_are_set_whole(store: Store) -> None:
    plans = await store.list_plans()
    assert [p.name for p in plans] == ["default"]
    assert plans[0] == Plan("default")  # the environment's rate limit, unlimited otherwise
    pro = Plan("pro", 100, 60_000, 50, 25.5, "week", "openai:gpt-4.1=1")
    assert await store.set_plan(pro) == pro
    assert await store.get_plan("pro") == pro
    changed = Plan("pro", optimizations_limit=10)
    assert await store.set_plan(changed) == changed
    assert [p.name for p in await store.list_plans()] == ["default", "pro"]
    assert await store.get_plan("nope") is None


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        (Plan("bad name"), "plan name"),
        (Plan("p", rate_limit_max=0, rate_limit_window_ms=1000), "rate_limit_max"),
        (Plan("p", rate_limit_max=5), "rate_limit_window_ms"),
        (Plan("p", optimizations_limit=-1), "optimizations_limit"),
        (Plan("p", budget_usd=float("nan")), "budget_usd"),
        (Plan("p", period="year"), "period"),  # type: ignore[arg-type]
    ],
)
async def test_a_bad_plan_is_refused_naming_the_field(store: Store, plan: Plan, field: str) -> None:
    with pytest.raises(StoreError, match=field):
        await store.set_plan(plan)


async def test_unknown_plans_and_organizations_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="no plan is named 'gold'"):
        await store.create_key("alice", plan="gold")
    with pytest.raises(StoreError, match="no organization has id 99"):
        await store.create_key("alice", organization_id=99)
    with pytest.raises(StoreError, match="no plan"):
        await store.create_organization("acme", plan="gold")
    org = await store.create_organization("acme")
    with pytest.raises(StoreError, match="exists already"):
        await store.create_organization("acme")
    with pytest.raises(StoreError, match="no plan"):
        await store.update_organization(org.id, plan="gold")
    with pytest.raises(StoreError, match="no organization"):
        await store.update_organization(org.id + 100, privacy_mode=True)


async def test_a_requests_plan_is_the_keys_else_the_users_else_the_orgs_else_default(store: Store) -> None:
    for name in ("k", "u", "o"):
        await store.set_plan(Plan(name))
    org = await store.create_organization("acme", plan="o", privacy_mode=True, github_org_id=42)
    assert (org.plan, org.privacy_mode, org.github_org_id) == ("o", True, 42)
    keyed = await store.create_key("alice", organization_id=org.id, plan="k")
    plain = await store.create_key("alice", organization_id=org.id)
    bob = await store.create_key("bob", organization_id=org.id)
    loner = await store.create_key("carol")
    assert plain.info.organization == "acme"

    async def plan_of(key_hash: str) -> tuple[str, str, bool]:
        admission = await store.admit(key_hash, 60_000, 10, count=False)
        assert admission.rate is None  # not counted
        t = admission.tenancy
        return t.plan.name, t.source, t.privacy

    assert await plan_of(keyed.info.key_hash) == ("k", "key", True)
    assert await plan_of(plain.info.key_hash) == ("o", "organization", True)
    await store.set_user_plan("alice", "u")
    assert await plan_of(plain.info.key_hash) == ("u", "user", True)
    assert await plan_of(bob.info.key_hash) == ("o", "organization", True)
    assert (await store.admit(bob.info.key_hash, 60_000, 10)).tenancy.tenant("bob") == f"org:{org.id}"
    assert (await store.admit(plain.info.key_hash, 60_000, 10)).tenancy.tenant("alice") == "user:alice"
    assert await plan_of(loner.info.key_hash) == ("default", "default", False)
    await store.update_organization(org.id, clear_plan=True, privacy_mode=False)
    assert await plan_of(bob.info.key_hash) == ("default", "default", False)
    assert [o.name for o in await store.list_organizations()] == ["acme"]


# --- rate limits -------------------------------------------------------------------------------


async def test_a_plans_rate_limit_counts_llm_backed_requests_only(store: Store, aiohttp_client: ClientFactory) -> None:
    await store.set_plan(Plan("trial", rate_limit_max=3, rate_limit_window_ms=DAY_MS))
    trial = await store.create_key("alice", plan="trial")
    other = await store.create_key("bob")  # default plan: the environment's 1000
    client = await _client(aiohttp_client, store)
    for _ in range(5):  # telemetry is never counted
        assert (await client.post("/ai/log_features", headers=bearer(trial.key))).status == 200
    statuses = []
    for i in range(5):
        resp = await client.post(f"/ai/optimize?trace=t{i}", headers=bearer(trial.key))
        statuses.append(resp.status)
        if resp.status == 429:
            assert 1 <= int(resp.headers["Retry-After"]) <= DAY_MS // 1000
            error = (await resp.json())["error"]
            assert "at most 3 requests per 86400 s" in error and "plan 'trial'" in error
    assert statuses == [200, 200, 200, 429, 429]
    assert (await client.post("/ai/log_features", headers=bearer(trial.key))).status == 200
    for _ in range(5):
        assert (await client.post("/ai/optimize", headers=bearer(other.key))).status == 200
    peek = await store.peek_rate(trial.info.key_hash, DAY_MS, 3)
    assert peek.remaining == 0 and not peek.allowed


async def test_the_llm_call_limit_follows_the_plans_rate_limit(store: Store, aiohttp_client: ClientFactory) -> None:
    await store.set_plan(Plan("small", rate_limit_max=2, rate_limit_window_ms=DAY_MS))
    small = await store.create_key("alice", plan="small")  # 10 calls per request allowed: 20 per day
    big = await store.create_key("bob")  # the default plan: 10 x 1000
    client = await _client(aiohttp_client, store)
    assert (await client.post("/ai/optimize?calls=15", headers=bearer(small.key))).status == 200
    resp = await client.post("/ai/optimize?calls=15", headers=bearer(small.key))
    assert resp.status == 429 and "at most 20 LLM calls per 86400 s" in (await resp.json())["error"]
    for _ in range(3):
        assert (await client.post("/ai/optimize?calls=15", headers=bearer(big.key))).status == 200


async def test_the_default_plan_can_be_changed_by_the_operator(store: Store, aiohttp_client: ClientFactory) -> None:
    await store.set_plan(Plan("default", rate_limit_max=2, rate_limit_window_ms=DAY_MS))
    new = await store.create_key("alice")
    client = await _client(aiohttp_client, store)
    statuses = [(await client.post("/ai/optimize", headers=bearer(new.key))).status for _ in range(3)]
    assert statuses == [200, 200, 429]


# --- quotas shared by an organization -----------------------------------------------------------


async def test_an_organizations_quota_is_shared_by_its_users(store: Store, aiohttp_client: ClientFactory) -> None:
    await store.set_plan(Plan("team", optimizations_limit=3, period="day"))
    acme = await store.create_organization("acme", plan="team")
    globex = await store.create_organization("globex", plan="team")
    alice = await store.create_key("alice", organization_id=acme.id)
    bob = await store.create_key("bob", organization_id=acme.id)
    carol = await store.create_key("carol", organization_id=globex.id)
    client = await _client(aiohttp_client, store)

    async def optimize(key: str, trace: str) -> int:
        return (await client.post(f"/ai/optimize?trace={trace}", headers=bearer(key))).status

    assert await optimize(alice.key, "a1") == 200
    assert await optimize(bob.key, "b1") == 200
    assert await optimize(alice.key, "a1") == 200  # the same trace: not counted again
    assert await optimize(bob.key, "b2") == 200
    resp = await client.post("/ai/optimize?trace=a2", headers=bearer(alice.key))
    assert resp.status == 402
    error = (await resp.json())["error"]
    assert "3 of 3 optimizations" in error and "plan 'team'" in error and "resets at" in error
    assert await optimize(bob.key, "b3") == 402
    assert await optimize(carol.key, "c1") == 200  # another organization: its own count
    assert await store.plan_quota_used(f"org:{acme.id}", "day") == 3
    # a failed first request gives its unit back to the organization
    assert (await client.post("/ai/optimize?trace=c2&status=502", headers=bearer(carol.key))).status == 502
    assert await store.plan_quota_used(f"org:{globex.id}", "day") == 1


async def test_a_plan_of_the_user_counts_per_user(store: Store, aiohttp_client: ClientFactory) -> None:
    await store.set_plan(Plan("solo", optimizations_limit=1))
    acme = await store.create_organization("acme")
    alice = await store.create_key("alice", organization_id=acme.id, plan="solo")
    bob = await store.create_key("bob", organization_id=acme.id, plan="solo")
    client = await _client(aiohttp_client, store)
    assert (await client.post("/ai/optimize?trace=a", headers=bearer(alice.key))).status == 200
    assert (await client.post("/ai/optimize?trace=b", headers=bearer(bob.key))).status == 200
    assert (await client.post("/ai/optimize?trace=a2", headers=bearer(alice.key))).status == 402


async def test_a_subscription_still_wins_over_the_plan(store: Store, aiohttp_client: ClientFactory) -> None:
    await store.set_plan(Plan("default", optimizations_limit=0))
    new = await store.create_key("alice")
    await store.set_subscription("alice", plan_type="pro", optimizations_limit=2)
    client = await _client(aiohttp_client, store)
    assert (await client.post("/ai/optimize?trace=a", headers=bearer(new.key))).status == 200
    other = await store.create_key("bob")
    assert (await client.post("/ai/optimize?trace=b", headers=bearer(other.key))).status == 402


# --- spend budgets ------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def test_an_organizations_budget_refuses_with_402_and_resets_with_the_period(
    store: Store, aiohttp_client: ClientFactory
) -> None:
    await store.set_plan(Plan("metered", budget_usd=1.0, period="day"))
    acme = await store.create_organization("acme", plan="metered")
    alice = await store.create_key("alice", organization_id=acme.id)
    bob = await store.create_key("bob", organization_id=acme.id)
    outsider = await store.create_key("carol", plan="metered")
    clock = Clock()
    client = await _client(aiohttp_client, store, budgets=Budgets(ttl=0, clock=clock))
    await store.write_records([spend(0.6, user_id="alice", organization_id=acme.id)])
    assert (await client.post("/ai/optimize", headers=bearer(bob.key))).status == 200
    await store.write_records([spend(0.4, user_id="bob", organization_id=acme.id)])
    for key in (alice.key, bob.key):
        resp = await client.post("/ai/optimize", headers=bearer(key))
        assert resp.status == 402
        body = await resp.json()
        assert body["budget_usd"] == 1.0 and body["spend_usd"] == pytest.approx(1.0) and body["plan"] == "metered"
        tomorrow = (dt.datetime.fromtimestamp(clock.now, dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%d")
        assert body["resets_at"] == f"{tomorrow}T00:00:00Z"
        assert "spend budget reached" in body["error"] and "resets at" in body["error"]
    assert (await client.post("/ai/log_features", headers=bearer(alice.key))).status == 200  # no LLM call
    assert (await client.post("/ai/optimize", headers=bearer(outsider.key))).status == 200  # its own spend
    clock.now += 86_400  # the next day: a new period
    assert (await client.post("/ai/optimize", headers=bearer(alice.key))).status == 200
    assert await store.spend(since=dt.datetime.fromtimestamp(clock.now - 86_400, dt.UTC), organization_id=acme.id) == (
        pytest.approx(1.0)
    )


async def test_a_users_budget_counts_that_usersspend(store: Store, aiohttp_client: ClientFactory) -> None:
    await store.set_plan(Plan("capped", budget_usd=0.5))
    alice = await store.create_key("alice", plan="capped")
    bob = await store.create_key("bob", plan="capped")
    client = await _client(aiohttp_client, store, budgets=Budgets(ttl=0))
    last_month = time.time() - 40 * 86_400
    await store.write_records([spend(5.0, user_id="alice", when=last_month), spend(0.2, user_id="bob")])
    assert (await client.post("/ai/optimize", headers=bearer(alice.key))).status == 200  # last month's spend
    await store.write_records([spend(0.5, user_id="alice")])
    assert (await client.post("/ai/optimize", headers=bearer(alice.key))).status == 402
    assert (await client.post("/ai/optimize", headers=bearer(bob.key))).status == 200


async def test_the_spend_is_cached_per_tenant_and_counts_the_requests_served(store: Store) -> None:
    await store.set_plan(Plan("capped", budget_usd=1.0))
    new = await store.create_key("alice", plan="capped")
    tenancy = (await store.admit(new.info.key_hash, 60_000, 10, count=False)).tenancy
    budgets = Budgets(ttl=3600)
    assert await budgets.spent(store, "alice", tenancy) == 0
    await store.write_records([spend(2.0, user_id="alice")])
    await budgets.check(store, "alice", tenancy)  # cached: not read again
    budgets.add("alice", tenancy, 1.0)  # a request this process served
    with pytest.raises(Exception, match="spend budget reached"):
        await budgets.check(store, "alice", tenancy)


# --- GET /usage ---------------------------------------------------------------------------------


async def test_usage_tells_the_key_holder_what_is_left(store: Store, aiohttp_client: ClientFactory) -> None:
    await store.set_plan(
        Plan("team", rate_limit_max=10, rate_limit_window_ms=DAY_MS, optimizations_limit=5, budget_usd=2.0)
    )
    acme = await store.create_organization("acme", plan="team")
    alice = await store.create_key("alice", organization_id=acme.id)
    bob = await store.create_key("bob", organization_id=acme.id)
    loner = await store.create_key("carol")
    clock = Clock()
    client = await _client(aiohttp_client, store, budgets=Budgets(ttl=0, clock=clock), rate_limit_max=40)
    await store.write_records([spend(0.75, user_id="bob", organization_id=acme.id)])
    for trace in ("a", "b"):
        assert (await client.post(f"/ai/optimize?trace={trace}", headers=bearer(alice.key))).status == 200
    assert (await client.post("/ai/optimize?trace=c", headers=bearer(bob.key))).status == 200
    assert (await client.post("/ai/log_features", headers=bearer(alice.key))).status == 200

    resp = await client.get("/usage", headers=bearer(alice.key))
    assert resp.status == 200
    body = await resp.json()
    now = dt.datetime.fromtimestamp(clock.now, dt.UTC)
    month = now.strftime("%Y-%m-01")
    assert body["plan"] == "team" and body["tenant"] == "organization" and body["organization_id"] == acme.id
    assert body["period"] == "month" and body["period_start"].startswith(month)
    assert body["quota"] == {"used": 3, "limit": 5}  # shared by alice and bob
    assert body["spend_usd"] == {"used": 0.75, "limit": 2.0}
    assert body["rate_limit"] == {"max": 10, "window_ms": DAY_MS, "remaining": 8}  # alice's key: 2 counted
    for _ in range(3):  # /usage itself is not counted
        assert (await (await client.get("/usage", headers=bearer(alice.key))).json())["rate_limit"]["remaining"] == 8

    plain = await (await client.get("/usage", headers=bearer(loner.key))).json()
    assert plain["plan"] == "default" and plain["tenant"] == "user"
    assert plain["quota"] == {"used": 0, "limit": None} and plain["spend_usd"] == {"used": 0.0, "limit": None}
    assert plain["rate_limit"] == {"max": 40, "window_ms": DAY_MS, "remaining": 40}

    assert (await client.get("/usage")).status == 401
    assert (await client.get("/usage", headers=bearer("cf-" + "x" * 40))).status == 401
    await store.revoke_key(key_id=bob.info.id)
    assert (await client.get("/usage", headers=bearer(bob.key))).status == 401


# --- seed parity --------------------------------------------------------------------------------


async def test_a_keys_tier_and_a_subscriptions_plan_type_name_plans(store: Store) -> None:
    """Data migrated from the reference service (tiers, subscriptions' plan types) keeps its meaning."""

    async def plan_of(key_hash: str) -> tuple[str, str]:
        t = (await store.admit(key_hash, 60_000, 10, count=False)).tenancy
        return t.plan.name, t.source

    acme = await store.create_organization("acme")
    pro_key = await store.create_key("alice", tier="pro", organization_id=acme.id)
    free_key = await store.create_key("bob", tier="free", organization_id=acme.id)
    assert await plan_of(pro_key.info.key_hash) == ("default", "default")  # no plan named 'pro' yet
    await store.set_plan(Plan("pro", optimizations_limit=100))
    await store.set_plan(Plan("enterprise", optimizations_limit=1000))
    await store.set_plan(Plan("team"))
    await store.update_organization(acme.id, plan="team")
    assert await plan_of(pro_key.info.key_hash) == ("pro", "key")
    assert await plan_of(free_key.info.key_hash) == ("team", "organization")  # no plan named 'free'
    await store.set_subscription("bob", plan_type="enterprise", optimizations_limit=None)
    assert await plan_of(free_key.info.key_hash) == ("enterprise", "user")
    await store.set_user_plan("bob", "pro")  # the user's own plan comes before the plan type's
    assert await plan_of(free_key.info.key_hash) == ("pro", "user")
    explicit = await store.create_key("alice", tier="pro", plan="team")  # the key's own plan first
    assert await plan_of(explicit.info.key_hash) == ("team", "key")


# --- accounting -----------------------------------------------------------------------------------


async def test_cache_write_tokens_and_attempts_are_kept(store: Store) -> None:
    record = LLMCallRecord(
        trace_id="acct",
        call_type="optimize",
        model_name="claude-sonnet-4-5",
        provider="anthropic",
        tokens_in=1000,
        tokens_cached=600,
        tokens_cache_write=300,
        attempts=3,
        cost_usd=0.01,
        user_id="alice",
        organization_id=7,
    )
    await store.write_records([record])
    (kept,) = (await store.records_for_trace("acct")).calls
    assert (kept.tokens_cached, kept.tokens_cache_write, kept.attempts, kept.organization_id) == (600, 300, 3, 7)
