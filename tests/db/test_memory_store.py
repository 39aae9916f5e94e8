"""What only the in-memory store does: it keeps the newest records, up to a bound."""

from __future__ import annotations

import pytest

from codeflash_engine.infra.db.memory import _PRUNE_EVERY, MemoryStore
from codeflash_engine.infra.records import ErrorRecord, LLMCallRecord


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_records_and_features_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MemoryStore, "MAX_CALLS", 5)
    monkeypatch.setattr(MemoryStore, "MAX_ERRORS", 3)
    monkeypatch.setattr(MemoryStore, "MAX_FEATURES", 4)
    store = MemoryStore()
    for i in range(12):
        call = LLMCallRecord(trace_id=f"t{i}", call_type="optimize", model_name="m", provider="openai")
        error = ErrorRecord(trace_id=f"t{i}", error_type="postprocess", message="x")
        await store.write_records([call, error])
        assert await store.upsert_features(f"t{i}", None, {"original_runtime": i})
    assert (await store.records_for_trace("t6")).calls == []  # dropped: older than the newest five
    assert [len((await store.records_for_trace(f"t{i}")).calls) for i in range(7, 12)] == [1] * 5
    assert [len((await store.records_for_trace(f"t{i}")).errors) for i in range(12)] == [0] * 9 + [1] * 3
    assert await store.get_features("t7") is None
    kept = [await store.get_features(f"t{i}") for i in range(8, 12)]
    assert [row["original_runtime"] for row in kept if row is not None] == [8, 9, 10, 11]
    # an update of a kept trace does not evict anything
    assert await store.upsert_features("t8", None, {"original_runtime": 80})
    assert (await store.get_features("t8") or {})["original_runtime"] == 80
    assert await store.get_features("t11") is not None


async def test_counters_of_finished_windows_are_dropped() -> None:
    """The rate-limit counters of windows that have ended go (a pass every _PRUNE_EVERY hits),
    the call budget's with them: a long-running embedded engine holds at most that many."""
    clock = Clock(3_000_000.0)
    store = MemoryStore(clock=clock)
    assert (await store.hit_calls("c" * 96, 1000, 10, 3)).allowed  # a call window of one second
    held = []
    for i in range(3 * _PRUNE_EVERY):  # each hit in a window of its own, the last one ended
        clock.now += 1
        assert (await store.hit(f"{i % 7:096d}", 1000, 1)).allowed
        held.append(len(store._counters))
    assert max(held) <= _PRUNE_EVERY + 1
    assert min(held) == 1  # a pass left only the window just hit
    assert ("c" * 96 + ":llm", 3_000_000_000) not in store._counters


async def test_the_newest_admitted_traces_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exactly the newest MAX_TRACES admitted traces are remembered: a later request of one of
    them is not counted again; the oldest beyond the bound is forgotten and counts once more."""
    monkeypatch.setattr(MemoryStore, "MAX_TRACES", 3)
    store = MemoryStore()
    await store.create_key("rae")
    await store.set_subscription("rae", plan_type="free", optimizations_limit=100)
    assert [(await store.admit_trace("rae", f"t{i}")).counted for i in range(3)] == [True] * 3
    assert [(await store.admit_trace("rae", f"t{i}")).counted for i in range(3)] == [False] * 3  # all three kept
    assert (await store.admit_trace("rae", "t3")).counted  # a fourth: t0, the oldest, goes
    assert [(await store.admit_trace("rae", f"t{i}")).counted for i in (1, 2, 3)] == [False] * 3
    assert (await store.admit_trace("rae", "t0")).counted  # counted again (and t1 goes)
    assert (await store.admit_trace("rae", "t1")).counted
    sub = await store.get_subscription("rae")
    assert sub is not None and sub.optimizations_used == 6
