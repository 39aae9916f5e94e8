"""Choosing and opening the store from the settings.

DATABASE_URL set: :class:`PostgresStore` (migrated at start-up under the advisory lock).
Unset: the embedded mode, a :class:`MemoryStore` in this process where nothing persists; the API
keys it accepts come from CODEFLASH_ENGINE_API_KEYS, or one is created and printed once at start,
like a notebook server's token. Nobody gets in without a key either way.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from typing import TextIO

from pydantic import SecretStr

from codeflash_engine.infra.db import apikeys
from codeflash_engine.infra.db.memory import MemoryStore
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.store import Store
from codeflash_engine.settings import Settings

log = logging.getLogger(__name__)

EMBEDDED_USER = "local"
EMBEDDED_TIER = "local"


def database_url(settings: Settings) -> str | None:
    """DATABASE_URL, or None when it is unset or empty."""
    if settings.database_url is None:
        return None
    return settings.database_url.get_secret_value().strip() or None


class EmbeddedKeysInvalid(ValueError):
    """CODEFLASH_ENGINE_API_KEYS holds something that is not a well-formed key."""


def embedded_keys(settings: Settings) -> list[str]:
    """The keys given in CODEFLASH_ENGINE_API_KEYS (comma-separated), checked; never echoed back."""
    if settings.codeflash_engine_api_keys is None:
        return []
    keys = [k.strip() for k in settings.codeflash_engine_api_keys.get_secret_value().split(",") if k.strip()]
    for position, key in enumerate(keys, start=1):
        if not apikeys.is_well_formed(key):
            raise EmbeddedKeysInvalid(
                f"CODEFLASH_ENGINE_API_KEYS: key number {position} is not 'cf-' followed by 16 to 256 "
                "characters from A-Z a-z 0-9 _ - (the Codeflash CLI only sends keys starting with 'cf-')"
            )
    return keys


def announce_key(key: str, stream: TextIO | None = None) -> None:
    """Print a generated embedded-mode key once, plainly, on stderr (never through logging)."""
    out = stream or sys.stderr
    bar = "-" * 78
    out.write(
        f"\n{bar}\n"
        "codeflash-engine: embedded mode (no DATABASE_URL): nothing is stored, nothing persists.\n"
        "No CODEFLASH_ENGINE_API_KEYS given, so this API key was created for this run only:\n\n"
        f"    export CODEFLASH_API_KEY={key}\n\n"
        "It is shown once. Set CODEFLASH_ENGINE_API_KEYS=cf-... to choose your own key(s).\n"
        f"{bar}\n\n"
    )
    out.flush()


def prepare_embedded(settings: Settings, stream: TextIO | None = None) -> Settings:
    """Before forking workers in the embedded mode: make sure every worker accepts the same key.

    Without DATABASE_URL and CODEFLASH_ENGINE_API_KEYS, creates one key, prints it once and
    returns settings carrying it; otherwise returns ``settings`` unchanged.
    """
    if database_url(settings) is not None or settings.codeflash_engine_api_keys is not None:
        return settings
    key = apikeys.generate_key()
    announce_key(key, stream)
    return settings.model_copy(update={"codeflash_engine_api_keys": SecretStr(key)})


def memory_store_for(settings: Settings, stream: TextIO | None = None) -> MemoryStore:
    """The embedded store with its keys (given, or one created and printed now)."""
    store = MemoryStore()
    keys = embedded_keys(settings)
    log.warning(
        "DATABASE_URL is not set: using the in-memory store; nothing persists, and rate limits "
        "hold per process only. Set DATABASE_URL to a PostgreSQL database for a shared, durable store."
    )
    if keys:
        for key in keys:
            store.import_key(key, user_id=EMBEDDED_USER, tier=EMBEDDED_TIER)
        log.info("embedded mode: accepting %d API key(s) from CODEFLASH_ENGINE_API_KEYS", len(keys))
    else:
        key = apikeys.generate_key()
        store.import_key(key, user_id=EMBEDDED_USER, tier=EMBEDDED_TIER)
        announce_key(key, stream)
        log.info("embedded mode: created an API key for this run and printed it on stderr")
    return store


@contextlib.asynccontextmanager
async def open_store(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Store]:
    """Open the store the settings ask for; closed (pool and all) on exit."""
    dsn = database_url(settings)
    if dsn is None:
        yield memory_store_for(settings)
        return
    if settings.codeflash_engine_api_keys is not None:
        log.warning("CODEFLASH_ENGINE_API_KEYS is ignored when DATABASE_URL is set: keys come from the database")
    async with PostgresStore(dsn, pool_max=settings.database_pool_max, migrate=migrate) as store:
        yield store
