"""The quota meter of one request, on its own: charged once, original code kept for first traces."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import attrs
import pytest

from codeflash_engine.http.quota import CallLimit, Meter
from codeflash_engine.infra.db.memory import MemoryStore
from codeflash_engine.infra.db.types import DEFAULT_TENANCY, Tenancy

DAY_MS = 86_400_000


async def _meter(store: MemoryStore, tenancy: Tenancy = DEFAULT_TENANCY) -> Meter:
    await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=5)
    return Meter(store, "alice", CallLimit("k" * 96, DAY_MS, 10), tenancy)


async def _settled() -> None:
    for _ in range(20):  # the original code is kept by background tasks
        await asyncio.sleep(0)


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
    meter = await _meter(store, attrs.evolve(DEFAULT_TENANCY, privacy=privacy))
    await meter.charge(traces, 1, body)
    await _settled()
    found = {}
    for trace in ("t1", "t2"):
        features = await store.get_features(trace)
        if features is not None and "original_code" in features:
            found[trace] = features["original_code"]
    assert found == kept


async def test_a_later_request_of_a_trace_keeps_nothing_again() -> None:
    store = MemoryStore()
    first = await _meter(store)
    await first.charge(["t1"], 1, SimpleNamespace(source_code="first"))
    await _settled()
    later = Meter(store, "alice", None, DEFAULT_TENANCY)
    await later.charge(["t1"], 1, SimpleNamespace(source_code="second"))
    await _settled()
    features = await store.get_features("t1")
    assert features is not None and features["original_code"] == "first"
