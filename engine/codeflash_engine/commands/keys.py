"""``codeflash-engine keys``: create, list and revoke API keys in PostgreSQL (DATABASE_URL).

A key is printed once, when it is created, on stdout alone (so ``KEY=$(... keys create ...)``
works); only its SHA-384 digest and last characters are stored, and listings show only those.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import click

from codeflash_engine.commands.db import database_url, unreachable
from codeflash_engine.infra.db import apikeys
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.types import PERIODS, ApiKey, StoreError, StoreUnavailable

T = TypeVar("T")


def run_on_database(op: Callable[[PostgresStore], Awaitable[T]]) -> T:
    """Open the database (migrating it if needed), run ``op``, close."""
    dsn = database_url()

    async def go() -> T:
        async with PostgresStore(dsn, pool_min=1, pool_max=1, prune_interval=0, startup_timeout=1) as store:
            return await op(store)

    try:
        return asyncio.run(go())
    except StoreUnavailable as exc:
        raise unreachable(dsn, exc.__cause__ or exc) from exc
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def keys() -> None:
    """Create, list and revoke API keys (needs DATABASE_URL)."""


@keys.command("create")
@click.option("--user", "user_id", required=True, help="User id the key belongs to (created if new).")
@click.option("--org", "organization", default=None, help="Organization name (created if new).")
@click.option("--tier", default="free", show_default=True, help="Tier recorded on the key (e.g. free, pro).")
@click.option(
    "--quota",
    type=click.IntRange(min=0),
    default=None,
    help="Optimizations allowed per period on the user's subscription (plan = tier). "
    "Left out: an existing subscription is kept; a user without one is unmetered.",
)
@click.option(
    "--period", type=click.Choice(PERIODS), default="month", show_default=True, help="Quota period (with --quota)."
)
@click.option("--github-username", default=None, help="Recorded on the user.")
@click.option("--email", default=None, help="Recorded on the user.")
def create(
    user_id: str,
    organization: str | None,
    tier: str,
    quota: int | None,
    period: str,
    github_username: str | None,
    email: str | None,
) -> None:
    """Create a key and print it, once."""

    async def op(store: PostgresStore) -> tuple[str, ApiKey]:
        new = await store.create_key(
            user_id, tier=tier, organization=organization, github_username=github_username, email=email
        )
        if quota is not None:
            await store.set_subscription(
                user_id,
                plan_type=tier,
                optimizations_limit=quota,
                period=period,  # type: ignore[arg-type]  # checked by click.Choice
            )
        return new.key, new.info

    key, info = run_on_database(op)
    where = f", organization {info.organization}" if info.organization else ""
    metered = f", quota {quota} optimizations per {period}" if quota is not None else ""
    click.echo(
        f"Created key {info.id} ({info.display}) for user {info.user_id}, tier {info.tier}{where}{metered}.", err=True
    )
    click.echo("It is shown only this once; store it now (the Codeflash CLI reads CODEFLASH_API_KEY):", err=True)
    click.echo(key)


def _status(info: ApiKey) -> str:
    return f"revoked {info.revoked:%Y-%m-%d %H:%M}" if info.revoked is not None else "active"


@keys.command("list")
@click.option("--user", "user_id", default=None, help="Only this user's keys.")
@click.option("--active", is_flag=True, help="Leave out revoked keys.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_(user_id: str | None, active: bool, as_json: bool) -> None:
    """List keys (their last characters only; keys are never stored in clear)."""
    infos = run_on_database(lambda store: store.list_keys(user_id=user_id, include_revoked=not active))
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": i.id,
                        "user_id": i.user_id,
                        "organization": i.organization,
                        "tier": i.tier,
                        "key": i.display,
                        "created": i.created.isoformat(),
                        "revoked": i.revoked.isoformat() if i.revoked else None,
                    }
                    for i in infos
                ],
                indent=2,
            )
        )
        return
    if not infos:
        click.echo("no keys", err=True)
        return
    rows = [("ID", "USER", "ORGANIZATION", "TIER", "KEY", "CREATED", "STATUS")]
    rows += [
        (str(i.id), i.user_id, i.organization or "-", i.tier, i.display, f"{i.created:%Y-%m-%d %H:%M}", _status(i))
        for i in infos
    ]
    print_table(rows)


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Rows of cells as aligned columns, the first row a header."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


@keys.command("revoke")
@click.argument("ref")
def revoke(ref: str) -> None:
    """Revoke a key, given its ID (from `keys list`), the key itself, or its SHA-384 digest.

    Takes effect on the next request, on every replica.
    """
    ref = ref.strip()
    if ref.isdigit():
        key_id, key_hash = int(ref), None
    elif ref.startswith(apikeys.KEY_PREFIX):
        key_id, key_hash = None, apikeys.hash_key(ref)
    elif apikeys.is_key_hash(ref.lower()):
        key_id, key_hash = None, ref.lower()
    else:
        raise click.BadParameter("give a key ID, a key (cf-...) or its SHA-384 hex digest", param_hint="REF")

    async def op(store: PostgresStore) -> ApiKey | None:
        if not await store.revoke_key(key_id=key_id, key_hash=key_hash):
            return None
        if key_hash is not None:
            return await store.lookup_key(key_hash)
        return next((k for k in await store.list_keys() if k.id == key_id), None)

    info = run_on_database(op)
    if info is None:
        raise click.ClickException("no active key matches (unknown, or revoked already)")
    click.echo(f"revoked key {info.id} ({info.display}) of user {info.user_id}")
