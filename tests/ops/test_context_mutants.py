"""The request context middleware, exactly (what the mutation run of http/context.py found
untested): which X-Request-Id is kept, the overhead and LLM headers and the access line computed
from a fixed clock, the status logged for a handler that failed or was cancelled, the error class
(an exception's name, ``http_<status>`` from 400 on), the metrics' in-flight count, and the
PostHog event of an identified caller.

The application here is the two context middlewares and a few handlers, so each case controls
what the handler answers; the clock is fixed by replacing the middleware's ``time`` and the start
of the request's accounting.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from codeflash_engine.http import context
from codeflash_engine.http.context import (
    INTEGRATIONS,
    LLM_HEADER,
    OVERHEAD_HEADER,
    REQUEST_ID_HEADER,
    context_middleware,
    error_class_middleware,
)
from codeflash_engine.http.guards import IDENTITY
from codeflash_engine.http.metrics import METRICS, Metrics
from codeflash_engine.infra.db.types import Identity
from codeflash_engine.infra.integrations import Integrations
from codeflash_engine.infra.logging import trace_id_var
from codeflash_engine.infra.observability import RequestUsage, track_request

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[[web.Application], Awaitable[Client]]

T0 = 1000.0


class FakePosthog:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def capture(self, event: str, *, distinct_id: str, properties: dict[str, Any]) -> None:
        self.events.append((event, distinct_id, properties))


async def ok(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def refused(request: web.Request) -> web.Response:
    return web.json_response({"error": "no"}, status=int(request.query.get("status", "400")))


async def fails(request: web.Request) -> web.Response:
    raise ValueError("boom")


async def cancelled(request: web.Request) -> web.Response:
    raise asyncio.CancelledError


async def identified(request: web.Request) -> web.Response:
    request[IDENTITY] = Identity(user_id="u-7", key_hash="h", key_suffix="abcd", tier="free", organization_id=None)
    trace_id_var.set("trace-9")
    return web.json_response({"ok": True})


async def counts(request: web.Request) -> web.Response:
    return web.json_response({"active": request.app[METRICS].active})


def build(*, metrics: Metrics | None = None, integrations: Integrations | None = None) -> web.Application:
    app = web.Application(middlewares=[context_middleware, error_class_middleware])
    if metrics is not None:
        app[METRICS] = metrics
    if integrations is not None:
        app[INTEGRATIONS] = integrations
    app.router.add_get("/ok", ok)
    app.router.add_get("/refused", refused)
    app.router.add_get("/fails", fails)
    app.router.add_get("/cancelled", cancelled)
    app.router.add_get("/identified", identified)
    app.router.add_get("/counts", counts)
    return app


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """A request that took 2.5001234 s, 0.7504321 s of it with an LLM call in flight, 3 calls
    (1 failed), 120 tokens in, 45 out, $0.1234567 (digits past what is logged or sent)."""
    usage_of: SimpleNamespace = SimpleNamespace(elapsed=2.5001234, llm=0.7504321)

    def fixed_usage() -> RequestUsage:
        usage = track_request()
        usage.started = T0
        usage.llm_seconds = usage_of.llm
        usage.llm_calls, usage.llm_failures, usage.tokens_in, usage.tokens_out = 3, 1, 120, 45
        usage.cost_usd = 0.1234567
        return usage

    monkeypatch.setattr(context, "track_request", fixed_usage)
    monkeypatch.setattr(context, "time", SimpleNamespace(perf_counter=lambda: T0 + usage_of.elapsed))
    return usage_of


def access_lines(caplog: pytest.LogCaptureFixture) -> list[SimpleNamespace]:
    """The access records: their fields, and the message as ``text``."""
    return [
        SimpleNamespace(**r.__dict__, text=r.getMessage())
        for r in caplog.records
        if r.name == "codeflash_engine.access"
    ]


@pytest.fixture
def access(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="codeflash_engine.access")
    return caplog


# --- X-Request-Id ------------------------------------------------------------------------------


@pytest.mark.parametrize("incoming", ["r", "req-123", "x" * 64, "id with spaces"])
async def test_a_sane_request_id_is_kept(
    aiohttp_client: MakeClient, access: pytest.LogCaptureFixture, incoming: str
) -> None:
    client = await aiohttp_client(build())
    resp = await client.get("/ok", headers={REQUEST_ID_HEADER: incoming})
    assert resp.headers[REQUEST_ID_HEADER] == incoming
    [line] = access_lines(access)
    assert line.request_id == incoming


@pytest.mark.parametrize("incoming", [None, "", "x" * 65, "bad\xa0id"])
async def test_an_absent_or_insane_request_id_is_replaced(
    aiohttp_client: MakeClient, access: pytest.LogCaptureFixture, incoming: str | None
) -> None:
    """No id, an empty one, one over 64 characters or one with a character that is not printable:
    the engine makes its own (32 hex digits) and logs that one."""
    client = await aiohttp_client(build())
    headers = {} if incoming is None else {REQUEST_ID_HEADER: incoming}
    resp = await client.get("/ok", headers=headers)
    request_id = resp.headers[REQUEST_ID_HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), request_id
    [line] = access_lines(access)
    assert line.request_id == request_id


# --- headers and the access line from a fixed clock ---------------------------------------------


async def test_the_timing_headers_split_the_time_between_llm_and_engine(
    aiohttp_client: MakeClient, clock: SimpleNamespace, access: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(build())
    resp = await client.get("/ok")
    assert resp.status == 200
    assert resp.headers[LLM_HEADER] == "750.4"
    assert resp.headers[OVERHEAD_HEADER] == "1749.7"
    assert resp.headers["Server-Timing"] == "llm;dur=750.4, engine;dur=1749.7"
    [line] = access_lines(access)
    fields = {k: getattr(line, k) for k in ("status", "latency_ms", "overhead_ms", "llm_ms", "cost_usd", "error_class")}
    assert fields == {
        "status": 200,
        "latency_ms": 2500.12,
        "overhead_ms": 1749.69,
        "llm_ms": 750.43,
        "cost_usd": 0.123457,
        "error_class": None,
    }
    assert (line.llm_calls, line.llm_failures, line.tokens_in, line.tokens_out) == (3, 1, 120, 45)
    assert (line.method, line.route, line.user_id, line.trace_id) == ("GET", "/ok", None, None)
    assert line.text == "GET /ok 200"


async def test_llm_time_beyond_the_request_leaves_no_negative_overhead(
    aiohttp_client: MakeClient, clock: SimpleNamespace, access: pytest.LogCaptureFixture
) -> None:
    clock.llm = 3.0
    client = await aiohttp_client(build())
    resp = await client.get("/ok")
    assert (resp.headers[LLM_HEADER], resp.headers[OVERHEAD_HEADER]) == ("3000.0", "0.0")
    assert resp.headers["Server-Timing"] == "llm;dur=3000.0, engine;dur=0.0"
    [line] = access_lines(access)
    assert (line.latency_ms, line.llm_ms, line.overhead_ms) == (2500.12, 3000.0, 0.0)


# --- status and error class ----------------------------------------------------------------------


@pytest.mark.parametrize(("status", "error_class"), [(399, None), (400, "http_400"), (404, "http_404")])
async def test_an_answered_error_is_classed_by_its_status_from_400(
    aiohttp_client: MakeClient, access: pytest.LogCaptureFixture, status: int, error_class: str | None
) -> None:
    metrics = Metrics()
    client = await aiohttp_client(build(metrics=metrics))
    resp = await client.get("/refused", params={"status": str(status)})
    assert resp.status == status
    [line] = access_lines(access)
    assert (line.status, line.error_class) == (status, error_class)
    assert metrics.registry is not None
    errors = metrics.registry.get_sample_value(
        "codeflash_engine_errors_total", {"source": "http", "class": f"http_{status}"}
    )
    assert errors == (None if error_class is None else 1.0)


async def test_a_failed_handler_is_logged_as_a_500_with_its_exception_class(
    aiohttp_client: MakeClient, clock: SimpleNamespace, access: pytest.LogCaptureFixture
) -> None:
    """No error middleware here: the exception escapes the context middleware, which still
    writes the access line (status 500, the exception's class, the time until it failed)."""
    metrics = Metrics()
    client = await aiohttp_client(build(metrics=metrics))
    resp = await client.get("/fails")
    assert resp.status == 500
    [line] = access_lines(access)
    assert (line.status, line.error_class, line.latency_ms, line.overhead_ms) == (500, "ValueError", 2500.12, 1749.69)
    assert metrics.registry is not None
    errors = metrics.registry.get_sample_value(
        "codeflash_engine_errors_total", {"source": "http", "class": "ValueError"}
    )
    assert errors == 1.0
    requests = metrics.registry.get_sample_value(
        "codeflash_engine_http_requests_total", {"route": "/fails", "status": "500"}
    )
    assert requests == 1.0
    assert metrics.active == 0


async def test_a_cancelled_handler_is_logged_as_499(
    aiohttp_client: MakeClient, clock: SimpleNamespace, access: pytest.LogCaptureFixture
) -> None:
    metrics = Metrics()
    client = await aiohttp_client(build(metrics=metrics))
    with pytest.raises(aiohttp.ClientError):
        resp = await client.get("/cancelled")
        await resp.read()
    [line] = access_lines(access)
    assert (line.status, line.error_class, line.latency_ms) == (499, "http_499", 2500.12)
    assert metrics.active == 0


# --- metrics ---------------------------------------------------------------------------------------


async def test_a_request_is_in_flight_while_it_is_served(aiohttp_client: MakeClient, clock: SimpleNamespace) -> None:
    metrics = Metrics()
    client = await aiohttp_client(build(metrics=metrics))
    resp = await client.get("/counts")
    assert await resp.json() == {"active": 1}
    assert metrics.active == 0
    assert metrics.registry is not None
    assert metrics.registry.get_sample_value("codeflash_engine_http_requests_in_flight") == 0.0
    labels = {"route": "/counts"}
    assert metrics.registry.get_sample_value(
        "codeflash_engine_http_request_duration_seconds_sum", labels
    ) == pytest.approx(2.5001234)
    assert metrics.registry.get_sample_value("codeflash_engine_http_overhead_seconds_sum", labels) == pytest.approx(
        1.7496913
    )


async def test_an_application_without_metrics_or_integrations_is_served(
    aiohttp_client: MakeClient, access: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(build())
    assert (await client.get("/identified")).status == 200
    [line] = access_lines(access)
    assert (line.user_id, line.trace_id) == ("u-7", "trace-9")


# --- PostHog -----------------------------------------------------------------------------------------


async def test_an_identified_request_sends_one_posthog_event(
    aiohttp_client: MakeClient, clock: SimpleNamespace, access: pytest.LogCaptureFixture
) -> None:
    posthog = FakePosthog()
    client = await aiohttp_client(build(integrations=Integrations(posthog=posthog)))
    assert (await client.get("/identified")).status == 200
    [(_, user, properties)] = posthog.events
    assert user == "u-7"
    assert properties == {
        "route": "/identified",
        "status": 200,
        "latency_ms": 2500.12,
        "llm_ms": 750.43,
        "llm_calls": 3,
        "cost_usd": 0.123457,
        "trace_id": "trace-9",
    }
    [line] = access_lines(access)
    assert line.user_id == "u-7"


async def test_an_anonymous_request_sends_no_posthog_event(aiohttp_client: MakeClient) -> None:
    posthog = FakePosthog()
    client = await aiohttp_client(build(integrations=Integrations(posthog=posthog)))
    assert (await client.get("/ok")).status == 200
    assert posthog.events == []
