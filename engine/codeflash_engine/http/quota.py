"""The quota per function optimization: one unit per ``trace_id``, whichever endpoint comes first.

The guards put a :class:`Meter` on every authenticated request of an LLM-backed route (every
``/ai`` route but :data:`UNMETERED_ROUTES`). The trace id is in the body, so the meter is charged
by :func:`~codeflash_engine.http.body.parse_body` once the body is valid, before any LLM call:
the first LLM-backed request of a trace counts one optimization, later ones of the same trace are
free, and once the quota is used up every request of a trace that was not admitted gets 402. A
request that counted and does not end in 200 gives its unit back (the guards call
:meth:`Meter.give_back`) unless it made LLM calls: the unit paid for them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import attrs
from aiohttp import web

from codeflash_engine.errors import EngineError
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import QuotaDecision

log = logging.getLogger(__name__)

#: ``/ai`` routes that make no LLM call, so cost no quota
UNMETERED_ROUTES = frozenset({"/ai/log_features"})


class QuotaExhausted(EngineError):
    """402: the caller's optimizations for this period are used up."""

    status = 402


def exhausted_message(quota: QuotaDecision) -> str:
    """The 402 message: how many were used, of what plan, and when the count resets."""
    resets = f"; it resets at {quota.period_end:%Y-%m-%dT%H:%M:%SZ}" if quota.period_end is not None else ""
    plan = f" on plan '{quota.plan_type}'" if quota.plan_type else ""
    return f"optimization quota exhausted: {quota.used} of {quota.limit} optimizations used this period{plan}{resets}"


class CallRateExceeded(EngineError):
    """429: the key's LLM calls for this window are used up."""

    status = 429


@attrs.frozen
class CallLimit:
    """The LLM-call rate limit of one key: ``limit`` calls per ``window_ms``."""

    key_hash: str
    window_ms: int
    limit: int


class Meter:
    """Charges one request's LLM calls and trace ids to its key, and gives back what it counted."""

    def __init__(self, store: Store, user_id: str, calls: CallLimit | None = None) -> None:
        self.store = store
        self.user_id = user_id
        self.calls = calls
        #: traces this request counted (None: a request without trace id)
        self.counted: list[str | None] = []
        self.charged = False

    async def charge(self, trace_ids: Iterable[str | None], calls: int = 1) -> None:
        """Count ``calls`` planned LLM calls (429 past the key's call limit), then admit each
        distinct trace id (402 if one is refused). Traces counted before a refusal are given back.
        """
        if self.charged:
            return
        self.charged = True
        if self.calls is not None and calls > 0:
            limit = self.calls
            rate = await self.store.hit_calls(limit.key_hash, limit.window_ms, limit.limit, calls)
            if not rate.allowed:
                raise CallRateExceeded(
                    f"LLM call rate limit exceeded: at most {limit.limit} LLM calls per "
                    f"{limit.window_ms / 1000:g} s for this API key (CODEFLASH_ENGINE_RATE_LIMIT_LLM_CALLS), "
                    f"this request would make up to {calls}; retry in {rate.retry_after_s} s",
                    headers={"Retry-After": str(rate.retry_after_s)},
                )
        for trace_id in dict.fromkeys(trace_ids):
            decision = await self.store.admit_trace(self.user_id, trace_id)
            if decision.counted:
                self.counted.append(trace_id)
            if not decision.allowed:
                await self.give_back()
                raise QuotaExhausted(exhausted_message(decision))

    async def give_back(self) -> None:
        """The request failed: forget the traces it counted and return their units."""
        counted, self.counted = self.counted, []
        for trace_id in counted:
            try:
                await self.store.release_trace(self.user_id, trace_id)
            except Exception as exc:  # the count stays one too high; not worth failing the answer for
                log.warning("could not give back an optimization to the quota: %s", exc)


#: the meter of an authenticated request on a metered route
METER = web.RequestKey("meter", Meter)


def metered(request: web.Request) -> bool:
    """Whether the request's route makes LLM calls (a matched ``/ai`` route not in UNMETERED_ROUTES)."""
    if request.match_info.http_exception is not None:  # 404, 405: nothing will be called
        return False
    resource = request.match_info.route.resource
    return resource is not None and resource.canonical.startswith("/ai/") and resource.canonical not in UNMETERED_ROUTES


async def charge(request: web.Request, trace_ids: Iterable[str | None], calls: int = 1) -> None:
    """Charge the request's meter, if it has one (called once the body is valid)."""
    meter = request.get(METER)
    if meter is not None:
        await meter.charge(trace_ids, calls)
