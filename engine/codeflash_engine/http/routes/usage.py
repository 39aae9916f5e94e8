"""``GET /usage``: what the caller's key may still do: plan, quota, spend and rate limit this period.

Authenticated with the caller's key like ``/ai`` (401 otherwise), but counted on no limit. The
quota and the spend are the tenant's: the organization's when the plan is the organization's,
else the user's. The quota of a user with a subscription of their own is that subscription's.
"""

from __future__ import annotations

import datetime as dt

from aiohttp import web
from pydantic import BaseModel

from codeflash_engine.http.guards import STORE, authenticate
from codeflash_engine.http.openapi import ApiRoutes
from codeflash_engine.http.quota import BUDGETS, Budgets
from codeflash_engine.http.respond import respond
from codeflash_engine.http.state import SETTINGS
from codeflash_engine.infra.db.types import StoreUnavailable, period_end, period_start

routes = ApiRoutes()


class Amount(BaseModel):
    used: int
    #: None: unlimited
    limit: int | None


class Spend(BaseModel):
    used: float
    #: None: no budget
    limit: float | None


class RateLimit(BaseModel):
    max: int
    window_ms: int
    #: requests still allowed in the current window
    remaining: int


class UsageResponse(BaseModel):
    plan: str
    #: whose quota and spend these are: "organization" or "user"
    tenant: str
    organization_id: int | None
    period: str
    period_start: dt.datetime
    period_end: dt.datetime
    quota: Amount
    spend_usd: Spend
    rate_limit: RateLimit


@routes.endpoint(
    "GET",
    "/usage",
    summary="The caller's plan, and its quota, spend and rate limit this period",
    request=None,
    response=UsageResponse,
)
async def usage_handler(request: web.Request) -> web.StreamResponse:
    admitted = await authenticate(request, count=False)
    if isinstance(admitted, web.Response):
        return admitted
    admission, key = admitted
    tenancy, plan = admission.tenancy, admission.tenancy.plan
    store, settings = request.app[STORE], request.app[SETTINGS]
    budgets = request.app.get(BUDGETS) or Budgets()
    start, end = budgets.period(tenancy)
    tenant = tenancy.tenant(key.user_id)
    window_ms, max_requests = plan.window_ms(settings.rate_limit_window_ms), plan.max_requests(settings.rate_limit_max)
    try:
        subscription = await store.get_subscription(key.user_id)
        period = plan.period
        if subscription is not None:
            now = dt.datetime.fromtimestamp(budgets.clock(), dt.UTC)
            period = subscription.period
            sub_start = period_start(period, now)
            used = subscription.optimizations_used if subscription.period_start >= sub_start else 0
            quota = Amount(used=used, limit=subscription.optimizations_limit)
            start, end = sub_start, period_end(period, sub_start)
        else:
            quota = Amount(used=await store.plan_quota_used(tenant, plan.period), limit=plan.optimizations_limit)
        if tenant.startswith("org:") and tenancy.organization_id is not None:
            spent = await store.spend(since=start, organization_id=tenancy.organization_id)
        else:
            spent = await store.spend(since=start, user_id=key.user_id)
        rate = await store.peek_rate(key.key_hash, window_ms, max_requests)
    except StoreUnavailable as exc:
        return web.json_response({"error": exc.message}, status=503, headers={"Retry-After": "5", **exc.headers})
    return respond(
        UsageResponse(
            plan=plan.name,
            tenant="organization" if tenant.startswith("org:") else "user",
            organization_id=key.organization_id,
            period=period,
            period_start=start,
            period_end=end,
            quota=quota,
            spend_usd=Spend(used=round(spent, 6), limit=plan.budget_usd),
            rate_limit=RateLimit(max=max_requests, window_ms=window_ms, remaining=rate.remaining),
        )
    )
