"""The in-memory store: the embedded default when DATABASE_URL is unset.

One process only: keys, counters and records live in dicts and vanish with the process. Records
and feature rows are kept up to a bound (the newest :attr:`MemoryStore.MAX_CALLS` LLM calls, and
so on), so a long-running embedded engine does not grow without end. Every
method runs without awaiting in between, so on one event loop each one is atomic, like the SQL
statements of the PostgreSQL store it mirrors.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import itertools
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from codeflash_engine.infra.db import apikeys, memory_reports
from codeflash_engine.infra.db.cfapi_types import OptimizationEvent, PullRequestRecord
from codeflash_engine.infra.db.queries import USAGE_GROUPS
from codeflash_engine.infra.db.types import (
    DEFAULT_PLAN,
    FEATURE_COLUMNS,
    PERIODS,
    Admission,
    ApiKey,
    CallCharge,
    Charge,
    NewKey,
    Organization,
    Period,
    Plan,
    QuotaDecision,
    RateDecision,
    StoreError,
    Subscription,
    Tenancy,
    TraceRecords,
    TraceSummary,
    UsageRow,
    check_plan,
    period_end,
    plan_source,
    rate_decision,
    split_features,
)
from codeflash_engine.infra.db.types import (
    period_start as _period_start,
)
from codeflash_engine.infra.db.wins import VerifiedWin, rank_in_memory
from codeflash_engine.infra.records import ErrorRecord, FeaturesRecord, LLMCallRecord, Record
from codeflash_engine.infra.tenancy import privacy_var, private_features

#: prune finished rate-limit windows every this many hits
_PRUNE_EVERY = 1024
#: a key's last use is refreshed at most this often
_TOUCH_EVERY = dt.timedelta(minutes=1)


@attrs.define
class _User:
    user_id: str
    github_username: str | None
    email: str | None
    plan: str | None = None


@attrs.define
class _Counter:
    hits: int
    expires_ms: int


def _json_copy(value: Any) -> Any:
    """What a jsonb round trip gives back (tuples become lists, keys become strings)."""
    if value is None:
        return None
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except ValueError as exc:
        raise StoreError(f"cannot store as JSON: {exc}") from exc


def _check_window(window_ms: int, limit: int) -> None:
    if window_ms < 1 or limit < 0:
        raise StoreError(f"invalid rate limit: window {window_ms} ms, limit {limit}")


class MemoryStore:
    """A :class:`~codeflash_engine.infra.db.store.Store` in this process's memory.

    ``clock`` gives Unix time in seconds (windows, periods and timestamps follow it).
    """

    persistent = False

    #: the newest records and feature rows it keeps (the embedded store must not grow forever)
    MAX_CALLS = 50_000
    #: admitted traces remembered at most (one per function optimization)
    MAX_TRACES = 200_000
    MAX_ERRORS = 10_000
    MAX_FEATURES = 2_000

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._ids = itertools.count(1)
        self._org_ids = itertools.count(1)
        self._users: dict[str, _User] = {}
        self._orgs: dict[str, int] = {}
        self._org_rows: dict[int, Organization] = {}
        self._plans: dict[str, Plan] = {DEFAULT_PLAN: Plan(DEFAULT_PLAN)}
        #: plan quota counters per tenant: (used, period start)
        self._plan_quota: dict[str, tuple[int, dt.datetime]] = {}
        self._tenancies: dict[tuple[Any, ...], Tenancy] = {}
        self._keys: dict[str, ApiKey] = {}  # by digest, in creation order
        self._subscriptions: dict[str, Subscription] = {}
        self._counters: dict[tuple[str, int], _Counter] = {}
        self._hits_since_prune = 0
        self._calls: collections.deque[LLMCallRecord] = collections.deque(maxlen=self.MAX_CALLS)
        self._errors: collections.deque[ErrorRecord] = collections.deque(maxlen=self.MAX_ERRORS)
        self._features: dict[str, dict[str, Any]] = {}
        self._wins: dict[tuple[str, str], tuple[int, VerifiedWin]] = {}
        self._win_ids = itertools.count(1)
        #: admitted (user, trace) pairs, oldest first, at most MAX_TRACES
        self._traces: dict[tuple[str, str], None] = {}

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC)

    async def __aenter__(self) -> MemoryStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    # --- keys --------------------------------------------------------------------------------

    def _ensure_user(self, user_id: str, github_username: str | None, email: str | None) -> None:
        if not user_id:
            raise StoreError("a user id is required")
        user = self._users.get(user_id)
        if user is None:
            self._users[user_id] = _User(user_id, github_username, email)
            return
        user.github_username = github_username or user.github_username
        user.email = email or user.email

    def _new_org(self, name: str, plan: str | None, privacy: bool, github_org_id: int | None) -> Organization:
        org = Organization(next(self._org_ids), name, plan, privacy, github_org_id, self._now())
        self._orgs[name] = org.id
        self._org_rows[org.id] = org
        return org

    def _add_key(
        self,
        key: str,
        user_id: str,
        tier: str,
        organization: str | None,
        expires: dt.datetime | None = None,
        organization_id: int | None = None,
        plan: str | None = None,
    ) -> ApiKey:
        if not tier:
            raise StoreError("a tier is required")
        if organization is not None and organization_id is not None:
            raise StoreError("give the organization by name or by id, not both")
        self._check_plan_exists(plan)
        org_id = organization_id
        if organization is not None:
            if not organization:
                raise StoreError("an organization name cannot be empty")
            found = self._orgs.get(organization)
            org_id = found if found is not None else self._new_org(organization, None, False, None).id
        elif organization_id is not None:
            if organization_id not in self._org_rows:
                raise StoreError(f"no organization has id {organization_id}")
            organization = self._org_rows[organization_id].name
        digest = apikeys.hash_key(key)
        if digest in self._keys:
            raise StoreError("this key already exists")
        info = ApiKey(
            id=next(self._ids),
            key_hash=digest,
            suffix=apikeys.key_suffix(key),
            user_id=user_id,
            tier=tier,
            organization_id=org_id,
            organization=organization,
            created=self._now(),
            expires=expires,
            plan=plan,
        )
        self._keys[digest] = info
        return info

    def import_key(self, key: str, *, user_id: str = "local", tier: str = "local") -> ApiKey:
        """Accept a key given from outside (CODEFLASH_ENGINE_API_KEYS) in the embedded mode."""
        if not apikeys.is_well_formed(key):
            raise StoreError("an API key must be 'cf-' followed by 16 to 256 characters from A-Z a-z 0-9 _ -")
        self._ensure_user(user_id, None, None)
        digest = apikeys.hash_key(key)
        existing = self._keys.get(digest)
        return existing if existing is not None else self._add_key(key, user_id, tier, None)

    async def create_key(
        self,
        user_id: str,
        *,
        tier: str = "free",
        organization: str | None = None,
        github_username: str | None = None,
        email: str | None = None,
        expires: dt.datetime | None = None,
        organization_id: int | None = None,
        plan: str | None = None,
    ) -> NewKey:
        if not user_id:
            raise StoreError("a user id is required")
        self._check_plan_exists(plan)
        if organization_id is not None and organization_id not in self._org_rows:
            raise StoreError(f"no organization has id {organization_id}")
        self._ensure_user(user_id, github_username, email)
        key = apikeys.generate_key()
        return NewKey(key=key, info=self._add_key(key, user_id, tier, organization, expires, organization_id, plan))

    async def lookup_key(self, key_hash: str) -> ApiKey | None:
        return self._keys.get(key_hash)

    async def list_keys(self, *, user_id: str | None = None, include_revoked: bool = True) -> list[ApiKey]:
        return [
            k
            for k in self._keys.values()
            if (user_id is None or k.user_id == user_id) and (include_revoked or self._usable(k))
        ]

    def _usable(self, key: ApiKey) -> bool:
        return key.revoked is None and not key.expired(self._now())

    async def expire_key(self, key_id: int, at: dt.datetime) -> bool:
        for digest, info in self._keys.items():
            if info.id == key_id and info.revoked is None:
                self._keys[digest] = attrs.evolve(info, expires=at)
                return True
        return False

    async def revoke_key(self, *, key_id: int | None = None, key_hash: str | None = None) -> bool:
        if (key_id is None) == (key_hash is None):
            raise StoreError("revoke one key: give its id or its digest")
        for digest, info in self._keys.items():
            if (info.id == key_id or digest == key_hash) and info.revoked is None:
                self._keys[digest] = attrs.evolve(info, revoked=self._now())
                return True
        return False

    # --- rate limits -------------------------------------------------------------------------

    async def hit(self, key_hash: str, window_ms: int, limit: int) -> RateDecision:
        _check_window(window_ms, limit)
        now_ms = int(self._clock() * 1000)
        start = now_ms // window_ms * window_ms
        counter = self._counters.get((key_hash, start))
        if counter is None:
            counter = self._counters[(key_hash, start)] = _Counter(hits=1, expires_ms=start + window_ms)
        else:
            counter.hits += 1
        self._hits_since_prune += 1
        if self._hits_since_prune >= _PRUNE_EVERY:
            self._prune(now_ms)
        return rate_decision(counter.hits, start, window_ms, now_ms, limit)

    async def hit_calls(self, key_hash: str, window_ms: int, limit: int, calls: int) -> RateDecision:
        _check_window(window_ms, limit)
        if calls < 0:
            raise StoreError(f"invalid number of calls: {calls}")
        now_ms = int(self._clock() * 1000)
        start = now_ms // window_ms * window_ms
        slot = (key_hash + ":llm", start)
        counter = self._counters.get(slot)
        if counter is None:
            counter = self._counters[slot] = _Counter(hits=calls, expires_ms=start + window_ms)
        else:
            counter.hits += calls
        return rate_decision(counter.hits, start, window_ms, now_ms, limit)

    def _prune(self, now_ms: int) -> None:
        self._hits_since_prune = 0
        for slot in [slot for slot, c in self._counters.items() if c.expires_ms <= now_ms]:
            del self._counters[slot]

    async def admit(self, key_hash: str, window_ms: int, limit: int, *, count: bool = True) -> Admission:
        key = self._keys.get(key_hash)
        if key is None:
            return Admission(key=None, rate=None)
        if self._usable(key):
            key = self._touch(key)
        tenancy = self._tenancy(key)
        if not count or not self._usable(key):
            return Admission(key=key, rate=None, tenancy=tenancy)
        plan = tenancy.plan
        rate = await self.hit(key_hash, plan.window_ms(window_ms), plan.max_requests(limit))
        return Admission(key=key, rate=rate, tenancy=tenancy)

    def _tenancy(self, key: ApiKey) -> Tenancy:
        # the key's plan, else the one its tier names; the user's, else the one its subscription's
        # plan_type names (seeded data keeps its meaning); the organization's; the default
        key_plan = key.plan or (key.tier if key.tier in self._plans else None)
        user = self._users.get(key.user_id)
        sub = self._subscriptions.get(key.user_id)
        user_plan = (user.plan if user is not None else None) or (
            sub.plan_type if sub is not None and sub.plan_type in self._plans else None
        )
        org = self._org_rows.get(key.organization_id) if key.organization_id is not None else None
        org_plan = org.plan if org is not None else None
        name = key_plan or user_plan or org_plan or DEFAULT_PLAN
        plan = self._plans.get(name) or Plan(name)
        signature = (plan, key_plan, user_plan, org_plan, key.organization_id, org is not None and org.privacy_mode)
        found = self._tenancies.get(signature)
        if found is None:
            if len(self._tenancies) > 10_000:
                self._tenancies.clear()
            found = self._tenancies[signature] = Tenancy(
                plan=plan,
                source=plan_source(key_plan, user_plan, org_plan),
                organization_id=key.organization_id,
                privacy=org is not None and org.privacy_mode,
            )
        return found

    def _touch(self, key: ApiKey) -> ApiKey:
        """The key with its last use now (refreshed at most once a minute, as on PostgreSQL)."""
        now = self._now()
        if key.last_used is not None and key.last_used >= now - _TOUCH_EVERY:
            return key
        key = self._keys[key.key_hash] = attrs.evolve(key, last_used=now)
        return key

    async def peek_rate(self, key_hash: str, window_ms: int, limit: int) -> RateDecision:
        _check_window(window_ms, limit)
        now_ms = int(self._clock() * 1000)
        start = now_ms // window_ms * window_ms
        counter = self._counters.get((key_hash, start))
        hits = 0 if counter is None else counter.hits
        return attrs.evolve(rate_decision(hits, start, window_ms, now_ms, limit), allowed=hits < limit)

    # --- plans and organizations ---------------------------------------------------------------

    def _check_plan_exists(self, plan: str | None) -> None:
        if plan is not None and plan not in self._plans:
            raise StoreError(f"no plan is named {plan!r} (see `codeflash-engine plans list`)")

    async def set_plan(self, plan: Plan) -> Plan:
        check_plan(plan)
        self._plans[plan.name] = plan
        return plan

    async def get_plan(self, name: str) -> Plan | None:
        return self._plans.get(name)

    async def list_plans(self) -> list[Plan]:
        return [self._plans[name] for name in sorted(self._plans)]

    async def create_organization(
        self, name: str, *, plan: str | None = None, privacy_mode: bool = False, github_org_id: int | None = None
    ) -> Organization:
        if not name:
            raise StoreError("an organization name cannot be empty")
        self._check_plan_exists(plan)
        if name in self._orgs or (
            github_org_id is not None and any(o.github_org_id == github_org_id for o in self._org_rows.values())
        ):
            raise StoreError(f"an organization named {name!r} (or with that GitHub id) exists already")
        return self._new_org(name, plan, privacy_mode, github_org_id)

    async def update_organization(
        self,
        organization_id: int,
        *,
        plan: str | None = None,
        clear_plan: bool = False,
        privacy_mode: bool | None = None,
    ) -> Organization:
        self._check_plan_exists(plan)
        org = self._org_rows.get(organization_id)
        if org is None:
            raise StoreError(f"no organization has id {organization_id}")
        new_plan = None if clear_plan else (plan if plan is not None else org.plan)
        org = attrs.evolve(org, plan=new_plan, privacy_mode=org.privacy_mode if privacy_mode is None else privacy_mode)
        self._org_rows[organization_id] = org
        return org

    async def get_organization(self, organization_id: int) -> Organization | None:
        return self._org_rows.get(organization_id)

    async def list_organizations(self) -> list[Organization]:
        return list(self._org_rows.values())

    async def set_user_plan(self, user_id: str, plan: str | None) -> None:
        self._check_plan_exists(plan)
        user = self._users.get(user_id)
        if user is None:
            raise StoreError(f"no such user: {user_id!r}")
        user.plan = plan

    async def plan_quota_used(self, tenant: str, period: Period) -> int:
        used, start = self._plan_quota.get(tenant, (0, _period_start(period, self._now())))
        return used if start >= _period_start(period, self._now()) else 0

    async def spend(
        self, *, since: dt.datetime, user_id: str | None = None, organization_id: int | None = None
    ) -> float:
        if (user_id is None) == (organization_id is None):
            raise StoreError("spend of one tenant: give a user id or an organization id")
        if organization_id is not None:
            return sum(c.cost_usd for c in self._calls if c.organization_id == organization_id and c.created >= since)
        return sum(c.cost_usd for c in self._calls if c.user_id == user_id and c.created >= since)

    # --- subscriptions and quota -------------------------------------------------------------

    async def set_subscription(
        self,
        user_id: str,
        *,
        plan_type: str,
        optimizations_limit: int | None,
        period: Period = "month",
        optimizations_used: int | None = None,
        period_start: dt.datetime | None = None,
    ) -> Subscription:
        if user_id not in self._users:
            raise StoreError(f"no such user: {user_id!r}")
        if period not in PERIODS:
            raise StoreError(f"period must be one of {', '.join(PERIODS)}")
        if (optimizations_limit is not None and optimizations_limit < 0) or (
            optimizations_used is not None and optimizations_used < 0
        ):
            raise StoreError("quota figures cannot be negative")
        current = self._subscriptions.get(user_id)
        used = optimizations_used if optimizations_used is not None else (current.optimizations_used if current else 0)
        if period_start is None:
            start = current.period_start if current else _period_start(period, self._now())
        else:
            start = period_start.astimezone(dt.UTC)
        sub = Subscription(
            user_id=user_id,
            plan_type=plan_type,
            optimizations_used=used,
            optimizations_limit=optimizations_limit,
            period=period,
            period_start=start,
        )
        self._subscriptions[user_id] = sub
        return sub

    async def get_subscription(self, user_id: str) -> Subscription | None:
        return self._subscriptions.get(user_id)

    async def consume_optimization(self, user_id: str) -> QuotaDecision:
        sub = self._subscriptions.get(user_id)
        if sub is None:
            return QuotaDecision(allowed=True, used=None, limit=None, plan_type=None, period_end=None)
        start = _period_start(sub.period, self._now())
        used = sub.optimizations_used if sub.period_start >= start else 0
        end = period_end(sub.period, start)
        if sub.optimizations_limit is not None and used >= sub.optimizations_limit:
            return QuotaDecision(
                allowed=False, used=used, limit=sub.optimizations_limit, plan_type=sub.plan_type, period_end=end
            )
        self._subscriptions[user_id] = attrs.evolve(
            sub, optimizations_used=used + 1, period_start=max(sub.period_start, start)
        )
        return QuotaDecision(
            allowed=True,
            used=used + 1,
            limit=sub.optimizations_limit,
            plan_type=sub.plan_type,
            period_end=end,
            counted=True,
        )

    def _consume_plan_quota(self, tenant: str, plan: Plan) -> QuotaDecision:
        limit = plan.optimizations_limit
        assert limit is not None
        start = _period_start(plan.period, self._now())
        used, since = self._plan_quota.get(tenant, (0, start))
        used = used if since >= start else 0
        end = period_end(plan.period, start)
        if used >= limit:
            return QuotaDecision(False, used, limit, plan.name, end)
        self._plan_quota[tenant] = (used + 1, start)
        return QuotaDecision(True, used + 1, limit, plan.name, end, counted=True, tenant=tenant)

    async def admit_trace(
        self, user_id: str, trace_id: str | None, *, tenant: str | None = None, plan: Plan | None = None
    ) -> QuotaDecision:
        # No await between the check and the update: atomic within the one process it serves.
        if trace_id is not None and (user_id, trace_id) in self._traces:
            return QuotaDecision(allowed=True, used=None, limit=None, plan_type=None, period_end=None)
        if (
            user_id not in self._subscriptions
            and tenant is not None
            and plan is not None
            and plan.optimizations_limit is not None
        ):
            decision = self._consume_plan_quota(tenant, plan)
        else:
            decision = await self.consume_optimization(user_id)
        if decision.allowed:
            decision = attrs.evolve(decision, first=True)
        if decision.allowed and trace_id is not None:
            self._traces[(user_id, trace_id)] = None
            if len(self._traces) > self.MAX_TRACES:  # the oldest trace would be counted again
                del self._traces[next(iter(self._traces))]
        return decision

    async def charge(
        self,
        user_id: str,
        trace_id: str | None,
        calls: CallCharge,
        *,
        tenant: str | None = None,
        plan: Plan | None = None,
    ) -> Charge:
        rate = await self.hit_calls(calls.key_hash, calls.window_ms, calls.limit, calls.calls)
        if not rate.allowed:
            return Charge(rate, None)
        return Charge(rate, await self.admit_trace(user_id, trace_id, tenant=tenant, plan=plan))

    async def release_trace(
        self, user_id: str, trace_id: str | None, *, tenant: str | None = None, period: Period = "month"
    ) -> None:
        if trace_id is not None:
            if (user_id, trace_id) not in self._traces:
                return
            del self._traces[(user_id, trace_id)]
        if tenant is not None:
            used, start = self._plan_quota.get(tenant, (0, self._now()))
            if start >= _period_start(period, self._now()):
                self._plan_quota[tenant] = (max(0, used - 1), start)
            return
        await self.release_optimization(user_id)

    async def release_optimization(self, user_id: str) -> None:
        sub = self._subscriptions.get(user_id)
        if sub is None or sub.period_start < _period_start(sub.period, self._now()):
            return
        self._subscriptions[user_id] = attrs.evolve(sub, optimizations_used=max(0, sub.optimizations_used - 1))

    # --- records and features ----------------------------------------------------------------

    async def write_records(self, batch: Sequence[Record]) -> None:
        for record in batch:
            if isinstance(record, LLMCallRecord):
                self._calls.append(record)
            elif isinstance(record, ErrorRecord):
                self._errors.append(record)
            elif isinstance(record, FeaturesRecord):
                self._upsert_features(record.trace_id, record.user_id, record.payload)
            else:
                raise StoreError(f"cannot store a {type(record).__name__}")

    async def write(self, batch: Sequence[Record]) -> None:
        await self.write_records(batch)

    async def records_for_trace(self, trace_id: str) -> TraceRecords:
        return TraceRecords(
            calls=sorted((c for c in self._calls if c.trace_id == trace_id), key=lambda c: c.created),
            errors=sorted((e for e in self._errors if e.trace_id == trace_id), key=lambda e: e.created),
        )

    async def usage(
        self, *, since: dt.datetime, until: dt.datetime, group: str, user_id: str | None = None
    ) -> list[UsageRow]:
        """LLM calls in [since, until) summed per ``group``, as PostgreSQL's usage report does.

        Summed in a worker thread over a copy of the records (taken at once, so the report is of
        one moment), the event loop serving meanwhile.
        """
        if group not in USAGE_GROUPS:
            raise StoreError(f"cannot group usage by {group!r}; one of {', '.join(USAGE_GROUPS)}")
        calls, organizations = list(self._calls), {i: o.name for i, o in self._org_rows.items()}
        return await asyncio.to_thread(
            memory_reports.usage_rows,
            calls,
            since=since,
            until=until,
            group=group,
            user_id=user_id,
            organizations=organizations,
        )

    async def trace_summaries(
        self, *, since: dt.datetime, prefix: str | None = None, user_id: str | None = None, limit: int = 50
    ) -> list[TraceSummary]:
        return await asyncio.to_thread(
            memory_reports.trace_summaries, list(self._calls), since=since, prefix=prefix, user_id=user_id, limit=limit
        )

    async def upsert_features(self, trace_id: str, user_id: str | None, payload: Mapping[str, Any]) -> bool:
        if not trace_id:
            raise StoreError("a trace id is required")
        if privacy_var.get():  # the organization's privacy mode: numbers and ids only
            payload = private_features(payload)
        return self._upsert_features(trace_id, user_id, payload)

    def _upsert_features(self, trace_id: str, user_id: str | None, payload: Mapping[str, Any]) -> bool:
        known, extra = split_features(payload)
        known = {
            name: value if name in ("original_code", "codeflash_version", "original_runtime") else _json_copy(value)
            for name, value in known.items()
        }
        extra = _json_copy(extra)
        now = self._now()
        row = self._features.get(trace_id)
        if row is None:
            while len(self._features) >= self.MAX_FEATURES:  # the oldest trace goes first
                del self._features[next(iter(self._features))]
            self._features[trace_id] = {
                "trace_id": trace_id,
                "user_id": user_id,
                **{name: known.get(name) for name in FEATURE_COLUMNS},
                "extra": extra,
                "created": now,
                "updated": now,
            }
            return True
        if row["user_id"] is not None and row["user_id"] != user_id:
            return False
        for name in FEATURE_COLUMNS:
            if known.get(name) is not None:
                row[name] = known[name]
        row["user_id"] = row["user_id"] or user_id
        row["extra"] = {**row["extra"], **extra}
        row["updated"] = now
        return True

    async def get_features(self, trace_id: str) -> dict[str, Any] | None:
        row = self._features.get(trace_id)
        return None if row is None else _json_copy_row(row)

    # --- verified wins (issue 22) ------------------------------------------------------------

    #: verified wins kept at most (the oldest go first)
    MAX_WINS = 10_000

    async def add_verified_win(self, win: VerifiedWin) -> None:
        key = (win.tenant, win.trace_id)
        ident = self._wins[key][0] if key in self._wins else next(self._win_ids)
        self._wins[key] = (ident, win)
        while len(self._wins) > self.MAX_WINS:
            del self._wins[next(iter(self._wins))]

    async def similar_wins(self, tenant: str, query: Sequence[str], limit: int) -> list[VerifiedWin]:
        mine = [(ident, win) for (owner, _), (ident, win) in self._wins.items() if owner == tenant]
        return rank_in_memory(mine, query, limit)

    # --- health ------------------------------------------------------------------------------

    async def ping(self) -> None:
        return None

    # --- cfapi (the CLI's second service) ------------------------------------------------------

    #: cfapi rows kept at most per table (the oldest go first)
    MAX_CFAPI_ROWS = 10_000

    @property
    def _cfapi(self) -> _CfapiTables:
        tables: _CfapiTables | None = self.__dict__.get("_cfapi_tables")
        if tables is None:
            tables = self.__dict__["_cfapi_tables"] = _CfapiTables()
        return tables

    def _bounded(self, table: dict[Any, Any]) -> None:
        while len(table) >= self.MAX_CFAPI_ROWS:
            del table[next(iter(table))]

    async def record_optimization_event(self, trace_id: str, user_id: str, *, found: bool) -> bool:
        events = self._cfapi.events
        now = self._now()
        old = events.get(trace_id)
        if old is not None and old.user_id != user_id:
            return False
        if old is None:
            self._bounded(events)
        created = now if old is None else old.created
        events[trace_id] = OptimizationEvent(trace_id, user_id, found, created, now)
        return True

    async def get_optimization_event(self, trace_id: str) -> OptimizationEvent | None:
        return self._cfapi.events.get(trace_id)

    async def save_staging(self, trace_id: str, user_id: str, payload: Mapping[str, Any]) -> bool:
        staging = self._cfapi.staging
        old = staging.get(trace_id)
        if old is not None and old[0] != user_id:
            return False
        if old is None:
            self._bounded(staging)
        staging[trace_id] = (user_id, _json_copy(dict(payload)))
        return True

    async def get_staging(self, trace_id: str) -> dict[str, Any] | None:
        row = self._cfapi.staging.get(trace_id)
        return None if row is None else _json_copy(row[1])

    async def record_pull_request(self, record: PullRequestRecord) -> None:
        pulls = self._cfapi.pulls
        pulls.append(record)
        del pulls[: max(0, len(pulls) - self.MAX_CFAPI_ROWS)]

    async def optimized_functions(self, owner: str, repo: str, pr_number: int) -> dict[str, list[str]]:
        found: dict[str, set[str]] = {}
        for pr in self._cfapi.pulls:
            if (pr.owner.lower(), pr.repo.lower(), pr.target_number) != (owner.lower(), repo.lower(), pr_number):
                continue
            if pr.file_path is not None and pr.function_name is not None:
                found.setdefault(pr.file_path, set()).add(pr.function_name)
        return {path: sorted(names) for path, names in sorted(found.items())}

    async def add_code_hash(self, owner: str, repo: str, pr_number: int, code_hash: str, user_id: str) -> None:
        hashes = self._cfapi.code_hashes
        key = (owner.lower(), repo.lower(), pr_number, code_hash)
        if key not in hashes:
            self._bounded(hashes)
            hashes[key] = user_id

    async def known_code_hashes(self, owner: str, repo: str, pr_number: int, hashes: Sequence[str]) -> set[str]:
        seen = self._cfapi.code_hashes
        return {h for h in hashes if (owner.lower(), repo.lower(), pr_number, h) in seen}

    async def record_completion_email(self, user_id: str, owner: str, repo: str, *, sent: bool) -> None:
        emails = self._cfapi.emails
        emails.append((user_id, owner, repo, sent))
        del emails[: max(0, len(emails) - self.MAX_CFAPI_ROWS)]

    async def user_email(self, user_id: str) -> str | None:
        user = self._users.get(user_id)
        return None if user is None else user.email


@attrs.define
class _CfapiTables:
    """The in-memory twin of migration 0005's tables."""

    events: dict[str, OptimizationEvent] = attrs.field(factory=dict)
    staging: dict[str, tuple[str, dict[str, Any]]] = attrs.field(factory=dict)
    pulls: list[PullRequestRecord] = attrs.field(factory=list)
    code_hashes: dict[tuple[str, str, int, str], str] = attrs.field(factory=dict)
    emails: list[tuple[str, str, str, bool]] = attrs.field(factory=list)


def _json_copy_row(row: dict[str, Any]) -> dict[str, Any]:
    return {name: (_json_copy(value) if isinstance(value, dict | list) else value) for name, value in row.items()}
