"""The HTTP server's own guards, below the application: slow headers cut, malformed requests answered.

aiohttp's request handler has no limit on how long a client may take to send a request's line and
headers, and when its parser refuses a request (a control character in a header, a bad method...)
it logs the whole exception at ERROR (the raw header, an API key included, and a traceback) and
answers text/plain echoing it. :class:`EngineRunner` serves the application with a handler that:

- cuts a connection whose request line and headers are not complete ``header_timeout`` seconds
  after the connection opened or after the first byte of a later request on it (a request whose
  body trickles is cut by the body read timeout, see :mod:`codeflash_engine.http.body`);
- answers a request the parser refused with a JSON error that names the kind of problem only
  (status 400), logs one info line without any header value or traceback, and closes.

Both are counted in ``codeflash_engine_connections_cut_total{reason}``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from codeflash_engine.http.metrics import METRICS
from codeflash_engine.http.state import SETTINGS

log = logging.getLogger(__name__)

#: what the runner calls with a reason each time it cuts or refuses a connection
OnCut = Callable[[str], None]


class GuardedRequestHandler(RequestHandler):
    """aiohttp's request handler with a header read timeout and a JSON, value-free parse error."""

    def __init__(self, *args: Any, header_timeout: float, on_cut: OnCut, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout
        self._on_cut = on_cut
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        before = self._request_count
        if self._header_timer is None and not self._request_in_progress and not self._messages:
            self._arm()  # the first byte of a later request on a kept-alive connection
        super().data_received(data)
        if self._request_count != before:  # a request line and its headers are complete
            self._disarm()

    def close_after_response(self) -> None:
        """Close once the current response is sent, without lingering to read the rest of the body.

        For a client cut for being slow: aiohttp would otherwise keep reading what it still sends
        for up to ``lingering_time`` (10 s) before closing.
        """
        self._lingering_time = 0.0

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self._loop.call_later(self._header_timeout, self._headers_too_slow, self._request_count)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self, count: int) -> None:
        self._header_timer = None
        if self._request_count != count or self._request_in_progress or self._messages:
            return
        log.info(
            "connection cut: request headers not complete within %g s (CODEFLASH_ENGINE_HEADER_TIMEOUT)",
            self._header_timeout,
            extra={"reason": "header_timeout"},
        )
        self._on_cut("header_timeout")
        self.force_close()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """A JSON error naming the kind of problem; the log gets no header value and no traceback."""
        kind = type(exc).__name__ if exc is not None else f"http_{status}"
        if status >= 500:
            log.error("request failed below the application: %s", kind, extra={"error_class": kind})
            text = "internal error"
        else:
            log.info("malformed request refused (%s)", kind, extra={"error_class": kind, "status": status})
            self._on_cut("malformed")
            text = f"malformed HTTP request ({kind}); check the request line and the header values"
        if request.writer.output_size > 0:
            raise ConnectionError("the response was already started; closing the connection")
        response = web.json_response({"error": text}, status=status)
        response.force_close()
        return response


class _GuardedServer(web.Server):
    """aiohttp's server, making :class:`GuardedRequestHandler` connections."""

    header_timeout: float
    on_cut: OnCut

    def __call__(self) -> RequestHandler:
        return GuardedRequestHandler(
            self, loop=self._loop, header_timeout=self.header_timeout, on_cut=self.on_cut, **self._kwargs
        )


class EngineRunner(web.AppRunner):
    """An AppRunner whose connections have the guards of this module."""

    def __init__(self, app: web.Application, *, header_timeout: float, on_cut: OnCut, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._header_timeout = header_timeout
        self._on_cut = on_cut

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _GuardedServer
        guarded: _GuardedServer = server  # type: ignore[assignment]
        guarded.header_timeout = self._header_timeout
        guarded.on_cut = self._on_cut
        return server


def engine_runner(app: web.Application, **kwargs: Any) -> EngineRunner:
    """The runner for ``app``: CODEFLASH_ENGINE_HEADER_TIMEOUT and CODEFLASH_ENGINE_KEEPALIVE_TIMEOUT
    from its settings, cuts counted in its metrics."""
    metrics = app.get(METRICS)
    kwargs.setdefault("keepalive_timeout", app[SETTINGS].codeflash_engine_keepalive_timeout)
    return EngineRunner(
        app,
        header_timeout=app[SETTINGS].codeflash_engine_header_timeout,
        on_cut=metrics.connection_cut if metrics is not None else (lambda _reason: None),
        **kwargs,
    )
