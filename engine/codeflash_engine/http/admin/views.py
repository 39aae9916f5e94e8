"""What the dashboard's pages show, built from the store's queries (the ones `codeflash-engine usage` runs).

No figure is computed twice: the per-day series, the split by model and the top users and
organizations are :meth:`Store.usage` rows, and every total is the report's ``total`` row, as
the command's TOTAL line is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from codeflash_engine.infra.db.queries import USAGE_GROUPS
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import TraceRecords, UsageRow, usage_total
from codeflash_engine.infra.plan_options import OptionError
from codeflash_engine.infra.when import parse_when

#: the overview's period when none is asked for: this many UTC days, today included
DEFAULT_DAYS = 7
#: rows in the overview's top lists
TOP = 10
#: what the usage page groups by (the ``total`` group is its TOTAL line)
GROUPS = [g for g in USAGE_GROUPS if g != "total"]
#: the longest period a page may ask for (per-day charts stay readable, the queries bounded)
MAX_DAYS = 400


def default_since(now: dt.datetime) -> str:
    """The start of the default period: midnight (UTC) DEFAULT_DAYS - 1 days ago."""
    return (now.astimezone(dt.UTC).date() - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat()


class BadPeriod(ValueError):
    """A period a page cannot show (unreadable, empty or too long)."""


@attrs.frozen
class Period:
    since: dt.datetime
    until: dt.datetime
    #: as given, for the form
    since_text: str
    until_text: str

    def days(self) -> list[str]:
        """Every UTC day of the period, as the ``day`` group names them."""
        day = self.since.astimezone(dt.UTC).date()
        last = (self.until - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date()
        out = []
        while day <= last:
            out.append(day.isoformat())
            day += dt.timedelta(days=1)
        return out


def period(since: str | None, until: str | None, now: dt.datetime | None = None) -> Period:
    """The period of ``since``/``until`` read as `codeflash-engine usage --since/--until` reads them."""
    now = now or dt.datetime.now(dt.UTC)
    since_text = (since or "").strip() or default_since(now)
    until_text = (until or "").strip()
    try:
        start = parse_when(since_text, now)
        end = parse_when(until_text, now) if until_text else now
    except OptionError as exc:  # the command's own message
        raise BadPeriod(exc.message) from None
    if end <= start:
        raise BadPeriod(f"the period is empty: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC")
    if end - start > dt.timedelta(days=MAX_DAYS):
        raise BadPeriod(f"a period of at most {MAX_DAYS} days, please")
    return Period(start, end, since_text, until_text)


@attrs.frozen
class Overview:
    period: Period
    total: UsageRow
    by_day: list[UsageRow]
    by_model: list[UsageRow]
    top_users: list[UsageRow]
    top_orgs: list[UsageRow]

    def chart_data(self) -> dict[str, Any]:
        """The charts' series (every day of the period, days without calls as zeros)."""
        days = {r.group: r for r in self.by_day}
        labels = self.period.days()
        rows = [days.get(d) for d in labels]
        return {
            "days": labels,
            "requests": [r.requests if r else 0 for r in rows],
            "calls": [r.calls - r.failed if r else 0 for r in rows],
            "failed": [r.failed if r else 0 for r in rows],
            "cost": [round(r.cost_usd, 6) if r else 0 for r in rows],
            "models": [r.group for r in self.by_model],
            "model_cost": [round(r.cost_usd, 6) for r in self.by_model],
        }


def by_spend(rows: list[UsageRow]) -> list[UsageRow]:
    return sorted(rows, key=lambda r: (-r.cost_usd, -r.calls, r.group))


async def overview(store: Store, when: Period) -> Overview:
    """The overview's figures: five usage reports of the period."""
    reports = {
        group: await store.usage(since=when.since, until=when.until, group=group)
        for group in ("total", "day", "model", "user", "org")
    }
    return Overview(
        period=when,
        total=usage_total(reports["total"]),
        by_day=reports["day"],
        by_model=by_spend(reports["model"]),
        top_users=by_spend(reports["user"])[:TOP],
        top_orgs=by_spend(reports["org"])[:TOP],
    )


def usage_group(text: str | None) -> str:
    group = (text or "user").strip()
    if group not in USAGE_GROUPS or group == "total":
        raise BadPeriod(f"group by one of {', '.join(GROUPS)}")
    return group


@attrs.frozen
class TimelineCall:
    """One LLM call of a trace, placed on the trace's time axis (seconds from its first call's start)."""

    index: int
    start_s: float
    end_s: float
    call_type: str
    model: str
    outcome: str
    error_class: str | None
    attempts: int
    tokens_in: int
    tokens_out: int
    tokens_cached: int
    cost_usd: float
    latency_ms: float
    request_id: str | None
    created: dt.datetime


def timeline(records: TraceRecords) -> list[TimelineCall]:
    """The trace's calls in the order they started (a call's record is written when it ends)."""
    starts = [c.created - dt.timedelta(milliseconds=c.latency_ms) for c in records.calls]
    if not starts:
        return []
    origin = min(starts)
    order = sorted(range(len(starts)), key=lambda i: (starts[i], records.calls[i].created))
    out = []
    for n, i in enumerate(order, start=1):
        c = records.calls[i]
        start = (starts[i] - origin).total_seconds()
        out.append(
            TimelineCall(
                index=n,
                start_s=round(start, 3),
                end_s=round(start + c.latency_ms / 1000, 3),
                call_type=c.call_type,
                model=f"{c.provider}:{c.model_name}",
                outcome=c.outcome,
                error_class=c.error_class,
                attempts=c.attempts,
                tokens_in=c.tokens_in,
                tokens_out=c.tokens_out,
                tokens_cached=c.tokens_cached,
                cost_usd=c.cost_usd,
                latency_ms=c.latency_ms,
                request_id=c.request_id,
                created=c.created,
            )
        )
    return out


def timeline_chart(calls: list[TimelineCall]) -> dict[str, Any]:
    return {
        "labels": [f"#{c.index} {c.call_type} · {c.model}" for c in calls],
        "spans": [[c.start_s, c.end_s] for c in calls],
        "outcomes": [c.outcome for c in calls],
    }
