"""`keys` and `db` commands through click's CliRunner, against the real PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from click.testing import CliRunner, Result
from db_support import fetch, run_sync, truncate

from codeflash_engine.commands.db import db
from codeflash_engine.commands.keys import keys
from codeflash_engine.infra.db import apikeys
from codeflash_engine.infra.db.postgres import PostgresStore


@pytest.fixture
def dsn(fresh_db: str) -> str:
    """The module's database, migrated by the commands themselves, emptied before each test."""
    run_sync(lambda: _empty_if_migrated(fresh_db))
    return fresh_db


async def _empty_if_migrated(dsn: str) -> None:
    rows = await fetch(dsn, "SELECT to_regclass('cf_api_keys') IS NOT NULL AS migrated")
    if rows[0]["migrated"]:
        await truncate(dsn)


def invoke(group: object, args: list[str], dsn: str | None) -> Result:
    env = {"DATABASE_URL": dsn} if dsn else {"DATABASE_URL": ""}
    return CliRunner().invoke(group, args, env=env)  # type: ignore[arg-type]


def test_commands_need_database_url() -> None:
    for group, args in ((keys, ["list"]), (keys, ["create", "--user", "a"]), (db, ["migrate"])):
        result = invoke(group, args, None)
        assert result.exit_code == 2
        assert "DATABASE_URL is not set" in result.output


def test_unreachable_database_is_reported_without_password() -> None:
    result = invoke(keys, ["list"], "postgresql://alice:s3cr3t-pw@127.0.0.1:1/nothing")
    assert result.exit_code == 1
    assert "cannot reach the database at postgresql://alice@127.0.0.1:1/nothing" in result.output
    assert "s3cr3t-pw" not in result.output


def test_db_migrate(dsn: str) -> None:
    first = invoke(db, ["migrate"], dsn)
    assert first.exit_code == 0, first.output
    second = invoke(db, ["migrate"], dsn)
    assert second.exit_code == 0 and "schema is up to date" in second.output


def test_create_prints_the_key_once_and_stores_only_its_digest(dsn: str) -> None:
    result = invoke(keys, ["create", "--user", "alice", "--org", "acme", "--tier", "pro"], dsn)
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert apikeys.is_well_formed(key) and len(key) >= 3 + 43
    assert "shown only this once" in result.stderr and key not in result.stderr
    assert "for user alice, tier pro, organization acme" in result.stderr

    rows = run_sync(lambda: fetch(dsn, "SELECT * FROM cf_api_keys"))
    assert len(rows) == 1
    assert rows[0]["key_hash"] == apikeys.hash_key(key) and rows[0]["suffix"] == key[-6:]
    assert key[3:] not in repr([dict(r) for r in rows])
    users = run_sync(lambda: fetch(dsn, "SELECT user_id FROM users"))
    orgs = run_sync(lambda: fetch(dsn, "SELECT name FROM organizations"))
    assert [r["user_id"] for r in users] == ["alice"] and [r["name"] for r in orgs] == ["acme"]

    listing = invoke(keys, ["list"], dsn)
    assert listing.exit_code == 0
    assert key not in listing.output and key[3:] not in listing.output
    assert f"cf-…{key[-6:]}" in listing.output and "alice" in listing.output and "active" in listing.output


def test_create_with_quota_sets_the_subscription(dsn: str) -> None:
    result = invoke(keys, ["create", "--user", "bob", "--tier", "free", "--quota", "25", "--period", "week"], dsn)
    assert result.exit_code == 0, result.output
    rows = run_sync(lambda: fetch(dsn, "SELECT plan_type, optimizations_limit, period FROM subscriptions"))
    assert [tuple(r) for r in rows] == [("free", 25, "week")]


def test_list_filters_and_json(dsn: str) -> None:
    keys_made = [invoke(keys, ["create", "--user", user], dsn).stdout.strip() for user in ("a", "b", "a")]
    out = invoke(keys, ["list", "--user", "a", "--json"], dsn)
    assert out.exit_code == 0, out.output
    listed = json.loads(out.stdout)
    assert [k["key"] for k in listed] == [f"cf-…{keys_made[0][-6:]}", f"cf-…{keys_made[2][-6:]}"]
    assert all(k["revoked"] is None and k["user_id"] == "a" for k in listed)
    assert all(made[3:] not in out.output for made in keys_made)


def test_revoke_by_id_key_or_digest(dsn: str) -> None:
    made = [invoke(keys, ["create", "--user", "alice"], dsn).stdout.strip() for _ in range(3)]
    ids = [k["id"] for k in json.loads(invoke(keys, ["list", "--json"], dsn).stdout)]
    by_id = invoke(keys, ["revoke", str(ids[0])], dsn)
    assert by_id.exit_code == 0 and f"revoked key {ids[0]} (cf-…{made[0][-6:]})" in by_id.output
    by_key = invoke(keys, ["revoke", made[1]], dsn)
    assert by_key.exit_code == 0 and f"revoked key {ids[1]}" in by_key.output
    assert made[1] not in by_key.output
    by_digest = invoke(keys, ["revoke", apikeys.hash_key(made[2]).upper()], dsn)
    assert by_digest.exit_code == 0 and f"revoked key {ids[2]}" in by_digest.output
    again = invoke(keys, ["revoke", str(ids[0])], dsn)
    assert again.exit_code == 1 and "no active key matches" in again.output
    bad = invoke(keys, ["revoke", "whatever"], dsn)
    assert bad.exit_code == 2
    listing = invoke(keys, ["list"], dsn).output
    assert listing.count("revoked") == 3
    assert invoke(keys, ["list", "--active"], dsn).stderr.strip() == "no keys"


async def test_revoked_by_the_command_is_refused_by_a_running_store(dsn: str) -> None:
    # the commands run their own event loop: run them from a thread
    created = await asyncio.to_thread(invoke, keys, ["create", "--user", "alice"], dsn)
    key = created.stdout.strip()
    async with PostgresStore(dsn, migrate=False, pool_max=2, prune_interval=0) as store:
        first = await store.admit(apikeys.hash_key(key), 60_000, 10)
        assert first.rate is not None and first.rate.allowed
        result = await asyncio.to_thread(invoke, keys, ["revoke", key], dsn)
        assert result.exit_code == 0
        after = await store.admit(apikeys.hash_key(key), 60_000, 10)
        assert after.key is not None and after.key.revoked is not None and after.rate is None


def test_create_with_expiry_and_rotate_with_a_grace_period(dsn: str) -> None:
    created = invoke(keys, ["create", "--user", "carol", "--org", "acme", "--tier", "pro", "--expires", "30d"], dsn)
    assert created.exit_code == 0, created.output
    old_key = created.stdout.strip()
    assert ", expires " in created.stderr
    rotated = invoke(keys, ["rotate", old_key, "--grace", "2h"], dsn)
    assert rotated.exit_code == 0, rotated.output
    new_key = rotated.stdout.strip()
    assert apikeys.is_well_formed(new_key) and new_key != old_key and "works until" in rotated.stderr
    rows = run_sync(
        lambda: fetch(
            dsn, "SELECT key_hash, user_id, tier, organization_id, expires, revoked FROM cf_api_keys ORDER BY id"
        )
    )
    old, new = rows
    assert old["key_hash"] == apikeys.hash_key(old_key) and new["key_hash"] == apikeys.hash_key(new_key)
    assert (new["user_id"], new["tier"], new["organization_id"]) == (
        old["user_id"],
        old["tier"],
        old["organization_id"],
    )
    left = old["expires"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=1, minutes=55) < left <= dt.timedelta(hours=2) and old["revoked"] is None
    assert new["expires"] is None
    listing = invoke(keys, ["list", "--json"], dsn)
    assert [k["expires"] is not None for k in json.loads(listing.output)] == [True, False]

    # --grace 0 revokes the old key at once; a revoked key cannot be rotated again
    again = invoke(keys, ["rotate", new_key, "--grace", "0"], dsn)
    assert again.exit_code == 0 and "is revoked" in again.stderr
    assert invoke(keys, ["rotate", new_key], dsn).exit_code == 1
    assert "revoked" in invoke(keys, ["list"], dsn).output


def test_expiry_and_grace_must_make_sense(dsn: str) -> None:
    for args in (
        ["create", "--user", "dan", "--expires", "2001-01-01"],
        ["create", "--user", "dan", "--expires", "soon"],
        ["rotate", "1", "--grace", "a while"],
    ):
        result = invoke(keys, args, dsn)
        assert result.exit_code == 2, (args, result.output)
