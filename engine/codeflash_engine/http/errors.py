"""The JSON error envelope: every failure becomes ``{"error": "..."}`` with the right status.

The client reads ``response.json()["error"]`` on any non-200, so no HTML page, no traceback and
no secret may ever reach it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable

import pydantic
from aiohttp import web

from codeflash_engine.errors import EngineError
from codeflash_engine.http.state import ENGINE, SETTINGS
from codeflash_engine.infra.logging import request_id_var, trace_id_var
from codeflash_engine.infra.observability import usage_var
from codeflash_engine.infra.records import ErrorRecord

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def describe_validation_error(exc: pydantic.ValidationError) -> str:
    """One readable sentence per problem, naming the field by its JSON path."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False)[:10]:
        path = ".".join(str(p) for p in err["loc"])
        ctx = err.get("ctx") or {}
        if err["type"] == "too_long" and "max_length" in ctx:
            what = f"field '{path}'" if path else "the body"
            parts.append(
                f"{what} has {ctx.get('actual_length', 'too many')} entries; at most {ctx['max_length']} "
                "are accepted in one request (a documented limit)"
            )
        elif not path:
            parts.append(f"the body: {err['msg']}")
        elif err["type"] == "missing":
            parts.append(f"field '{path}' is required")
        else:
            parts.append(f"field '{path}': {err['msg']}")
    more = exc.error_count() - len(parts)
    if more > 0:
        parts.append(f"and {more} more problem(s)")
    return "invalid request body: " + "; ".join(parts)


def _http_exception_message(request: web.Request, exc: web.HTTPException) -> str:
    if isinstance(exc, web.HTTPNotFound):
        return f"no such endpoint: {request.method} {request.path}"
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return f"method {request.method} is not allowed on {request.path}; use {allowed}"
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        limit = request.app[SETTINGS].codeflash_engine_max_body_bytes
        return (
            f"request body is too large (limit {limit} bytes); "
            "raise CODEFLASH_ENGINE_MAX_BODY_BYTES on the server if this request is legitimate"
        )
    return exc.text or exc.reason


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every exception escaping a handler into a JSON error response."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
        return json_error(exc.status, _http_exception_message(request, exc), headers)
    except EngineError as exc:
        message = exc.message.strip() or f"{type(exc).__name__} (no detail given)"
        if exc.status >= 500:
            log.warning("request failed: %s", message, extra={"status": exc.status})
            _record(request, type(exc).__name__, message, "error", None)
        response = json_error(exc.status, message, exc.headers)
        if getattr(exc, "close_connection", False):
            response.force_close()
            close = getattr(request.protocol, "close_after_response", None)
            if close is not None:  # the engine's server: no lingering on a client cut for being slow
                close()
        return response
    except (RecursionError, MemoryError) as exc:
        return _too_complex(request, exc)
    except Exception as exc:
        # a pydantic.ValidationError too: the body's are parse_body's 422s, so one that escapes a
        # handler is the engine's (a response it built), not the client's request
        log.exception("unhandled error serving %s %s", request.method, request.path)
        _record(request, type(exc).__name__, str(exc), "critical", traceback.format_exc())
        return json_error(500, f"internal error; quote request id {request_id_var.get()} when reporting it")


def _too_complex(request: web.Request, exc: BaseException) -> web.Response:
    """A parser gave up on input nested too deeply or too large (RecursionError, MemoryError).

    Never a 500: when the request already made LLM calls the input was most likely the model's
    answer (502); before any call, it was what the client sent (422).
    """
    usage = usage_var.get()
    from_model = usage is not None and usage.llm_calls > 0
    kind = type(exc).__name__
    log.warning("input too complex to process (%s) on %s", kind, request.path, extra={"error_class": kind})
    if from_model:
        _record(request, kind, "the model's answer was too deeply nested or too large to process", "warning", None)
        return json_error(502, f"the model's answer was too deeply nested or too large to process ({kind}); try again")
    return json_error(
        422, f"the request holds code nested too deeply or too large to process ({kind}); send simpler code"
    )


def _record(request: web.Request, error_type: str, message: str, severity: str, stack: str | None) -> None:
    """Keep a pipeline failure (optimization_errors) with the request's trace id."""
    engine = request.app.get(ENGINE)
    if engine is None or not request.path.startswith(("/ai/", "/cfapi/")):
        return
    engine.recorder.record(
        ErrorRecord(
            trace_id=trace_id_var.get(),
            error_type=error_type,
            message=f"{request.path}: {message}"[:4000],
            severity=severity,
            stack_trace=stack,
        )
    )
