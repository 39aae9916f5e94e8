"""The in-memory store's reports over its LLM call records: usage per group, trace summaries.

Pure functions over a copy of the records, run in a worker thread by
:class:`~codeflash_engine.infra.db.memory.MemoryStore` (a full store holds 50,000 calls: walking
them takes tens of milliseconds, which the event loop must not wait for). They answer what the
PostgreSQL queries of :mod:`~codeflash_engine.infra.db.queries` answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from codeflash_engine.infra.db.types import TraceSummary, UsageRow
from codeflash_engine.infra.records import LLMCallRecord


def _day_of() -> Callable[[LLMCallRecord], str]:
    days: dict[dt.date, str] = {}

    def day(call: LLMCallRecord) -> str:
        created = call.created if call.created.tzinfo is dt.UTC else call.created.astimezone(dt.UTC)
        date = created.date()
        name = days.get(date)
        if name is None:
            name = days[date] = date.isoformat()
        return name

    return day


def group_key(group: str, organizations: Mapping[int, str]) -> Callable[[LLMCallRecord], str]:
    """How a call is named in a report grouped by ``group`` (a key of ``queries.USAGE_GROUPS``)."""
    if group == "user":
        return lambda c: c.user_id or "-"
    if group == "model":
        return lambda c: f"{c.provider}:{c.model_name}"
    if group == "day":
        return _day_of()
    if group == "call-type":
        return lambda c: c.call_type
    if group == "total":
        return lambda c: "TOTAL"
    return lambda c: organizations.get(c.organization_id, "-") if c.organization_id is not None else "-"


def usage_rows(
    calls: Sequence[LLMCallRecord],
    *,
    since: dt.datetime,
    until: dt.datetime,
    group: str,
    user_id: str | None,
    organizations: Mapping[int, str],
) -> list[UsageRow]:
    """The calls in [since, until) (of ``user_id`` when given) summed per group, ordered by group."""
    name_of = group_key(group, organizations)
    sums: dict[str, list[Any]] = {}
    for c in calls:
        if not (since <= c.created < until) or (user_id is not None and c.user_id != user_id):
            continue
        name = name_of(c)
        row = sums.get(name)
        if row is None:
            row = sums[name] = [0, 0, 0, 0, 0, 0.0, set(), 0]
        row[0] += 1
        row[1] += c.outcome != "ok"
        row[2] += c.tokens_in
        row[3] += c.tokens_out
        row[4] += c.tokens_cached
        row[5] += c.cost_usd
        if c.request_id is None:
            row[7] += 1
        else:
            row[6].add(c.request_id)
    return [
        UsageRow(name, r[0], r[1], r[2], r[3], r[4], r[5], requests=len(r[6]) + r[7])
        for name, r in sorted(sums.items())
    ]


def trace_summaries(
    calls: Sequence[LLMCallRecord], *, since: dt.datetime, prefix: str | None, user_id: str | None, limit: int
) -> list[TraceSummary]:
    """Traces with calls since ``since``, the most recently active first (see Store.trace_summaries)."""
    found: dict[str, list[LLMCallRecord]] = {}
    for c in calls:
        if c.trace_id is None or c.created < since:
            continue
        if (prefix and not c.trace_id.startswith(prefix)) or (user_id is not None and c.user_id != user_id):
            continue
        found.setdefault(c.trace_id, []).append(c)
    summaries = [
        TraceSummary(
            trace_id=trace_id,
            user_id=min((c.user_id for c in mine if c.user_id is not None), default=None),
            calls=len(mine),
            failed=sum(c.outcome != "ok" for c in mine),
            cost_usd=sum(c.cost_usd for c in mine),
            first=min(c.created for c in mine),
            last=max(c.created for c in mine),
        )
        for trace_id, mine in found.items()
    ]
    summaries.sort(key=lambda t: t.trace_id)
    summaries.sort(key=lambda t: t.last, reverse=True)
    return summaries[: max(0, limit)]
