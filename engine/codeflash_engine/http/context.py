"""Per-request context: a request id (echoed in ``X-Request-Id``), the ids in the log, an access line."""

from __future__ import annotations

import logging
import time
import uuid

from aiohttp import web

from codeflash_engine.http.errors import Handler
from codeflash_engine.infra.logging import request_id_var, trace_id_var

log = logging.getLogger("codeflash_engine.access")

REQUEST_ID_HEADER = "X-Request-Id"


@web.middleware
async def context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost middleware: set the ids, time the request, log one line when it ends."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
    request_id_var.set(request_id)
    trace_id_var.set(None)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
    finally:
        route = request.match_info.route.resource
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            status,
            extra={
                "route": route.canonical if route is not None else None,
                "status": status,
                "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
