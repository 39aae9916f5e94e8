"""open_store: PostgreSQL with DATABASE_URL (migrated at start), else the embedded in-memory mode."""

from __future__ import annotations

import io
import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from db_support import fetch
from guarded_app import make_app
from pydantic import SecretStr

from codeflash_engine.infra.db import apikeys
from codeflash_engine.infra.db.factory import (
    EMBEDDED_USER,
    EmbeddedKeysInvalid,
    announce_key,
    memory_store_for,
    open_store,
    prepare_embedded,
)
from codeflash_engine.infra.db.memory import MemoryStore
from codeflash_engine.infra.db.migrate import load_migrations
from codeflash_engine.infra.db.postgres import PostgresStore, redact_dsn
from codeflash_engine.settings import Settings

GIVEN = ["cf-" + "a" * 20, "cf-" + "B_-9" * 8]


def embedded(**kw: object) -> Settings:
    return Settings(**{"database_url": None, "codeflash_engine_api_keys": None, **kw})  # type: ignore[arg-type]


async def test_without_database_url_keys_come_from_the_environment(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    settings = embedded(codeflash_engine_api_keys=SecretStr(" , ".join(GIVEN)))
    async with open_store(settings) as store:
        assert isinstance(store, MemoryStore) and not store.persistent
        for key in GIVEN:
            found = await store.lookup_key(apikeys.hash_key(key))
            assert found is not None and found.user_id == EMBEDDED_USER
        assert await store.lookup_key(apikeys.hash_key("cf-" + "c" * 20)) is None
    assert "nothing persists" in caplog.text
    assert capsys.readouterr().err == ""  # given keys are not printed
    assert not any(key in caplog.text for key in GIVEN)


async def test_without_any_key_one_is_created_and_printed_once(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    async with open_store(embedded()) as store:
        printed = capsys.readouterr().err
        lines = [line.strip() for line in printed.splitlines() if "CODEFLASH_API_KEY=" in line]
        assert len(lines) == 1
        key = lines[0].removeprefix("export CODEFLASH_API_KEY=")
        assert apikeys.is_well_formed(key) and len(key) >= 3 + 43
        assert "nothing persists" in printed
        keys = await store.list_keys()
        assert [k.key_hash for k in keys] == [apikeys.hash_key(key)]
        assert key not in caplog.text
        assert "printed it on stderr" in caplog.text


async def test_embedded_app_lets_only_its_key_in(aiohttp_client: object, capsys: pytest.CaptureFixture[str]) -> None:
    app = make_app(embedded(rate_limit_max=100))  # the store comes from store_context
    client: TestClient[web.Request, web.Application] = await aiohttp_client(app)  # type: ignore[operator]
    printed = capsys.readouterr().err
    key = next(line.strip() for line in printed.splitlines() if "CODEFLASH_API_KEY=" in line).split("=", 1)[1]
    assert (await client.post("/ai/ping")).status == 401
    assert (await client.post("/ai/ping", headers={"Authorization": "Bearer cf-" + "z" * 43})).status == 401
    resp = await client.post("/ai/ping", headers={"Authorization": f"Bearer {key}"})
    assert resp.status == 200 and (await resp.json())["user_id"] == EMBEDDED_USER


def test_malformed_environment_keys_are_refused_without_echo() -> None:
    secret = "sk-live-secret-value"
    with pytest.raises(EmbeddedKeysInvalid) as info:
        memory_store_for(embedded(codeflash_engine_api_keys=SecretStr(f"{GIVEN[0]},{secret}")))
    assert "key number 2" in str(info.value) and secret not in str(info.value)


def test_prepare_embedded_creates_one_key_for_every_worker() -> None:
    out = io.StringIO()
    prepared = prepare_embedded(embedded(), out)
    assert prepared.codeflash_engine_api_keys is not None
    key = prepared.codeflash_engine_api_keys.get_secret_value()
    assert apikeys.is_well_formed(key) and out.getvalue().count(key) == 1
    quiet = io.StringIO()
    store = memory_store_for(prepared, quiet)  # what each worker then does
    assert quiet.getvalue() == ""
    assert [k.key_hash for k in store._keys.values()] == [apikeys.hash_key(key)]
    # with a database, or keys given, nothing changes
    given = embedded(codeflash_engine_api_keys=SecretStr(GIVEN[0]))
    assert prepare_embedded(given, out) is given
    with_db = Settings(database_url=SecretStr("postgresql://x@127.0.0.1/db"))
    assert prepare_embedded(with_db, out) is with_db


def test_announce_key_format() -> None:
    out = io.StringIO()
    announce_key("cf-" + "k" * 43, out)
    assert "    export CODEFLASH_API_KEY=cf-" + "k" * 43 + "\n" in out.getvalue()


async def test_with_database_url_migrates_at_start(new_db: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    settings = Settings(database_url=SecretStr(new_db), database_pool_max=3)
    async with open_store(settings) as store:
        assert isinstance(store, PostgresStore) and store.persistent
        assert [m.label for m in store.applied_migrations] == [m.label for m in load_migrations()]
        new = await store.create_key("alice")
        assert (await store.lookup_key(new.info.key_hash)) is not None
    rows = await fetch(new_db, "SELECT count(*) AS n FROM schema_migrations")
    assert rows[0]["n"] == len(load_migrations())
    async with open_store(settings) as store:
        assert isinstance(store, PostgresStore) and store.applied_migrations == []
        assert len(await store.list_keys()) == 1  # it persisted
    assert "database store open at" in caplog.text


async def test_unreachable_database_at_start_is_a_clear_error() -> None:
    from codeflash_engine.infra.db.types import StoreUnavailable

    store = PostgresStore("postgresql://u:pw-secret@127.0.0.1:1/x", startup_timeout=0.3)
    with pytest.raises(StoreUnavailable) as info:
        await store.open()
    assert "cannot reach the database at postgresql://u@127.0.0.1:1/x" in info.value.message
    assert "pw-secret" not in info.value.message


def test_redact_dsn() -> None:
    assert redact_dsn("postgresql://u:p%40ss@h:5432/db?sslmode=require") == "postgresql://u@h:5432/db?sslmode=require"
    assert redact_dsn("postgres://h/db?password=x&user=u") == "postgres://h/db?password=***&user=u"
    assert redact_dsn("host=h user=u password=secret dbname=d") == "host=h user=u password=*** dbname=d"
