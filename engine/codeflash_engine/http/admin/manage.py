"""The dashboard's pages that change things: keys (create, revoke, rotate), plans and organizations.

Each action does what the matching command does (`keys create/revoke/rotate`, `plans set`,
`orgs create/set`), with the same store calls and the same parsing of rate limits, quotas,
budgets, model mixes and moments. A new key is shown once, in the answer to the POST that made
it (never cached, never shown again: listings show its last characters only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from codeflash_engine.http.admin.render import SECURITY_HEADERS, field, page, render
from codeflash_engine.http.guards import STORE
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import PERIODS, ApiKey, NewKey, Plan, StoreError
from codeflash_engine.infra.plan_options import (
    OptionError,
    format_rate,
    parse_budget,
    parse_models,
    parse_quota,
    parse_rate_limit,
)
from codeflash_engine.infra.when import parse_duration, parse_when

routes = web.RouteTableDef()
T = TypeVar("T")


class FormError(ValueError):
    """A form field the action cannot use (the page says which and why)."""


def _parse(what: str, parse: Callable[[str], T], text: str) -> T:
    """``parse(text)`` with the command's parser; its complaint becomes the form's."""
    try:
        return parse(text)
    except OptionError as exc:
        raise FormError(f"{what}: {exc.message}") from None


def _expiry(text: str) -> dt.datetime | None:
    if not text:
        return None
    now = dt.datetime.now(dt.UTC)
    try:
        when = parse_when(text, now, ahead=True)
    except OptionError as exc:
        raise FormError(f"expires: {exc.message}") from None
    if when <= now:
        raise FormError(f"expires: {text!r} is not in the future")
    return when


def _status(key: ApiKey, now: dt.datetime) -> str:
    if key.revoked is not None:
        return "revoked"
    if key.expires is not None:
        return "expired" if key.expired(now) else "expires"
    return "active"


async def _keys_page(request: web.Request, *, status: int = 200, error: str | None = None) -> web.Response:
    store = request.app[STORE]
    now = dt.datetime.now(dt.UTC)
    user = request.query.get("user", "").strip() or None
    active = request.query.get("active") == "on"
    keys = await store.list_keys(user_id=user, include_revoked=not active)
    return render(
        request,
        "keys.html.j2",
        status=status,
        title="Keys",
        keys=[(k, _status(k, now)) for k in reversed(keys)],
        user=user or "",
        active=active,
        plans=await store.list_plans(),
        error=error,
    )


@routes.get("/admin/keys")
@page
async def keys(request: web.Request) -> web.Response:
    return await _keys_page(request)


def _created(request: web.Request, new: NewKey, note: str) -> web.Response:
    return render(request, "key_created.html.j2", status=201, title="Key created", new=new, note=note)


@routes.post("/admin/keys")
@page
async def create_key(request: web.Request) -> web.Response:
    user, organization = field(request, "user"), field(request, "org")
    plan, tier = field(request, "plan") or None, field(request, "tier") or "free"
    try:
        if not user:
            raise FormError("user: a user id is required")
        expires = _expiry(field(request, "expires"))
        by_id = organization.isdigit()
        new = await request.app[STORE].create_key(
            user,
            tier=tier,
            organization=organization if organization and not by_id else None,
            organization_id=int(organization) if by_id else None,
            plan=plan,
            expires=expires,
        )
    except (FormError, StoreError) as exc:
        return await _keys_page(request, status=422, error=str(exc))
    return _created(request, new, "")


async def _key(store: Store, key_id: int) -> ApiKey | None:
    return next((k for k in await store.list_keys() if k.id == key_id), None)


@routes.post("/admin/keys/{key_id:\\d+}/revoke")
@page
async def revoke_key(request: web.Request) -> web.StreamResponse:
    key_id = int(request.match_info["key_id"])
    if not await request.app[STORE].revoke_key(key_id=key_id):
        return await _keys_page(request, status=404, error=f"no active key has id {key_id} (revoked already?)")
    raise web.HTTPSeeOther(f"/admin/keys#key-{key_id}", headers=SECURITY_HEADERS)


@routes.post("/admin/keys/{key_id:\\d+}/rotate")
@page
async def rotate_key(request: web.Request) -> web.Response:
    key_id = int(request.match_info["key_id"])
    store = request.app[STORE]
    grace_text = field(request, "grace") or "24h"
    grace = parse_duration(grace_text)
    if grace is None:
        return await _keys_page(request, status=422, error=f"grace: {grace_text!r}: use 24h, 7d, 90m or 0")
    old = await _key(store, key_id)
    now = dt.datetime.now(dt.UTC)
    if old is None or old.revoked is not None or old.expired(now):
        return await _keys_page(request, status=404, error=f"no usable key has id {key_id}")
    new = await store.create_key(old.user_id, tier=old.tier, organization_id=old.organization_id, plan=old.plan)
    if grace:
        await store.expire_key(old.id, now + grace)
        note = f"Key {old.id} ({old.display}) keeps working until {now + grace:%Y-%m-%d %H:%M} UTC."
    else:
        await store.revoke_key(key_id=old.id)
        note = f"Key {old.id} ({old.display}) is revoked."
    return _created(request, new, note)


# --- plans -------------------------------------------------------------------------------------


async def _plans_page(
    request: web.Request, *, edit: Plan | None = None, status: int = 200, error: str | None = None
) -> web.Response:
    plans = await request.app[STORE].list_plans()
    return render(
        request,
        "plans.html.j2",
        status=status,
        title="Plans",
        plans=plans,
        edit=edit,
        periods=PERIODS,
        rate=format_rate,
        error=error,
    )


@routes.get("/admin/plans")
@page
async def plans(request: web.Request) -> web.Response:
    name = request.query.get("edit")
    edit = await request.app[STORE].get_plan(name) if name else None
    return await _plans_page(request, edit=edit)


@routes.post("/admin/plans")
@page
async def set_plan(request: web.Request) -> web.StreamResponse:
    """`plans set NAME`: every field as the form gives it (empty: the environment's / unlimited / default)."""
    name = field(request, "name")
    try:
        rate_max, rate_window = _parse("rate limit", parse_rate_limit, field(request, "rate_limit") or "default")
        period = field(request, "period") or "month"
        if period not in PERIODS:
            raise FormError(f"period: one of {', '.join(PERIODS)}")
        plan = Plan(
            name=name,
            rate_limit_max=rate_max,
            rate_limit_window_ms=rate_window,
            optimizations_limit=_parse("quota", parse_quota, field(request, "quota") or "none"),
            budget_usd=_parse("budget", parse_budget, field(request, "budget") or "none"),
            period=period,
            models=_parse("models", parse_models, field(request, "models") or "default"),
        )
        await request.app[STORE].set_plan(plan)
    except (FormError, StoreError) as exc:
        return await _plans_page(request, status=422, error=str(exc))
    raise web.HTTPSeeOther(f"/admin/plans#plan-{name}", headers=SECURITY_HEADERS)


# --- organizations -------------------------------------------------------------------------------


async def _orgs_page(request: web.Request, *, status: int = 200, error: str | None = None) -> web.Response:
    store = request.app[STORE]
    return render(
        request,
        "orgs.html.j2",
        status=status,
        title="Organizations",
        orgs=await store.list_organizations(),
        plans=await store.list_plans(),
        error=error,
    )


@routes.get("/admin/orgs")
@page
async def orgs(request: web.Request) -> web.Response:
    return await _orgs_page(request)


@routes.post("/admin/orgs")
@page
async def create_org(request: web.Request) -> web.StreamResponse:
    """`orgs create NAME [--plan] [--privacy] [--github-org-id]`."""
    github = field(request, "github_org_id")
    try:
        if github and not (github.isdigit() and int(github) >= 1):
            raise FormError("GitHub organization id: a whole number from 1")
        org = await request.app[STORE].create_organization(
            field(request, "name"),
            plan=field(request, "plan") or None,
            privacy_mode=field(request, "privacy") == "on",
            github_org_id=int(github) if github else None,
        )
    except (FormError, StoreError) as exc:
        return await _orgs_page(request, status=422, error=str(exc))
    raise web.HTTPSeeOther(f"/admin/orgs#org-{org.id}", headers=SECURITY_HEADERS)


@routes.post("/admin/orgs/{org_id:\\d+}")
@page
async def set_org(request: web.Request) -> web.StreamResponse:
    """`orgs set ID --plan NAME|none --privacy/--no-privacy`."""
    org_id = int(request.match_info["org_id"])
    plan = field(request, "plan")
    try:
        await request.app[STORE].update_organization(
            org_id, plan=plan or None, clear_plan=not plan, privacy_mode=field(request, "privacy") == "on"
        )
    except StoreError as exc:
        return await _orgs_page(request, status=422, error=str(exc))
    raise web.HTTPSeeOther(f"/admin/orgs#org-{org_id}", headers=SECURITY_HEADERS)
