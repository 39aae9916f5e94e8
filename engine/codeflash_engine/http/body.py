"""Reading a request body into a pydantic schema: 400 for malformed JSON, 422 naming the field."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic
from aiohttp import web

from codeflash_engine.errors import EngineError
from codeflash_engine.http import quota
from codeflash_engine.http.errors import describe_validation_error
from codeflash_engine.http.limits import planned_calls
from codeflash_engine.infra.logging import trace_id_var

T = TypeVar("T")


class MalformedBody(EngineError):
    status = 400


_ADAPTERS: dict[type[Any], pydantic.TypeAdapter[Any]] = {}


def _adapter(model: type[Any]) -> pydantic.TypeAdapter[Any]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = pydantic.TypeAdapter(model)
    return adapter


async def parse_body(request: web.Request, schema: type[T] | pydantic.TypeAdapter[T]) -> T:
    """Validate the JSON body against ``schema``; record its trace_id for the log, charge the quota."""
    adapter = schema if isinstance(schema, pydantic.TypeAdapter) else _adapter(schema)
    raw = await request.read()
    if not raw.strip():
        raise MalformedBody("request body is empty; send a JSON object")
    try:
        value = adapter.validate_json(raw)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if any(err["type"] == "json_invalid" for err in errors):
            detail = errors[0]["msg"]
            raise MalformedBody(f"request body is not valid JSON: {detail}") from None
        raise EngineError(describe_validation_error(exc), status=422) from None
    trace_ids = _trace_ids(value)
    if trace_ids and isinstance(trace_ids[0], str):
        trace_id_var.set(trace_ids[0])
    await quota.charge(request, trace_ids, planned_calls(value))
    return value


def _trace_ids(value: object) -> list[str | None]:
    """The trace id(s) of a parsed body: one per item of a list body (refinement)."""
    items = value if isinstance(value, list) else [value]
    out: list[str | None] = []
    for item in items:
        trace_id = getattr(item, "trace_id", None)
        out.append(trace_id if isinstance(trace_id, str) else None)
    return out
