"""Dashboard cases the mutation run (``scripts/mutation.py admin.*``) found unpinned.

- Behind a chain of proxies ``X-Forwarded-Host`` lists the hosts from the browser's side first:
  the form's Origin is checked against the first one, never the last (an inner hop's name).
- What the pages show (``views.py``): the default and asked-for periods and their days, the
  charts' series, the top lists' order and length, a trace's calls on its time axis.
- Every page and action refuses a caller without the admin token (removing one handler's guard
  went unnoticed); the dashboard's changes refuse what the commands refuse.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import cast

import pytest
from admin_support import BEARER, AdminClient, csrf_of
from test_admin_auth import log_in

from codeflash_engine.http.admin import views
from codeflash_engine.http.guards import STORE
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import TraceRecords, UsageRow
from codeflash_engine.infra.records import LLMCallRecord
from codeflash_engine.testing.engine import API_KEY


async def test_the_first_forwarded_host_is_the_one_the_browser_used(admin_client: AdminClient) -> None:
    await log_in(admin_client)
    token = csrf_of(await (await admin_client.get("/admin/keys")).text())
    chain = {"X-Forwarded-Host": "engine.example, lb.internal"}
    browser = await admin_client.post(
        "/admin/keys", data={"user": "u1", "csrf": token}, headers={"Origin": "https://engine.example", **chain}
    )
    assert browser.status == 201
    inner = await admin_client.post(
        "/admin/keys", data={"user": "u2", "csrf": token}, headers={"Origin": "https://lb.internal", **chain}
    )
    assert inner.status == 403
    assert "another site" in await inner.text()


# --- what the pages show (views.py): the period, the charts, the top lists, the trace's timeline ----

NOW = dt.datetime(2026, 12, 6, 15, 30, tzinfo=dt.UTC)


def row(group: str, *, calls: int = 1, failed: int = 0, cost: float = 0.0, requests: int = 0) -> UsageRow:
    return UsageRow(group, calls, failed, 10, 5, 0, cost, requests)


def test_the_default_period_is_the_last_seven_utc_days_today_included() -> None:
    assert views.default_since(NOW) == "2026-11-30"
    # a local time just after midnight east of UTC is still the day before in UTC
    assert (
        views.default_since(dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))) == "2026-11-30"
    )
    when = views.period(None, None, NOW)
    assert (when.since, when.until) == (dt.datetime(2026, 11, 30, tzinfo=dt.UTC), NOW)
    assert when.days() == [f"2026-11-{d}" for d in range(30, 31)] + [f"2026-12-0{d}" for d in range(1, 7)]


def test_a_period_lists_each_utc_day_it_touches_once() -> None:
    assert views.period("2026-12-01", "2026-12-03", NOW).days() == ["2026-12-01", "2026-12-02"]  # until is exclusive
    assert views.period("2026-12-01", "2026-12-03T00:00:01", NOW).days() == ["2026-12-01", "2026-12-02", "2026-12-03"]
    assert views.period("2026-12-01T23:00", "2026-12-02T01:00", NOW).days() == ["2026-12-01", "2026-12-02"]
    assert views.period("2026-12-06T10:00", "2026-12-06T11:00", NOW).days() == ["2026-12-06"]
    assert views.period("2h", None, NOW).until == NOW


@pytest.mark.parametrize(
    ("since", "until", "complaint"),
    [
        ("2026-12-03", "2026-12-03", "empty"),
        ("2026-12-04", "2026-12-03", "empty"),
        ("yesterday", None, "use 30d"),
        ("2025-01-01", "2026-02-06", "at most 400 days"),
    ],
)
def test_a_period_the_page_cannot_show_says_why(since: str, until: str | None, complaint: str) -> None:
    with pytest.raises(views.BadPeriod, match=complaint):
        views.period(since, until, NOW)


def test_a_period_of_exactly_the_longest_length_is_shown() -> None:
    assert len(views.period("2025-01-01", "2026-02-05", NOW).days()) == 400


def test_the_charts_have_every_day_with_zeros_and_successful_calls_apart_from_failed() -> None:
    when = views.period("2026-12-01", "2026-12-04", NOW)
    overview = views.Overview(
        period=when,
        total=row("TOTAL"),
        by_day=[row("2026-12-02", calls=5, failed=2, cost=0.1234567, requests=3)],
        by_model=[row("openai:gpt-4.1", cost=0.3333333), row("anthropic:claude", cost=0.25)],
        top_users=[],
        top_orgs=[],
    )
    assert overview.chart_data() == {
        "days": ["2026-12-01", "2026-12-02", "2026-12-03"],
        "requests": [0, 3, 0],
        "calls": [0, 3, 0],
        "failed": [0, 2, 0],
        "cost": [0, 0.123457, 0],
        "models": ["openai:gpt-4.1", "anthropic:claude"],
        "model_cost": [0.333333, 0.25],
    }


def test_top_lists_go_by_spend_then_calls_then_name() -> None:
    rows = [row("b", calls=9, cost=1.0), row("a", calls=1, cost=2.0), row("c", calls=9, cost=1.0), row("d", calls=20)]
    assert [r.group for r in views.by_spend(rows)] == ["a", "b", "c", "d"]
    rows = [row("x", calls=3, cost=1.0), row("y", calls=30, cost=1.0)]
    assert [r.group for r in views.by_spend(rows)] == ["y", "x"]


async def test_the_overview_keeps_the_ten_biggest_spenders() -> None:
    reports = {
        "total": [row("TOTAL", calls=12)],
        "day": [],
        "model": [],
        "user": [row(f"user-{i:02}", cost=float(i)) for i in range(12)],
        "org": [row("org-1", cost=1.0)],
    }

    class Reports:
        async def usage(self, *, since: dt.datetime, until: dt.datetime, group: str) -> list[UsageRow]:
            return reports[group]

    shown = await views.overview(cast(Store, Reports()), views.period("2026-12-01", None, NOW))
    assert [r.group for r in shown.top_users] == [f"user-{i:02}" for i in range(11, 1, -1)]
    assert shown.total.calls == 12 and [r.group for r in shown.top_orgs] == ["org-1"]


def test_usage_groups_by_what_the_command_groups_by_but_not_total() -> None:
    assert views.usage_group(None) == "user" and views.usage_group(" model ") == "model"
    assert "total" not in views.GROUPS and "day" in views.GROUPS
    with pytest.raises(views.BadPeriod, match="group by one of"):
        views.usage_group("total")


def test_a_traces_calls_are_placed_on_its_time_axis_in_the_order_they_started() -> None:
    t0 = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    calls = [
        # written when they end: the second record started first
        LLMCallRecord("t", "optimize", "gpt-4.1", "openai", latency_ms=500, created=t0 + dt.timedelta(seconds=2)),
        LLMCallRecord("t", "testgen", "gpt-4.1", "openai", latency_ms=2500, created=t0 + dt.timedelta(seconds=2.5)),
        LLMCallRecord("t", "explain", "claude", "anthropic", latency_ms=250, created=t0 + dt.timedelta(seconds=3)),
    ]
    placed = views.timeline(TraceRecords(calls=calls, errors=[]))
    assert [(c.index, c.call_type, c.start_s, c.end_s) for c in placed] == [
        (1, "testgen", 0.0, 2.5),
        (2, "optimize", 1.5, 2.0),
        (3, "explain", 2.75, 3.0),
    ]
    assert views.timeline_chart(placed)["labels"][2] == "#3 explain · anthropic:claude"
    assert views.timeline(TraceRecords(calls=[], errors=[])) == []


# --- the dashboard's changes (manage.py) and who may see each page ---------------------------------


async def test_every_dashboard_route_refuses_a_caller_without_the_admin_token(admin_client: AdminClient) -> None:
    """Each page and action of the router (read from the app, so a new one is covered): a browser
    is sent to the login page or refused, a script with a wrong or an API key gets 401."""
    open_to_all = {"/admin/login", "/admin/logout", "/admin/static/{name}"}
    seen = 0
    for route in admin_client.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if not path.startswith("/admin") or path in open_to_all or route.method == "HEAD":
            continue
        url = re.sub(r"\{[^}]*\}", "1", path)
        seen += 1
        send = admin_client.get if route.method == "GET" else admin_client.post
        browser = await send(url, allow_redirects=False)
        if route.method == "GET":
            assert browser.status == 303 and browser.headers["Location"].startswith("/admin/login?next="), url
        else:
            assert browser.status == 401 and 'name="token"' in await browser.text(), url
        for header in ({"Authorization": "Bearer not-the-token"}, {"Authorization": f"Bearer {API_KEY}"}):
            script = await send(url, headers=header, allow_redirects=False)
            assert script.status == 401 and "error" in await script.json(), (url, header)
    assert seen >= 14


async def test_a_key_cannot_expire_now_and_the_filter_keeps_its_user(admin_client: AdminClient) -> None:
    now_ = await admin_client.post("/admin/keys", data={"user": "x", "expires": "0h"}, headers=BEARER)
    assert now_.status == 422 and "is not in the future" in await now_.text()
    later = await admin_client.post("/admin/keys", data={"user": "x", "expires": "1h"}, headers=BEARER)
    assert later.status == 201
    listed = await (await admin_client.get("/admin/keys?user=x", headers=BEARER)).text()
    assert 'name="user" value="x"' in listed


async def test_rotation_says_until_when_the_old_key_works_and_refuses_unusable_keys(admin_client: AdminClient) -> None:
    store = admin_client.app[STORE]
    old = (await store.create_key("dave")).info
    before = dt.datetime.now(dt.UTC)
    page = await (await admin_client.post(f"/admin/keys/{old.id}/rotate", data={"grace": "2d"}, headers=BEARER)).text()
    until = re.search(r"keeps working until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", page)
    assert until is not None, page
    shown = dt.datetime.strptime(until.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
    assert dt.timedelta(days=2, minutes=-1) <= shown - before <= dt.timedelta(days=2, minutes=1)
    revoked = (await store.create_key("erin")).info
    await store.revoke_key(key_id=revoked.id)
    expired = (await store.create_key("fay")).info
    await store.expire_key(expired.id, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    for key_id in (revoked.id, expired.id, 9999):
        resp = await admin_client.post(f"/admin/keys/{key_id}/rotate", data={"grace": "1h"}, headers=BEARER)
        assert resp.status == 404 and f"no usable key has id {key_id}" in await resp.text(), key_id
    assert [k.user_id for k in await store.list_keys(include_revoked=False)].count("erin") == 0


async def test_an_organizations_github_id_is_a_whole_number_from_one(admin_client: AdminClient) -> None:
    for bad in ("0", "abc", "-3", "1.5"):
        resp = await admin_client.post("/admin/orgs", data={"name": "acme", "github_org_id": bad}, headers=BEARER)
        assert resp.status == 422 and "a whole number from 1" in await resp.text(), bad
    made = await admin_client.post("/admin/orgs", data={"name": "acme", "github_org_id": "1"}, headers=BEARER)
    assert made.status == 200
    [org] = await admin_client.app[STORE].list_organizations()
    assert org.github_org_id == 1
    unknown_plan = await admin_client.post(f"/admin/orgs/{org.id}", data={"plan": "gold"}, headers=BEARER)
    assert unknown_plan.status == 422 and "no plan is named" in await unknown_plan.text()
    assert "Organizations" in await unknown_plan.text()  # the organizations page again, with the complaint


def test_the_timeline_is_in_milliseconds_and_a_period_ending_just_after_midnight_has_that_day() -> None:
    t0 = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    calls = [
        LLMCallRecord(
            "t", "optimize", "m", "openai", latency_ms=1234.5678, created=t0 + dt.timedelta(seconds=1.2345678)
        ),
        LLMCallRecord("t", "explain", "m", "openai", latency_ms=100, created=t0 + dt.timedelta(seconds=1.6123456)),
    ]
    placed = views.timeline(TraceRecords(calls=calls, errors=[]))
    assert [(c.start_s, c.end_s) for c in placed] == [(0.0, 1.235), (1.512, 1.612)]
    assert views.period("2026-12-01", "2026-12-03T00:00:00.000001", NOW).days()[-1] == "2026-12-03"


async def test_a_plan_the_database_could_not_store_is_refused_with_the_fields_name(admin_client: AdminClient) -> None:
    """An integer column holds at most 2**31 - 1: a larger quota or rate limit is the form's
    complaint (422), on either store, never the database's error."""
    for data, says in (
        ({"name": "big", "quota": str(2**31)}, "quota"),
        ({"name": "big", "rate_limit": f"{2**31}/1s"}, "rate limit"),
        ({"name": "big", "rate_limit": "1/9999999999999999d"}, "rate limit"),
    ):
        resp = await admin_client.post("/admin/plans", data=data, headers=BEARER)
        assert resp.status == 422 and says in await resp.text(), data
    assert await admin_client.app[STORE].get_plan("big") is None
    ok = await admin_client.post("/admin/plans", data={"name": "big", "quota": str(2**31 - 1)}, headers=BEARER)
    assert ok.status == 200
