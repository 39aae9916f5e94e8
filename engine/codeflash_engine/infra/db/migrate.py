"""Schema migrations: numbered SQL files shipped in the package, applied once each, in order.

Files are ``migrations/NNNN_name.sql``. :func:`migrate` takes a PostgreSQL advisory lock first, so
replicas starting together apply each file exactly once: the first one applies, the others wait
and then find nothing to do. Each file runs in its own transaction together with its row in
``schema_migrations`` (version, name, SHA-256 of the file), so a failed file leaves no trace.
A file changed after it was applied is refused: write a new migration instead.
"""

from __future__ import annotations

import hashlib
import logging
import re
from importlib import resources

import asyncpg  # type: ignore[import-untyped]  # no stubs or py.typed in asyncpg 0.32
import attrs

from codeflash_engine.infra.db import queries

log = logging.getLogger(__name__)

#: the advisory lock id (per database) serialising migrations: the first 8 bytes of a digest
MIGRATION_LOCK_ID = int.from_bytes(hashlib.sha256(b"codeflash_engine.migrations").digest()[:8], "big", signed=True)

_FILE_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")


class MigrationError(RuntimeError):
    """The migration files and the database disagree (a changed or malformed file)."""


@attrs.frozen
class Migration:
    """One migration file."""

    version: int
    name: str
    sql: str = attrs.field(repr=False)

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


def load_migrations() -> list[Migration]:
    """The migration files of the package, in version order (versions must run 1, 2, 3, ...)."""
    folder = resources.files(__package__) / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _FILE_NAME.fullmatch(entry.name)
        if match is None:
            raise MigrationError(f"migration file name {entry.name!r} is not NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migration versions must be 1..{len(found)} without gaps, found {versions}")
    return found


async def migrate(conn: asyncpg.Connection, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply the migrations not yet applied, under the advisory lock; returns those applied now."""
    pending_source = load_migrations() if migrations is None else migrations
    await conn.execute(queries.MIGRATION_LOCK, MIGRATION_LOCK_ID)
    try:
        await conn.execute(queries.CREATE_MIGRATIONS_TABLE)
        applied = {row["version"]: row for row in await conn.fetch(queries.APPLIED_MIGRATIONS)}
        done: list[Migration] = []
        for migration in pending_source:
            row = applied.get(migration.version)
            if row is not None:
                if row["checksum"] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.label} was changed after it was applied; "
                        "restore the file and add a new migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(queries.RECORD_MIGRATION, migration.version, migration.name, migration.checksum)
            log.info("applied migration %s", migration.label)
            done.append(migration)
        newer = sorted(set(applied) - {m.version for m in pending_source})
        if newer:
            log.warning("the database has migrations this version does not know: %s", newer)
        return done
    finally:
        await conn.execute(queries.MIGRATION_UNLOCK, MIGRATION_LOCK_ID)
