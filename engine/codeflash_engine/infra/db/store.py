"""The store protocol: everything the engine keeps about tenants and their work.

Two implementations behave the same (one contract test suite runs on both):

- :class:`~codeflash_engine.infra.db.postgres.PostgresStore`: PostgreSQL through an asyncpg pool;
  shared by every replica, so rate limits and quotas hold across processes.
- :class:`~codeflash_engine.infra.db.memory.MemoryStore`: one process, nothing persists; the
  embedded default when DATABASE_URL is unset.

Connectivity failures raise :class:`~codeflash_engine.infra.db.types.StoreUnavailable` (503).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from codeflash_engine.infra.db.cfapi_types import OptimizationEvent, PullRequestRecord
from codeflash_engine.infra.db.types import (
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
    Subscription,
    TraceRecords,
    TraceSummary,
    UsageRow,
)
from codeflash_engine.infra.db.wins import VerifiedWin
from codeflash_engine.infra.records import Record


@runtime_checkable
class Store(Protocol):
    """Keys, rate limits, quotas, records and features. Every method is safe to call concurrently."""

    # --- keys --------------------------------------------------------------------------------

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
        """Create a key for ``user_id``, creating the user and the organization (by name) if needed.

        ``organization_id`` names an existing organization instead; ``plan`` (an existing plan)
        is the key's own plan.

        The clear key is in the result only; the store keeps its SHA-384 digest and suffix. A key
        with ``expires`` is refused from that moment on, like a revoked one.
        """
        ...

    async def lookup_key(self, key_hash: str) -> ApiKey | None:
        """The key with this digest, revoked or not; None if there is none."""
        ...

    async def list_keys(self, *, user_id: str | None = None, include_revoked: bool = True) -> list[ApiKey]:
        """Keys in creation order, optionally of one user and only the usable ones (neither revoked
        nor expired) when ``include_revoked`` is False."""
        ...

    async def expire_key(self, key_id: int, at: dt.datetime) -> bool:
        """Set when a key stops working (past or future); False when no unrevoked key has that id."""
        ...

    async def revoke_key(self, *, key_id: int | None = None, key_hash: str | None = None) -> bool:
        """Revoke one key (by id or by digest); False when no active key matched. Takes effect at once."""
        ...

    # --- rate limits -------------------------------------------------------------------------

    async def hit(self, key_hash: str, window_ms: int, limit: int) -> RateDecision:
        """Count one request for ``key_hash`` in the current fixed window of ``window_ms``.

        Windows are aligned on the Unix epoch, so every replica agrees on them. The first ``limit``
        requests of a window are allowed; later ones are refused until the window ends.
        """
        ...

    async def hit_calls(self, key_hash: str, window_ms: int, limit: int, calls: int) -> RateDecision:
        """Count ``calls`` LLM calls for ``key_hash`` in its own window of ``window_ms`` (apart from
        its requests): allowed while the window's calls, these included, stay within ``limit``."""
        ...

    async def admit(self, key_hash: str, window_ms: int, limit: int, *, count: bool = True) -> Admission:
        """:meth:`lookup_key`, the key's plan, then, for an active key only and when ``count``,
        :meth:`hit` in the plan's window against its limit (``window_ms``/``limit`` for a plan
        without its own): the guards' hot path, one round trip on PostgreSQL."""
        ...

    async def peek_rate(self, key_hash: str, window_ms: int, limit: int) -> RateDecision:
        """The key's current window as :meth:`hit` would see it, without counting a request."""
        ...

    # --- plans and organizations ---------------------------------------------------------------

    async def set_plan(self, plan: Plan) -> Plan:
        """Create or replace a plan (every field as given)."""
        ...

    async def get_plan(self, name: str) -> Plan | None: ...

    async def list_plans(self) -> list[Plan]:
        """Every plan by name (``default`` always among them)."""
        ...

    async def create_organization(
        self, name: str, *, plan: str | None = None, privacy_mode: bool = False, github_org_id: int | None = None
    ) -> Organization:
        """A new organization (StoreError when the name or GitHub id is taken, or the plan unknown)."""
        ...

    async def update_organization(
        self,
        organization_id: int,
        *,
        plan: str | None = None,
        clear_plan: bool = False,
        privacy_mode: bool | None = None,
    ) -> Organization:
        """Change an organization's plan and privacy mode (None: unchanged)."""
        ...

    async def get_organization(self, organization_id: int) -> Organization | None: ...

    async def list_organizations(self) -> list[Organization]: ...

    async def set_user_plan(self, user_id: str, plan: str | None) -> None:
        """Give a user a plan of its own (None: back to its organization's or the default)."""
        ...

    async def plan_quota_used(self, tenant: str, period: Period) -> int:
        """Optimizations counted on a plan's quota for ``tenant`` in the current ``period``."""
        ...

    async def spend(
        self, *, since: dt.datetime, user_id: str | None = None, organization_id: int | None = None
    ) -> float:
        """LLM spend (USD, ``llm_calls.cost_usd``) since ``since`` of one user or one organization."""
        ...

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
        """Create or change a user's subscription (the user must exist).

        ``optimizations_used``/``period_start`` None keep the current values (0 and the current
        period for a new subscription).
        """
        ...

    async def get_subscription(self, user_id: str) -> Subscription | None:
        """The user's subscription as stored (the count may belong to a finished period)."""
        ...

    async def consume_optimization(self, user_id: str) -> QuotaDecision:
        """Count one optimization if the quota allows it, atomically.

        A user without a subscription, or with no limit, is allowed (and unmetered when absent).
        The first optimization of a new period starts the count again.
        """
        ...

    async def release_optimization(self, user_id: str) -> None:
        """Give back one optimization counted in the current period (the request failed)."""
        ...

    async def admit_trace(
        self, user_id: str, trace_id: str | None, *, tenant: str | None = None, plan: Plan | None = None
    ) -> QuotaDecision:
        """Admit an LLM-backed request of ``trace_id``: one quota unit per function optimization.

        The first request of a trace (for this user) counts one optimization as
        :meth:`consume_optimization` does, atomically with remembering the trace; a refused trace
        is not remembered. Later requests of an admitted trace are allowed without counting,
        whatever the quota says by then. ``trace_id`` None: a request of its own, always counted.

        A user with a subscription counts there; otherwise, when ``plan`` has a quota, the count
        is ``tenant``'s (``user:<id>`` or ``org:<id>``, shared by the organization's users).
        """
        ...

    async def charge(
        self,
        user_id: str,
        trace_id: str | None,
        calls: CallCharge,
        *,
        tenant: str | None = None,
        plan: Plan | None = None,
    ) -> Charge:
        """:meth:`hit_calls` and :meth:`admit_trace` in one step (one round trip on PostgreSQL):
        count ``calls.calls`` in the key's call window, then, only when they are within
        ``calls.limit``, admit ``trace_id`` as :meth:`admit_trace` does. Past the call limit the
        trace is neither counted nor remembered (:attr:`Charge.quota` is None), so nothing is
        left to give back."""
        ...

    async def release_trace(
        self, user_id: str, trace_id: str | None, *, tenant: str | None = None, period: Period = "month"
    ) -> None:
        """Undo :meth:`admit_trace` that counted (the request failed): forget the trace, give back one."""
        ...

    # --- records and features ----------------------------------------------------------------

    async def write_records(self, batch: Sequence[Record]) -> None:
        """Persist LLM call records, pipeline error records and features records, in one batch
        (a features record merged into its trace's row as :meth:`upsert_features` does, in order)."""
        ...

    async def write(self, batch: Sequence[Record]) -> None:
        """The recorder's sink interface: same as :meth:`write_records`."""
        ...

    async def records_for_trace(self, trace_id: str) -> TraceRecords:
        """The LLM calls and errors recorded for one trace, oldest first."""
        ...

    async def usage(
        self, *, since: dt.datetime, until: dt.datetime, group: str, user_id: str | None = None
    ) -> list[UsageRow]:
        """LLM calls in [since, until), optionally of one user, summed per ``group`` (one of
        ``queries.USAGE_GROUPS``: user, model, day, call-type, org, or total: one row), ordered by
        group: what ``codeflash-engine usage`` prints and the dashboard draws. StoreError for another
        group. Requests are distinct within a row: the rows' requests add up to the total's only
        when no request spans two groups."""
        ...

    async def trace_summaries(
        self, *, since: dt.datetime, prefix: str | None = None, user_id: str | None = None, limit: int = 50
    ) -> list[TraceSummary]:
        """Traces with LLM calls since ``since``, the most recently active first: those whose id
        starts with ``prefix`` and of ``user_id`` when given, at most ``limit``."""
        ...

    async def upsert_features(self, trace_id: str, user_id: str | None, payload: Mapping[str, Any]) -> bool:
        """Store the /ai/log_features body of a trace; sending it again replaces it (idempotent).

        Returns False, storing nothing, when the trace already belongs to another user.
        """
        ...

    async def get_features(self, trace_id: str) -> dict[str, Any] | None:
        """The stored features of a trace as a flat dict (with ``trace_id`` and ``user_id``)."""
        ...

    # --- verified wins (issue 22) ------------------------------------------------------------

    async def add_verified_win(self, win: VerifiedWin) -> None:
        """Keep ``win`` for its tenant (one per trace: a later one for the same trace replaces it)."""
        ...

    async def similar_wins(self, tenant: str, query: Sequence[str], limit: int) -> list[VerifiedWin]:
        """At most ``limit`` of ``tenant``'s wins holding the query words (see :mod:`.wins`), best
        match first, then larger speedup, then older; never another tenant's."""
        ...

    # --- health ------------------------------------------------------------------------------

    async def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the store answers."""
        ...

    @property
    def persistent(self) -> bool:
        """Whether what is stored outlives this process and is shared with other replicas."""
        ...

    # --- cfapi (the CLI's second service) ------------------------------------------------------

    async def record_optimization_event(self, trace_id: str, user_id: str, *, found: bool) -> bool:
        """Keep whether the CLI found an optimization for ``trace_id`` (mark-as-success).

        Sending it again updates the row; False, storing nothing, when the trace belongs to another user.
        """
        ...

    async def get_optimization_event(self, trace_id: str) -> OptimizationEvent | None:
        """The stored outcome of one trace."""
        ...

    async def save_staging(self, trace_id: str, user_id: str, payload: Mapping[str, Any]) -> bool:
        """Keep a staged optimization (create-staging); False when the trace belongs to another user."""
        ...

    async def get_staging(self, trace_id: str) -> dict[str, Any] | None:
        """The payload of a staged optimization."""
        ...

    async def record_pull_request(self, record: PullRequestRecord) -> None:
        """Remember a pull request the engine opened or suggested changes to."""
        ...

    async def optimized_functions(self, owner: str, repo: str, pr_number: int) -> dict[str, list[str]]:
        """Functions already optimized for pull request ``pr_number``: file path to function names."""
        ...

    async def add_code_hash(self, owner: str, repo: str, pr_number: int, code_hash: str, user_id: str) -> None:
        """Remember a code-context hash seen in a pull request (owner and repo compared case-blind)."""
        ...

    async def known_code_hashes(self, owner: str, repo: str, pr_number: int, hashes: Sequence[str]) -> set[str]:
        """Which of ``hashes`` were remembered for that pull request."""
        ...

    async def record_completion_email(self, user_id: str, owner: str, repo: str, *, sent: bool) -> None:
        """Remember a completion email asked for, and whether it was sent."""
        ...

    async def user_email(self, user_id: str) -> str | None:
        """The email address kept for a user (None when unknown)."""
        ...


__all__ = ["Admission", "RateDecision", "Store"]
