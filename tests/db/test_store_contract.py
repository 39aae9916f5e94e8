"""The store contract: every test runs on the in-memory store and on PostgreSQL (a real server)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import math
import time

import pytest

from codeflash_engine.infra.db import apikeys
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import StoreError, period_start
from codeflash_engine.infra.recorder import Recorder
from codeflash_engine.infra.records import ErrorRecord, FeaturesRecord, LLMCallRecord
from codeflash_engine.infra.tenancy import privacy_var

DAY_MS = 86_400_000


async def wait_for_window_start(window_ms: int, margin_ms: int = 20) -> None:
    """Sleep until just after a window boundary, so a test's hits all fall in one window."""
    now_ms = time.time() * 1000
    await asyncio.sleep((window_ms - now_ms % window_ms + margin_ms) / 1000)


# --- keys ----------------------------------------------------------------------------------


async def test_create_key_returns_the_key_once_and_stores_its_digest(store: Store) -> None:
    new = await store.create_key("alice", tier="pro")
    assert new.key.startswith("cf-") and len(new.key) >= 3 + 43
    assert new.info.key_hash == hashlib.sha384(new.key.encode()).hexdigest()
    assert new.info.suffix == new.key[-6:]
    assert new.info.user_id == "alice" and new.info.tier == "pro"
    assert new.info.organization is None and new.info.revoked is None
    assert new.key not in repr(new) and new.key not in repr(new.info)
    found = await store.lookup_key(new.info.key_hash)
    assert found is not None and found.id == new.info.id and found.key_hash == new.info.key_hash
    assert await store.lookup_key(apikeys.hash_key(apikeys.generate_key())) is None


async def test_keys_are_random(store: Store) -> None:
    keys = {(await store.create_key("alice")).key for _ in range(20)}
    assert len(keys) == 20


async def test_organization_created_once_by_name(store: Store) -> None:
    a = await store.create_key("alice", organization="acme")
    b = await store.create_key("bob", organization="acme")
    c = await store.create_key("carol", organization="globex")
    assert a.info.organization_id is not None
    assert a.info.organization_id == b.info.organization_id != c.info.organization_id
    found = await store.lookup_key(b.info.key_hash)
    assert found is not None and found.organization == "acme" and found.organization_id == a.info.organization_id


async def test_create_key_refuses_empty_names(store: Store) -> None:
    with pytest.raises(StoreError):
        await store.create_key("")
    with pytest.raises(StoreError):
        await store.create_key("alice", tier="")
    with pytest.raises(StoreError):
        await store.create_key("alice", organization="")


async def test_list_keys(store: Store) -> None:
    a1 = await store.create_key("alice")
    b1 = await store.create_key("bob")
    a2 = await store.create_key("alice")
    assert [k.id for k in await store.list_keys()] == [a1.info.id, b1.info.id, a2.info.id]
    assert [k.id for k in await store.list_keys(user_id="alice")] == [a1.info.id, a2.info.id]
    assert await store.revoke_key(key_id=a1.info.id)
    assert [k.id for k in await store.list_keys(user_id="alice", include_revoked=False)] == [a2.info.id]
    listed = await store.list_keys(user_id="alice")
    assert listed[0].revoked is not None and listed[1].revoked is None
    assert await store.list_keys(user_id="nobody") == []


async def test_revoke_by_id_and_by_digest(store: Store) -> None:
    a = await store.create_key("alice")
    b = await store.create_key("alice")
    assert await store.revoke_key(key_id=a.info.id)
    assert not await store.revoke_key(key_id=a.info.id)  # already revoked
    assert await store.revoke_key(key_hash=b.info.key_hash)
    assert not await store.revoke_key(key_hash=apikeys.hash_key("cf-" + "x" * 43))
    for new in (a, b):
        found = await store.lookup_key(new.info.key_hash)
        assert found is not None and found.revoked is not None and found.is_revoked
    with pytest.raises(StoreError):
        await store.revoke_key()
    with pytest.raises(StoreError):
        await store.revoke_key(key_id=1, key_hash=a.info.key_hash)


async def test_expired_keys_are_not_admitted(store: Store) -> None:
    now = dt.datetime.now(dt.UTC)
    past = await store.create_key("alice", expires=now - dt.timedelta(seconds=1))
    later = await store.create_key("alice", expires=now + dt.timedelta(hours=1))
    plain = await store.create_key("alice")
    assert later.info.expires == now + dt.timedelta(hours=1) and plain.info.expires is None
    refused = await store.admit(past.info.key_hash, 60_000, 10)
    assert refused.key is not None and refused.key.expired(now) and refused.rate is None
    assert (await store.admit(later.info.key_hash, 60_000, 10)).rate is not None
    active = [k.id for k in await store.list_keys(user_id="alice", include_revoked=False)]
    assert active == [later.info.id, plain.info.id]
    # a grace period that ends now: the key stops at once; a revoked key cannot be given one
    assert await store.expire_key(plain.info.id, now - dt.timedelta(seconds=1))
    assert (await store.admit(plain.info.key_hash, 60_000, 10)).rate is None
    assert await store.revoke_key(key_id=later.info.id)
    assert not await store.expire_key(later.info.id, now + dt.timedelta(days=1))
    assert not await store.expire_key(10**9, now)
    looked_up = await store.lookup_key(plain.info.key_hash)
    assert looked_up is not None and looked_up.expires is not None and looked_up.expired(dt.datetime.now(dt.UTC))


# --- rate limits ---------------------------------------------------------------------------


async def test_hit_allows_limit_then_refuses(store: Store) -> None:
    digest = apikeys.hash_key(apikeys.generate_key())
    decisions = [await store.hit(digest, DAY_MS, 3) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    for d in decisions:
        assert 1 <= d.retry_after_s <= DAY_MS // 1000
    expected = math.ceil((DAY_MS - time.time() * 1000 % DAY_MS) / 1000)
    assert abs(decisions[-1].retry_after_s - expected) <= 2
    other = await store.hit(apikeys.hash_key(apikeys.generate_key()), DAY_MS, 3)
    assert other.allowed and other.remaining == 2


async def test_hit_window_rolls_over(store: Store) -> None:
    digest = apikeys.hash_key(apikeys.generate_key())
    window = 400
    await wait_for_window_start(window)
    assert (await store.hit(digest, window, 1)).allowed
    refused = await store.hit(digest, window, 1)
    assert not refused.allowed and refused.retry_after_s == 1
    await wait_for_window_start(window)
    assert (await store.hit(digest, window, 1)).allowed


async def test_hit_is_exact_under_concurrency(store: Store) -> None:
    digest = apikeys.hash_key(apikeys.generate_key())
    decisions = await asyncio.gather(*(store.hit(digest, DAY_MS, 20) for _ in range(60)))
    assert sum(d.allowed for d in decisions) == 20


async def test_hit_refuses_bad_limits(store: Store) -> None:
    with pytest.raises(StoreError):
        await store.hit("a" * 96, 0, 10)


async def test_admit(store: Store) -> None:
    new = await store.create_key("alice")
    unknown = await store.admit(apikeys.hash_key(apikeys.generate_key()), DAY_MS, 2)
    assert unknown.key is None and unknown.rate is None
    first = await store.admit(new.info.key_hash, DAY_MS, 2)
    assert first.key is not None and first.key.user_id == "alice"
    assert first.rate is not None and first.rate.allowed and first.rate.remaining == 1
    await store.admit(new.info.key_hash, DAY_MS, 2)
    third = await store.admit(new.info.key_hash, DAY_MS, 2)
    assert third.rate is not None and not third.rate.allowed
    other = await store.create_key("bob")
    await store.revoke_key(key_id=other.info.id)
    revoked = await store.admit(other.info.key_hash, DAY_MS, 2)
    assert revoked.key is not None and revoked.key.revoked is not None and revoked.rate is None
    # a refused (revoked) key is not counted
    assert (await store.hit(other.info.key_hash, DAY_MS, 2)).remaining == 1


async def test_concurrent_admits_are_exact_per_key(store: Store) -> None:
    """Many requests at once (PostgreSQL answers them in shared statements): exact per key."""
    a = await store.create_key("alice")
    b = await store.create_key("bob")
    revoked = await store.create_key("carol")
    await store.revoke_key(key_id=revoked.info.id)
    unknown = apikeys.hash_key(apikeys.generate_key())
    digests = [a.info.key_hash] * 60 + [b.info.key_hash] * 30 + [revoked.info.key_hash] * 5 + [unknown] * 5
    digests = digests[::2] + digests[1::2]  # interleave
    results = await asyncio.gather(*(store.admit(d, DAY_MS, 20) for d in digests))
    by_key: dict[str, list[int]] = {}
    for digest, admission in zip(digests, results, strict=True):
        if digest == unknown:
            assert admission.key is None and admission.rate is None
        elif digest == revoked.info.key_hash:
            assert admission.key is not None and admission.rate is None
        else:
            assert admission.key is not None and admission.key.key_hash == digest and admission.rate is not None
            if admission.rate.allowed:
                by_key.setdefault(digest, []).append(admission.rate.remaining)
    assert sorted(by_key[a.info.key_hash]) == list(range(20))
    assert sorted(by_key[b.info.key_hash]) == list(range(20))
    assert not (await store.hit(a.info.key_hash, DAY_MS, 20)).allowed


# --- subscriptions and quota ---------------------------------------------------------------


async def test_no_subscription_is_unmetered(store: Store) -> None:
    await store.create_key("alice")
    assert await store.get_subscription("alice") is None
    decision = await store.consume_optimization("alice")
    assert decision.allowed and decision.used is None and decision.limit is None
    await store.release_optimization("alice")  # harmless


async def test_quota_counts_and_refuses(store: Store) -> None:
    await store.create_key("alice")
    sub = await store.set_subscription("alice", plan_type="free", optimizations_limit=2)
    assert sub.optimizations_used == 0 and sub.optimizations_limit == 2 and sub.period == "month"
    assert sub.period_start == period_start("month", dt.datetime.now(dt.UTC))
    first = await store.consume_optimization("alice")
    second = await store.consume_optimization("alice")
    third = await store.consume_optimization("alice")
    assert (first.allowed, first.used) == (True, 1)
    assert (second.allowed, second.used) == (True, 2)
    assert (third.allowed, third.used, third.limit, third.plan_type) == (False, 2, 2, "free")
    assert third.period_end is not None and third.period_end > dt.datetime.now(dt.UTC)
    stored = await store.get_subscription("alice")
    assert stored is not None and stored.optimizations_used == 2
    await store.release_optimization("alice")
    again = await store.consume_optimization("alice")
    assert again.allowed and again.used == 2


async def test_unlimited_subscription_still_counts(store: Store) -> None:
    await store.create_key("alice")
    await store.set_subscription("alice", plan_type="enterprise", optimizations_limit=None, period="day")
    for n in range(1, 4):
        decision = await store.consume_optimization("alice")
        assert decision.allowed and decision.used == n and decision.limit is None
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.period == "day" and sub.optimizations_used == 3


async def test_quota_starts_again_in_a_new_period(store: Store) -> None:
    await store.create_key("alice")
    last_month = period_start("month", period_start("month", dt.datetime.now(dt.UTC)) - dt.timedelta(days=1))
    await store.set_subscription(
        "alice", plan_type="free", optimizations_limit=1, optimizations_used=1, period_start=last_month
    )
    decision = await store.consume_optimization("alice")
    assert decision.allowed and decision.used == 1
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.period_start == period_start("month", dt.datetime.now(dt.UTC))
    assert not (await store.consume_optimization("alice")).allowed


async def test_set_subscription_keeps_usage_unless_told(store: Store) -> None:
    await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=5)
    await store.consume_optimization("alice")
    sub = await store.set_subscription("alice", plan_type="pro", optimizations_limit=50, period="week")
    assert (sub.plan_type, sub.optimizations_used, sub.optimizations_limit) == ("pro", 1, 50)
    sub = await store.set_subscription("alice", plan_type="pro", optimizations_limit=50, optimizations_used=0)
    assert sub.optimizations_used == 0


async def test_set_subscription_refusals(store: Store) -> None:
    with pytest.raises(StoreError):
        await store.set_subscription("ghost", plan_type="free", optimizations_limit=1)
    await store.create_key("alice")
    with pytest.raises(StoreError):
        await store.set_subscription("alice", plan_type="free", optimizations_limit=-1)
    with pytest.raises(StoreError):
        await store.set_subscription("alice", plan_type="free", optimizations_limit=1, period="year")  # type: ignore[arg-type]


async def test_quota_is_exact_under_concurrency(store: Store) -> None:
    await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=5)
    decisions = await asyncio.gather(*(store.consume_optimization("alice") for _ in range(25)))
    assert sum(d.allowed for d in decisions) == 5
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 5


# --- records and features ------------------------------------------------------------------


async def test_records_round_trip(store: Store) -> None:
    t0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    calls = [
        LLMCallRecord(
            trace_id="trace-1",
            call_type="optimize",
            model_name="gpt-5-mini",
            provider="openai",
            tokens_in=1200,
            tokens_out=300 + i,
            tokens_cached=64,
            cost_usd=0.00123 * (i + 1),
            latency_ms=812.5,
            outcome="ok" if i else "error",
            error_class=None if i else "RateLimitError",
            user_id="alice",
            created=t0 + dt.timedelta(seconds=i),
        )
        for i in range(3)
    ]
    errors = [
        ErrorRecord(
            trace_id="trace-1",
            error_type="postprocess",
            message="no code block",
            severity="warning",
            stack_trace="Traceback ...",
            created=t0,
        )
    ]
    other = LLMCallRecord(trace_id="trace-2", call_type="testgen", model_name="m", provider="anthropic", created=t0)
    await store.write_records([calls[0], errors[0], other])
    await store.write(calls[1:])
    await store.write_records([])
    got = await store.records_for_trace("trace-1")
    assert len(got.calls) == 3 and got.errors == errors
    for want, have in zip(calls, got.calls, strict=True):
        assert have.cost_usd == pytest.approx(want.cost_usd)
        assert have == LLMCallRecord(**{**_fields(want), "cost_usd": have.cost_usd})
    assert (await store.records_for_trace("trace-2")).calls == [other]
    assert (await store.records_for_trace("nope")).calls == []


def _fields(record: LLMCallRecord) -> dict[str, object]:
    import attrs

    return attrs.asdict(record, recurse=False)


async def test_records_refuse_other_types(store: Store) -> None:
    with pytest.raises(StoreError):
        await store.write_records(["not a record"])  # type: ignore[list-item]


FEATURES = {
    "trace_id": "trace-9",
    "speedup_ratio": {"opt-1": 1.75, "opt-2": None},
    "original_runtime": 4_050_000,
    "optimized_runtime": {"opt-1": 2_314_285, "opt-2": None},
    "is_correct": {"opt-1": True, "opt-2": False},
    "optimized_line_profiler_results": {"opt-1": "Line #  Hits ..."},
    "metadata": {"best_optimization_id": "opt-1"},
    "optimizations_post": {"opt-1": "```python:a.py\nx = 1\n```"},
    "codeflash_version": "0.20.6",
}


async def test_features_upsert_is_idempotent(store: Store) -> None:
    assert await store.upsert_features("trace-9", "alice", FEATURES)
    first = await store.get_features("trace-9")
    assert first is not None
    assert {k: first[k] for k in FEATURES if k != "trace_id"} == {k: v for k, v in FEATURES.items() if k != "trace_id"}
    assert first["trace_id"] == "trace-9" and first["user_id"] == "alice" and first["extra"] == {}
    assert first["original_code"] is None
    assert await store.upsert_features("trace-9", "alice", FEATURES)  # the CLI retried
    again = await store.get_features("trace-9")
    assert again is not None
    assert {k: v for k, v in again.items() if k != "updated"} == {k: v for k, v in first.items() if k != "updated"}
    assert await store.get_features("nope") is None


async def test_features_merge_and_keep(store: Store) -> None:
    assert await store.upsert_features("t", "alice", {"original_code": "def f(): pass", "future_field": [1, 2]})
    assert await store.upsert_features("t", "alice", {**FEATURES, "trace_id": "t", "other": {"a": 1}})
    got = await store.get_features("t")
    assert got is not None
    assert got["original_code"] == "def f(): pass"  # left out later: kept
    assert got["speedup_ratio"] == FEATURES["speedup_ratio"]
    assert got["extra"] == {"future_field": [1, 2], "other": {"a": 1}}


async def test_features_of_another_user_are_left_alone(store: Store) -> None:
    assert await store.upsert_features("t", "alice", FEATURES)
    assert not await store.upsert_features("t", "mallory", {**FEATURES, "codeflash_version": "evil"})
    got = await store.get_features("t")
    assert got is not None and got["codeflash_version"] == "0.20.6" and got["user_id"] == "alice"


async def test_features_with_misfit_types_go_to_extra(store: Store) -> None:
    payload = {"original_runtime": "fast", "codeflash_version": 20, "speedup_ratio": [1, 2]}
    assert await store.upsert_features("t", None, payload)
    got = await store.get_features("t")
    assert got is not None
    assert got["original_runtime"] is None and got["codeflash_version"] is None
    assert got["speedup_ratio"] == [1, 2]
    assert got["extra"] == {"original_runtime": "fast", "codeflash_version": 20}


async def test_features_refuse_what_json_cannot_hold(store: Store) -> None:
    with pytest.raises(StoreError):
        await store.upsert_features("t", "alice", {"speedup_ratio": {"a": float("nan")}})
    with pytest.raises(StoreError):
        await store.upsert_features("", "alice", FEATURES)
    with pytest.raises(StoreError, match="NUL"):
        await store.upsert_features("t", "alice", {"original_code": "a\x00b"})
    with pytest.raises(StoreError, match="NUL"):
        await store.upsert_features("t", "alice", {"metadata": {"k": ["\x00"]}})
    assert await store.get_features("t") is None


async def test_ping(store: Store) -> None:
    await store.ping()


async def test_features_records_merge_in_order_as_upserts_do(store: Store) -> None:
    """The background features writes (original code, explanations, prompt arm) go through the
    recorder as FeaturesRecord: one batch merges them, in order, exactly as upsert_features does."""
    await store.write_records(
        [
            FeaturesRecord("t", "alice", {"original_code": "def f(): pass", "prompt_arm": "diverse"}),
            LLMCallRecord(trace_id="t", call_type="optimize", model_name="gpt-4.1", provider="openai"),
            FeaturesRecord("t", "alice", {"explanation:1": "first"}),
            FeaturesRecord("t", "alice", {"explanation:1": "later", "original_code": None}),
            FeaturesRecord("t", "mallory", {"codeflash_version": "evil"}),  # not hers: left alone
            FeaturesRecord("u", None, {"speedup_ratio": {"x": 1.5}}),
        ]
    )
    assert await store.upsert_features("t", "alice", {**FEATURES, "trace_id": "t"})  # the CLI's, later
    got = await store.get_features("t")
    assert got is not None
    assert got["original_code"] == "def f(): pass"  # a None later does not erase it
    assert got["codeflash_version"] == FEATURES["codeflash_version"] and got["user_id"] == "alice"
    assert got["extra"] == {"prompt_arm": "diverse", "explanation:1": "later"}
    other = await store.get_features("u")
    assert other is not None and other["speedup_ratio"] == {"x": 1.5}
    assert [c.trace_id for c in (await store.records_for_trace("t")).calls] == ["t"]


async def test_a_features_record_the_store_refuses_is_set_aside_alone(store: Store) -> None:
    async with Recorder(store, retry_base=0.01) as recorder:
        recorder.record(FeaturesRecord("t", "alice", {"original_code": "def f(): pass"}))
        recorder.record(FeaturesRecord("bad", "alice", {"original_code": "a\x00b"}))
        recorder.record(LLMCallRecord(trace_id="t", call_type="optimize", model_name="gpt-4.1", provider="openai"))
    assert recorder.rejected == 1 and recorder.written == 2
    got = await store.get_features("t")
    assert got is not None and got["original_code"] == "def f(): pass"
    assert await store.get_features("bad") is None
    assert len((await store.records_for_trace("t")).calls) == 1


async def test_features_records_keep_no_code_in_privacy_mode(store: Store) -> None:
    async with Recorder(store) as recorder:
        token = privacy_var.set(True)
        try:  # recorded in the request's context: privacy applies when recorded, not when written
            recorder.record(FeaturesRecord("t", "alice", {"original_code": "def f(): pass", "prompt_arm": "x"}))
        finally:
            privacy_var.reset(token)
    got = await store.get_features("t")
    assert got is not None and got["original_code"] is None and got["extra"] == {"prompt_arm": "x"}
