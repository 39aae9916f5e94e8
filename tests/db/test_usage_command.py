"""`codeflash-engine usage` through click's CliRunner, on llm_calls in the real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner, Result
from db_support import fetch, run_sync, truncate

from codeflash_engine.commands.usage import usage
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.records import LLMCallRecord
from codeflash_engine.infra.when import parse_when

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def dsn(fresh_db: str) -> str:
    """A migrated database holding six calls: two users, two models, two days, one failure."""

    async def fill() -> None:
        async with PostgresStore(fresh_db, pool_min=1, pool_max=1, prune_interval=0) as store:
            await truncate(fresh_db)
            calls = [
                ("alice", "openai", "gpt-4.1", "optimize", 1000, 200, 0.010, "ok", NOW - dt.timedelta(hours=1)),
                ("alice", "openai", "gpt-4.1", "optimize", 1000, 300, 0.012, "ok", NOW - dt.timedelta(hours=1)),
                ("alice", "anthropic", "claude-sonnet-4-6", "testgen", 2000, 500, 0.030, "ok", NOW),
                ("bob", "openai", "gpt-4.1", "explain", 400, 100, 0.002, "ok", NOW - dt.timedelta(days=2)),
                ("bob", "openai", "gpt-4.1", "optimize", 0, 0, 0.0, "error", NOW - dt.timedelta(days=2)),
                (None, "openai", "gpt-4.1", "rank", 50, 10, 0.0001, "ok", NOW - dt.timedelta(days=40)),
            ]
            await store.write_records(
                [
                    LLMCallRecord(
                        trace_id="t",
                        user_id=user,
                        provider=provider,
                        model_name=model,
                        call_type=call_type,
                        tokens_in=tokens_in,
                        tokens_out=tokens_out,
                        cost_usd=cost,
                        outcome=outcome,
                        created=created,
                    )
                    for user, provider, model, call_type, tokens_in, tokens_out, cost, outcome, created in calls
                ]
            )

    run_sync(fill)
    assert len(run_sync(lambda: fetch(fresh_db, "SELECT id FROM llm_calls"))) == 6
    return fresh_db


def invoke(args: list[str], dsn: str) -> Result:
    return CliRunner().invoke(usage, args, env={"DATABASE_URL": dsn})


def test_usage_per_user_over_the_last_30_days(dsn: str) -> None:
    result = invoke(["--json"], dsn)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    rows = {r["group"]: r for r in report["rows"]}
    assert set(rows) == {"alice", "bob"}  # the call without a user is 40 days old
    assert rows["alice"]["calls"] == 3 and rows["alice"]["failed"] == 0
    assert rows["alice"]["tokens_in"] == 4000 and rows["alice"]["tokens_out"] == 1000
    assert rows["alice"]["cost_usd"] == pytest.approx(0.052)
    assert rows["bob"]["calls"] == 2 and rows["bob"]["failed"] == 1
    assert report["total"]["calls"] == 5 and report["total"]["cost_usd"] == pytest.approx(0.054)


def test_usage_per_model_per_day_and_for_one_user(dsn: str) -> None:
    by_model = json.loads(invoke(["--by", "model", "--since", "90d", "--json"], dsn).output)
    assert {r["group"]: r["calls"] for r in by_model["rows"]} == {
        "anthropic:claude-sonnet-4-6": 1,
        "openai:gpt-4.1": 5,
    }
    by_day = json.loads(invoke(["--by", "day", "--user", "bob", "--json"], dsn).output)
    assert [r["group"] for r in by_day["rows"]] == [f"{NOW - dt.timedelta(days=2):%Y-%m-%d}"]
    recent = json.loads(invoke(["--since", "1d", "--by", "call-type", "--json"], dsn).output)
    assert {r["group"]: r["calls"] for r in recent["rows"]} == {"optimize": 2, "testgen": 1}


def test_usage_table_and_an_empty_period(dsn: str) -> None:
    table = invoke([], dsn)
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0].split()[:3] == ["USER", "CALLS", "FAILED"]
    assert lines[-1].split()[:2] == ["TOTAL", "5"]
    empty = invoke(["--since", "2001-01-01", "--until", "2001-02-01"], dsn)
    assert empty.exit_code == 0 and "no LLM calls" in empty.output


def test_usage_refuses_bad_periods(dsn: str) -> None:
    for args in (["--since", "yesterday"], ["--since", "1d", "--until", "2d"]):
        result = invoke(args, dsn)
        assert result.exit_code == 2, result.output


def test_parse_when() -> None:
    now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    assert parse_when("30d", now) == dt.datetime(2026, 10, 28, 12, 0, tzinfo=dt.UTC)
    assert parse_when("12h", now) == dt.datetime(2026, 11, 27, 0, 0, tzinfo=dt.UTC)
    assert parse_when("2026-11-01", now) == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert parse_when("2026-11-01T05:00+02:00", now) == dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)
    assert parse_when("90m", now, ahead=True) == dt.datetime(2026, 11, 27, 13, 30, tzinfo=dt.UTC)
    assert parse_when("0", now, ahead=True) == now
