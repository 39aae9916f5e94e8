"""PostgreSQL statements of infra/db/queries.py and cfapi_queries.py at the edges a hand mutation
pass over their SQL found untested (most run on both stores): a key's last use is rewritten once
it is a minute old, a plan's own rate window wins over the engine's, releasing a plan's quota or an
optimization never goes below zero, pruning keeps a rate window until it ends and trace admissions
for a week, wins tied on words and speedup come oldest first, a replaced win is searched by its new
words, changing an organization's plan keeps its privacy mode, a user's newer username and email
replace the old ones, spend counts from the first instant of the period, and a pull request's
optimized functions leave out records without a function or a file."""

from __future__ import annotations

import datetime as dt

import asyncpg  # type: ignore[import-untyped]
import pytest
from db_support import fetch

from codeflash_engine.infra.db import queries
from codeflash_engine.infra.db.cfapi_types import PullRequestRecord
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import Plan
from codeflash_engine.infra.db.wins import VerifiedWin
from codeflash_engine.infra.records import LLMCallRecord

#: a window the three requests of a test cannot straddle (in practice)
TEN_DAYS_MS = 864_000_000


async def test_a_last_use_a_minute_old_is_written_again_a_younger_one_is_not(
    pg_store: PostgresStore, migrated_db: str
) -> None:
    old = (await pg_store.create_key("alice")).info.id
    young = (await pg_store.create_key("alice")).info.id
    await fetch(migrated_db, "UPDATE cf_api_keys SET last_used = now() - interval '61 seconds' WHERE id = $1", old)
    await fetch(migrated_db, "UPDATE cf_api_keys SET last_used = now() - interval '30 seconds' WHERE id = $1", young)
    before = {k.id: k.last_used for k in await pg_store.list_keys()}
    await pg_store._touch_keys([old, young])
    after = {k.id: k.last_used for k in await pg_store.list_keys()}
    was, now = before[old], after[old]
    assert was is not None and now is not None and now > was
    assert after[young] == before[young]


async def test_a_plans_own_rate_window_is_used_over_the_engines(pg_store: PostgresStore, migrated_db: str) -> None:
    await pg_store.set_plan(Plan("ten-days", rate_limit_max=2, rate_limit_window_ms=TEN_DAYS_MS))
    key = await pg_store.create_key("alice", plan="ten-days")
    decisions = []
    for _ in range(3):
        admission = await pg_store.admit(key.info.key_hash, 60_000, 100)
        assert admission.rate is not None
        decisions.append(admission.rate.allowed)
    assert decisions == [True, True, False]
    rows = await fetch(migrated_db, "SELECT expires_ms - window_start AS w, hits FROM rate_limit_counters")
    assert [(r["w"], r["hits"]) for r in rows] == [(TEN_DAYS_MS, 3)]


async def test_releasing_a_plans_quota_stops_at_zero(pg_store: PostgresStore, migrated_db: str) -> None:
    await fetch(
        migrated_db,
        "INSERT INTO plan_quota_usage (tenant, used, period_start)"
        " VALUES ('org:1', 1, date_trunc('month', now(), 'UTC'))",
    )
    for _ in range(2):
        await pg_store.release_trace("alice", None, tenant="org:1", period="month")
    assert await pg_store.plan_quota_used("org:1", "month") == 0


async def test_pruning_keeps_a_rate_window_until_it_has_ended(pg_store: PostgresStore, migrated_db: str) -> None:
    """One transaction: now() is the same for the inserts and the pruning."""
    conn = await asyncpg.connect(migrated_db)
    try:
        async with conn.transaction():
            now_ms = await conn.fetchval("SELECT (extract(epoch FROM now()) * 1000)::bigint")
            await conn.executemany(
                "INSERT INTO rate_limit_counters (key_hash, window_start, hits, expires_ms) VALUES ($1, 0, 1, $2)",
                [("ended", now_ms), ("ending", now_ms + 1)],
            )
            await conn.execute(queries.PRUNE_RATE_LIMITS)
            left = [r["key_hash"] for r in await conn.fetch("SELECT key_hash FROM rate_limit_counters")]
    finally:
        await conn.close()
    assert left == ["ending"]


async def test_pruning_forgets_trace_admissions_after_a_week(pg_store: PostgresStore, migrated_db: str) -> None:
    await fetch(
        migrated_db,
        "INSERT INTO quota_traces (user_id, trace_id, created) VALUES"
        " ('alice', 'two-days', now() - interval '2 days'), ('alice', 'six-days', now() - interval '6 days 23 hours'),"
        " ('alice', 'eight-days', now() - interval '8 days')",
    )
    await pg_store.prune()
    rows = await fetch(migrated_db, "SELECT trace_id FROM quota_traces ORDER BY trace_id")
    assert [r["trace_id"] for r in rows] == ["six-days", "two-days"]


def win(trace: str, code: str, speedup: float = 0.5) -> VerifiedWin:
    return VerifiedWin.of(
        tenant="org:1", trace_id=trace, optimization_id="o-" + trace, original=code, optimized=code, speedup=speedup
    )


async def test_wins_tied_on_words_and_speedup_come_oldest_first(store: Store) -> None:
    for trace in ("first", "second", "third"):
        await store.add_verified_win(win(trace, "def pair_sums(): pass"))
    found = await store.similar_wins("org:1", ["pair", "sums"], 3)
    assert [w.trace_id for w in found] == ["first", "second", "third"]


async def test_a_replaced_win_is_found_by_its_new_words_only(store: Store) -> None:
    await store.add_verified_win(win("t1", "def alpha_rank(): pass", 0.2))
    await store.add_verified_win(win("t1", "def beta_rank(): pass", 0.7))
    assert [w.speedup for w in await store.similar_wins("org:1", ["beta"], 3)] == [0.7]
    assert await store.similar_wins("org:1", ["alpha"], 3) == []


async def test_releasing_an_optimization_stops_at_zero(store: Store) -> None:
    await store.create_key("alice")
    await store.set_subscription("alice", plan_type="free", optimizations_limit=2)
    await store.consume_optimization("alice")
    for _ in range(2):
        await store.release_optimization("alice")
    sub = await store.get_subscription("alice")
    assert sub is not None and sub.optimizations_used == 0
    assert (await store.consume_optimization("alice")).used == 1


async def test_changing_an_organizations_plan_keeps_its_privacy_mode(store: Store) -> None:
    await store.set_plan(Plan("team"))
    org = await store.create_organization("acme", privacy_mode=True)
    assert (await store.update_organization(org.id, plan="team")).privacy_mode is True
    assert (await store.update_organization(org.id, clear_plan=True)).privacy_mode is True
    changed = await store.update_organization(org.id, privacy_mode=False)
    assert (changed.plan, changed.privacy_mode) == (None, False)


async def test_a_users_newer_username_and_email_replace_the_old_ones(store: Store) -> None:
    await store.create_key("alice", github_username="old-name", email="old@example.com")
    await store.create_key("alice", github_username="new-name", email="new@example.com")
    await store.create_key("alice")  # nothing given: both kept
    assert await store.user_email("alice") == "new@example.com"


async def test_the_stored_github_username_is_the_latest_given(pg_store: PostgresStore, migrated_db: str) -> None:
    await pg_store.create_key("alice", github_username="old-name")
    await pg_store.create_key("alice", github_username="new-name")
    await pg_store.create_key("alice")
    rows = await fetch(migrated_db, "SELECT github_username FROM users WHERE user_id = 'alice'")
    assert [r["github_username"] for r in rows] == ["new-name"]


async def test_optimized_functions_leave_out_records_without_a_function_or_file(store: Store) -> None:
    for function, path in (("f", "pkg/a.py"), (None, "pkg/b.py"), ("g", None)):
        record = PullRequestRecord(
            user_id="alice",
            kind="suggest",
            owner="Acme",
            repo="nulls-shop",
            target_number=5,
            function_name=function,
            file_path=path,
        )
        await store.record_pull_request(record)
    assert await store.optimized_functions("acme", "NULLS-SHOP", 5) == {"pkg/a.py": ["f"]}


async def test_spend_counts_calls_from_the_first_instant_of_the_period(store: Store) -> None:
    org = (await store.create_key("bob", organization="acme")).info.organization_id
    assert org is not None
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    at = [start - dt.timedelta(microseconds=1), start, start + dt.timedelta(days=3)]
    await store.write_records(
        [
            LLMCallRecord(
                trace_id="t",
                call_type="optimize",
                model_name="m",
                provider="p",
                cost_usd=cost,
                user_id="bob",
                organization_id=org,
                created=when,
            )
            for cost, when in zip((1.0, 2.0, 4.0), at, strict=True)
        ]
    )
    assert await store.spend(since=start, user_id="bob") == pytest.approx(6.0)
    assert await store.spend(since=start, organization_id=org) == pytest.approx(6.0)
    assert await store.spend(since=start + dt.timedelta(microseconds=1), user_id="bob") == pytest.approx(4.0)
