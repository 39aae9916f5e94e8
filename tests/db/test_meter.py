"""The quota meter of one request, on its own: charged once, original code kept for first traces."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import attrs
import pytest
from db_support import spend

from codeflash_engine.http.quota import (
    BudgetExceeded,
    Budgets,
    CallLimit,
    CallRateExceeded,
    Meter,
    QuotaExhausted,
)
from codeflash_engine.infra.db.memory import MemoryStore
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import DEFAULT_TENANCY, Plan, StoreUnavailable, Tenancy
from codeflash_engine.infra.recorder import Recorder

DAY_MS = 86_400_000


async def _meter(store: MemoryStore, tenancy: Tenancy = DEFAULT_TENANCY, recorder: Recorder | None = None) -> Meter:
    await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=5)
    return Meter(store, "alice", CallLimit("k" * 96, DAY_MS, 10), tenancy, recorder)


async def test_a_meter_charges_once() -> None:
    store = MemoryStore()
    meter = await _meter(store)
    await meter.charge(["t1", "t2", "t1"], 4)
    await meter.charge(["t3"], 4)  # a second charge of the same request: nothing more
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 2
    assert (await store.peek_rate("k" * 96 + ":llm", DAY_MS, 10)).remaining == 6


@pytest.mark.parametrize(
    ("traces", "body", "privacy", "kept"),
    [
        (["t1"], SimpleNamespace(source_code="def f(): pass"), False, {"t1": "def f(): pass"}),
        (["t1"], SimpleNamespace(source_code_being_tested="def g(): pass"), False, {"t1": "def g(): pass"}),
        (["t1", None], SimpleNamespace(source_code="def f(): pass"), False, {"t1": "def f(): pass"}),
        (["t1"], SimpleNamespace(source_code=""), False, {}),  # nothing to keep
        (["t1"], SimpleNamespace(other="x"), False, {}),
        (["t1"], SimpleNamespace(source_code=["def f(): pass"]), False, {}),  # only text is kept
        (["t1"], None, False, {}),
        (["t1"], SimpleNamespace(source_code="def f(): pass"), True, {}),  # privacy mode keeps no code
    ],
    ids=["source_code", "tested source", "no trace id", "empty", "no source", "not text", "no body", "privacy"],
)
async def test_the_original_code_of_a_first_trace_is_kept(
    traces: list[str | None], body: object, privacy: bool, kept: dict[str, str]
) -> None:
    store = MemoryStore()
    async with Recorder(store) as recorder:  # the original code goes through the recorder
        meter = await _meter(store, attrs.evolve(DEFAULT_TENANCY, privacy=privacy), recorder)
        await meter.charge(traces, 1, body)
    found = {}
    for trace in ("t1", "t2"):
        features = await store.get_features(trace)
        if features is not None and "original_code" in features:
            found[trace] = features["original_code"]
    assert found == kept


async def test_a_later_request_of_a_trace_keeps_nothing_again() -> None:
    store = MemoryStore()
    async with Recorder(store) as recorder:
        first = await _meter(store, recorder=recorder)
        await first.charge(["t1"], 1, SimpleNamespace(source_code="first"))
    async with Recorder(store) as recorder:
        later = Meter(store, "alice", None, DEFAULT_TENANCY, recorder)
        await later.charge(["t1"], 1, SimpleNamespace(source_code="second"))
    features = await store.get_features("t1")
    assert features is not None and features["original_code"] == "first"


async def test_the_call_budget_counts_planned_calls_only() -> None:
    store = MemoryStore()
    meter = await _meter(store)
    await meter.charge(["t1"], 1)
    assert (await store.peek_rate("k" * 96 + ":llm", DAY_MS, 10)).remaining == 9  # one call counts
    await store.hit_calls("k" * 96, DAY_MS, 10, 20)  # the key's budget spent elsewhere
    free = await _meter(store)
    await free.charge(["t2"], 0)  # a request planning no call is not refused for calls
    with pytest.raises(CallRateExceeded):
        await (await _meter(store)).charge(["t3"], 1)


def test_statuses_and_defaults() -> None:
    assert (QuotaExhausted("x").status, CallRateExceeded("x").status, BudgetExceeded("x").status) == (402, 429, 402)
    assert Budgets().ttl == 5.0


PLAN = Plan("metered", budget_usd=1.0)


def _tenancy(organization_id: int | None) -> Tenancy:
    source = "organization" if organization_id is not None else "user"
    return attrs.evolve(DEFAULT_TENANCY, plan=PLAN, source=source, organization_id=organization_id)


async def test_budgets_read_the_tenants_own_spend() -> None:
    store = MemoryStore()
    await store.write_records(
        [spend(0.4, user_id="alice", trace_id="a"), spend(0.7, user_id="bob", organization_id=7, trace_id="b")]
    )
    budgets = Budgets(ttl=60)
    assert await budgets.spent(store, "alice", _tenancy(None)) == pytest.approx(0.4)
    assert await budgets.spent(store, "alice", _tenancy(7)) == pytest.approx(0.7)  # the organization's
    # a member of an organization whose plan is the user's own: the user's spend
    assert await Budgets(ttl=60).spent(store, "alice", attrs.evolve(_tenancy(7), source="user")) == pytest.approx(0.4)
    await budgets.check(store, "alice", _tenancy(None))
    budgets.add("alice", _tenancy(None), 0.6)  # a request just cost 0.6: counted until the next read
    budgets.add("alice", _tenancy(None), 0.0)
    with pytest.raises(BudgetExceeded) as refused:
        await budgets.check(store, "alice", _tenancy(None))
    assert refused.value.fields["spend_usd"] == 1.0 and refused.value.fields["budget_usd"] == 1.0
    budgets.add("alice", _tenancy(None), 0.1234567)
    with pytest.raises(BudgetExceeded) as again:
        await budgets.check(store, "alice", _tenancy(None))
    assert again.value.fields["spend_usd"] == 1.123457  # rounded to six places


async def test_a_failed_spend_read_fails_every_waiter(migrated_db: str) -> None:
    store = PostgresStore(migrated_db, migrate=False, pool_max=2, prune_interval=0)  # never opened
    budgets = Budgets(ttl=60)
    results = await asyncio.wait_for(
        asyncio.gather(*(budgets.spent(store, "alice", _tenancy(None)) for _ in range(3)), return_exceptions=True), 30
    )
    assert all(isinstance(r, StoreUnavailable) for r in results), results


@pytest.mark.parametrize("refused", ["calls", "trace", "both"])
async def test_a_refusal_of_either_counter_gives_back_what_the_other_counted(store: Store, refused: str) -> None:
    """The call limit and the trace admission are one store call: whichever refuses, nothing of
    the request stays counted on the trace side, and the call limit's refusal is the one reported
    (past it, the trace is not even asked)."""
    await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=0 if refused != "calls" else 5)
    limit = CallLimit("k" * 96, DAY_MS, 10)
    if refused != "trace":
        await store.hit_calls(limit.key_hash, DAY_MS, 10, 10)  # the key's calls are used up
    meter = Meter(store, "alice", limit, DEFAULT_TENANCY)
    expected = QuotaExhausted if refused == "trace" else CallRateExceeded
    with pytest.raises(expected):
        await meter.charge(["t1"], 6, SimpleNamespace(source_code="def f(): pass"))
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 0
    assert meter.counted == []
    # the trace was given back: the next request of it is its first again
    await store.set_subscription("alice", plan_type="free", optimizations_limit=5)
    again = await store.admit_trace("alice", "t1")
    assert again.allowed and again.first


async def test_calls_and_trace_counted_together_when_both_allow(store: Store) -> None:
    await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=5)
    async with Recorder(store) as recorder:
        meter = Meter(store, "alice", CallLimit("k" * 96, DAY_MS, 10), DEFAULT_TENANCY, recorder)
        await meter.charge(["t1"], 6, SimpleNamespace(source_code="def f(): pass"))
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 1
    assert (await store.peek_rate("k" * 96 + ":llm", DAY_MS, 10)).remaining == 4
    features = await store.get_features("t1")
    assert features is not None and features["original_code"] == "def f(): pass"


@pytest.mark.parametrize(("organization_id", "who"), [(None, "this user spent"), (7, "your organization spent")])
async def test_a_spent_budget_names_whose_spend_it_is(organization_id: int | None, who: str) -> None:
    store = MemoryStore()
    await store.write_records([spend(2.0, user_id="alice", organization_id=organization_id, trace_id="a")])
    with pytest.raises(BudgetExceeded) as refused:
        await Budgets(ttl=60).check(store, "alice", _tenancy(organization_id))
    assert who in refused.value.message and "plan 'metered'" in refused.value.message


def test_a_cost_for_a_tenant_never_read_is_not_cached() -> None:
    """A request's cost is added to the cached spend only when the tenant's spend was read this
    period: there is nothing to add to otherwise (the next read sums the records)."""
    budgets = Budgets(ttl=60)
    budgets.add("alice", _tenancy(None), 0.5)
    assert budgets._spent == {}


class _GoneStore(MemoryStore):
    """A store whose trace releases fail (the database went away mid-request)."""

    async def release_trace(self, *args: object, **kwargs: object) -> None:
        raise StoreUnavailable("the database is unavailable")


async def test_a_failed_give_back_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    store = _GoneStore()
    meter = await _meter(store)
    await meter.charge(["t1"], 1)
    assert meter.counted == [("t1", None)]
    await meter.give_back()  # the answer is not failed for it: the count stays one too high
    assert meter.counted == []
    assert "could not give back an optimization to the quota" in caplog.text


@pytest.mark.parametrize("calls", [6, 0])
async def test_every_trace_of_a_request_counts_on_the_plans_quota(store: Store, calls: int) -> None:
    """A request of several traces (a refinement's items) under a plan's quota: each trace is
    counted on the tenant's counter, the first with the calls and the others after it, and when
    one is refused the ones before it are given back."""
    await store.create_key("quinn")
    plan = Plan("two", optimizations_limit=2, period="month")
    tenancy = attrs.evolve(DEFAULT_TENANCY, plan=plan, source="user")
    meter = Meter(store, "quinn", CallLimit("q" * 96, DAY_MS, 100), tenancy)
    await meter.charge(["t1", "t2"], calls)
    assert await store.plan_quota_used("user:quinn", "month") == 2
    assert [trace for trace, _ in meter.counted] == ["t1", "t2"]
    late = Meter(store, "quinn", CallLimit("q" * 96, DAY_MS, 100), tenancy)
    with pytest.raises(QuotaExhausted):
        await late.charge(["t1", "t3"], calls)  # t1 admitted before; t3 is over the quota
    assert await store.plan_quota_used("user:quinn", "month") == 2
    await store.create_key("rory")
    three = Meter(store, "rory", CallLimit("r" * 96, DAY_MS, 100), tenancy)
    with pytest.raises(QuotaExhausted):
        await three.charge(["a", "b", "c"], calls)  # c is the third: a and b are given back
    assert await store.plan_quota_used("user:rory", "month") == 0
    assert three.counted == []


async def test_a_request_without_a_trace_counts_its_calls_only(store: Store) -> None:
    """A body with no trace id at all (a refinement of no item) still counts its planned calls,
    and admits nothing."""
    meter = await _meter(store)
    await meter.charge([], 4)
    assert (await store.peek_rate("k" * 96 + ":llm", DAY_MS, 10)).remaining == 6
    assert meter.counted == []
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 0
