"""Opening and migrating the store, and the ``db migrate`` and ``usage`` commands (what the mutation
runs of infra/db/factory.py, infra/db/migrate.py, commands/db.py and commands/usage.py found
untested): which DATABASE_URL counts as set, the embedded mode's keys and banner, the migration
files' checks and the lock id every version must share, a partly migrated database, and the
commands' errors and output."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import io
import json
import logging
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner, Result
from db_support import fetch, run_sync, truncate
from pydantic import SecretStr

from codeflash_engine.commands.db import NO_DATABASE, db
from codeflash_engine.commands.usage import usage
from codeflash_engine.infra.db import apikeys
from codeflash_engine.infra.db.factory import (
    EMBEDDED_TIER,
    EMBEDDED_USER,
    EmbeddedKeysInvalid,
    announce_key,
    database_url,
    embedded_keys,
    memory_store_for,
    open_store,
)
from codeflash_engine.infra.db.memory import MemoryStore
from codeflash_engine.infra.db.migrate import (
    MIGRATION_LOCK_ID,
    Migration,
    MigrationError,
    load_migrations,
    migrate,
)
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.records import LLMCallRecord
from codeflash_engine.settings import Settings

KEY_A = "cf-" + "a" * 20
KEY_B = "cf-" + "b" * 20


def embedded(**kw: object) -> Settings:
    return Settings(**{"database_url": None, "codeflash_engine_api_keys": None, **kw})  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- factory


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        (" postgresql://u@h/db \n", "postgresql://u@h/db"),
    ],
)
def test_a_blank_database_url_is_the_embedded_mode(given: str | None, expected: str | None) -> None:
    settings = embedded(database_url=None if given is None else SecretStr(given))
    assert database_url(settings) == expected


def test_embedded_keys_are_split_on_commas_and_checked_in_order() -> None:
    assert embedded_keys(embedded()) == []
    assert embedded_keys(embedded(codeflash_engine_api_keys=SecretStr(f" {KEY_A} ,, {KEY_B},"))) == [KEY_A, KEY_B]
    with pytest.raises(EmbeddedKeysInvalid, match="key number 1 is not"):
        embedded_keys(embedded(codeflash_engine_api_keys=SecretStr("cf-short")))
    with pytest.raises(EmbeddedKeysInvalid, match="key number 3 is not"):
        embedded_keys(embedded(codeflash_engine_api_keys=SecretStr(f"{KEY_A},{KEY_B},nope")))


async def test_every_given_key_is_accepted_as_the_local_user() -> None:
    store = memory_store_for(embedded(codeflash_engine_api_keys=SecretStr(f"{KEY_A},{KEY_B}")), io.StringIO())
    for key in (KEY_A, KEY_B):
        found = await store.lookup_key(apikeys.hash_key(key))
        assert found is not None
        assert (found.user_id, found.tier) == (EMBEDDED_USER, EMBEDDED_TIER)
    assert len(await store.list_keys()) == 2


def test_the_generated_key_banner() -> None:
    out = io.StringIO()
    key = "cf-" + "k" * 43
    announce_key(key, out)
    bar = "-" * 78
    assert out.getvalue() == (
        f"\n{bar}\n"
        "codeflash-engine: embedded mode (no DATABASE_URL): nothing is stored, nothing persists.\n"
        "No CODEFLASH_ENGINE_API_KEYS given, so this API key was created for this run only:\n\n"
        f"    export CODEFLASH_API_KEY={key}\n\n"
        "It is shown once. Set CODEFLASH_ENGINE_API_KEYS=cf-... to choose your own key(s).\n"
        f"{bar}\n\n"
    )


def test_the_banner_goes_to_stderr_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    announce_key("cf-" + "s" * 43)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "export CODEFLASH_API_KEY=cf-" + "s" * 43 in captured.err


async def test_embedded_keys_are_ignored_with_a_database(new_db: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    settings = Settings(database_url=SecretStr(new_db), codeflash_engine_api_keys=SecretStr(KEY_A))
    async with open_store(settings, migrate=True) as store:
        assert isinstance(store, PostgresStore)
        assert await store.lookup_key(apikeys.hash_key(KEY_A)) is None
    assert "CODEFLASH_ENGINE_API_KEYS is ignored when DATABASE_URL is set" in caplog.text
    caplog.clear()
    async with open_store(Settings(database_url=SecretStr(new_db))) as store:
        assert isinstance(store, PostgresStore)
    assert "CODEFLASH_ENGINE_API_KEYS is ignored" not in caplog.text
    async with open_store(embedded(codeflash_engine_api_keys=SecretStr(KEY_A))) as memory:
        assert isinstance(memory, MemoryStore)
    assert "CODEFLASH_ENGINE_API_KEYS is ignored" not in caplog.text


# ---------------------------------------------------------------------------------- migrations


def test_the_migration_lock_id_never_changes() -> None:
    """Replicas of different versions starting together must take the same advisory lock."""
    assert MIGRATION_LOCK_ID == 672294637980162429


def test_a_migration_labels_itself_with_its_four_digit_version() -> None:
    assert Migration(7, "plans", "SELECT 1").label == "0007_plans"
    assert Migration(7, "plans", "SELECT 1").checksum == Migration(7, "other", "SELECT 1").checksum
    assert Migration(7, "plans", "SELECT 1").checksum != Migration(7, "plans", "SELECT 2").checksum
    assert "CREATE TABLE" not in repr(Migration(7, "plans", "CREATE TABLE t (x int)"))  # long: left out


def shipped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, files: dict[str, str]) -> None:
    """Make load_migrations read ``files`` as the package's migrations folder."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, sql in files.items():
        (folder / name).write_text(sql, encoding="utf-8")
    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)


def test_migration_files_are_read_in_version_order_other_files_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shipped(
        monkeypatch,
        tmp_path,
        {
            "0003_third.sql": "SELECT 3;",
            "0001_first.sql": "SELECT 1;",
            "README.md": "not a migration",
            "0002_second_one.sql": "SELECT 2;",
            "notes.txt": "",
        },
    )
    found = load_migrations()
    assert [(m.version, m.name, m.sql) for m in found] == [
        (1, "first", "SELECT 1;"),
        (2, "second_one", "SELECT 2;"),
        (3, "third", "SELECT 3;"),
    ]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"0001_a.sql": "", "0003_c.sql": ""}, r"must be 1\.\.2 without gaps, found \[1, 3\]"),
        ({"0002_b.sql": ""}, r"must be 1\.\.1 without gaps, found \[2\]"),
        ({"0000_z.sql": "", "0001_a.sql": ""}, r"found \[0, 1\]"),
        ({"0001_a.sql": "", "1_b.sql": ""}, "'1_b.sql' is not NNNN_name.sql"),
        ({"0001_Capital.sql": ""}, "is not NNNN_name.sql"),
    ],
)
def test_malformed_migration_files_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, files: dict[str, str], message: str
) -> None:
    shipped(monkeypatch, tmp_path, files)
    with pytest.raises(MigrationError, match=message):
        load_migrations()


async def test_a_partly_migrated_database_gets_the_rest(new_db: str, caplog: pytest.LogCaptureFixture) -> None:
    every = load_migrations()
    conn = await asyncpg.connect(new_db)
    try:
        assert [m.label for m in await migrate(conn, every[:2])] == [m.label for m in every[:2]]
        assert [m.label for m in await migrate(conn)] == [m.label for m in every[2:]]
        assert await migrate(conn, None) == []
        # an older engine finds migrations it does not know: it says so and changes nothing
        caplog.set_level(logging.WARNING)
        assert await migrate(conn, every[:3]) == []
        newer = [m.version for m in every[3:]]
        assert f"the database has migrations this version does not know: {newer}" in caplog.text
        # the lock is free again afterwards
        assert await conn.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0
    finally:
        await conn.close()
    rows = await fetch(new_db, "SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in rows] == [m.version for m in every]


async def test_an_up_to_date_database_logs_no_warning(new_db: str, caplog: pytest.LogCaptureFixture) -> None:
    conn = await asyncpg.connect(new_db)
    try:
        await migrate(conn)
        caplog.set_level(logging.WARNING)
        assert await migrate(conn) == []
    finally:
        await conn.close()
    assert "does not know" not in caplog.text


# ---------------------------------------------------------------------------------- db migrate


def run_db(args: list[str], dsn: str | None) -> Result:
    return CliRunner().invoke(db, args, env={"DATABASE_URL": dsn})


@pytest.mark.parametrize("dsn", [None, ""])
def test_db_migrate_without_a_database_says_how_to_set_one(dsn: str | None) -> None:
    result = run_db(["migrate"], dsn)
    assert result.exit_code == 2
    assert "DATABASE_URL is not set" in result.output
    assert NO_DATABASE.splitlines()[1] in result.output


def test_db_migrate_applies_then_reports_up_to_date(new_db: str) -> None:
    first = run_db(["migrate"], new_db)
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [f"applied {m.label}" for m in load_migrations()]
    again = run_db(["migrate"], new_db)
    assert again.exit_code == 0, again.output
    assert again.output == f"schema is up to date ({len(load_migrations())} migrations)\n"


def test_db_migrate_refuses_a_changed_migration(new_db: str) -> None:
    assert run_db(["migrate"], new_db).exit_code == 0

    async def tamper() -> None:
        conn = await asyncpg.connect(new_db)
        try:
            await conn.execute("UPDATE schema_migrations SET checksum = 'x' WHERE version = 1")
        finally:
            await conn.close()

    run_sync(tamper)
    result = run_db(["migrate"], new_db)
    assert result.exit_code == 1
    assert "Error: migration 0001_tenancy was changed after it was applied" in result.output


def test_db_migrate_on_an_unreachable_database_hides_the_password() -> None:
    result = run_db(["migrate"], "postgresql://u:pw-secret@127.0.0.1:1/x")
    assert result.exit_code == 1
    assert "Error: cannot reach the database at postgresql://u@127.0.0.1:1/x" in result.output
    assert "pw-secret" not in result.output


def test_db_migrate_gives_up_on_a_silent_database_after_ten_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that accepts the connection but never answers: the wait is bounded (10 s, the
    connect timeout, stood in for here so the test does not wait it), then the same clear error."""
    waited: list[float] = []

    async def silent(dsn: str, *, timeout: float) -> asyncpg.Connection:
        waited.append(timeout)
        raise TimeoutError

    monkeypatch.setattr(asyncpg, "connect", silent)
    result = run_db(["migrate"], "postgresql://u:pw-secret@10.255.255.1/x")
    assert waited == [10]
    assert result.exit_code == 1
    assert "Error: cannot reach the database at postgresql://u@10.255.255.1/x" in result.output


# ---------------------------------------------------------------------------------- usage

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def usage_db(fresh_db: str) -> str:
    """A migrated database holding three calls of two users in two requests (one call failed), the
    newest an hour old."""

    async def fill() -> None:
        async with PostgresStore(fresh_db, pool_min=1, pool_max=1, prune_interval=0) as store:
            await truncate(fresh_db)
            await store.write_records(
                [
                    LLMCallRecord(
                        trace_id=request,
                        request_id=request,
                        user_id=user,
                        provider="openai",
                        model_name="gpt-4.1",
                        call_type="optimize",
                        tokens_in=tokens_in,
                        tokens_out=tokens_out,
                        cost_usd=cost,
                        outcome=outcome,
                        created=NOW - dt.timedelta(hours=hours),
                    )
                    for request, user, tokens_in, tokens_out, cost, outcome, hours in [
                        ("t1", "alice", 1234567, 2000, 1.5, "ok", 1),
                        ("t1", "alice", 1000, 300, 0.25, "ok", 2),
                        ("t2", "bob", 0, 0, 0.0, "error", 3),
                    ]
                ]
            )

    run_sync(fill)
    return fresh_db


def run_usage(args: list[str], dsn: str) -> Result:
    return CliRunner().invoke(usage, args, env={"DATABASE_URL": dsn})


def test_usage_json_is_indented_and_names_the_period(usage_db: str) -> None:
    result = run_usage(["--since", "2d", "--until", "0m", "--json"], usage_db)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert result.output == json.dumps(report, indent=2) + "\n"
    assert report["by"] == "user"
    since = dt.datetime.fromisoformat(report["since"])
    until = dt.datetime.fromisoformat(report["until"])
    assert dt.timedelta(days=2) - dt.timedelta(minutes=5) < until - since <= dt.timedelta(days=2)
    assert [r["group"] for r in report["rows"]] == ["alice", "bob"]
    assert report["total"]["calls"] == 3 and report["total"]["requests"] == 2


def test_usage_table_formats_every_column(usage_db: str) -> None:
    result = run_usage(["--since", "1d"], usage_db)
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert lines[0] == ["USER", "CALLS", "FAILED", "TOKENS", "IN", "TOKENS", "OUT", "CACHED", "COST", "USD", "REQUESTS"]
    assert lines[1] == ["alice", "2", "0", "1,235,567", "2,300", "0", "1.7500", "1"]
    assert lines[2] == ["bob", "1", "1", "0", "0", "0", "0.0000", "1"]
    assert lines[3] == ["TOTAL", "3", "1", "1,235,567", "2,300", "0", "1.7500", "2"]
    assert len(lines) == 4


def test_usage_until_bounds_the_period(usage_db: str) -> None:
    result = run_usage(["--since", "1d", "--until", "90m", "--json"], usage_db)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["total"]["calls"] == 2  # the call of an hour ago is after the end


def test_usage_says_on_stderr_that_a_period_has_no_calls(usage_db: str) -> None:
    """stdout stays empty, so a script reading the table gets nothing rather than a sentence."""
    result = run_usage(["--since", "2001-01-01", "--until", "2001-02-01"], usage_db)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == "no LLM calls from 2001-01-01 00:00 to 2001-02-01 00:00 UTC\n"


def test_usage_refuses_an_empty_period(usage_db: str) -> None:
    result = run_usage(["--since", "2026-01-01", "--until", "2026-01-01"], usage_db)
    assert result.exit_code == 2
    assert "the period is empty: 2026-01-01 00:00 to 2026-01-01 00:00" in result.output


def test_usage_help_shows_the_defaults() -> None:
    result = CliRunner().invoke(usage, ["--help"])
    assert result.exit_code == 0
    assert "[default: 30d]" in result.output
    assert "[default: user]" in result.output
