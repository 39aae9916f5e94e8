"""The dashboard's read-only pages (``http/admin/pages.py``): cases the mutation run found unpinned.

- ``/admin/`` is the overview too; a period the overview, the usage page, its CSV or the traces
  search cannot show is a 400 page saying why; the overview lists the last minutes before the
  figures since start.
- The user filter of the usage and traces pages is shown back in its input (empty when none).
- Traces: the search lists at most 100 traces, only those starting with the query, since 7 days
  unless told; a whole trace id opens its page (calls, errors or features alone are enough)
  unless a user is asked for; a trace with nothing but features spans 0 s.
- Plugins: the builtin plugin is listed, health is ok on a clean engine and degraded by a load
  error alone, and the failure window is shown in minutes.
- Logout is a dashboard action: it needs the session's CSRF token.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import re
import time
from collections.abc import Awaitable, Callable

import pytest
from admin_support import BEARER, AdminClient, csrf_of
from aiohttp import web
from test_admin_auth import log_in

from codeflash_engine import LanguageSpec, hookimpl
from codeflash_engine.app import create_app, load_plugins
from codeflash_engine.http.admin import live_metrics
from codeflash_engine.http.guards import STORE
from codeflash_engine.http.metrics import METRICS, Metrics
from codeflash_engine.infra.records import ErrorRecord, LLMCallRecord
from codeflash_engine.settings import Settings

LISTED_ROW = re.compile(r'<tr><td><a href="/admin/traces/([^"]+)">')


def llm_call(trace_id: str, *, user: str | None = None, ago: dt.timedelta = dt.timedelta(0)) -> LLMCallRecord:
    return LLMCallRecord(trace_id, "optimize", "gpt-4.1", "openai", user_id=user, created=dt.datetime.now(dt.UTC) - ago)


def listed(page: str) -> list[str]:
    return LISTED_ROW.findall(page)


async def test_the_overview_is_also_at_the_trailing_slash(admin_client: AdminClient) -> None:
    resp = await admin_client.get("/admin/", headers=BEARER)
    assert resp.status == 200 and "<h1>Overview</h1>" in await resp.text()


async def test_a_period_a_page_cannot_show_is_a_400_saying_why(admin_client: AdminClient) -> None:
    for path in ("/admin", "/admin/usage", "/admin/usage.csv", "/admin/traces"):
        resp = await admin_client.get(f"{path}?since=yesterday", headers=BEARER)
        assert resp.status == 400, path
        assert "use 30d" in await resp.text(), path


async def test_the_overview_lists_the_last_minutes_before_the_figures_since_start(admin_client: AdminClient) -> None:
    history = admin_client.app[live_metrics.HISTORY]
    history.snapshots.clear()
    history.add(live_metrics.Snapshot(at=time.time() - 120))
    page = await (await admin_client.get("/admin", headers=BEARER)).text()
    spans = re.findall(r'<tr data-span="(\w+)"><th>([^<]+)</th><td>([^<]+)</td>', page)
    assert [s[0] for s in spans] == ["recent", "recent", "start", "start"]
    assert spans[0][1:] == ("HTTP requests", "last 2 min") and spans[2][1:] == ("HTTP requests", "since start")


async def test_the_usage_user_filter_is_shown_back(admin_client: AdminClient) -> None:
    page = await (await admin_client.get("/admin/usage?user=bob", headers=BEARER)).text()
    assert 'name="user" value="bob"' in page and "--user bob</code>" in page
    page = await (await admin_client.get("/admin/usage", headers=BEARER)).text()
    assert 'name="user" value=""' in page and "--user" not in page


async def test_the_traces_search_lists_at_most_a_hundred(admin_client: AdminClient) -> None:
    store = admin_client.app[STORE]
    await store.write_records([llm_call(f"many-{i:03}") for i in range(101)])
    page = await (await admin_client.get("/admin/traces", headers=BEARER)).text()
    assert len(listed(page)) == 100


async def test_the_traces_search_filters_by_prefix_user_and_period(admin_client: AdminClient) -> None:
    store = admin_client.app[STORE]
    await store.write_records(
        [
            llm_call("alpha-1", user="ann"),
            llm_call("alpha-2", user="bob"),
            llm_call("beta-1", user="ann"),
            llm_call("alpha-old", user="ann", ago=dt.timedelta(days=3)),
            llm_call("alpha-older", user="ann", ago=dt.timedelta(days=8)),
        ]
    )
    page = await (await admin_client.get("/admin/traces?q=alpha", headers=BEARER)).text()
    assert sorted(listed(page)) == ["alpha-1", "alpha-2", "alpha-old"]  # since 7 days
    assert 'name="since" value="7d"' in page and 'name="user" value=""' in page
    page = await (await admin_client.get("/admin/traces?q=alpha&since=2d", headers=BEARER)).text()
    assert sorted(listed(page)) == ["alpha-1", "alpha-2"] and 'name="since" value="2d"' in page
    page = await (await admin_client.get("/admin/traces?user=ann", headers=BEARER)).text()
    assert sorted(listed(page)) == ["alpha-1", "alpha-old", "beta-1"] and 'name="user" value="ann"' in page
    # a whole trace id with a user asked for: the list of that user's traces, not the trace's page
    resp = await admin_client.get("/admin/traces?q=alpha-2&user=ann", headers=BEARER, allow_redirects=False)
    assert resp.status == 200 and listed(await resp.text()) == []


async def test_calls_errors_or_features_alone_make_a_trace(admin_client: AdminClient) -> None:
    store = admin_client.app[STORE]
    await store.write_records([llm_call("only-calls"), ErrorRecord("only-errors", "Boom", "it broke")])
    await store.upsert_features("only-features", None, {"original_runtime": 1200})
    for trace_id in ("only-calls", "only-errors", "only-features"):
        resp = await admin_client.get(f"/admin/traces?q={trace_id}", headers=BEARER, allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == f"/admin/traces/{trace_id}", trace_id
        resp = await admin_client.get(f"/admin/traces/{trace_id}", headers=BEARER)
        assert resp.status == 200 and "Nothing is recorded" not in await resp.text(), trace_id
    page = await (await admin_client.get("/admin/traces/only-features", headers=BEARER)).text()
    assert '<span class="label">Span</span><span class="value">0.00 s</span>' in page


async def test_the_plugins_page_of_a_clean_engine(admin_client: AdminClient) -> None:
    page = await (await admin_client.get("/admin/plugins", headers=BEARER)).text()
    assert '<strong class="health-ok" id="health">ok</strong>' in page
    assert "<small>(builtin)</small>" in page
    assert "failed at run time in the last 15 minutes" in page


class BadLanguages:
    """A plugin whose language registration fails: a load error, nothing failing at run time."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        raise RuntimeError("no languages today")


async def test_a_load_error_alone_degrades_health(
    aiohttp_client: Callable[[web.Application], Awaitable[AdminClient]], admin_settings: Settings
) -> None:
    host = load_plugins(admin_settings)
    host.register(BadLanguages(), "bad-languages")
    assert host.errors() and not host.failures() and not host.restarts()
    client = await aiohttp_client(create_app(admin_settings, plugins=host))
    page = await (await client.get("/admin/plugins", headers=BEARER)).text()
    assert '<strong class="health-degraded" id="health">degraded</strong>' in page
    assert "no languages today" in page


async def test_logout_needs_the_sessions_csrf_token(admin_client: AdminClient) -> None:
    await log_in(admin_client)
    refused = await admin_client.post("/admin/logout", allow_redirects=False)
    assert refused.status == 403
    page = await admin_client.get("/admin", allow_redirects=False)
    assert page.status == 200  # still signed in
    done = await admin_client.post("/admin/logout", data={"csrf": csrf_of(await page.text())}, allow_redirects=False)
    assert done.status == 303 and done.headers["Location"] == "/admin/login"


# --- the overview's live figures (live_metrics.py) ---------------------------------------------------

INF = math.inf


async def test_the_overview_shows_the_median_and_the_95th_and_99th_percentiles(admin_client: AdminClient) -> None:
    page = await (await admin_client.get("/admin", headers=BEARER)).text()
    assert '<th class="n">p50</th><th class="n">p95</th><th class="n">p99</th></tr>' in page
    metrics = Metrics()
    for i in range(100):
        metrics.request_started()
        metrics.request_finished("/ai/optimize", 200, 0.3 if i < 90 else 4.0, 0.01, None)
    latency = live_metrics.read(metrics).requests_latency
    assert latency.quantiles[0.5] is not None and latency.quantiles[0.5] <= 0.5
    assert latency.quantiles[0.95] is not None and latency.quantiles[0.95] > 2.5


def test_a_quantile_within_the_first_bucket_or_at_a_bucket_boundary() -> None:
    assert live_metrics.quantile(0.5, [(1.0, 10.0), (INF, 10.0)]) == pytest.approx(0.5)  # from 0, from no count
    assert live_metrics.quantile(0.5, [(0.5, 1.0), (INF, 1.0)]) == pytest.approx(0.25)  # one observation
    assert live_metrics.quantile(0.5, [(1.0, 0.0), (INF, 4.0)]) == 1.0  # all beyond the last finite bound
    # the rank reached exactly at a bound: that bound, not a later bucket's
    assert live_metrics.quantile(0.5, [(1.0, 5.0), (2.0, 5.0), (INF, 10.0)]) == 1.0


def test_an_engine_that_served_nothing_is_the_empty_snapshot() -> None:
    empty = live_metrics.Snapshot(at=1.0)
    assert live_metrics.snapshot(Metrics(), at=1.0) == empty
    live = live_metrics.LiveMetrics.of(empty, None)
    assert (live.requests, live.server_errors, live.client_errors, live.llm_calls, live.llm_failed) == (0, 0, 0, 0, 0)
    assert live.requests_latency.count == 0 and live.llm_latency.count == 0


def test_the_llm_latency_counts_each_call_once() -> None:
    metrics = Metrics()
    for outcome in ("ok", "ok", "ok", "error"):
        metrics.observe_record(LLMCallRecord("t", "optimize", "m", "openai", latency_ms=2000, outcome=outcome))
    assert live_metrics.read(metrics).llm_latency.count == 4


def counts(at: float, n: float, buckets: dict[float, float] | None = None) -> live_metrics.Snapshot:
    """A snapshot whose every counter is ``n`` (and its buckets, ``buckets``)."""
    return live_metrics.Snapshot(at, n, n, n, buckets or {}, n, n, buckets or {})


def test_the_difference_of_two_snapshots_never_goes_below_zero() -> None:
    older = counts(10.0, 3.0, {1.0: 3.0})
    newer = live_metrics.Snapshot(70.0, 10.0, 4.0, 5.0, {1.0: 8.0, INF: 9.0}, 6.0, 5.0, {1.0: 4.0, INF: 6.0})
    assert newer.minus(older) == live_metrics.Snapshot(
        70.0, 7.0, 1.0, 2.0, {1.0: 5.0, INF: 9.0}, 3.0, 2.0, {1.0: 1.0, INF: 6.0}
    )
    assert older.minus(older) == counts(10.0, 0.0, {1.0: 0.0})
    # a worker gone (multiprocess mode): its counts leave the sum, the difference is 0, not negative
    assert counts(70.0, 1.0, {1.0: 1.0}).minus(older) == counts(70.0, 0.0, {1.0: 0.0})


def test_the_last_minutes_are_counted_from_the_snapshot_of_five_minutes_ago() -> None:
    history = live_metrics.History()
    for at in range(0, 600, 60):  # one snapshot a minute, the n-th having n requests
        history.add(counts(float(at), at / 60))
    recent = history.recent(counts(600.0, 10.0))
    assert recent is not None and (recent.seconds, recent.requests) == (300.0, 5)
    close = live_metrics.History()
    for second in (0.0, 300.0, 300.5, 400.0):  # 300.5: less than five minutes before now, not the base
        close.add(counts(second, second / 100))
    recent = close.recent(counts(600.0, 6.0))
    assert recent is not None and (recent.seconds, recent.requests) == (300.0, 3)
    # younger than five minutes: since the oldest snapshot
    young = live_metrics.History()
    for second in (400.0, 500.0):
        young.add(counts(second, second / 100))
    recent = young.recent(counts(600.0, 6.0))
    assert recent is not None and (recent.seconds, recent.requests) == (200.0, 2)
    assert young.recent(counts(400.0, 4.0)) is None  # nothing older than now


def test_snapshots_are_kept_fifteen_minutes() -> None:
    history = live_metrics.History()
    history.add(counts(0.0, 0.0))
    history.add(counts(900.0, 1.0))
    assert [s.at for s in history.snapshots] == [0.0, 900.0]
    history.add(counts(901.0, 1.0))
    assert [s.at for s in history.snapshots] == [900.0, 901.0]


async def test_the_sampler_takes_a_snapshot_at_once_then_every_thirty_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_sleep = asyncio.sleep
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(0)

    app = web.Application()
    app[METRICS] = Metrics()
    monkeypatch.setattr(asyncio, "sleep", sleep)
    running = live_metrics.sampler(app)
    await anext(running)
    while len(slept) < 3:
        await real_sleep(0)
    with pytest.raises(StopAsyncIteration):  # the application's cleanup: the task is cancelled
        await anext(running)
    monkeypatch.undo()
    assert slept[:3] == [30.0, 30.0, 30.0]
    assert len(app[live_metrics.HISTORY].snapshots) >= 3
