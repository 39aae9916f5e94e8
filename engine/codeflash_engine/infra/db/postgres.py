"""The PostgreSQL store: an asyncpg pool, the statements of :mod:`queries`, migrations at start.

Shared by every replica: rate-limit counters, quotas and key revocations are rows, so what one
process does is seen by the next request on any other. A lost or unreachable database raises
:class:`StoreUnavailable` (the guards answer 503: fail closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]  # no stubs or py.typed in asyncpg 0.32
import attrs

from codeflash_engine.infra.db import apikeys, cfapi_queries, queries
from codeflash_engine.infra.db.cfapi_types import OptimizationEvent, PullRequestRecord
from codeflash_engine.infra.db.key_use import KeyUse
from codeflash_engine.infra.db.migrate import Migration, migrate
from codeflash_engine.infra.db.safe_text import pg_optional, pg_text, pg_value
from codeflash_engine.infra.db.types import (
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
    StoreUnavailable,
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
from codeflash_engine.infra.db.wins import VerifiedWin
from codeflash_engine.infra.records import ErrorRecord, FeaturesRecord, LLMCallRecord, Record
from codeflash_engine.infra.tenancy import privacy_var, private_features

log = logging.getLogger(__name__)

T = TypeVar("T")

#: errors meaning "the database cannot be reached right now", as opposed to a refused statement
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    # a connection the server closed while it sat idle in the pool can surface as this
    asyncpg.InternalClientError,
    asyncpg.CannotConnectNowError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.TooManyConnectionsError,
)
#: errors after which a fresh connection is likely to work (the server restarted under the pool)
_STALE_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.exceptions.AdminShutdownError,
)

_JSONB_FEATURES = (
    "speedup_ratio",
    "optimized_runtime",
    "is_correct",
    "optimized_line_profiler_results",
    "metadata",
    "optimizations_post",
    "extra",
)

UNAVAILABLE_MESSAGE = "the database is unavailable; try again shortly"
#: 503 when no pooled connection freed up in time (the database answers, but too slowly for the load)
BUSY_MESSAGE = "the database is busy: no connection was free in time; try again shortly"


def redact_dsn(dsn: str) -> str:
    """The DSN without its password, fit for a log line or an error message."""
    if "://" in dsn:
        parts = urllib.parse.urlsplit(dsn)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            netloc = userinfo.split(":", 1)[0] + "@" + host
        query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    return re.sub(r"(?i)(password\s*=\s*)(\S+)", r"\1***", dsn)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pool ``reset``: nothing to undo, so no reset query on every release.

    asyncpg's default runs ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` each time
    a connection goes back to the pool: a second round trip per request. This store never leaves
    session state behind on pooled connections (no SET, LISTEN, cursors or advisory locks; the
    migrations use a connection of their own), and asyncpg still rolls back any open transaction.
    """


def _check_call_limit(window_ms: int, limit: int, calls: int) -> None:
    if window_ms < 1 or limit < 0 or calls < 0:
        raise StoreError(f"invalid call limit: window {window_ms} ms, limit {limit}, calls {calls}")


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """``rows`` as one list per column (``width`` empty lists when there are none)."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


def _jsonb(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError as exc:
        raise StoreError(f"cannot store as JSON: {exc}") from exc


#: a trace admitted by an earlier request: allowed, not counted again
_ADMITTED_BEFORE = QuotaDecision(allowed=True, used=None, limit=None, plan_type=None, period_end=None)
_UNMETERED_FIRST = attrs.evolve(_ADMITTED_BEFORE, first=True)


def _quota_decision(row: Mapping[str, Any] | None) -> QuotaDecision:
    """The decision of one CONSUME_OPTIMIZATION row (None: no subscription, allowed unmetered)."""
    if row is None:
        return QuotaDecision(allowed=True, used=None, limit=None, plan_type=None, period_end=None)
    allowed = row["new_used"] is not None
    return QuotaDecision(
        allowed=allowed,
        used=row["new_used"] if allowed else row["used"],
        limit=row["optimizations_limit"],
        plan_type=row["plan_type"],
        period_end=period_end(row["period"], row["start"]),
        counted=allowed,
    )


def _key(row: Mapping[str, Any]) -> ApiKey:
    return ApiKey(
        id=row["id"],
        key_hash=row["key_hash"],
        suffix=row["suffix"],
        user_id=row["user_id"],
        tier=row["tier"],
        organization_id=row["organization_id"],
        organization=row["organization"],
        created=row["created"],
        revoked=row["revoked"],
        expires=row["expires"],
        plan=row["plan"],
        last_used=row["last_used"],
    )


def _plan(row: Mapping[str, Any]) -> Plan:
    return Plan(
        name=row["name"],
        rate_limit_max=row["rate_limit_max"],
        rate_limit_window_ms=row["rate_limit_window_ms"],
        optimizations_limit=row["optimizations_limit"],
        budget_usd=row["budget_usd"],
        period=row["period"],
        models=row["models"],
    )


def _organization(row: Mapping[str, Any]) -> Organization:
    return Organization(
        id=row["id"],
        name=row["name"],
        plan=row["plan"],
        privacy_mode=row["privacy_mode"],
        github_org_id=row["github_org_id"],
        created=row["created"],
    )


#: Tenancy objects by the admission row's plan columns (few distinct ones: shared, not rebuilt per request)
_TENANCIES: dict[tuple[Any, ...], Tenancy] = {}


def _tenancy(row: Mapping[str, Any]) -> Tenancy:
    """The plan of an ADMIT_MANY row (built once per distinct plan and tenancy)."""
    signature = (
        row["plan_name"],
        row["rate_limit_max"],
        row["rate_limit_window_ms"],
        row["optimizations_limit"],
        row["budget_usd"],
        row["plan_period"],
        row["models"],
        row["key_plan"],
        row["user_plan"],
        row["org_plan"],
        row["organization_id"],
        row["privacy_mode"],
    )
    found = _TENANCIES.get(signature)
    if found is None:
        if len(_TENANCIES) > 10_000:
            _TENANCIES.clear()
        plan = Plan(
            name=row["plan_name"],
            rate_limit_max=row["rate_limit_max"],
            rate_limit_window_ms=row["rate_limit_window_ms"],
            optimizations_limit=row["optimizations_limit"],
            budget_usd=row["budget_usd"],
            period=row["plan_period"],
            models=row["models"],
        )
        found = _TENANCIES[signature] = Tenancy(
            plan=plan,
            source=plan_source(row["key_plan"], row["user_plan"], row["org_plan"]),
            organization_id=row["organization_id"],
            privacy=row["privacy_mode"],
        )
    return found


def _subscription(row: Mapping[str, Any]) -> Subscription:
    return Subscription(
        user_id=row["user_id"],
        plan_type=row["plan_type"],
        optimizations_used=row["optimizations_used"],
        optimizations_limit=row["optimizations_limit"],
        period=row["period"],
        period_start=row["period_start"],
    )


@attrs.define
class _Waiting:
    key_hash: str
    window_ms: int
    limit: int
    count: bool
    future: asyncio.Future[Admission]


class _AdmitBatcher:
    """Group commit for :meth:`PostgresStore.admit`: concurrent requests share one statement.

    A request is queued and a flush is scheduled for the next turn of the event loop, so all the
    requests that arrive together go in one statement. At most ``max_inflight`` statements run
    at once; requests arriving meanwhile wait for the next one. Under light load every request
    still gets a statement of its own at once; under heavy load a request costs a fraction of a
    round trip instead of queueing for a pooled connection.
    """

    def __init__(
        self,
        run: Callable[[list[str], int, bool], Awaitable[list[asyncpg.Record]]],
        *,
        max_inflight: int,
        max_batch: int = 500,
    ) -> None:
        self._run = run
        self._max_inflight = max_inflight
        self._max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._inflight: set[asyncio.Task[None]] = set()
        self._scheduled = False

    async def admit(self, key_hash: str, window_ms: int, limit: int, count: bool = True) -> Admission:
        future: asyncio.Future[Admission] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(key_hash, window_ms, limit, count, future))
        self._kick()
        return await future

    def _kick(self) -> None:
        if self._waiting and not self._scheduled and len(self._inflight) < self._max_inflight:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        if not self._waiting or len(self._inflight) >= self._max_inflight:
            return
        batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
        task = asyncio.create_task(self._answer(batch))
        self._inflight.add(task)
        task.add_done_callback(functools.partial(self._finished, batch))

    def _finished(self, batch: list[_Waiting], task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        # a batch cancelled (the loop shutting down), before it started or during its statement:
        # the requests it has not answered get a 503
        waiting_still = [waiting for waiting in batch if not waiting.future.done()]
        if waiting_still:
            closing = StoreUnavailable("the database store is closing")
            for waiting in waiting_still:
                waiting.future.set_exception(closing)
        self._kick()

    async def _answer(self, batch: list[_Waiting]) -> None:
        groups: dict[tuple[int, int, bool], list[_Waiting]] = {}
        for waiting in batch:
            groups.setdefault((waiting.window_ms, waiting.limit, waiting.count), []).append(waiting)
        try:
            for (window_ms, limit, count), group in groups.items():
                rows = await self._run([w.key_hash for w in group], window_ms, count)
                by_hash = {row["key_hash"]: row for row in rows}
                seen: dict[str, int] = {}
                for waiting in group:
                    if waiting.future.done():  # the request went away
                        continue
                    row = by_hash.get(waiting.key_hash)
                    if row is None:
                        waiting.future.set_result(Admission(key=None, rate=None))
                        continue
                    tenancy = _tenancy(row)
                    if row["hits"] is None:
                        waiting.future.set_result(Admission(key=_key(row), rate=None, tenancy=tenancy))
                    else:
                        # the i-th request of this key in the batch is number hits - n + i of its window
                        i = seen[waiting.key_hash] = seen.get(waiting.key_hash, 0) + 1
                        position = row["hits"] - row["n"] + i
                        plan = tenancy.plan
                        rate = rate_decision(
                            position, row["window_start"], row["win"], row["now_ms"], plan.max_requests(limit)
                        )
                        waiting.future.set_result(Admission(key=_key(row), rate=rate, tenancy=tenancy))
        except Exception as exc:  # every request still waiting gets the failure (a cancelled batch: _finished)
            for waiting in batch:
                if not waiting.future.done():
                    waiting.future.set_exception(exc)

    async def drain(self) -> None:
        """Wait for the statements in flight (at close)."""
        while self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)


class PostgresStore:
    """A :class:`~codeflash_engine.infra.db.store.Store` on PostgreSQL. Use ``async with``.

    ``migrate``: apply pending migrations (under the advisory lock) when opening.
    ``startup_timeout``: how long to keep trying to reach a database that is still starting.
    ``command_timeout``: seconds one statement (or one wait for a pooled connection) may take.
    ``prune_interval``: seconds between deletions of finished rate-limit windows (0: never).
    """

    persistent = True
    #: most admitted traces remembered in this process (older ones cost a round trip again)
    MAX_ADMITTED = 50_000
    #: seconds a tenant's "no verified wins" is trusted (a win kept by another replica shows
    #: after at most this long; one kept by this process at once)
    WINLESS_SECONDS = 10.0

    def __init__(
        self,
        dsn: str,
        *,
        pool_min: int = 1,
        pool_max: int = 10,
        migrate: bool = True,
        startup_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        command_timeout: float = 5.0,
        prune_interval: float = 60.0,
    ) -> None:
        self._dsn = dsn
        self._pool_min = min(pool_min, pool_max)
        self._pool_max = pool_max
        self._migrate = migrate
        self._startup_timeout = startup_timeout
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._prune_interval = prune_interval
        self._pool: asyncpg.Pool | None = None
        self._pruner: asyncio.Task[None] | None = None
        self._batcher = _AdmitBatcher(self._admit_many, max_inflight=max(1, min(4, pool_max // 2)))
        #: keys' last use, written in the background at most once a minute per key
        self._key_use = KeyUse(self._touch_keys)
        #: (user, trace) pairs this process saw admitted, oldest first: their later requests (a
        #: CLI makes 8-20 per function) are admitted without a round trip
        self._admitted: dict[tuple[str, str], None] = {}
        #: tenant -> (has verified wins, until when this process trusts that): a tenant without
        #: wins (most of them, at first) costs no search per optimize request
        self._wins_known: dict[str, tuple[bool, float]] = {}
        self.applied_migrations: list[Migration] = []

    # --- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> PostgresStore:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _connect_once(self) -> asyncpg.Connection:
        return await asyncpg.connect(self._dsn, timeout=self._connect_timeout)

    async def open(self) -> None:
        """Reach the database (waiting up to ``startup_timeout``), migrate, create the pool."""
        where = redact_dsn(self._dsn)
        deadline = time.monotonic() + self._startup_timeout
        while True:
            try:
                conn = await self._connect_once()
                break
            except CONNECTION_ERRORS as exc:
                if time.monotonic() >= deadline:
                    raise StoreUnavailable(f"cannot reach the database at {where}: {exc}") from exc
                await asyncio.sleep(0.25)
        try:
            if self._migrate:
                self.applied_migrations = await migrate(conn)
        finally:
            await conn.close()
        try:
            self._pool = await asyncpg.create_pool(
                self._dsn,
                min_size=self._pool_min,
                max_size=self._pool_max,
                timeout=self._connect_timeout,
                max_inactive_connection_lifetime=300.0,
                server_settings={"application_name": "codeflash-engine"},
                reset=_keep_session,
            )
        except CONNECTION_ERRORS as exc:
            raise StoreUnavailable(f"cannot reach the database at {where}: {exc}") from exc
        if self._prune_interval > 0:
            self._pruner = asyncio.create_task(self._prune_forever(), name="codeflash-engine rate-limit pruner")
        log.info(
            "database store open at %s (pool max %d; %d migration(s) applied now)",
            where,
            self._pool_max,
            len(self.applied_migrations),
        )

    async def close(self) -> None:
        """Stop the pruner and close the pool (terminating connections still busy after 10 s)."""
        await self._batcher.drain()
        await self._key_use.drain()
        if self._pruner is not None:
            self._pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruner
            self._pruner = None
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), timeout=10.0)
            except TimeoutError:
                pool.terminate()

    async def _prune_forever(self) -> None:
        while True:
            await asyncio.sleep(self._prune_interval)
            try:
                await self.prune()
            except Exception as exc:  # a missed pruning is harmless; try again next time
                log.debug("pruning rate-limit windows failed: %s", exc)

    async def prune(self) -> None:
        """Delete finished rate-limit windows and trace admissions older than a week."""

        async def op(conn: asyncpg.Connection) -> None:
            await conn.execute(queries.PRUNE_RATE_LIMITS, timeout=self._command_timeout)
            await conn.execute(queries.PRUNE_QUOTA_TRACES, timeout=self._command_timeout)

        await self._run(op)

    # --- plumbing ------------------------------------------------------------------------------

    async def _run(self, op: Callable[[asyncpg.Connection], Awaitable[T]], *, retry: bool = False) -> T:
        """Run ``op`` on a pooled connection; connectivity failures become StoreUnavailable.

        With ``retry``, a connection found dead (the server restarted) is replaced and ``op``
        runs once more: only for statements that are harmless to repeat.
        """
        pool = self._pool
        if pool is None:
            raise StoreUnavailable("the database store is not open")
        for attempt in (1, 2):
            try:
                conn = await pool.acquire(timeout=self._command_timeout)
            except TimeoutError as exc:
                if pool.get_size() >= pool.get_max_size() and pool.get_idle_size() == 0:
                    # every connection stayed in use: overload, not an outage
                    log.warning(
                        "no database connection free within %g s (all %d in use): this worker or the database "
                        "is overloaded (more workers, or a larger DATABASE_POOL_MAX)",
                        self._command_timeout,
                        pool.get_max_size(),
                    )
                    raise StoreUnavailable(BUSY_MESSAGE, headers={"Retry-After": "5"}) from None
                log.warning("database unavailable: no connection within %g s", self._command_timeout)
                raise StoreUnavailable(UNAVAILABLE_MESSAGE, headers={"Retry-After": "5"}) from exc
            except CONNECTION_ERRORS as exc:
                log.warning("database unavailable: %s: %s", type(exc).__name__, exc)
                raise StoreUnavailable(UNAVAILABLE_MESSAGE, headers={"Retry-After": "5"}) from exc
            try:
                return await op(conn)
            except CONNECTION_ERRORS as exc:
                if retry and attempt == 1 and isinstance(exc, _STALE_CONNECTION_ERRORS):
                    await pool.expire_connections()
                    continue
                log.warning("database unavailable: %s: %s", type(exc).__name__, exc)
                raise StoreUnavailable(UNAVAILABLE_MESSAGE, headers={"Retry-After": "5"}) from exc
            finally:
                await pool.release(conn)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _fetchrow(self, query: str, *args: Any, retry: bool = False) -> asyncpg.Record | None:
        return await self._run(lambda c: c.fetchrow(query, *args, timeout=self._command_timeout), retry=retry)

    async def _fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return await self._run(lambda c: c.fetch(query, *args, timeout=self._command_timeout), retry=True)

    # --- keys ----------------------------------------------------------------------------------

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
        if not tier:
            raise StoreError("a tier is required")
        if organization is not None and not organization:
            raise StoreError("an organization name cannot be empty")
        if organization is not None and organization_id is not None:
            raise StoreError("give the organization by name or by id, not both")
        key = apikeys.generate_key()
        digest, suffix = apikeys.hash_key(key), apikeys.key_suffix(key)

        async def op(conn: asyncpg.Connection) -> NewKey:
            async with conn.transaction():
                await conn.execute(queries.UPSERT_USER, user_id, github_username, email)
                org_id, org_name = organization_id, organization
                if organization is not None:
                    org_id = await conn.fetchval(queries.UPSERT_ORGANIZATION, organization)
                elif organization_id is not None:
                    org_name = await conn.fetchval(queries.ORGANIZATION_NAME, organization_id)
                    if org_name is None:
                        raise StoreError(f"no organization has id {organization_id}")
                if plan is not None and await conn.fetchrow(queries.GET_PLAN, plan) is None:
                    raise StoreError(f"no plan is named {plan!r} (see `codeflash-engine plans list`)")
                row = await conn.fetchrow(queries.INSERT_KEY, digest, suffix, user_id, tier, org_id, expires, plan)
            assert row is not None
            info = ApiKey(
                id=row["id"],
                key_hash=digest,
                suffix=suffix,
                user_id=user_id,
                tier=tier,
                organization_id=org_id,
                organization=org_name,
                created=row["created"],
                expires=expires,
                plan=plan,
            )
            return NewKey(key=key, info=info)

        return await self._run(op)

    async def lookup_key(self, key_hash: str) -> ApiKey | None:
        row = await self._fetchrow(queries.LOOKUP_KEY, key_hash, retry=True)
        return None if row is None else _key(row)

    async def list_keys(self, *, user_id: str | None = None, include_revoked: bool = True) -> list[ApiKey]:
        return [_key(row) for row in await self._fetch(queries.LIST_KEYS, user_id, include_revoked)]

    async def revoke_key(self, *, key_id: int | None = None, key_hash: str | None = None) -> bool:
        if (key_id is None) == (key_hash is None):
            raise StoreError("revoke one key: give its id or its digest")
        return await self._fetchrow(queries.REVOKE_KEY, key_id, key_hash, retry=True) is not None

    async def expire_key(self, key_id: int, at: dt.datetime) -> bool:
        return await self._fetchrow(queries.EXPIRE_KEY, key_id, at, retry=True) is not None

    # --- rate limits -------------------------------------------------------------------------

    async def hit(self, key_hash: str, window_ms: int, limit: int) -> RateDecision:
        if window_ms < 1 or limit < 0:
            raise StoreError(f"invalid rate limit: window {window_ms} ms, limit {limit}")
        row = await self._fetchrow(queries.HIT, key_hash, window_ms, retry=True)
        assert row is not None
        return rate_decision(row["hits"], row["window_start"], window_ms, row["now_ms"], limit)

    async def hit_calls(self, key_hash: str, window_ms: int, limit: int, calls: int) -> RateDecision:
        _check_call_limit(window_ms, limit, calls)
        row = await self._fetchrow(queries.HIT_CALLS, key_hash + ":llm", window_ms, calls)
        assert row is not None
        return rate_decision(row["hits"], row["window_start"], window_ms, row["now_ms"], limit)

    async def admit(self, key_hash: str, window_ms: int, limit: int, *, count: bool = True) -> Admission:
        if window_ms < 1 or limit < 0:
            raise StoreError(f"invalid rate limit: window {window_ms} ms, limit {limit}")
        admission = await self._batcher.admit(key_hash, window_ms, limit, count)
        key = admission.key
        if key is not None and key.revoked is None:
            now = dt.datetime.now(dt.UTC)
            if not key.expired(now):
                self._key_use.seen(key, now)
        return admission

    async def _touch_keys(self, key_ids: list[int]) -> None:
        await self._run(lambda c: c.execute(queries.TOUCH_KEYS, key_ids, timeout=self._command_timeout))

    async def _admit_many(self, key_hashes: list[str], window_ms: int, count: bool) -> list[asyncpg.Record]:
        return await self._fetch(queries.ADMIT_MANY, key_hashes, window_ms, count)

    async def peek_rate(self, key_hash: str, window_ms: int, limit: int) -> RateDecision:
        if window_ms < 1 or limit < 0:
            raise StoreError(f"invalid rate limit: window {window_ms} ms, limit {limit}")
        row = await self._fetchrow(queries.PEEK_HITS, key_hash, window_ms, retry=True)
        assert row is not None
        decision = rate_decision(row["hits"], row["window_start"], window_ms, row["now_ms"], limit)
        return attrs.evolve(decision, allowed=row["hits"] < limit)

    # --- plans and organizations ---------------------------------------------------------------

    async def set_plan(self, plan: Plan) -> Plan:
        check_plan(plan)
        row = await self._fetchrow(
            queries.SET_PLAN,
            plan.name,
            plan.rate_limit_max,
            plan.rate_limit_window_ms,
            plan.optimizations_limit,
            plan.budget_usd,
            plan.period,
            plan.models,
            retry=True,
        )
        assert row is not None
        return _plan(row)

    async def get_plan(self, name: str) -> Plan | None:
        row = await self._fetchrow(queries.GET_PLAN, pg_text(name), retry=True)
        return None if row is None else _plan(row)

    async def list_plans(self) -> list[Plan]:
        return [_plan(row) for row in await self._fetch(queries.LIST_PLANS)]

    async def _check_plan_exists(self, plan: str | None) -> None:
        if plan is not None and await self.get_plan(plan) is None:
            raise StoreError(f"no plan is named {plan!r} (see `codeflash-engine plans list`)")

    async def create_organization(
        self, name: str, *, plan: str | None = None, privacy_mode: bool = False, github_org_id: int | None = None
    ) -> Organization:
        if not name:
            raise StoreError("an organization name cannot be empty")
        await self._check_plan_exists(plan)
        try:
            row = await self._fetchrow(queries.CREATE_ORGANIZATION, pg_text(name), plan, privacy_mode, github_org_id)
        except asyncpg.UniqueViolationError as exc:
            raise StoreError(f"an organization named {name!r} (or with that GitHub id) exists already") from exc
        assert row is not None
        return _organization(row)

    async def update_organization(
        self,
        organization_id: int,
        *,
        plan: str | None = None,
        clear_plan: bool = False,
        privacy_mode: bool | None = None,
    ) -> Organization:
        await self._check_plan_exists(plan)
        row = await self._fetchrow(queries.UPDATE_ORGANIZATION, organization_id, plan, clear_plan, privacy_mode)
        if row is None:
            raise StoreError(f"no organization has id {organization_id}")
        return _organization(row)

    async def get_organization(self, organization_id: int) -> Organization | None:
        row = await self._fetchrow(queries.GET_ORGANIZATION, organization_id, retry=True)
        return None if row is None else _organization(row)

    async def list_organizations(self) -> list[Organization]:
        return [_organization(row) for row in await self._fetch(queries.LIST_ORGANIZATIONS)]

    async def set_user_plan(self, user_id: str, plan: str | None) -> None:
        await self._check_plan_exists(plan)
        if await self._fetchrow(queries.SET_USER_PLAN, pg_text(user_id), plan, retry=True) is None:
            raise StoreError(f"no such user: {user_id!r}")

    async def plan_quota_used(self, tenant: str, period: Period) -> int:
        row = await self._fetchrow(queries.PLAN_QUOTA_USED, pg_text(tenant), period, retry=True)
        assert row is not None
        return int(row["used"])

    async def spend(
        self, *, since: dt.datetime, user_id: str | None = None, organization_id: int | None = None
    ) -> float:
        if (user_id is None) == (organization_id is None):
            raise StoreError("spend of one tenant: give a user id or an organization id")
        if organization_id is not None:
            value = await self._run(
                lambda c: c.fetchval(
                    queries.SPEND_OF_ORGANIZATION, organization_id, since, timeout=self._command_timeout
                ),
                retry=True,
            )
        else:
            value = await self._run(
                lambda c: c.fetchval(
                    queries.SPEND_OF_USER, pg_text(user_id or ""), since, timeout=self._command_timeout
                ),
                retry=True,
            )
        return float(value)

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
        if period not in PERIODS:
            raise StoreError(f"period must be one of {', '.join(PERIODS)}")
        if (optimizations_limit is not None and optimizations_limit < 0) or (
            optimizations_used is not None and optimizations_used < 0
        ):
            raise StoreError("quota figures cannot be negative")
        try:
            row = await self._fetchrow(
                queries.SET_SUBSCRIPTION,
                user_id,
                plan_type,
                optimizations_limit,
                period,
                optimizations_used,
                period_start,
            )
        except asyncpg.ForeignKeyViolationError as exc:
            raise StoreError(f"no such user: {user_id!r}") from exc
        assert row is not None
        return _subscription(row)

    async def get_subscription(self, user_id: str) -> Subscription | None:
        row = await self._fetchrow(queries.GET_SUBSCRIPTION, user_id, retry=True)
        return None if row is None else _subscription(row)

    async def consume_optimization(self, user_id: str) -> QuotaDecision:
        # Not retried: a statement lost with its connection may have counted already.
        return _quota_decision(await self._fetchrow(queries.CONSUME_OPTIMIZATION, user_id))

    async def admit_trace(
        self, user_id: str, trace_id: str | None, *, tenant: str | None = None, plan: Plan | None = None
    ) -> QuotaDecision:
        # One round trip (cfe_admit_trace, migration 0009): the trace's row and its count stand
        # or fall together; a concurrent first request of the same trace waits on the row's
        # unique index, then finds it (or, if this one was refused, becomes first itself).
        if trace_id is not None and (user_id, trace_id) in self._admitted:
            return _ADMITTED_BEFORE
        row = await self._fetchrow(queries.ADMIT_TRACE, *self._trace_args(user_id, trace_id, tenant, plan))
        assert row is not None
        return self._trace_decision(row, user_id, trace_id, tenant, plan)

    async def charge(
        self,
        user_id: str,
        trace_id: str | None,
        calls: CallCharge,
        *,
        tenant: str | None = None,
        plan: Plan | None = None,
    ) -> Charge:
        # Not retried: it may have counted. A trace admitted before needs only the call count.
        _check_call_limit(calls.window_ms, calls.limit, calls.calls)
        if trace_id is not None and (user_id, trace_id) in self._admitted:
            rate = await self.hit_calls(calls.key_hash, calls.window_ms, calls.limit, calls.calls)
            return Charge(rate, _ADMITTED_BEFORE if rate.allowed else None)
        row = await self._fetchrow(
            queries.CHARGE,
            calls.key_hash + ":llm",
            calls.window_ms,
            calls.calls,
            calls.limit,
            *self._trace_args(user_id, trace_id, tenant, plan),
        )
        assert row is not None
        rate = rate_decision(row["hits"], row["window_start"], calls.window_ms, row["now_ms"], calls.limit)
        if row["allowed"] is None:
            return Charge(rate, None)
        return Charge(rate, self._trace_decision(row, user_id, trace_id, tenant, plan))

    @staticmethod
    def _trace_args(user_id: str, trace_id: str | None, tenant: str | None, plan: Plan | None) -> list[Any]:
        """cfe_admit_trace's arguments: the user, the trace, and the plan's quota (the function
        counts on it only when both the tenant and the limit are given)."""
        if plan is None:
            return [user_id, pg_optional(trace_id), tenant, None, None]
        return [user_id, pg_optional(trace_id), tenant, plan.optimizations_limit, plan.period]

    def _trace_decision(
        self, row: Mapping[str, Any], user_id: str, trace_id: str | None, tenant: str | None, plan: Plan | None
    ) -> QuotaDecision:
        """The decision in cfe_admit_trace's columns of ``row``; an allowed trace is remembered.

        The function's ``first`` says this request found no row of the trace; a refused one left
        none behind and admitted nothing, so its decision is not the trace's first (as in memory).
        """
        if trace_id is not None and row["allowed"]:
            self._admitted[(user_id, trace_id)] = None
            if len(self._admitted) > self.MAX_ADMITTED:
                del self._admitted[next(iter(self._admitted))]
        if not row["first"]:
            return _ADMITTED_BEFORE
        if row["lim"] is None and row["plan_type"] is None and not row["on_plan"]:
            return _UNMETERED_FIRST
        end = period_end(row["period"], row["start"])
        if row["on_plan"]:
            assert plan is not None
            return QuotaDecision(
                row["allowed"],
                row["used"],
                row["lim"],
                plan.name,
                end,
                counted=row["counted"],
                tenant=tenant if row["counted"] else None,
                first=row["allowed"],
            )
        return QuotaDecision(
            row["allowed"], row["used"], row["lim"], row["plan_type"], end, counted=row["counted"], first=row["allowed"]
        )

    async def release_trace(
        self, user_id: str, trace_id: str | None, *, tenant: str | None = None, period: Period = "month"
    ) -> None:
        safe_trace = pg_optional(trace_id)
        if trace_id is not None:
            self._admitted.pop((user_id, trace_id), None)

        async def op(conn: asyncpg.Connection) -> None:
            async with conn.transaction():
                if safe_trace is not None:
                    forgotten = await conn.fetchval(
                        queries.FORGET_TRACE, user_id, safe_trace, timeout=self._command_timeout
                    )
                    if not forgotten:
                        return
                if tenant is not None:
                    await conn.execute(queries.RELEASE_PLAN_QUOTA, tenant, period, timeout=self._command_timeout)
                    return
                await conn.execute(queries.RELEASE_OPTIMIZATION, user_id, timeout=self._command_timeout)

        await self._run(op)

    async def release_optimization(self, user_id: str) -> None:
        await self._run(lambda c: c.execute(queries.RELEASE_OPTIMIZATION, user_id, timeout=self._command_timeout))

    # --- records and features ----------------------------------------------------------------

    async def write_records(self, batch: Sequence[Record]) -> None:
        calls: list[tuple[Any, ...]] = []
        errors: list[tuple[Any, ...]] = []
        features: list[Sequence[Any]] = []
        for r in batch:
            if isinstance(r, LLMCallRecord):
                calls.append(
                    (
                        pg_optional(r.trace_id),
                        pg_optional(r.user_id),
                        r.organization_id,
                        pg_text(r.call_type),
                        pg_text(r.model_name),
                        pg_text(r.provider),
                        r.tokens_in,
                        r.tokens_out,
                        r.tokens_cached,
                        r.tokens_cache_write,
                        r.cost_usd,
                        r.latency_ms,
                        pg_text(r.outcome),
                        pg_optional(r.error_class),
                        r.created,
                        r.attempts,
                        pg_optional(r.request_id),
                    )
                )
            elif isinstance(r, ErrorRecord):
                errors.append(
                    (
                        pg_optional(r.trace_id),
                        pg_text(r.error_type),
                        pg_text(r.severity),
                        pg_text(r.message),
                        pg_optional(r.stack_trace),
                        r.created,
                    )
                )
            elif isinstance(r, FeaturesRecord):
                features.append(self._features_args(r.trace_id, r.user_id, r.payload))
            else:
                raise StoreError(f"cannot store a {type(r).__name__}")
        if not calls and not errors and not features:
            return
        # one statement, so one round trip and one transaction: arrays per column (migration 0013)
        args = [
            *_columns(calls, len(queries.LLM_CALL_TYPES)),
            *_columns(errors, len(queries.ERROR_TYPES)),
            *_columns(features, len(queries.FEATURE_TYPES)),
        ]
        await self._run(lambda c: c.execute(queries.WRITE_RECORDS, *args, timeout=self._command_timeout))

    async def write(self, batch: Sequence[Record]) -> None:
        await self.write_records(batch)

    async def records_for_trace(self, trace_id: str) -> TraceRecords:
        async def op(conn: asyncpg.Connection) -> TraceRecords:
            calls = await conn.fetch(queries.CALLS_FOR_TRACE, pg_text(trace_id), timeout=self._command_timeout)
            errors = await conn.fetch(queries.ERRORS_FOR_TRACE, pg_text(trace_id), timeout=self._command_timeout)
            return TraceRecords(
                calls=[
                    LLMCallRecord(**{**dict(row), "cost_usd": float(row["cost_usd"])})  # numeric -> float
                    for row in calls
                ],
                errors=[ErrorRecord(**dict(row)) for row in errors],
            )

        return await self._run(op, retry=True)

    async def usage(
        self, *, since: dt.datetime, until: dt.datetime, group: str, user_id: str | None = None
    ) -> list[UsageRow]:
        """LLM calls in [since, until) summed per ``group`` (user, model, day or call-type)."""
        if group not in queries.USAGE_GROUPS:
            raise StoreError(f"cannot group usage by {group!r}; one of {', '.join(queries.USAGE_GROUPS)}")
        rows = await self._fetch(queries.usage_report(group), since, until, user_id)
        return [
            UsageRow(
                group=row["grp"],
                calls=row["calls"],
                failed=row["failed"],
                tokens_in=int(row["tokens_in"]),
                tokens_out=int(row["tokens_out"]),
                tokens_cached=int(row["tokens_cached"]),
                cost_usd=float(row["cost_usd"]),
                requests=row["requests"],
            )
            for row in rows
        ]

    async def trace_summaries(
        self, *, since: dt.datetime, prefix: str | None = None, user_id: str | None = None, limit: int = 50
    ) -> list[TraceSummary]:
        rows = await self._fetch(
            queries.TRACE_SUMMARIES, since, pg_optional(prefix or None), pg_optional(user_id), max(0, limit)
        )
        return [TraceSummary(**dict(row)) for row in rows]

    async def upsert_features(self, trace_id: str, user_id: str | None, payload: Mapping[str, Any]) -> bool:
        if not trace_id:
            raise StoreError("a trace id is required")
        if privacy_var.get():  # the organization's privacy mode: numbers and ids only
            payload = private_features(payload)
        args = self._features_args(trace_id, user_id, payload)
        try:
            row = await self._fetchrow(queries.UPSERT_FEATURES, *args, retry=True)
        except asyncpg.DataError as exc:  # e.g. a NUL character, which PostgreSQL text cannot hold
            raise StoreError(f"cannot store these features: {exc}") from exc
        return row is not None and row["written"] == 1

    @staticmethod
    def _features_args(trace_id: str, user_id: str | None, payload: Mapping[str, Any]) -> list[Any]:
        """The arguments of UPSERT_FEATURES (one element of each of WRITE_RECORDS' feature arrays)
        for one payload."""
        known, extra = split_features(payload)  # refuses NUL (StoreError), like the memory store
        known, extra = pg_value(known), pg_value(extra)  # lone surrogates
        args: list[Any] = [pg_text(trace_id), pg_optional(user_id)]
        for name in FEATURE_COLUMNS:
            value = known.get(name)
            args.append(value if name in ("original_code", "codeflash_version", "original_runtime") else _jsonb(value))
        args.append(_jsonb(extra))
        return args

    async def get_features(self, trace_id: str) -> dict[str, Any] | None:
        row = await self._fetchrow(queries.GET_FEATURES, pg_text(trace_id), retry=True)
        if row is None:
            return None
        out = dict(row)
        for name in _JSONB_FEATURES:
            out[name] = None if out[name] is None else json.loads(out[name])
        return out

    # --- verified wins (issue 22) ------------------------------------------------------------

    async def add_verified_win(self, win: VerifiedWin) -> None:
        await self._fetchrow(
            queries.ADD_VERIFIED_WIN,
            pg_text(win.tenant),
            pg_text(win.trace_id),
            pg_text(win.optimization_id),
            pg_text(win.original),
            pg_text(win.optimized),
            float(win.speedup),
            pg_text(win.explanation),
            pg_text(win.terms),
        )
        self._wins_known[win.tenant] = (True, time.monotonic() + self.WINLESS_SECONDS)

    async def similar_wins(self, tenant: str, query: Sequence[str], limit: int) -> list[VerifiedWin]:
        wanted = [w for w in query if w.isascii() and w.replace("_", "").isalnum()]
        if not wanted or limit <= 0:
            return []
        now = time.monotonic()
        known = self._wins_known.get(tenant)
        if known is not None and known[1] <= now:
            known = None
        if known is not None and not known[0]:
            return []
        rows = await self._fetch(queries.SIMILAR_VERIFIED_WINS, pg_text(tenant), " | ".join(wanted), limit)
        if known is None:
            has = bool(rows) or bool(await self._fetchval_any_win(tenant))
            if len(self._wins_known) >= self.MAX_ADMITTED:
                self._wins_known.clear()
            self._wins_known[tenant] = (has, now + self.WINLESS_SECONDS)
        return [
            VerifiedWin(
                row["tenant"],
                row["trace_id"],
                row["optimization_id"],
                row["original"],
                row["optimized"],
                row["speedup"],
                row["explanation"],
                row["terms"],
            )
            for row in rows
        ]

    async def _fetchval_any_win(self, tenant: str) -> bool:
        row = await self._fetchrow(queries.ANY_VERIFIED_WIN, pg_text(tenant), retry=True)
        return bool(row is not None and row[0])

    # --- health ------------------------------------------------------------------------------

    async def ping(self) -> None:
        await self._fetchrow(queries.PING, retry=True)

    # --- cfapi (the CLI's second service) ------------------------------------------------------

    async def record_optimization_event(self, trace_id: str, user_id: str, *, found: bool) -> bool:
        row = await self._fetchrow(
            cfapi_queries.UPSERT_OPTIMIZATION_EVENT, pg_text(trace_id), pg_text(user_id), found, retry=True
        )
        return row is not None

    async def get_optimization_event(self, trace_id: str) -> OptimizationEvent | None:
        row = await self._fetchrow(cfapi_queries.GET_OPTIMIZATION_EVENT, pg_text(trace_id), retry=True)
        if row is None:
            return None
        return OptimizationEvent(
            row["trace_id"], row["user_id"], row["optimization_found"], row["created"], row["updated"]
        )

    async def save_staging(self, trace_id: str, user_id: str, payload: Mapping[str, Any]) -> bool:
        body = _jsonb(pg_value(dict(payload)))
        row = await self._fetchrow(cfapi_queries.UPSERT_STAGING, pg_text(trace_id), pg_text(user_id), body, retry=True)
        return row is not None

    async def get_staging(self, trace_id: str) -> dict[str, Any] | None:
        row = await self._fetchrow(cfapi_queries.GET_STAGING, pg_text(trace_id), retry=True)
        return None if row is None else json.loads(row["payload"])

    async def record_pull_request(self, record: PullRequestRecord) -> None:
        r = record
        await self._run(
            lambda c: c.execute(
                cfapi_queries.INSERT_PULL_REQUEST,
                pg_text(r.user_id),
                pg_optional(r.trace_id),
                r.kind,
                pg_text(r.owner),
                pg_text(r.repo),
                r.target_number,
                r.number,
                pg_optional(r.url),
                pg_optional(r.function_name),
                pg_optional(r.file_path),
                timeout=self._command_timeout,
            )
        )

    async def optimized_functions(self, owner: str, repo: str, pr_number: int) -> dict[str, list[str]]:
        rows = await self._fetch(cfapi_queries.OPTIMIZED_FUNCTIONS, pg_text(owner), pg_text(repo), pr_number)
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row["file_path"], []).append(row["function_name"])
        return found

    async def add_code_hash(self, owner: str, repo: str, pr_number: int, code_hash: str, user_id: str) -> None:
        args = (pg_text(owner), pg_text(repo), pr_number, pg_text(code_hash), pg_text(user_id))
        await self._run(
            lambda c: c.execute(cfapi_queries.INSERT_CODE_HASH, *args, timeout=self._command_timeout), retry=True
        )

    async def known_code_hashes(self, owner: str, repo: str, pr_number: int, hashes: Sequence[str]) -> set[str]:
        rows = await self._fetch(
            cfapi_queries.KNOWN_CODE_HASHES, pg_text(owner), pg_text(repo), pr_number, [pg_text(h) for h in hashes]
        )
        return {row["code_hash"] for row in rows}

    async def record_completion_email(self, user_id: str, owner: str, repo: str, *, sent: bool) -> None:
        args = (pg_text(user_id), pg_text(owner), pg_text(repo), sent)
        query = cfapi_queries.INSERT_COMPLETION_EMAIL
        await self._run(lambda c: c.execute(query, *args, timeout=self._command_timeout))

    async def user_email(self, user_id: str) -> str | None:
        row = await self._fetchrow(cfapi_queries.USER_EMAIL, pg_text(user_id), retry=True)
        return None if row is None else row["email"]
