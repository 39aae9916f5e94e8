"""The OpenAPI 3.1 document, generated from the routes' request and response schemas."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal

import attrs
from aiohttp import web
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from codeflash_engine import __version__
from codeflash_engine.http.schemas import ErrorResponse

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@attrs.frozen
class Endpoint:
    """One documented route."""

    method: str
    path: str
    summary: str
    request: type[BaseModel] | TypeAdapter[Any] | None
    response: type[BaseModel]
    public: bool = False
    errors: tuple[int, ...] = (400, 401, 402, 408, 413, 422, 429, 500, 502, 503)
    #: media type of the 200 answer (``text/plain`` for /metrics)
    media_type: str = "application/json"


class ApiRoutes(web.RouteTableDef):
    """A RouteTableDef that also records each route's schemas for the OpenAPI document."""

    def __init__(self) -> None:
        super().__init__()
        self.endpoints: list[Endpoint] = []

    def endpoint(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        request: type[BaseModel] | TypeAdapter[Any] | None,
        response: type[BaseModel],
        public: bool = False,
        media_type: str = "application/json",
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints.append(
                Endpoint(method.upper(), path, summary, request, response, public, media_type=media_type)
            )
            self.route(method, path)(handler)
            return handler

        return register


def document(endpoints: Iterable[Endpoint]) -> dict[str, Any]:
    """Build the OpenAPI 3.1 document for ``endpoints``."""
    endpoints = list(endpoints)
    models: set[type[BaseModel]] = {ErrorResponse}
    for ep in endpoints:
        models.add(ep.response)
        if isinstance(ep.request, type):
            models.add(ep.request)
    ordered = sorted(models, key=lambda m: m.__name__)
    refs, schema = models_json_schema(
        [(m, "validation" if m is not ErrorResponse else "serialization") for m in ordered],
        ref_template="#/components/schemas/{model}",
    )
    components: dict[str, Any] = dict(schema.get("$defs", {}))

    def ref(model: type[BaseModel], mode: Literal["validation", "serialization"] = "validation") -> dict[str, Any]:
        return refs[(model, mode)] if (model, mode) in refs else refs[(model, "validation")]

    paths: dict[str, Any] = {}
    for ep in endpoints:
        responses: dict[str, Any] = {
            "200": {"description": "Success", "content": {ep.media_type: {"schema": ref(ep.response)}}}
        }
        for status in ep.errors if not ep.public else (500,):
            responses[str(status)] = {
                "description": "Error",
                "content": {"application/json": {"schema": ref(ErrorResponse, "serialization")}},
            }
        operation: dict[str, Any] = {"summary": ep.summary, "responses": responses}
        if ep.request is not None:
            if isinstance(ep.request, TypeAdapter):
                body_schema = ep.request.json_schema(ref_template="#/components/schemas/{model}")
                components.update(body_schema.pop("$defs", {}))
            else:
                body_schema = ref(ep.request)
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body_schema}}}
        if not ep.public:
            operation["security"] = [{"bearer": []}]
        paths.setdefault(ep.path, {})[ep.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "codeflash-engine", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "cf-... API key"}},
        },
    }
