"""Domain types of the store: API keys, identities, rate and quota decisions, subscriptions.

Plain attrs data shared by both store implementations, the guards and the commands.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from codeflash_engine.errors import InvalidRequest, ServiceUnavailable
from codeflash_engine.infra.records import ErrorRecord, LLMCallRecord

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")


class StoreUnavailable(ServiceUnavailable):
    """The database cannot be reached (or answered too slowly); callers fail closed with 503."""


class StoreError(InvalidRequest):
    """A store operation was refused (bad argument, unknown reference, data it cannot hold).

    Not a connectivity problem. Reaching the HTTP layer (e.g. features it cannot store), it is
    answered 422 like any other request the engine cannot serve as it stands.
    """


@attrs.frozen
class ApiKey:
    """An API key as stored: never the key itself, only its digest and a display suffix."""

    id: int
    key_hash: str
    suffix: str
    user_id: str
    tier: str
    organization_id: int | None
    organization: str | None
    created: dt.datetime
    revoked: dt.datetime | None = None
    #: None: the key does not expire
    expires: dt.datetime | None = None
    #: the key's own plan (None: its user's, organization's or the default)
    plan: str | None = None
    #: when it last opened a request (to the minute: refreshed at most once a minute); None: never
    last_used: dt.datetime | None = None

    @property
    def is_revoked(self) -> bool:
        return self.revoked is not None

    def expired(self, now: dt.datetime) -> bool:
        """The key has reached its expiry at ``now``."""
        return self.expires is not None and self.expires <= now

    @property
    def display(self) -> str:
        """How the key is shown to people: ``cf-…`` and its last characters."""
        return f"cf-…{self.suffix}"


@attrs.frozen(repr=False)
class NewKey:
    """A key just created: the only moment the clear key exists. Print it once, then drop it."""

    key: str
    info: ApiKey

    def __repr__(self) -> str:  # keep the clear key out of reprs, tracebacks and logs
        return f"NewKey(key={self.info.display!r}, info={self.info!r})"


@attrs.frozen
class RateDecision:
    """Outcome of one request against a fixed-window limit."""

    allowed: bool
    #: whole seconds until the current window ends (at least 1)
    retry_after_s: int
    #: requests still allowed in the current window
    remaining: int


#: a plan name: a letter or digit, then up to 63 of A-Z a-z 0-9 _ . -
PLAN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
DEFAULT_PLAN = "default"
#: where a request's plan came from (its tenant: the organization when "organization", else the user)
PlanSource = Literal["key", "user", "organization", "default"]


@attrs.frozen
class Plan:
    """What a tenant bought: rate limit, quota, spend budget per period, model mix.

    None rate-limit fields: the environment's RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS; None
    ``optimizations_limit`` or ``budget_usd``: unlimited; None ``models``: the engine's mix.
    """

    name: str
    rate_limit_max: int | None = None
    rate_limit_window_ms: int | None = None
    optimizations_limit: int | None = None
    budget_usd: float | None = None
    period: Period = "month"
    models: str | None = None

    def window_ms(self, default: int) -> int:
        return self.rate_limit_window_ms or default

    def max_requests(self, default: int) -> int:
        return self.rate_limit_max or default


def check_plan(plan: Plan) -> None:
    """StoreError naming the field of a plan that cannot be stored."""
    if not PLAN_NAME.fullmatch(plan.name):
        raise StoreError(f"plan name {plan.name!r}: a letter or digit, then up to 63 of A-Z a-z 0-9 _ . -")
    if plan.rate_limit_max is not None and plan.rate_limit_max < 1:
        raise StoreError("rate_limit_max must be at least 1")
    if plan.rate_limit_window_ms is not None and plan.rate_limit_window_ms < 1:
        raise StoreError("rate_limit_window_ms must be at least 1")
    if (plan.rate_limit_max is None) != (plan.rate_limit_window_ms is None):
        raise StoreError("rate limit: give both rate_limit_max and rate_limit_window_ms, or neither")
    if plan.optimizations_limit is not None and plan.optimizations_limit < 0:
        raise StoreError("optimizations_limit cannot be negative")
    if plan.budget_usd is not None and not (0 <= plan.budget_usd < 1e10 and math.isfinite(plan.budget_usd)):
        raise StoreError("budget_usd must be a finite amount from 0")
    if plan.period not in PERIODS:
        raise StoreError(f"period must be one of {', '.join(PERIODS)}")


@attrs.frozen
class Organization:
    """An organization: its keys' requests share its plan's quota and budget (when the plan is its)."""

    id: int
    name: str
    plan: str | None
    privacy_mode: bool
    github_org_id: int | None
    created: dt.datetime


@attrs.frozen
class Tenancy:
    """A request's plan, where it came from, and its organization's privacy mode."""

    plan: Plan
    source: PlanSource
    organization_id: int | None
    privacy: bool = False

    def tenant(self, user_id: str) -> str:
        """Who shares the quota and budget: ``org:<id>`` when the plan is the organization's, else ``user:<id>``."""
        if self.source == "organization" and self.organization_id is not None:
            return f"org:{self.organization_id}"
        return f"user:{user_id}"


DEFAULT_TENANCY = Tenancy(plan=Plan(DEFAULT_PLAN), source="default", organization_id=None)


def plan_source(key_plan: str | None, user_plan: str | None, org_plan: str | None) -> PlanSource:
    if key_plan is not None:
        return "key"
    if user_plan is not None:
        return "user"
    if org_plan is not None:
        return "organization"
    return "default"


@attrs.frozen
class Admission:
    """Key lookup and rate-limit hit done together (one round trip on PostgreSQL).

    ``rate`` is None when the key is unknown, revoked or expired (such requests are not counted),
    or when the request was not to be counted (``count=False``: a route without LLM calls).
    ``tenancy``: the key's plan, resolved in the same statement.
    """

    key: ApiKey | None
    rate: RateDecision | None
    tenancy: Tenancy = DEFAULT_TENANCY


@attrs.frozen
class Subscription:
    """A user's plan and optimization quota for the current period."""

    user_id: str
    plan_type: str
    optimizations_used: int
    #: None: unmetered
    optimizations_limit: int | None
    period: Period
    period_start: dt.datetime


@attrs.frozen
class QuotaDecision:
    """Outcome of counting one optimization against a user's subscription."""

    allowed: bool
    #: optimizations counted in the current period, this one included when allowed
    used: int | None
    #: None: unmetered (or no subscription at all)
    limit: int | None
    plan_type: str | None
    #: when the current period ends (None without a subscription)
    period_end: dt.datetime | None
    #: whether this decision counted an optimization (False: refused, unmetered, or the trace was
    #: admitted before and is not counted again)
    counted: bool = False
    #: the plan counter it was counted on (``user:<id>`` / ``org:<id>``); None: the user's subscription
    tenant: str | None = None
    #: the first request of its trace (admitted now, counted or unmetered)
    first: bool = False


@attrs.frozen
class CallCharge:
    """The LLM calls one request plans, to count in its key's call window: ``calls`` against
    ``limit`` per ``window_ms`` (the counter is the key's digest with ``:llm`` appended)."""

    key_hash: str
    window_ms: int
    limit: int
    calls: int


@attrs.frozen
class Charge:
    """Outcome of :meth:`Store.charge <codeflash_engine.infra.db.store.Store.charge>`: the call
    limit's decision, and the trace's when the calls were allowed (None: refused, not admitted)."""

    rate: RateDecision
    quota: QuotaDecision | None


@attrs.frozen
class TraceRecords:
    """Everything recorded for one trace id (for operators and tests)."""

    calls: list[LLMCallRecord]
    errors: list[ErrorRecord]


@attrs.frozen
class UsageRow:
    """LLM calls of one group (a user, a model, a day, a call type) summed over a period."""

    group: str
    calls: int
    failed: int
    tokens_in: int
    tokens_out: int
    tokens_cached: int
    cost_usd: float
    #: requests that made these calls (distinct request ids; calls recorded without one count apart)
    requests: int = 0

    def as_json(self) -> dict[str, object]:
        """The row as `usage --json` prints it (and the dashboard's CSV has it)."""
        return {
            "group": self.group,
            "calls": self.calls,
            "failed": self.failed,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "tokens_cached": self.tokens_cached,
            "cost_usd": round(self.cost_usd, 10),
            "requests": self.requests,
        }


def usage_total(rows: list[UsageRow]) -> UsageRow:
    """The TOTAL line of a usage report: the row of its ``total`` group (zeros for a period without calls)."""
    if rows:
        return rows[0]
    return UsageRow(group="TOTAL", calls=0, failed=0, tokens_in=0, tokens_out=0, tokens_cached=0, cost_usd=0.0)


@attrs.frozen
class TraceSummary:
    """One trace's LLM calls summed: what a search for traces lists."""

    trace_id: str
    user_id: str | None
    calls: int
    failed: int
    cost_usd: float
    first: dt.datetime
    last: dt.datetime


@attrs.frozen
class Identity:
    """Who is calling: put on each authenticated request by the guards."""

    user_id: str
    key_hash: str
    key_suffix: str
    tier: str
    organization_id: int | None
    tenancy: Tenancy = DEFAULT_TENANCY

    @classmethod
    def of(cls, key: ApiKey, tenancy: Tenancy = DEFAULT_TENANCY) -> Identity:
        return cls(
            user_id=key.user_id,
            key_hash=key.key_hash,
            key_suffix=key.suffix,
            tier=key.tier,
            organization_id=key.organization_id,
            tenancy=tenancy,
        )

    @property
    def tenant(self) -> str:
        return self.tenancy.tenant(self.user_id)


def rate_decision(hits: int, window_start: int, window_ms: int, now_ms: int, limit: int) -> RateDecision:
    """The decision for the ``hits``-th request of a window (shared by both stores)."""
    retry_after = max(1, math.ceil((window_start + window_ms - now_ms) / 1000))
    return RateDecision(allowed=hits <= limit, retry_after_s=retry_after, remaining=max(0, limit - hits))


def period_start(period: Period, now: dt.datetime) -> dt.datetime:
    """Start (UTC) of the calendar period containing ``now``; same rule as PostgreSQL's date_trunc."""
    now = now.astimezone(dt.UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":  # ISO weeks start on Monday, as date_trunc('week', ...)
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def period_end(period: Period, start: dt.datetime) -> dt.datetime:
    """End of the period starting at ``start`` (exclusive)."""
    if period == "day":
        return start + dt.timedelta(days=1)
    if period == "week":
        return start + dt.timedelta(days=7)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


FEATURE_COLUMNS: tuple[str, ...] = (
    "original_code",
    "speedup_ratio",
    "original_runtime",
    "optimized_runtime",
    "is_correct",
    "optimized_line_profiler_results",
    "metadata",
    "optimizations_post",
    "codeflash_version",
)
"""Fields of /ai/log_features with a column of their own; others are kept in ``extra``."""


def _is_bigint_or_none(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def split_features(payload: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a /ai/log_features body into known columns and the rest (``trace_id`` dropped).

    A known field of the wrong type (a text column given a number, a non-integer runtime) moves
    to ``extra`` instead of failing the write. Text with NUL characters is refused (StoreError).
    """
    if _has_nul(dict(payload)):
        raise StoreError("features with NUL characters cannot be stored (PostgreSQL text cannot hold them)")
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in payload.items():
        if name == "trace_id":
            continue
        misfit = (name in ("original_code", "codeflash_version") and not isinstance(value, str | None)) or (
            name == "original_runtime" and not _is_bigint_or_none(value)
        )
        if name not in FEATURE_COLUMNS or misfit:
            extra[name] = value
        else:
            known[name] = value
    return known, extra
