"""The usage report and the trace summaries at their edges, on both stores (the in-memory one's
infra/db/memory_reports.py and PostgreSQL's queries): a period is [since, until) to the
microsecond, days are UTC days whatever the record's time zone, calls without user or with an
unknown organization fall in "-", each column sums its own field, a trace's user is the least of
its users, traces tied on their last call are ordered by id, and a limit of zero or less lists
none (what the mutation run of memory_reports.py found untested)."""

from __future__ import annotations

import datetime as dt

import pytest

from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.records import LLMCallRecord

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
SEC = dt.timedelta(seconds=1)
US = dt.timedelta(microseconds=1)


def call(
    trace: str | None,
    at: dt.datetime,
    *,
    user: str | None = "alice",
    org: int | None = None,
    request: str | None = None,
    outcome: str = "ok",
    tokens: tuple[int, int, int] = (10, 20, 3),
    cost: float = 0.5,
    call_type: str = "optimize",
) -> LLMCallRecord:
    return LLMCallRecord(
        trace_id=trace,
        call_type=call_type,
        model_name="gpt-4.1",
        provider="openai",
        tokens_in=tokens[0],
        tokens_out=tokens[1],
        tokens_cached=tokens[2],
        cost_usd=cost,
        outcome=outcome,
        user_id=user,
        organization_id=org,
        created=at,
        request_id=request,
    )


async def test_the_period_is_since_inclusive_until_exclusive(store: Store) -> None:
    await store.write_records([call("a", T0), call("a", T0 + SEC), call("a", T0 + 2 * SEC)])
    rows = await store.usage(since=T0, until=T0 + 2 * SEC, group="total")
    assert [(r.group, r.calls) for r in rows] == [("TOTAL", 2)]
    rows = await store.usage(since=T0 + US, until=T0 + 2 * SEC + US, group="total")
    assert [r.calls for r in rows] == [2]


async def test_each_column_sums_its_own_field(store: Store) -> None:
    await store.write_records(
        [
            call("a", T0, request="r1", tokens=(1, 20, 300), cost=0.25),
            call("a", T0, request="r1", tokens=(2, 40, 600), cost=0.5, outcome="error"),
            call("a", T0, request=None, tokens=(4, 80, 1200), cost=1.0, outcome="cancelled"),
            call("a", T0, request=None, tokens=(8, 160, 2400), cost=2.0),
            call("a", T0, request="r2", tokens=(16, 320, 4800), cost=4.0),
        ]
    )
    [row] = await store.usage(since=T0, until=T0 + SEC, group="user")
    assert (row.group, row.calls, row.failed, row.requests) == ("alice", 5, 2, 4)
    assert (row.tokens_in, row.tokens_out, row.tokens_cached) == (31, 620, 9300)
    assert row.cost_usd == pytest.approx(7.75)


async def test_calls_without_user_or_known_organization_fall_in_dash(store: Store) -> None:
    org = (await store.create_key("bob", organization="acme")).info.organization_id
    assert org is not None
    await store.write_records(
        [
            call("a", T0, user=None, cost=1.0),
            call("a", T0, user="bob", org=org, cost=2.0),
            call("a", T0, user="carol", org=org + 1000, cost=4.0),  # an organization since removed
        ]
    )
    by_user = await store.usage(since=T0, until=T0 + SEC, group="user")
    assert [(r.group, r.cost_usd) for r in by_user] == [("-", 1.0), ("bob", 2.0), ("carol", 4.0)]
    by_org = await store.usage(since=T0, until=T0 + SEC, group="org")
    assert [(r.group, r.cost_usd) for r in by_org] == [("-", 5.0), ("acme", 2.0)]
    by_user_of_carol = await store.usage(since=T0, until=T0 + SEC, group="org", user_id="carol")
    assert [(r.group, r.calls) for r in by_user_of_carol] == [("-", 1)]


async def test_days_are_utc_days_whatever_the_time_zone_of_the_record(store: Store) -> None:
    east = dt.timezone(dt.timedelta(hours=5))
    west = dt.timezone(dt.timedelta(hours=-5))
    await store.write_records(
        [
            call("a", dt.datetime(2026, 3, 2, 2, 0, tzinfo=east)),  # 2026-03-01 21:00 UTC
            call("a", dt.datetime(2026, 3, 2, 4, 59, tzinfo=east)),  # 2026-03-01 23:59 UTC
            call("a", dt.datetime(2026, 3, 1, 22, 0, tzinfo=west)),  # 2026-03-02 03:00 UTC
            call("a", dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)),
        ]
    )
    rows = await store.usage(since=T0 - 2 * dt.timedelta(days=1), until=T0 + 2 * dt.timedelta(days=1), group="day")
    assert [(r.group, r.calls) for r in rows] == [("2026-03-01", 2), ("2026-03-02", 2)]


async def test_trace_summaries_at_their_edges(store: Store) -> None:
    await store.write_records(
        [
            call("t-old", T0 - US),
            call("t-b", T0, user="zed", cost=1.0),
            call("t-b", T0 + SEC, user="bob", cost=2.0, outcome="error"),
            call("t-b", T0 + 3 * SEC, user=None, cost=4.0),
            call("t-a", T0 + 3 * SEC, user=None),
            call("u-c", T0 + 2 * SEC, user="carol"),
            call(None, T0 + 9 * SEC),
        ]
    )
    found = await store.trace_summaries(since=T0)
    assert [t.trace_id for t in found] == ["t-a", "t-b", "u-c"]  # t-a and t-b tie on their last call
    t_a, t_b, _ = found
    assert t_a.user_id is None and t_a.calls == 1
    assert (t_b.user_id, t_b.calls, t_b.failed) == ("bob", 3, 1)
    assert t_b.cost_usd == pytest.approx(7.0)
    assert (t_b.first, t_b.last) == (T0, T0 + 3 * SEC)
    assert [t.trace_id for t in await store.trace_summaries(since=T0 - US)] == ["t-a", "t-b", "u-c", "t-old"]
    assert [t.trace_id for t in await store.trace_summaries(since=T0, prefix="")] == ["t-a", "t-b", "u-c"]
    assert [t.trace_id for t in await store.trace_summaries(since=T0, prefix="u-")] == ["u-c"]
    assert [t.trace_id for t in await store.trace_summaries(since=T0, user_id="zed")] == ["t-b"]
    [zed] = await store.trace_summaries(since=T0, user_id="zed")
    assert (zed.user_id, zed.calls, zed.last) == ("zed", 1, T0)
    assert [t.trace_id for t in await store.trace_summaries(since=T0, limit=2)] == ["t-a", "t-b"]
    assert await store.trace_summaries(since=T0, limit=0) == []
    assert await store.trace_summaries(since=T0, limit=-1) == []
