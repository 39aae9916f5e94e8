"""Migrations: numbered files, applied once, idempotent, safe from several processes at once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import asyncpg
import pytest
from db_support import fetch

from codeflash_engine.infra.db.migrate import Migration, MigrationError, load_migrations, migrate

TABLES = {
    "cf_api_keys",
    "users",
    "organizations",
    "subscriptions",
    "llm_calls",
    "optimization_errors",
    "optimization_features",
    "rate_limit_counters",
    "schema_migrations",
}


async def schema_of(dsn: str) -> dict[str, list[str]]:
    """Tables with their columns, and indexes, of the public schema (to compare two databases)."""
    rows = await fetch(
        dsn,
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
    )
    schema: dict[str, list[str]] = {}
    for r in rows:
        schema.setdefault(r["table_name"], []).append(f"{r['column_name']} {r['data_type']}")
    indexes = await fetch(dsn, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname")
    schema["<indexes>"] = [r["indexname"] for r in indexes]
    return schema


async def run_migrate(dsn: str) -> list[Migration]:
    conn = await asyncpg.connect(dsn)
    try:
        return await migrate(conn)
    finally:
        await conn.close()


def test_migration_files_are_numbered_and_shipped() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert [m.label for m in migrations][:2] == ["0001_tenancy", "0002_records"]
    assert all(m.sql.strip() and len(m.checksum) == 64 for m in migrations)


async def test_migrate_twice_applies_once(new_db: str) -> None:
    first = await run_migrate(new_db)
    assert [m.label for m in first] == [m.label for m in load_migrations()]
    schema = await schema_of(new_db)
    assert set(schema) >= TABLES
    assert await run_migrate(new_db) == []
    assert await schema_of(new_db) == schema
    rows = await fetch(new_db, "SELECT version, name FROM schema_migrations ORDER BY version")
    assert [(r["version"], r["name"]) for r in rows] == [(m.version, m.name) for m in load_migrations()]


async def test_indexes_for_the_hot_queries(new_db: str) -> None:
    await run_migrate(new_db)
    plan = await fetch(new_db, "EXPLAIN SELECT * FROM cf_api_keys WHERE key_hash = $1", "a" * 96)
    assert "cf_api_keys_key_hash_key" in "\n".join(r[0] for r in plan)
    names = {r["indexname"] for r in await fetch(new_db, "SELECT indexname FROM pg_indexes")}
    assert {
        "cf_api_keys_key_hash_key",
        "cf_api_keys_user_id_idx",
        "rate_limit_counters_pkey",
        "subscriptions_pkey",
        "llm_calls_trace_id_idx",
        "llm_calls_user_created_idx",
        "optimization_errors_trace_id_idx",
        "optimization_features_pkey",
    } <= names


async def test_concurrent_migrations_in_one_process(new_db: str) -> None:
    results = await asyncio.gather(*(run_migrate(new_db) for _ in range(5)))
    applied = [m.label for result in results for m in result]
    assert sorted(applied) == sorted(m.label for m in load_migrations())  # each exactly once
    rows = await fetch(new_db, "SELECT count(*) AS n FROM schema_migrations")
    assert rows[0]["n"] == len(load_migrations())


def test_two_processes_migrating_at_once(new_db: str) -> None:
    """`db migrate` started twice at the same moment: both succeed, each file applied once."""
    env = {**os.environ, "DATABASE_URL": new_db}
    code = "from codeflash_engine.commands.db import db; db(['migrate'])"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    stdout = "".join(out for out, _ in outputs)
    for migration in load_migrations():
        assert stdout.count(f"applied {migration.label}") == 1, stdout
    assert "schema is up to date" in stdout

    async def count() -> int:
        rows = await fetch(new_db, "SELECT count(*) AS n FROM schema_migrations")
        return int(rows[0]["n"])

    assert asyncio.run(count()) == len(load_migrations())


async def test_changed_migration_is_refused(new_db: str) -> None:
    await run_migrate(new_db)
    changed = [Migration(m.version, m.name, m.sql + "\n-- edited") for m in load_migrations()]
    conn = await asyncpg.connect(new_db)
    try:
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, changed)
        # the lock was released: a normal run goes through
        assert await migrate(conn) == []
    finally:
        await conn.close()


async def test_failed_migration_leaves_no_trace(new_db: str) -> None:
    broken = [*load_migrations(), Migration(99, "broken", "CREATE TABLE half_done (x int); SELECT 1/0;")]
    conn = await asyncpg.connect(new_db)
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await migrate(conn, broken)
        assert await conn.fetchval("SELECT to_regclass('half_done')") is None
        assert await conn.fetchval("SELECT max(version) FROM schema_migrations") == len(load_migrations())
    finally:
        await conn.close()
