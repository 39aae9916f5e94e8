"""``codeflash-engine db``: the PostgreSQL schema (DATABASE_URL).

``db migrate`` applies the migration files not applied yet, under the same advisory lock the
service takes at start-up, so it is safe while replicas are starting.
"""

from __future__ import annotations

import asyncio

import click

from codeflash_engine.infra.db.migrate import Migration, MigrationError, load_migrations, migrate
from codeflash_engine.infra.db.postgres import CONNECTION_ERRORS, redact_dsn
from codeflash_engine.settings import Settings

NO_DATABASE = (
    "DATABASE_URL is not set. This command works on the PostgreSQL database, for example:\n"
    "  export DATABASE_URL=postgresql://user:password@host:5432/codeflash\n"
    "(Without a database the engine runs in the embedded mode: its API keys come from\n"
    "CODEFLASH_ENGINE_API_KEYS, or one is created and printed when the service starts; the\n"
    "keys, plans and organizations of a running embedded engine are managed on its dashboard,\n"
    "/admin, with CODEFLASH_ENGINE_ADMIN_TOKEN set.)"
)


def database_url() -> str:
    """DATABASE_URL from the environment, or a usage error saying how to set it."""
    url = Settings().database_url
    if url is None or not url.get_secret_value():
        raise click.UsageError(NO_DATABASE)
    return url.get_secret_value()


def unreachable(dsn: str, exc: BaseException) -> click.ClickException:
    return click.ClickException(f"cannot reach the database at {redact_dsn(dsn)}: {exc}")


@click.group()
def db() -> None:
    """Manage the PostgreSQL schema (needs DATABASE_URL)."""


@db.command("migrate")
def migrate_command() -> None:
    """Apply pending schema migrations (safe to run twice, or from several places at once)."""
    import asyncpg  # type: ignore[import-untyped]

    dsn = database_url()

    async def go() -> list[Migration]:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            return await migrate(conn)
        finally:
            await conn.close()

    try:
        applied = asyncio.run(go())
    except CONNECTION_ERRORS as exc:
        raise unreachable(dsn, exc) from exc
    except MigrationError as exc:
        raise click.ClickException(str(exc)) from exc
    if applied:
        for migration in applied:
            click.echo(f"applied {migration.label}")
    else:
        click.echo(f"schema is up to date ({len(load_migrations())} migrations)")


if __name__ == "__main__":  # pragma: no cover
    db()
