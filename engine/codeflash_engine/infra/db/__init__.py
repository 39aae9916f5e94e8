"""Storage: the store protocol, PostgreSQL and in-memory implementations, migrations, API keys.

Entry point: :func:`open_store` (DATABASE_URL set: PostgreSQL; unset: the in-memory embedded mode).
"""

from __future__ import annotations

from codeflash_engine.infra.db.factory import open_store, prepare_embedded
from codeflash_engine.infra.db.memory import MemoryStore
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import (
    Admission,
    ApiKey,
    Identity,
    NewKey,
    QuotaDecision,
    RateDecision,
    StoreError,
    StoreUnavailable,
    Subscription,
    TraceRecords,
)

__all__ = [
    "Admission",
    "ApiKey",
    "Identity",
    "MemoryStore",
    "NewKey",
    "PostgresStore",
    "QuotaDecision",
    "RateDecision",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "Subscription",
    "TraceRecords",
    "open_store",
    "prepare_embedded",
]
