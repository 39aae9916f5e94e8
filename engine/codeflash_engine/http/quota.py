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

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable

import attrs
from aiohttp import web

from codeflash_engine.errors import EngineError
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import (
    DEFAULT_TENANCY,
    CallCharge,
    QuotaDecision,
    RateDecision,
    Tenancy,
    period_end,
    period_start,
)
from codeflash_engine.infra.observability import RecordTakerLike
from codeflash_engine.infra.records import FeaturesRecord

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

    def __init__(
        self,
        store: Store,
        user_id: str,
        calls: CallLimit | None = None,
        tenancy: Tenancy = DEFAULT_TENANCY,
        recorder: RecordTakerLike | None = None,
    ) -> None:
        self.store = store
        #: where the original code of a trace's first request goes (None: it is not kept)
        self.recorder = recorder
        self.user_id = user_id
        self.calls = calls
        self.tenancy = tenancy
        #: traces this request counted (None: a request without trace id), with the plan counter
        #: they were counted on (None: the user's subscription)
        self.counted: list[tuple[str | None, str | None]] = []
        self.charged = False

    async def charge(self, trace_ids: Iterable[str | None], calls: int = 1, body: object = None) -> None:
        """Count ``calls`` planned LLM calls (429 past the key's call limit) and admit each distinct
        trace id (402 if one is refused). The calls and the first trace are one store call (one
        database round trip): past the call limit, no trace is admitted. When a later trace is
        refused, the traces counted before it are given back.

        The first request of a trace keeps its original code (``body``'s) in the trace's
        ``optimization_features.original_code``, through the recorder, outside privacy mode.
        """
        if self.charged:
            return
        self.charged = True
        traces = list(dict.fromkeys(trace_ids))
        limit = self.calls if self.calls is not None and calls > 0 else None
        first: list[str] = []
        if limit is not None:
            planned = CallCharge(limit.key_hash, limit.window_ms, limit.limit, calls)
            if not traces:
                rate = await self.store.hit_calls(limit.key_hash, limit.window_ms, limit.limit, calls)
                self._check_calls(planned, rate)
            else:
                plan = self.tenancy.plan
                tenant = self.tenancy.tenant(self.user_id) if plan.optimizations_limit is not None else None
                charged = await self.store.charge(self.user_id, traces[0], planned, tenant=tenant, plan=plan)
                self._check_calls(planned, charged.rate)
                assert charged.quota is not None  # the calls were allowed, so the trace was decided
                await self._decided(traces[0], charged.quota, first)
                traces = traces[1:]
        for trace_id in traces:
            await self._admit(trace_id, first)
        if body is not None and first and not self.tenancy.privacy:
            self._keep_original_code(body, first)

    @staticmethod
    def _check_calls(planned: CallCharge, rate: RateDecision) -> None:
        if not rate.allowed:
            raise CallRateExceeded(
                f"LLM call rate limit exceeded: at most {planned.limit} LLM calls per "
                f"{planned.window_ms / 1000:g} s for this API key (CODEFLASH_ENGINE_RATE_LIMIT_LLM_CALLS), "
                f"this request would make up to {planned.calls}; retry in {rate.retry_after_s} s",
                headers={"Retry-After": str(rate.retry_after_s)},
            )

    async def _admit(self, trace_id: str | None, first: list[str]) -> None:
        """Admit one trace id (402 if refused)."""
        plan = self.tenancy.plan
        if plan.optimizations_limit is None:
            decision = await self.store.admit_trace(self.user_id, trace_id)
        else:
            tenant = self.tenancy.tenant(self.user_id)
            decision = await self.store.admit_trace(self.user_id, trace_id, tenant=tenant, plan=plan)
        await self._decided(trace_id, decision, first)

    async def _decided(self, trace_id: str | None, decision: QuotaDecision, first: list[str]) -> None:
        """Take one trace's decision: remember what it counted and whether it is the trace's first
        request (into ``first``); a refusal gives back what this request counted (402)."""
        if decision.counted:
            self.counted.append((trace_id, decision.tenant))
        if decision.first and trace_id is not None:
            first.append(trace_id)
        if not decision.allowed:
            await self.give_back()
            raise QuotaExhausted(exhausted_message(decision))

    def _keep_original_code(self, body: object, trace_ids: list[str]) -> None:
        source = getattr(body, "source_code", None) or getattr(body, "source_code_being_tested", None)
        if self.recorder is None or not isinstance(source, str) or not source:
            return
        for trace_id in trace_ids:
            self.recorder.record(FeaturesRecord(trace_id, self.user_id, {"original_code": source}))

    async def give_back(self) -> None:
        """The request failed: forget the traces it counted and return their units."""
        counted, self.counted = self.counted, []
        for trace_id, tenant in counted:
            try:
                if tenant is None:
                    await self.store.release_trace(self.user_id, trace_id)
                else:
                    await self.store.release_trace(
                        self.user_id, trace_id, tenant=tenant, period=self.tenancy.plan.period
                    )
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


async def charge(request: web.Request, trace_ids: Iterable[str | None], calls: int = 1, body: object = None) -> None:
    """Charge the request's meter, if it has one (called once the body is valid)."""
    meter = request.get(METER)
    if meter is not None:
        await meter.charge(trace_ids, calls, body)


# --- spend budgets -------------------------------------------------------------------------------


class BudgetExceeded(EngineError):
    """402: the tenant's LLM spend for this period has reached its plan's budget."""

    status = 402
    #: the budget, the spend and the reset, beside the message in the JSON answer
    fields: dict[str, object] = {}  # noqa: RUF012  # replaced per instance


@attrs.define
class _Spent:
    usd: float
    fetched: float  # time.monotonic() of the read
    start: dt.datetime  # the period it belongs to


class Budgets:
    """The budget check of every LLM-backed request, with each tenant's spend cached briefly.

    A tenant's spend this period (``llm_calls.cost_usd`` of the organization, when the plan is
    the organization's, else of the user) is read from the store at most once per ``ttl``
    seconds per process (concurrent misses share one read); meanwhile the cost of the requests
    this process served is added as they end. So no request pays a database round trip for the
    budget but the first of each tenant every ``ttl`` seconds, and the overshoot is bounded:
    the requests admitted while the spend was under budget (each at most its planned calls'
    cost) plus what other replicas spent within the last ``ttl`` seconds.

    ``clock`` (Unix seconds) decides the period: inject one to test a reset.
    """

    def __init__(self, *, ttl: float = 5.0, clock: Callable[[], float] = time.time) -> None:
        self.ttl = ttl
        self.clock = clock
        self._spent: dict[str, _Spent] = {}
        self._reading: dict[str, asyncio.Future[float]] = {}

    def period(self, tenancy: Tenancy) -> tuple[dt.datetime, dt.datetime]:
        """Start and end of the plan's current period by this clock."""
        start = period_start(tenancy.plan.period, dt.datetime.fromtimestamp(self.clock(), dt.UTC))
        return start, period_end(tenancy.plan.period, start)

    async def spent(self, store: Store, user_id: str, tenancy: Tenancy) -> float:
        """The tenant's spend this period (cached up to ``ttl`` seconds)."""
        tenant = tenancy.tenant(user_id)
        start, _ = self.period(tenancy)
        cached = self._spent.get(tenant)
        if cached is not None and cached.start == start and time.monotonic() - cached.fetched < self.ttl:
            return cached.usd
        reading = self._reading.get(tenant)
        if reading is not None:
            return await asyncio.shield(reading)
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._reading[tenant] = future
        try:
            if tenant.startswith("org:") and tenancy.organization_id is not None:
                usd = await store.spend(since=start, organization_id=tenancy.organization_id)
            else:
                usd = await store.spend(since=start, user_id=user_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # read: no "never retrieved" warning when nobody else waited
            raise
        finally:
            del self._reading[tenant]
        self._spent[tenant] = _Spent(usd, time.monotonic(), start)
        if len(self._spent) > 100_000:  # forget the oldest tenant
            del self._spent[next(iter(self._spent))]
        future.set_result(usd)
        return usd

    async def check(self, store: Store, user_id: str, tenancy: Tenancy) -> None:
        """BudgetExceeded (402) when the tenant is at or past its plan's budget this period."""
        budget = tenancy.plan.budget_usd
        if budget is None:
            return
        usd = await self.spent(store, user_id, tenancy)
        if usd < budget:
            return
        _, end = self.period(tenancy)
        who = "your organization" if tenancy.tenant(user_id).startswith("org:") else "this user"
        refused = BudgetExceeded(
            f"spend budget reached: {who} spent ${usd:.4f} of the ${budget:.2f} per {tenancy.plan.period} "
            f"budget of plan '{tenancy.plan.name}'; it resets at {end:%Y-%m-%dT%H:%M:%SZ}",
        )
        refused.fields = {
            "plan": tenancy.plan.name,
            "budget_usd": budget,
            "spend_usd": round(usd, 6),
            "resets_at": f"{end:%Y-%m-%dT%H:%M:%SZ}",
        }
        raise refused

    def add(self, user_id: str, tenancy: Tenancy, usd: float) -> None:
        """A request of the tenant just cost ``usd``: count it until the next read."""
        if usd <= 0:
            return
        cached = self._spent.get(tenancy.tenant(user_id))
        if cached is not None and cached.start == self.period(tenancy)[0]:
            cached.usd += usd


#: the budget checker of an application (created at start-up when absent)
BUDGETS: web.AppKey[Budgets] = web.AppKey("budgets", Budgets)
