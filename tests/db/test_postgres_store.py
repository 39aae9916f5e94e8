"""What only the PostgreSQL store has: shared statements, pruning, record batches, its pool."""

from __future__ import annotations

import asyncio
import gc
import random
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from db_support import fetch, truncate

from codeflash_engine.infra.db import apikeys
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.types import Admission, StoreError, StoreUnavailable
from codeflash_engine.infra.records import ErrorRecord, LLMCallRecord

DAY_MS = 86_400_000


async def test_two_pools_hammering_the_same_keys_count_exactly(pg_store: PostgresStore, migrated_db: str) -> None:
    """Like two replicas: batches over overlapping keys in any order never deadlock or miscount."""
    keys = [(await pg_store.create_key(f"user-{i}")).info.key_hash for i in range(20)]
    rng = random.Random(7)
    async with PostgresStore(migrated_db, migrate=False, pool_max=6, prune_interval=0) as other:
        calls = []
        for _ in range(600):
            store = pg_store if rng.random() < 0.5 else other
            calls.append((store, rng.choice(keys)))
        results = await asyncio.gather(*(s.admit(k, DAY_MS, 10) for s, k in calls))
    allowed: dict[str, int] = {}
    for (_, digest), admission in zip(calls, results, strict=True):
        assert admission.rate is not None
        allowed[digest] = allowed.get(digest, 0) + admission.rate.allowed
    requested = {k: sum(1 for _, d in calls if d == k) for k in keys}
    assert allowed == {k: min(10, requested[k]) for k in keys}
    rows = await fetch(migrated_db, "SELECT key_hash, hits FROM rate_limit_counters")
    assert {r["key_hash"]: r["hits"] for r in rows} == requested


async def test_finished_windows_are_pruned(migrated_db: str) -> None:
    async with PostgresStore(migrated_db, migrate=False, pool_max=2, prune_interval=0.2) as store:
        digest = apikeys.hash_key(apikeys.generate_key())
        await store.hit(digest, 100, 5)
        await store.hit(digest, DAY_MS, 5)
        await asyncio.sleep(0.7)
        rows = await fetch(
            migrated_db, "SELECT expires_ms - window_start AS w FROM rate_limit_counters WHERE key_hash = $1", digest
        )
        assert [r["w"] for r in rows] == [DAY_MS]


async def test_large_record_batches_use_copy(pg_store: PostgresStore, migrated_db: str) -> None:
    calls = [
        LLMCallRecord(trace_id=f"t{i % 7}", call_type="optimize", model_name="m", provider="p", tokens_in=i)
        for i in range(5000)
    ]
    errors = [ErrorRecord(trace_id=None, error_type="x", message="é ✓ \u2028") for _ in range(300)]
    await pg_store.write_records([*calls, *errors])
    rows = await fetch(migrated_db, "SELECT count(*) AS n, sum(tokens_in) AS s FROM llm_calls")
    assert (rows[0]["n"], rows[0]["s"]) == (5000, sum(range(5000)))
    rows = await fetch(migrated_db, "SELECT DISTINCT message FROM optimization_errors")
    assert [r["message"] for r in rows] == ["é ✓ \u2028"]


async def test_a_failed_statement_leaves_the_pool_usable(pg_store: PostgresStore) -> None:
    with pytest.raises(StoreError, match="no such user"):
        await pg_store.set_subscription("ghost", plan_type="free", optimizations_limit=1)
    for _ in range(20):  # every pooled connection still works (no reset query, no leftover state)
        await pg_store.ping()
    new = await pg_store.create_key("alice")
    assert (await pg_store.admit(new.info.key_hash, DAY_MS, 5)).rate is not None


async def test_closed_store_is_unavailable(migrated_db: str) -> None:
    store = PostgresStore(migrated_db, migrate=False, pool_max=2, prune_interval=0)
    with pytest.raises(StoreUnavailable):
        await store.ping()
    await store.open()
    await store.close()
    with pytest.raises(StoreUnavailable):
        await store.admit("a" * 96, DAY_MS, 5)


@pytest.mark.parametrize("turns", [0, 1, 3])
async def test_a_cancelled_request_does_not_fail_the_rest_of_its_batch(pg_store: PostgresStore, turns: int) -> None:
    """One client hanging up (its request task cancelled while it waits for the shared statement,
    before it is sent or while it runs) must not turn the other requests of the batch into errors."""
    keys = [(await pg_store.create_key(f"batch-{turns}-{i}")).info.key_hash for i in range(4)]
    tasks = [asyncio.create_task(pg_store.admit(k, DAY_MS, 10)) for k in keys for _ in range(3)]
    await asyncio.sleep(0)  # every task queued; the flush is scheduled
    for _ in range(turns):
        await asyncio.sleep(0)
    gone = tasks[4]
    gone.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[4], asyncio.CancelledError)
    others = [r for i, r in enumerate(results) if i != 4]
    assert all(not isinstance(r, BaseException) for r in others), others
    assert all(r.rate is not None and r.rate.allowed for r in others)  # type: ignore[union-attr]
    # the store still answers the next request of that key
    again = await pg_store.admit(keys[1], DAY_MS, 10)
    assert again.rate is not None and again.rate.allowed


async def test_a_failed_admission_statement_gives_every_waiter_its_error(migrated_db: str) -> None:
    """The batch's statement fails (here: the store is closed): each request of the batch gets
    that error (503, what went wrong), not a generic one, and the batcher keeps working."""
    store = PostgresStore(migrated_db, migrate=False, pool_max=2, prune_interval=0)
    await store.open()
    await store.close()
    digests = [apikeys.hash_key(apikeys.generate_key()) for _ in range(3)]
    results = await asyncio.gather(*(store.admit(d, DAY_MS, 5) for d in digests), return_exceptions=True)
    assert all(isinstance(r, StoreUnavailable) and r.status == 503 for r in results), results
    assert {str(r) for r in results} == {"the database store is not open"}
    await store.open()
    try:
        assert (await store.admit(digests[0], DAY_MS, 5)).key is None  # answered again
    finally:
        await store.close()


async def test_a_failed_admission_statement_is_not_also_an_unhandled_task_error(migrated_db: str) -> None:
    """The waiters get the statement's error; the batch itself ends quietly: no "Task exception
    was never retrieved" traceback in the operator's log for every failed batch."""
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    try:
        store = PostgresStore(migrated_db, migrate=False, pool_max=2, prune_interval=0)
        await store.open()
        await store.close()
        for _ in range(3):
            digests = [apikeys.hash_key(apikeys.generate_key()) for _ in range(4)]
            results = await asyncio.gather(*(store.admit(d, DAY_MS, 5) for d in digests), return_exceptions=True)
            assert all(isinstance(r, StoreUnavailable) for r in results), results
        await asyncio.sleep(0)
        gc.collect()  # a task whose exception nobody retrieved reports it when it is freed
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert unhandled == []


def _admit_batches() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if "_AdmitBatcher._answer" in t.get_coro().__qualname__]  # type: ignore[union-attr]


async def _queued_batch(
    pg_store: PostgresStore, name: str, n: int
) -> tuple[list[str], list[asyncio.Task[Admission]], asyncio.Task[object]]:
    """``n`` new keys, one admission request of each, and the batch task the flush created for them."""
    keys = [(await pg_store.create_key(f"{name}-{i}")).info.key_hash for i in range(n)]
    requests = [asyncio.create_task(pg_store.admit(k, DAY_MS, 10)) for k in keys]
    for _ in range(10):  # the requests queue, then the flush creates their batch
        if _admit_batches():
            break
        await asyncio.sleep(0)
    (batch,) = _admit_batches()
    return keys, requests, batch


async def test_a_batch_cancelled_while_its_statement_runs(pg_store: PostgresStore) -> None:
    """Shutting down cancels the tasks still running: a batch cancelled during its statement
    answers its requests with a 503 (the store is closing), ends cancelled itself (a task that
    swallowed the cancellation would look finished to whoever cancelled it), and the store answers
    the next request."""
    keys, requests, batch = await _queued_batch(pg_store, "cancelled-batch", 3)
    await asyncio.sleep(0)  # the batch has sent its statement and waits for the answer
    assert not batch.done()
    batch.cancel()
    results = await asyncio.gather(*requests, return_exceptions=True)
    assert all(isinstance(r, StoreUnavailable) and r.status == 503 for r in results), results
    assert {str(r) for r in results} == {"the database store is closing"}
    await asyncio.gather(batch, return_exceptions=True)
    assert batch.cancelled()
    again = await pg_store.admit(keys[0], DAY_MS, 10)
    assert again.key is not None and again.rate is not None and again.rate.allowed


async def test_a_batch_cancelled_before_it_starts_answers_its_requests(pg_store: PostgresStore) -> None:
    """A batch cancelled before its first step (shutdown cancelling every task at once) never
    runs its statement: its requests still get the 503, not a wait without end."""
    keys, requests, batch = await _queued_batch(pg_store, "unstarted-batch", 2)
    batch.cancel()  # before it ran a single step
    results = await asyncio.wait_for(asyncio.gather(*requests, return_exceptions=True), 10)
    assert all(isinstance(r, StoreUnavailable) and r.status == 503 for r in results), results
    assert batch.cancelled()
    again = await pg_store.admit(keys[1], DAY_MS, 10)
    assert again.key is not None and again.rate is not None and again.rate.allowed


async def test_closing_waits_for_a_batch_cancelled_in_flight(migrated_db: str) -> None:
    """Shutdown cancels the tasks still running, then closes the store: close waits for the
    cancelled batch to end and goes on (no CancelledError out of close, the pool closed); the
    batch's requests get the 503 of a store that is closing."""
    store = PostgresStore(migrated_db, migrate=False, pool_max=2, prune_interval=0)
    await store.open()
    try:
        _, requests, batch = await _queued_batch(store, "closing-batch", 2)
        await asyncio.sleep(0)  # the batch has sent its statement and waits for the answer
        assert not batch.done()
        batch.cancel()
        await store.close()  # the batch still in flight: ends cancelled while close waits for it
        assert batch.cancelled()
        results = await asyncio.gather(*requests, return_exceptions=True)
        assert {str(r) for r in results} == {"the database store is closing"}, results
        with pytest.raises(StoreUnavailable, match="not open"):
            await store.ping()
    finally:
        await store.close()


async def test_a_pool_kept_busy_answers_busy_not_unavailable(
    migrated_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Every pooled connection in use past the time limit is overload (more workers, a larger
    pool), not an outage: the 503 and the log say so; the store serves again once one is free."""
    async with PostgresStore(migrated_db, migrate=False, pool_max=1, prune_interval=0, command_timeout=0.3) as store:
        key = (await store.create_key("busy-pool")).info.key_hash
        held = asyncio.create_task(store._run(lambda c: c.execute("SELECT pg_sleep(1.0)", timeout=5)))
        await asyncio.sleep(0.1)  # the one connection is in use
        with pytest.raises(StoreUnavailable) as refused:
            await store.admit(key, DAY_MS, 10)
        assert refused.value.status == 503 and refused.value.headers == {"Retry-After": "5"}
        assert str(refused.value) == "the database is busy: no connection was free in time; try again shortly"
        assert "all 1 in use" in caplog.text
        await held
        again = await store.admit(key, DAY_MS, 10)
        assert again.key is not None and again.rate is not None and again.rate.allowed


class _DeadOnce:
    """Connection.fetchrow failing once as on a connection the server dropped (a restart under
    the pool), when armed: what a pooled connection that went stale raises on its next use."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.armed = False
        self.failed = 0
        real = asyncpg.Connection.fetchrow

        async def fetchrow(conn: asyncpg.Connection, *args: Any, **kwargs: Any) -> Any:
            if self.armed:
                self.armed = False
                self.failed += 1
                raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
            return await real(conn, *args, **kwargs)

        monkeypatch.setattr(asyncpg.Connection, "fetchrow", fetchrow)


async def test_repeatable_rate_statements_survive_a_dropped_connection(
    migrated_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request hit and a peek are harmless to repeat: on a pooled connection the server has
    dropped they run once more on a fresh one and count exactly; the LLM-call count, which may
    have counted, is not repeated and answers 503."""
    await truncate(migrated_db)
    dead = _DeadOnce(monkeypatch)
    async with PostgresStore(migrated_db, migrate=False, pool_min=1, pool_max=1, prune_interval=0) as store:
        digest = apikeys.hash_key(apikeys.generate_key())
        assert (await store.hit(digest, DAY_MS, 5)).remaining == 4
        dead.armed = True
        assert (await store.hit(digest, DAY_MS, 5)).remaining == 3  # run again, counted once
        dead.armed = True
        assert (await store.peek_rate(digest, DAY_MS, 5)).remaining == 3
        dead.armed = True
        with pytest.raises(StoreUnavailable):
            await store.hit_calls(digest, DAY_MS, 5, 1)
        assert dead.failed == 3
        assert (await store.hit_calls(digest, DAY_MS, 5, 1)).remaining == 4  # the next one runs
