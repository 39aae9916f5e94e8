"""The overview's live figures: error rates and percentiles read from the engine's own metrics."""

from __future__ import annotations

import asyncio
import math

import pytest
from admin_support import BEARER, AdminClient

from codeflash_engine.http.admin import live_metrics
from codeflash_engine.http.metrics import Metrics
from codeflash_engine.infra.records import LLMCallRecord


def test_quantiles_as_histogram_quantile_computes_them() -> None:
    buckets = [(0.1, 0.0), (0.25, 50.0), (0.5, 90.0), (1.0, 100.0), (math.inf, 100.0)]
    assert live_metrics.quantile(0.5, buckets) == pytest.approx(0.25)
    assert live_metrics.quantile(0.25, buckets) == pytest.approx(0.175)  # halfway through (0.1, 0.25]
    assert live_metrics.quantile(0.95, buckets) == pytest.approx(0.75)
    assert live_metrics.quantile(0.5, [(1.0, 0.0), (math.inf, 0.0)]) is None
    assert live_metrics.quantile(0.99, [(1.0, 1.0), (math.inf, 10.0)]) == 1.0  # past the last bound: that bound


def test_error_rate_and_latency_leave_the_dashboard_out() -> None:
    metrics = Metrics()
    for i in range(100):
        status = 502 if i < 5 else (429 if i < 15 else 200)
        metrics.request_started()
        metrics.request_finished("/ai/optimize", status, 0.3, 0.01, None)
    for _ in range(50):  # the dashboard's own pages and scrapes are not the service's work
        metrics.request_started()
        metrics.request_finished("/admin/keys", 500, 30.0, 30.0, None)
        metrics.request_started()
        metrics.request_finished("/metrics", 200, 0.001, 0.001, None)
    for outcome in ("ok", "ok", "ok", "error"):
        metrics.observe_record(
            LLMCallRecord(
                trace_id="t", call_type="optimize", model_name="m", provider="openai", latency_ms=2000, outcome=outcome
            )
        )
    live = live_metrics.read(metrics)
    assert (live.requests, live.server_errors, live.client_errors) == (100, 5, 10)
    assert live.error_rate == pytest.approx(0.05) and live.client_error_rate == pytest.approx(0.10)
    assert live.requests_latency.count == 100
    assert 0.25 < live.requests_latency.quantiles[0.5] <= 0.5  # type: ignore[operator]
    assert (live.llm_calls, live.llm_failed, live.llm_failure_rate) == (4, 1, 0.25)
    assert 1.0 < live.llm_latency.quantiles[0.99] <= 2.5  # type: ignore[operator]
    empty = live_metrics.read(Metrics())
    assert empty.error_rate is None and empty.requests_latency.quantiles[0.5] is None


def test_the_last_minutes_are_the_difference_with_an_older_snapshot() -> None:
    metrics = Metrics()
    history = live_metrics.History()
    assert history.recent(live_metrics.snapshot(metrics, at=1000.0)) is None  # nothing to compare with yet
    for _ in range(50):  # long ago: slow and failing
        metrics.request_started()
        metrics.request_finished("/ai/optimize", 502, 20.0, 0.01, None)
    history.add(live_metrics.snapshot(metrics, at=1000.0))
    history.add(live_metrics.snapshot(metrics, at=1000.0 + live_metrics.WINDOW - 30))
    for _ in range(20):  # the last minutes: fast and fine
        metrics.request_started()
        metrics.request_finished("/ai/optimize", 200, 0.05, 0.01, None)
    now = live_metrics.snapshot(metrics, at=1000.0 + live_metrics.WINDOW + 10)
    recent = history.recent(now)
    assert recent is not None and recent.seconds == live_metrics.WINDOW + 10
    assert (recent.requests, recent.server_errors, recent.error_rate) == (20, 0, 0.0)
    assert recent.requests_latency.count == 20 and recent.requests_latency.quantiles[0.99] <= 0.05  # type: ignore[operator]
    since_start = live_metrics.LiveMetrics.of(now, None)
    assert (since_start.requests, since_start.server_errors) == (70, 50)
    assert since_start.requests_latency.quantiles[0.99] > 10  # type: ignore[operator]
    # snapshots older than KEEP are let go
    history.add(live_metrics.snapshot(metrics, at=1000.0 + live_metrics.KEEP + 1))
    assert history.snapshots[0].at > 1000.0


async def test_the_overview_shows_the_last_minutes_once_sampled(admin_client: AdminClient) -> None:
    history = admin_client.app[live_metrics.HISTORY]
    for _ in range(100):
        if history.snapshots:
            break
        await asyncio.sleep(0.01)
    assert history.snapshots, "the sampler took no snapshot"
    assert (await admin_client.get("/admin/keys", headers=BEARER)).status == 200
    page = await (await admin_client.get("/admin", headers=BEARER)).text()
    assert page.count('data-span="recent"') == 2 and page.count('data-span="start"') == 2
