"""Per-request context: ids, timing, LLM accounting, metrics, the access log line, overhead headers.

:func:`context_middleware` is the outermost middleware. For every request it

- sets the request id (the caller's ``X-Request-Id`` if it is sane, else a new one) and clears the
  trace id (the body parser sets it), so every log line written meanwhile carries both;
- opens the request's LLM accounting (:func:`~codeflash_engine.infra.observability.track_request`);
- answers with ``X-Request-Id``, :data:`OVERHEAD_HEADER` (the engine's own milliseconds: total
  time minus the time its LLM calls were in flight), :data:`LLM_HEADER` and ``Server-Timing``;
- counts the request in the metrics, writes one JSON access line (route, status, latency, LLM
  time, calls, tokens, cost; never a header or a body), and sends the PostHog event when on.

:func:`error_class_middleware` sits just inside the error middleware and remembers which
exception a failed request ended with, for the ``errors_total`` metric and the access line.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from aiohttp import web

from codeflash_engine.http.errors import Handler
from codeflash_engine.http.guards import IDENTITY
from codeflash_engine.http.metrics import METRICS, route_label
from codeflash_engine.infra.integrations import Integrations
from codeflash_engine.infra.logging import request_id_var, trace_id_var
from codeflash_engine.infra.observability import RequestUsage, track_request

log = logging.getLogger("codeflash_engine.access")

REQUEST_ID_HEADER = "X-Request-Id"
#: milliseconds the engine itself spent on the request (total minus LLM time)
OVERHEAD_HEADER = "X-Codeflash-Overhead-Ms"
#: milliseconds during which at least one LLM call of the request was in flight
LLM_HEADER = "X-Codeflash-LLM-Ms"

#: the exception a failed request ended with (set by :func:`error_class_middleware`)
ERROR_CLASS = web.RequestKey("error_class", str)
#: the optional integrations (Sentry, PostHog) of the application
INTEGRATIONS: web.AppKey[Integrations] = web.AppKey("integrations", Integrations)

#: status logged when the handler was cancelled (shutdown past its grace period)
CANCELLED_STATUS = 499


def _request_id(request: web.Request) -> str:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    if 0 < len(incoming) <= 64 and incoming.isprintable():
        return incoming
    return uuid.uuid4().hex


@web.middleware
async def context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost middleware: ids, accounting, headers, metrics and one access line per request."""
    request_id = _request_id(request)
    request_id_var.set(request_id)
    trace_id_var.set(None)
    usage = track_request()
    usage.user = lambda: _user_id(request)
    metrics = request.app.get(METRICS)
    if metrics is not None:
        metrics.request_started()
    status = 500
    elapsed: float | None = None
    try:
        response = await handler(request)
        status = response.status
        elapsed = time.perf_counter() - usage.started
        if not response.prepared:
            llm = usage.llm_seconds_now()
            headers = response.headers
            headers[REQUEST_ID_HEADER] = request_id
            headers[OVERHEAD_HEADER] = f"{max(0.0, elapsed - llm) * 1000:.1f}"
            headers[LLM_HEADER] = f"{llm * 1000:.1f}"
            headers["Server-Timing"] = f"llm;dur={llm * 1000:.1f}, engine;dur={max(0.0, elapsed - llm) * 1000:.1f}"
        return response
    except asyncio.CancelledError:
        status = CANCELLED_STATUS
        raise
    finally:
        if elapsed is None:
            elapsed = time.perf_counter() - usage.started
        _finish(request, usage, status, elapsed)


def _user_id(request: web.Request) -> str | None:
    identity = request.get(IDENTITY)
    return identity.user_id if identity is not None else None


def _finish(request: web.Request, usage: RequestUsage, status: int, elapsed: float) -> None:
    """Metrics, the access line and the PostHog event of one finished request."""
    route = route_label(request)
    llm = usage.llm_seconds_now()
    overhead = max(0.0, elapsed - llm)
    error_class = request.get(ERROR_CLASS) or (f"http_{status}" if status >= 400 else None)
    metrics = request.app.get(METRICS)
    if metrics is not None:
        metrics.request_finished(route, status, elapsed, overhead, error_class)
    user_id = _user_id(request)
    fields = {
        "request_id": request_id_var.get(),
        "trace_id": trace_id_var.get(),
        "method": request.method,
        "route": route,
        "status": status,
        "latency_ms": round(elapsed * 1000, 2),
        "overhead_ms": round(overhead * 1000, 2),
        "llm_ms": round(llm * 1000, 2),
        "llm_calls": usage.llm_calls,
        "llm_failures": usage.llm_failures,
        "tokens_in": usage.tokens_in,
        "tokens_out": usage.tokens_out,
        "cost_usd": round(usage.cost_usd, 6),
        "user_id": user_id,
        "error_class": error_class,
    }
    log.info("%s %s %s", request.method, request.path, status, extra=fields)
    integrations = request.app.get(INTEGRATIONS)
    if integrations is not None and integrations.posthog is not None and user_id is not None:
        integrations.request_event(
            user_id,
            {
                "route": route,
                "status": status,
                "latency_ms": fields["latency_ms"],
                "llm_ms": fields["llm_ms"],
                "llm_calls": usage.llm_calls,
                "cost_usd": fields["cost_usd"],
                "trace_id": trace_id_var.get(),
            },
        )


@web.middleware
async def error_class_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Remember the class of the exception a request failed with (the error middleware answers it)."""
    try:
        return await handler(request)
    except Exception as exc:
        request[ERROR_CLASS] = type(exc).__name__
        raise
