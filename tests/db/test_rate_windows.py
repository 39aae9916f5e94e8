"""Fixed-window limits as tables: the decision for a hit, the LLM-call budget, peeking, windows
and quota periods (both stores where the store decides; the pure rules on their own)."""

from __future__ import annotations

import datetime as dt

import pytest

from codeflash_engine.infra.db import apikeys
from codeflash_engine.infra.db.memory import MemoryStore
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import (
    CallCharge,
    Plan,
    RateDecision,
    StoreError,
    period_end,
    period_start,
    rate_decision,
)

DAY_MS = 86_400_000


@pytest.mark.parametrize(
    ("hits", "window_start", "window_ms", "now_ms", "limit", "expected"),
    [
        (1, 0, 60_000, 0, 3, RateDecision(True, 60, 2)),
        (3, 0, 60_000, 59_001, 3, RateDecision(True, 1, 0)),  # the last one allowed; 0.999 s left is 1 s
        (4, 0, 60_000, 59_999, 3, RateDecision(False, 1, 0)),
        (4, 0, 60_000, 60_000, 3, RateDecision(False, 1, 0)),  # at least one second
        (2, 0, 60_000, 1_500, 0, RateDecision(False, 59, 0)),  # limit 0: nothing allowed
        (0, 1_000, 2_000, 1_000, 5, RateDecision(True, 2, 5)),  # a peek before any hit
        (7, 120_000, 60_000, 150_000, 10, RateDecision(True, 30, 3)),
    ],
)
def test_rate_decision(
    hits: int, window_start: int, window_ms: int, now_ms: int, limit: int, expected: RateDecision
) -> None:
    assert rate_decision(hits, window_start, window_ms, now_ms, limit) == expected


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_windows_are_aligned_and_roll_over() -> None:
    clock = Clock(1_000_000.250)  # 250 ms into a one-second window, 250 ms into a 500 ms one
    store = MemoryStore(clock=clock)
    key = "k" * 96
    assert [(await store.hit(key, 1000, 2)).allowed for _ in range(3)] == [True, True, False]
    refused = await store.hit(key, 1000, 2)
    assert refused.retry_after_s == 1 and refused.remaining == 0
    clock.now = 1_000_000.999  # same window
    assert not (await store.hit(key, 1000, 2)).allowed
    clock.now = 1_000_001.0  # the next one starts on the second
    again = await store.hit(key, 1000, 2)
    assert again.allowed and again.remaining == 1
    assert (await store.hit(key, 60_000, 2)).remaining == 1  # another window length: a counter of its own
    clock.now = 1_000_050.0
    assert (await store.hit(key, 60_000, 2)).retry_after_s == 30  # 1_000_050 is 30 s into its minute


async def test_hit_calls_counts_calls_not_requests(store: Store) -> None:
    key = apikeys.hash_key(apikeys.generate_key())
    first = await store.hit_calls(key, DAY_MS, 10, 4)
    assert first.allowed and first.remaining == 6
    full = await store.hit_calls(key, DAY_MS, 10, 6)
    assert full.allowed and full.remaining == 0  # exactly the limit
    assert not (await store.hit_calls(key, DAY_MS, 10, 1)).allowed
    assert not (await store.hit_calls(key, DAY_MS, 10, 0)).allowed  # the budget is spent, zero or not
    # the request rate of the same key is a counter of its own
    assert (await store.hit(key, DAY_MS, 1)).allowed
    other = apikeys.hash_key(apikeys.generate_key())
    assert (await store.hit_calls(other, DAY_MS, 10, 0)).remaining == 10
    assert not (await store.hit_calls(other, DAY_MS, 10, 11)).allowed  # one request above the budget


@pytest.mark.parametrize(("window_ms", "limit", "calls"), [(0, 10, 1), (1000, -1, 1), (1000, 10, -1)])
async def test_hit_calls_refuses_bad_arguments(store: Store, window_ms: int, limit: int, calls: int) -> None:
    with pytest.raises(StoreError):
        await store.hit_calls("a" * 96, window_ms, limit, calls)


async def test_peek_rate_does_not_count(store: Store) -> None:
    key = apikeys.hash_key(apikeys.generate_key())
    fresh = await store.peek_rate(key, DAY_MS, 2)
    assert fresh.allowed and fresh.remaining == 2
    await store.hit(key, DAY_MS, 2)
    for _ in range(3):
        peeked = await store.peek_rate(key, DAY_MS, 2)
        assert peeked.allowed and peeked.remaining == 1
    await store.hit(key, DAY_MS, 2)
    spent = await store.peek_rate(key, DAY_MS, 2)
    assert not spent.allowed and spent.remaining == 0  # the next hit would be refused
    assert not (await store.peek_rate(key, DAY_MS, 0)).allowed
    with pytest.raises(StoreError):
        await store.peek_rate(key, 0, 2)


UTC = dt.UTC


@pytest.mark.parametrize(
    ("period", "now", "start", "end"),
    [
        (
            "day",
            dt.datetime(2026, 3, 31, 23, 59, tzinfo=UTC),
            dt.datetime(2026, 3, 31, tzinfo=UTC),
            dt.datetime(2026, 4, 1, tzinfo=UTC),
        ),
        (
            "week",
            dt.datetime(2026, 12, 6, 12, tzinfo=UTC),
            dt.datetime(2026, 11, 30, tzinfo=UTC),
            dt.datetime(2026, 12, 7, tzinfo=UTC),
        ),
        (
            "week",
            dt.datetime(2026, 11, 30, tzinfo=UTC),
            dt.datetime(2026, 11, 30, tzinfo=UTC),
            dt.datetime(2026, 12, 7, tzinfo=UTC),
        ),
        (
            "month",
            dt.datetime(2026, 12, 31, 23, tzinfo=UTC),
            dt.datetime(2026, 12, 1, tzinfo=UTC),
            dt.datetime(2027, 1, 1, tzinfo=UTC),
        ),
        (
            "month",
            dt.datetime(2026, 1, 31, tzinfo=UTC),
            dt.datetime(2026, 1, 1, tzinfo=UTC),
            dt.datetime(2026, 2, 1, tzinfo=UTC),
        ),
        (
            "month",
            dt.datetime(2026, 11, 15, tzinfo=UTC),
            dt.datetime(2026, 11, 1, tzinfo=UTC),
            dt.datetime(2026, 12, 1, tzinfo=UTC),
        ),
    ],
)
def test_quota_periods(period: str, now: dt.datetime, start: dt.datetime, end: dt.datetime) -> None:
    assert period_start(period, now) == start  # type: ignore[arg-type]
    assert period_end(period, start) == end  # type: ignore[arg-type]


async def test_the_smallest_window_and_limit_are_valid(store: Store) -> None:
    key = apikeys.hash_key(apikeys.generate_key())
    assert not (await store.hit(key, 1, 0)).allowed  # a limit of 0 refuses, it is no error
    assert (await store.hit_calls(key, 1, 0, 0)).allowed
    assert (await store.peek_rate(key, 1, 0)).remaining == 0


async def test_pruning_keeps_the_counters_of_open_windows() -> None:
    clock = Clock(2_000_000.0)
    store = MemoryStore(clock=clock)
    key = "p" * 96
    allowed = [(await store.hit(key, 60_000, 1500)).allowed for _ in range(2100)]  # past a prune (every 1024)
    assert allowed.count(True) == 1500
    clock.now += 60  # the next window: the old counter may go, the new one starts at 1
    assert (await store.hit(key, 60_000, 1500)).remaining == 1499


async def test_a_plan_quota_starts_again_with_its_period() -> None:
    clock = Clock(dt.datetime(2026, 11, 30, 23, 59, tzinfo=dt.UTC).timestamp())
    store = MemoryStore(clock=clock)
    await store.create_key("carol")
    plan = Plan("team", optimizations_limit=2, period="month")
    decisions = [await store.admit_trace("carol", f"t{i}", tenant="org:1", plan=plan) for i in range(3)]
    assert [(d.allowed, d.used, d.counted, d.first) for d in decisions] == [
        (True, 1, True, True),
        (True, 2, True, True),
        (False, 2, False, False),
    ]
    assert decisions[2].period_end == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    clock.now = dt.datetime(2026, 12, 1, 0, 1, tzinfo=dt.UTC).timestamp()
    again = await store.admit_trace("carol", "t9", tenant="org:1", plan=plan)
    assert (again.allowed, again.used, again.tenant) == (True, 1, "org:1")
    unmetered = await store.admit_trace("carol", "t10", tenant="org:1", plan=Plan("free"))  # no limit
    assert unmetered.allowed and unmetered.limit is None


async def test_the_call_budget_window_and_its_pruning() -> None:
    clock = Clock(1_000_050.0)  # 30 s into a minute
    store = MemoryStore(clock=clock)
    first = await store.hit_calls("c" * 96, 60_000, 10, 4)
    assert (first.retry_after_s, first.remaining) == (30, 6)
    for i in range(1100):  # other keys' requests: a prune passes
        await store.hit(f"{i:096d}", 60_000, 5)
    assert (await store.hit_calls("c" * 96, 60_000, 10, 4)).remaining == 2  # the open window was kept


async def test_plan_quota_used_follows_the_period() -> None:
    clock = Clock(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC).timestamp())
    store = MemoryStore(clock=clock)
    await store.create_key("carol")
    plan = Plan("team", optimizations_limit=5, period="month")
    assert await store.plan_quota_used("org:1", "month") == 0  # nothing counted yet
    for trace in ("t1", "t2"):
        await store.admit_trace("carol", trace, tenant="org:1", plan=plan)
    assert await store.plan_quota_used("org:1", "month") == 2
    clock.now = dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC).timestamp()
    assert await store.plan_quota_used("org:1", "month") == 0  # a new month
    unmetered = await store.admit_trace("carol", "t3", tenant="org:1", plan=None)
    assert unmetered.allowed and not unmetered.counted


async def test_admit_refuses_bad_limits_and_takes_the_smallest(store: Store) -> None:
    new = await store.create_key("alice")
    for window_ms, limit in ((0, 10), (1000, -1)):
        with pytest.raises(StoreError):
            await store.admit(new.info.key_hash, window_ms, limit)
    smallest = await store.admit(new.info.key_hash, 1, 0)
    assert smallest.key is not None and smallest.rate is not None and not smallest.rate.allowed


@pytest.mark.parametrize(("window_ms", "limit"), [(0, 10), (1000, -1)])
async def test_hit_and_peek_refuse_bad_limits(store: Store, window_ms: int, limit: int) -> None:
    with pytest.raises(StoreError):
        await store.hit("a" * 96, window_ms, limit)
    with pytest.raises(StoreError):
        await store.peek_rate("a" * 96, window_ms, limit)


@pytest.mark.parametrize(("window_ms", "limit", "calls"), [(0, 10, 1), (1000, -1, 1), (1000, 10, -1)])
async def test_charge_refuses_bad_arguments(store: Store, window_ms: int, limit: int, calls: int) -> None:
    await store.create_key("una")
    with pytest.raises(StoreError):
        await store.charge("una", "t", CallCharge("a" * 96, window_ms, limit, calls))
    sub = await store.get_subscription("una")
    assert sub is None or sub.optimizations_used == 0


async def test_charge_takes_the_smallest_arguments(store: Store) -> None:
    """A window of 1 ms, a limit of 0 and no call are valid: nothing over the limit, the trace admitted."""
    await store.create_key("val")
    charged = await store.charge("val", "t", CallCharge("v" * 96, 1, 0, 0))
    assert charged.rate.allowed and charged.quota is not None and charged.quota.first
