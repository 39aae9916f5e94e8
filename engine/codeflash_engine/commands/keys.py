"""``codeflash-engine keys``: create, list, rotate and revoke API keys in PostgreSQL (DATABASE_URL).

A key is printed once, when it is created, on stdout alone (so ``KEY=$(... keys create ...)``
works); only its SHA-384 digest and last characters are stored, and listings show only those.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import click

from codeflash_engine.commands.db import database_url, unreachable
from codeflash_engine.infra.db import apikeys
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.types import PERIODS, ApiKey, StoreError, StoreUnavailable
from codeflash_engine.infra.plan_options import OptionError
from codeflash_engine.infra.when import parse_duration, parse_when

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
@click.option(
    "--org",
    "organization",
    default=None,
    help="Organization: its id (from `orgs create`/`orgs list`), or a name (created if new).",
)
@click.option("--plan", default=None, help="The key's own plan (else its user's, organization's or default).")
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
@click.option("--expires", default=None, help="When the key stops working: 90d, 12h, 2w from now, or an ISO date.")
def create(
    user_id: str,
    organization: str | None,
    plan: str | None,
    tier: str,
    quota: int | None,
    period: str,
    github_username: str | None,
    email: str | None,
    expires: str | None,
) -> None:
    """Create a key and print it, once."""
    expiry = _expiry(expires)

    async def op(store: PostgresStore) -> tuple[str, ApiKey]:
        by_id = organization is not None and organization.strip().isdigit()
        new = await store.create_key(
            user_id,
            tier=tier,
            organization=None if by_id else organization,
            organization_id=int(organization) if by_id and organization is not None else None,
            plan=plan,
            github_username=github_username,
            email=email,
            expires=expiry,
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
    where += f", plan {info.plan}" if info.plan else ""
    metered = f", quota {quota} optimizations per {period}" if quota is not None else ""
    until = f", expires {info.expires:%Y-%m-%d %H:%M} UTC" if info.expires is not None else ""
    click.echo(
        f"Created key {info.id} ({info.display}) for user {info.user_id}, tier {info.tier}{where}{metered}{until}.",
        err=True,
    )
    _show_once(key)


def _show_once(key: str) -> None:
    click.echo("It is shown only this once; store it now (the Codeflash CLI reads CODEFLASH_API_KEY):", err=True)
    click.echo(key)


def _expiry(text: str | None) -> dt.datetime | None:
    """The moment ``--expires`` names (it must be in the future), or None."""
    if text is None:
        return None
    now = dt.datetime.now(dt.UTC)
    try:
        when = parse_when(text, now, ahead=True)
    except OptionError as exc:
        raise click.BadParameter(exc.message, param_hint="--expires") from None
    if when <= now:
        raise click.BadParameter(f"{text!r} is not in the future", param_hint="--expires")
    return when


def _status(info: ApiKey) -> str:
    if info.revoked is not None:
        return f"revoked {info.revoked:%Y-%m-%d %H:%M}"
    if info.expires is not None:
        word = "expired" if info.expired(dt.datetime.now(dt.UTC)) else "expires"
        return f"{word} {info.expires:%Y-%m-%d %H:%M}"
    return "active"


@keys.command("list")
@click.option("--user", "user_id", default=None, help="Only this user's keys.")
@click.option("--active", is_flag=True, help="Leave out revoked and expired keys.")
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
                        "plan": i.plan,
                        "key": i.display,
                        "created": i.created.isoformat(),
                        "revoked": i.revoked.isoformat() if i.revoked else None,
                        "expires": i.expires.isoformat() if i.expires else None,
                        "last_used": i.last_used.isoformat() if i.last_used else None,
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


def _reference(ref: str) -> tuple[int | None, str | None]:
    """(id, digest) of a key named by its ID (from `keys list`), the key itself, or its digest."""
    ref = ref.strip()
    if ref.isdigit():
        return int(ref), None
    if ref.startswith(apikeys.KEY_PREFIX):
        return None, apikeys.hash_key(ref)
    if apikeys.is_key_hash(ref.lower()):
        return None, ref.lower()
    raise click.BadParameter("give a key ID, a key (cf-...) or its SHA-384 hex digest", param_hint="REF")


async def _find(store: PostgresStore, key_id: int | None, key_hash: str | None) -> ApiKey | None:
    if key_hash is not None:
        return await store.lookup_key(key_hash)
    return next((k for k in await store.list_keys() if k.id == key_id), None)


@keys.command("rotate")
@click.argument("ref")
@click.option(
    "--grace",
    default="24h",
    show_default=True,
    help="How long the old key keeps working: 24h, 7d, 90m, or 0 to revoke it at once.",
)
@click.option("--expires", default=None, help="When the new key stops working (as for `keys create`).")
def rotate(ref: str, grace: str, expires: str | None) -> None:
    """Replace a key by a new one for the same user, organization and tier; print the new key once.

    The old key keeps working for the grace period, so the clients using it can be given the new
    one, then it expires (at once, revoked, with --grace 0).
    """
    key_id, key_hash = _reference(ref)
    span = parse_duration(grace)
    if span is None:
        raise click.BadParameter(f"{grace!r}: use 24h, 7d, 90m or 0", param_hint="--grace")
    expiry = _expiry(expires)

    async def op(store: PostgresStore) -> tuple[ApiKey, str, ApiKey] | None:
        old = await _find(store, key_id, key_hash)
        if old is None or old.revoked is not None or old.expired(dt.datetime.now(dt.UTC)):
            return None
        new = await store.create_key(
            old.user_id, tier=old.tier, organization_id=old.organization_id, plan=old.plan, expires=expiry
        )
        if span:
            await store.expire_key(old.id, dt.datetime.now(dt.UTC) + span)
        else:
            await store.revoke_key(key_id=old.id)
        return old, new.key, new.info

    done = run_on_database(op)
    if done is None:
        raise click.ClickException("no usable key matches (unknown, revoked or expired already)")
    old, key, info = done
    ends = f"works until {dt.datetime.now(dt.UTC) + span:%Y-%m-%d %H:%M} UTC" if span else "is revoked"
    click.echo(f"Created key {info.id} ({info.display}) for user {info.user_id}; key {old.id} {ends}.", err=True)
    _show_once(key)


@keys.command("revoke")
@click.argument("ref")
def revoke(ref: str) -> None:
    """Revoke a key, given its ID (from `keys list`), the key itself, or its SHA-384 digest.

    Takes effect on the next request, on every replica.
    """
    key_id, key_hash = _reference(ref)

    async def op(store: PostgresStore) -> ApiKey | None:
        if not await store.revoke_key(key_id=key_id, key_hash=key_hash):
            return None
        return await _find(store, key_id, key_hash)

    info = run_on_database(op)
    if info is None:
        raise click.ClickException("no active key matches (unknown, or revoked already)")
    click.echo(f"revoked key {info.id} ({info.display}) of user {info.user_id}")
