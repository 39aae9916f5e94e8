"""What a record bills when it gives only the call it is about (infra/records.py's defaults), on
the in-memory store and on PostgreSQL: what the mutation run of records.py found untested."""

from __future__ import annotations

import datetime as dt

from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.records import ErrorRecord, FeaturesRecord, LLMCallRecord


async def test_a_record_that_names_only_its_call_bills_nothing(store: Store) -> None:
    """A call record with no usage given is one successful call, one attempt, zero tokens of each
    kind, zero cost and zero latency: stored and summed, it adds a call and nothing else."""
    before = dt.datetime.now(dt.UTC)
    bare = LLMCallRecord(trace_id="t-bare", call_type="optimize", model_name="gpt-4.1", provider="openai")
    after = dt.datetime.now(dt.UTC)
    assert (bare.tokens_in, bare.tokens_out, bare.tokens_cached, bare.tokens_cache_write) == (0, 0, 0, 0)
    assert (bare.cost_usd, bare.latency_ms, bare.attempts, bare.outcome) == (0.0, 0.0, 1, "ok")
    assert before <= bare.created <= after
    priced = LLMCallRecord(
        trace_id="t-priced",
        call_type="optimize",
        model_name="gpt-4.1",
        provider="openai",
        tokens_in=100,
        tokens_out=20,
        tokens_cached=40,
        tokens_cache_write=10,
        cost_usd=0.25,
        created=before,
    )
    await store.write_records([bare, priced])
    (stored,) = (await store.records_for_trace("t-bare")).calls
    assert (stored.tokens_in, stored.tokens_out, stored.tokens_cached, stored.tokens_cache_write) == (0, 0, 0, 0)
    assert (stored.cost_usd, stored.latency_ms, stored.attempts, stored.outcome) == (0.0, 0.0, 1, "ok")
    (total,) = await store.usage(
        since=before - dt.timedelta(minutes=1), until=after + dt.timedelta(minutes=1), group="total"
    )
    assert (total.calls, total.failed) == (2, 0)
    assert (total.tokens_in, total.tokens_out, total.tokens_cached) == (100, 20, 40)
    assert total.cost_usd == 0.25


async def test_error_and_features_records_are_kept_as_given(store: Store) -> None:
    """An error record keeps its trace, type, message and default severity "error"; a features
    record's payload lands in its trace's features row."""
    await store.write_records(
        [
            ErrorRecord(trace_id="t-err", error_type="EngineError", message="/ai/rank: no model answered"),
            FeaturesRecord("t-err", "alice", {"prompt_arm": "diverse"}),
        ]
    )
    (error,) = (await store.records_for_trace("t-err")).errors
    assert (error.error_type, error.message, error.severity, error.stack_trace) == (
        "EngineError",
        "/ai/rank: no model answered",
        "error",
        None,
    )
    row = await store.get_features("t-err")
    assert row is not None and row["extra"]["prompt_arm"] == "diverse"
