"""Reading a request body into a pydantic schema: 400 for malformed JSON, 422 naming the field."""

from __future__ import annotations

import asyncio
import logging
from typing import TypeVar

import aiohttp
import aiohttp.http_exceptions
import pydantic
from aiohttp import web

from codeflash_engine.errors import EngineError
from codeflash_engine.http import quota
from codeflash_engine.http.limits import planned_calls
from codeflash_engine.http.metrics import METRICS
from codeflash_engine.http.parsing import validate
from codeflash_engine.http.state import BODY_PARSER, SETTINGS
from codeflash_engine.infra.logging import trace_id_var

T = TypeVar("T")

log = logging.getLogger(__name__)


class MalformedBody(EngineError):
    status = 400


class SlowBody(EngineError):
    """408: the body did not arrive within CODEFLASH_ENGINE_BODY_TIMEOUT; the connection is closed."""

    status = 408
    close_connection = True


class UndecodableBody(EngineError):
    """400: the body is not what its ``Content-Encoding`` says (not gzip, not deflate, ...).

    The connection is closed: the parser stopped in the middle of the body."""

    status = 400
    close_connection = True


class ClientGone(EngineError):
    """The client hung up while sending the body: nobody will read the answer. Logged at info, counted."""

    status = 400  # for the access log only: the client is gone
    close_connection = True  # the client closed it already


#: what reading a body raises when the client closed the connection or cut the body short
_HANG_UPS = (ConnectionError, aiohttp.ClientPayloadError, aiohttp.http_exceptions.HttpProcessingError)


async def read_body(request: web.Request) -> bytes:
    """The whole body, within CODEFLASH_ENGINE_BODY_TIMEOUT (else :class:`SlowBody`, 408).

    A client that hangs up midway is the client's doing: :class:`ClientGone` (an info line and
    ``connections_cut_total{reason="client_gone"}``), never a 500 or an error record.
    """
    settings = request.app.get(SETTINGS)
    timeout = settings.codeflash_engine_body_timeout if settings is not None else None
    try:
        async with asyncio.timeout(timeout):
            return await request.read()
    except TimeoutError:
        _cut(request, "body_timeout")
        log.info("request body not received within %s s: 408", timeout, extra={"reason": "body_timeout"})
        raise SlowBody(
            f"the request body did not arrive within {timeout:g} s (CODEFLASH_ENGINE_BODY_TIMEOUT)"
        ) from None
    except web.RequestPayloadError as exc:
        if not isinstance(exc.__cause__, aiohttp.http_exceptions.ContentEncodingError):
            raise _gone(request, exc) from None
        encoding = request.headers.get("Content-Encoding", "").strip()[:40]
        log.info("request body not decodable as Content-Encoding %r: 400", encoding, extra={"reason": "bad_encoding"})
        raise UndecodableBody(
            f"the request body could not be decoded as its Content-Encoding says ({encoding!r}): "
            "send it uncompressed, or compressed as the header names"
        ) from None
    except _HANG_UPS as exc:
        raise _gone(request, exc) from None


def _gone(request: web.Request, exc: BaseException) -> ClientGone:
    """The client hung up midway (the body cut short): counted and logged at info."""
    _cut(request, "client_gone")
    log.info("client hung up while sending the body (%s)", type(exc).__name__, extra={"reason": "client_gone"})
    return ClientGone("the connection closed before the whole request body arrived")


def _cut(request: web.Request, reason: str) -> None:
    metrics = request.app.get(METRICS)
    if metrics is not None:
        metrics.connection_cut(reason)


async def parse_body(request: web.Request, schema: type[T] | pydantic.TypeAdapter[T]) -> T:
    """Validate the JSON body against ``schema``; record its trace_id for the log, charge the quota.

    A large body is validated in the parse worker process (:mod:`codeflash_engine.http.parsing`).
    """
    raw = await read_body(request)
    if not raw.strip():
        raise MalformedBody("request body is empty; send a JSON object")
    parser = request.app.get(BODY_PARSER)
    outcome = await parser.parse(schema, raw) if parser is not None else validate(schema, raw)
    if outcome.kind == "malformed":
        raise MalformedBody(outcome.value)
    if outcome.kind == "invalid":
        raise EngineError(outcome.value, status=422)
    value: T = outcome.value
    trace_ids = _trace_ids(value)
    if trace_ids and isinstance(trace_ids[0], str):
        trace_id_var.set(trace_ids[0])
    await quota.charge(request, trace_ids, planned_calls(value), body=value)
    return value


def _trace_ids(value: object) -> list[str | None]:
    """The trace id(s) of a parsed body: one per item of a list body (refinement)."""
    items = value if isinstance(value, list) else [value]
    out: list[str | None] = []
    for item in items:
        trace_id = getattr(item, "trace_id", None) or getattr(item, "traceId", None)  # cfapi writes traceId
        out.append(trace_id if isinstance(trace_id, str) else None)
    return out
