"""Guards for every ``/ai`` route: authentication, the plan's rate limit, quota and spend budget.

One middleware, :func:`guards_middleware`, applied the same way to every request:

1. Routes outside ``/ai`` (``/healthcheck``, ``/metrics``, ...) pass untouched: they are public.
2. ``Authorization: Bearer cf-...`` is required. A missing, malformed, unknown, revoked or
   expired key gets 401 with a JSON error. Keys are looked up by their SHA-384 digest, never kept in clear.
3. The request's plan is the key's, else its user's, else its organization's, else ``default``
   (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS, unlimited otherwise). Each request of an active key
   to an LLM-backed route (not ``/ai/log_features``) counts against the plan's rate limit, in
   the store, so replicas sharing a database share the limit: beyond it, 429 with Retry-After.
   Steps 2 and 3 are one round trip to the database (:meth:`Store.admit`).
4. A plan with a spend budget: a tenant (the organization when the plan is the organization's,
   else the user) whose LLM spend this period has reached it gets 402 naming the budget, the
   spend and the reset, before any LLM call (the spend is cached per tenant, see
   :class:`~codeflash_engine.http.quota.Budgets`).
5. Every LLM-backed route gets a :class:`~codeflash_engine.http.quota.Meter`: the first request
   of a ``trace_id`` counts one optimization against the user's subscription, or the plan's
   quota of the tenant (charged once the body is read, see :mod:`codeflash_engine.http.quota`);
   when it is exhausted, 402 with a JSON error saying when it resets. An optimization whose
   request does not end in 200 and made no LLM call is given back. The charge (the request's
   planned LLM calls on the key's call limit, 429 past it, and the trace's admission) is one
   round trip (:meth:`Store.charge`): an optimize request costs the guards two statements.
6. The store unreachable: 503 (fail closed), never a pass.

No cache in front of the key lookup: the lookup and the rate-limit hit are a single statement
anyway, and without a cache a revocation takes effect on the very next request on every replica.

The caller's :class:`Identity` is on the request under :data:`IDENTITY` for the handlers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web

from codeflash_engine.http.errors import Handler, json_error
from codeflash_engine.http.metrics import RECORDER
from codeflash_engine.http.quota import BUDGETS, METER, BudgetExceeded, Budgets, CallLimit, Meter, metered
from codeflash_engine.http.state import SETTINGS
from codeflash_engine.infra.db import apikeys
from codeflash_engine.infra.db.factory import open_store
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import Admission, ApiKey, Identity, StoreUnavailable
from codeflash_engine.infra.logging import user_id_var
from codeflash_engine.infra.observability import usage_var
from codeflash_engine.infra.records import organization_id_var
from codeflash_engine.infra.tenancy import install_private_logging, plan_models_var, privacy_var

log = logging.getLogger(__name__)

#: the store every guard and handler uses (set by :func:`store_context`)
STORE: web.AppKey[Store] = web.AppKey("store")
#: who is calling, on every request that passed the guards
IDENTITY = web.RequestKey("identity", Identity)
#: seconds the guards took on this request (for metrics and the benchmark)
GUARD_SECONDS = web.RequestKey("guard_seconds", float)

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="codeflash-engine"'}
MISSING_KEY = (
    "missing API key: send the header 'Authorization: Bearer cf-...' (the Codeflash CLI sends CODEFLASH_API_KEY)"
)
MALFORMED_KEY = (
    "malformed Authorization header: expected 'Bearer cf-' followed by the key (16 to 256 characters from "
    "A-Z a-z 0-9 _ -)"
)
UNKNOWN_KEY = "API key not recognised: check CODEFLASH_API_KEY, or ask the operator for a key"
REVOKED_KEY = "this API key has been revoked: ask the operator for a new one"


def _is_guarded(request: web.Request) -> bool:
    """Whether the request is for ``/ai`` or below (by path, and by the route it matched)."""
    path = "/" + request.path.lstrip("/")
    if path == "/ai" or path.startswith("/ai/"):
        return True
    resource = request.match_info.route.resource
    return resource is not None and resource.canonical.startswith("/ai/")


def _bearer_token(request: web.Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``; "" when the header is there but malformed."""
    header = request.headers.get("Authorization")
    if header is None or not header.strip():
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not apikeys.is_well_formed(token):
        return ""
    return token


def _unavailable(exc: StoreUnavailable) -> web.Response:
    return json_error(503, exc.message, {"Retry-After": "5", **exc.headers})


async def authenticate(request: web.Request, *, count: bool) -> tuple[Admission, ApiKey] | web.Response:
    """The caller's key and plan (counting the request on the plan's rate limit when ``count``),
    or the 401/429/503 answer."""
    token = _bearer_token(request)
    if token is None:
        return json_error(401, MISSING_KEY, _CHALLENGE)
    if not token:
        return json_error(401, MALFORMED_KEY, _CHALLENGE)
    store = request.app[STORE]
    settings = request.app[SETTINGS]
    try:
        admission = await store.admit(
            apikeys.hash_key(token), settings.rate_limit_window_ms, settings.rate_limit_max, count=count
        )
    except StoreUnavailable as exc:
        return _unavailable(exc)
    key = admission.key
    if key is None:
        return json_error(401, UNKNOWN_KEY, _CHALLENGE)
    if key.revoked is not None:
        return json_error(401, REVOKED_KEY, _CHALLENGE)
    # counted: rate None means known, not revoked, not counted, so expired
    if (count and admission.rate is None) or (not count and key.expired(dt.datetime.now(dt.UTC))):
        when = f" on {key.expires:%Y-%m-%d %H:%M} UTC" if key.expires is not None else ""
        return json_error(401, f"this API key expired{when}: ask the operator for a new one", _CHALLENGE)
    rate = admission.rate
    if rate is not None and not rate.allowed:
        plan = admission.tenancy.plan
        log.debug("rate limit reached for key %s of user %s", key.display, key.user_id)
        return json_error(
            429,
            f"rate limit exceeded: at most {plan.max_requests(settings.rate_limit_max)} requests per "
            f"{plan.window_ms(settings.rate_limit_window_ms) / 1000:g} s for this API key (plan '{plan.name}'); "
            f"retry in {rate.retry_after_s} s",
            {"Retry-After": str(rate.retry_after_s)},
        )
    return admission, key


install_private_logging()  # log lines of privacy-mode requests carry no code

#: budgets of an application that has none of its own
_BUDGETS = Budgets()


@web.middleware
async def guards_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate, rate-limit, check the budget of and meter every ``/ai`` request (see the module docstring)."""
    if not _is_guarded(request):
        return await handler(request)
    started = time.perf_counter()
    llm_backed = metered(request)
    admitted = await authenticate(request, count=llm_backed)
    if isinstance(admitted, web.Response):
        return admitted
    admission, key = admitted
    tenancy = admission.tenancy
    request[IDENTITY] = Identity.of(key, tenancy)
    user_id_var.set(key.user_id)
    if key.organization_id is not None:
        organization_id_var.set(key.organization_id)
    if tenancy.plan.models is not None:
        plan_models_var.set(tenancy.plan.models)
    if tenancy.privacy:
        privacy_var.set(True)
    if not llm_backed:
        request[GUARD_SECONDS] = time.perf_counter() - started
        return await handler(request)
    store = request.app[STORE]
    settings = request.app[SETTINGS]
    budgets = (request.app.get(BUDGETS) or _BUDGETS) if tenancy.plan.budget_usd is not None else None
    if budgets is not None:
        try:
            await budgets.check(store, key.user_id, tenancy)
        except StoreUnavailable as exc:
            return _unavailable(exc)
        except BudgetExceeded as exc:
            return web.json_response({"error": exc.message, **exc.fields}, status=402)
    request[GUARD_SECONDS] = time.perf_counter() - started
    plan = tenancy.plan
    # the LLM-call limit follows the plan's rate limit: CODEFLASH_ENGINE_RATE_LIMIT_LLM_CALLS, else
    # 10 calls per request the plan allows, in the plan's window
    call_limit = settings.codeflash_engine_rate_limit_llm_calls or 10 * plan.max_requests(settings.rate_limit_max)
    calls = CallLimit(key.key_hash, plan.window_ms(settings.rate_limit_window_ms), call_limit)
    meter = request[METER] = Meter(store, key.user_id, calls, tenancy, request.app.get(RECORDER))
    try:
        response = await handler(request)
    except BaseException:
        if _spent_nothing():
            await asyncio.shield(meter.give_back())
        raise
    finally:
        if budgets is not None:
            usage = usage_var.get()
            if usage is not None:
                budgets.add(key.user_id, tenancy, usage.cost_usd)
    if response.status != 200 and _spent_nothing():
        await meter.give_back()
    return response


def _spent_nothing() -> bool:
    """Whether the current request made no LLM call (a failure that spent something keeps its unit,
    or failing on purpose after the calls would make them free)."""
    usage = usage_var.get()
    return usage is None or usage.llm_calls == 0


async def store_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: open the store from ``app[SETTINGS]`` under :data:`STORE`, close it at exit.

    An application given a store already (tests, embedding) keeps it and this does nothing.
    """
    if BUDGETS not in app:
        app[BUDGETS] = Budgets(ttl=app[SETTINGS].codeflash_engine_budget_cache_seconds)
    if STORE in app:
        yield
        return
    async with open_store(app[SETTINGS]) as store:
        app[STORE] = store
        yield
