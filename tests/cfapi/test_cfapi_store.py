"""The store methods behind /cfapi, on both stores (PostgreSQL with migration 0005, and memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from codeflash_engine.infra.db.cfapi_types import PullRequestRecord
from codeflash_engine.infra.db.memory import MemoryStore
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.store import Store
from codeflash_engine.testing.postgres import scratch_database


@pytest.fixture(scope="module")
def cfapi_db(pg_dsn: str) -> Iterator[str]:
    with scratch_database(pg_dsn, "cfe_cfapi") as dsn:
        yield dsn


@pytest.fixture(params=["memory", "postgres"])
async def store(request: pytest.FixtureRequest, cfapi_db: str) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    async with PostgresStore(cfapi_db, pool_max=4, prune_interval=0) as pg:
        conn = await pg._pool.acquire()  # type: ignore[union-attr]
        try:
            await conn.execute(
                "TRUNCATE optimization_events, staging_reviews, pull_requests, pr_code_hashes, completion_emails"
            )
        finally:
            await pg._pool.release(conn)  # type: ignore[union-attr]
        yield pg


async def test_optimization_events_belong_to_their_user(store: Store) -> None:
    assert await store.record_optimization_event("t1", "alice", found=False)
    assert await store.record_optimization_event("t1", "alice", found=True)  # sent again: updated
    assert not await store.record_optimization_event("t1", "mallory", found=False)
    event = await store.get_optimization_event("t1")
    assert event is not None and event.user_id == "alice" and event.optimization_found
    assert await store.get_optimization_event("nope") is None


async def test_staging_round_trips_and_text_postgres_refuses_is_made_safe(store: Store) -> None:
    payload = {"traceId": "t2", "diffContents": {"a.py": {"oldContent": "x\x00", "newContent": "y"}}}
    assert await store.save_staging("t2", "alice", payload)
    assert not await store.save_staging("t2", "bob", payload)
    staged = await store.get_staging("t2")
    assert staged is not None and staged["diffContents"]["a.py"]["newContent"] == "y"


async def test_optimized_functions_of_a_pull_request(store: Store) -> None:
    base = {"user_id": "alice", "owner": "Acme", "repo": "Shop", "trace_id": "t"}
    await store.record_pull_request(
        PullRequestRecord(kind="suggest", target_number=7, function_name="f", file_path="pkg/a.py", **base)
    )
    await store.record_pull_request(
        PullRequestRecord(kind="dependent", target_number=7, number=9, function_name="g", file_path="pkg/a.py", **base)
    )
    await store.record_pull_request(
        PullRequestRecord(kind="create", target_number=8, number=8, function_name="h", file_path="pkg/b.py", **base)
    )
    assert await store.optimized_functions("acme", "shop", 7) == {"pkg/a.py": ["f", "g"]}
    assert await store.optimized_functions("acme", "shop", 8) == {"pkg/b.py": ["h"]}
    assert await store.optimized_functions("acme", "other", 7) == {}


async def test_code_hashes_per_pull_request(store: Store) -> None:
    await store.add_code_hash("Acme", "Shop", 3, "h1", "alice")
    await store.add_code_hash("acme", "shop", 3, "h1", "alice")  # twice: no error
    assert await store.known_code_hashes("ACME", "shop", 3, ["h1", "h2"]) == {"h1"}
    assert await store.known_code_hashes("acme", "shop", 4, ["h1"]) == set()


async def test_completion_emails_and_user_email(store: Store) -> None:
    await store.create_key("carol", email="carol@example.com")
    assert await store.user_email("carol") == "carol@example.com"
    assert await store.user_email("nobody") is None
    await store.record_completion_email("carol", "acme", "shop", sent=False)
