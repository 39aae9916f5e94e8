"""Public endpoints: ``GET /healthcheck`` and ``GET /openapi.json``.

The health check says ``"status": "degraded"`` (still HTTP 200: the service serves) while a
plugin failed to load, or failed at run time in the last 15 minutes (``plugin_failures``, newest
last; a call stopped at the time limit, or whose worker process died, is one): requests for that
plugin's languages may fail, the others are served. ``plugin_restarts`` counts, per plugin, the
worker processes started again after one was stopped or died.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from codeflash_engine import __version__
from codeflash_engine.http.openapi import ApiRoutes, Endpoint, document
from codeflash_engine.http.respond import respond
from codeflash_engine.http.state import ENDPOINTS, LANGUAGES, PLUGINS

routes = ApiRoutes()


class PluginStatus(BaseModel):
    name: str
    version: str | None
    languages: list[str]
    hooks: list[str]


class PluginFailure(BaseModel):
    hook: str
    language: str | None
    error: str
    at: float


class HealthResponse(BaseModel):
    status: str
    version: str
    languages: list[str]
    plugins: list[PluginStatus]
    plugin_errors: dict[str, str]
    plugin_failures: dict[str, list[PluginFailure]]
    #: plugin name -> its calls still running past CODEFLASH_ENGINE_PLUGIN_TIMEOUT
    plugin_restarts: dict[str, int]


#: a plugin's run-time failure keeps the service "degraded" this long (seconds)
FAILURE_WINDOW = 15 * 60


class OpenApiDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    openapi: str


@routes.endpoint(
    "GET",
    "/healthcheck",
    summary="Service status, version and plugins",
    request=None,
    response=HealthResponse,
    public=True,
)
async def healthcheck(request: web.Request) -> web.Response:
    host = request.app[PLUGINS]
    plugins = [
        PluginStatus(name=p.name, version=p.version, languages=list(p.languages), hooks=list(p.hooks))
        for p in host.plugins(include_builtin=False)
        if p.error is None
    ]
    failures = {
        name: [PluginFailure(hook=f.hook, language=f.language, error=f.error, at=f.at) for f in found]
        for name, found in host.failures(within=FAILURE_WINDOW).items()
    }
    errors = host.errors()
    return respond(
        HealthResponse(
            status="degraded" if failures or errors else "ok",
            version=__version__,
            languages=request.app[LANGUAGES].names(),
            plugins=plugins,
            plugin_errors=errors,
            plugin_failures=failures,
            plugin_restarts=host.restarts(),
        )
    )


@routes.endpoint(
    "GET",
    "/openapi.json",
    summary="This API's OpenAPI 3.1 document",
    request=None,
    response=OpenApiDocument,
    public=True,
)
async def openapi(request: web.Request) -> web.Response:
    endpoints: list[Endpoint] = request.app[ENDPOINTS]
    return web.Response(body=_document_bytes(tuple(endpoints)), content_type="application/json")


@functools.lru_cache(maxsize=8)
def _document_bytes(endpoints: tuple[Endpoint, ...]) -> bytes:
    """The document of ``endpoints``, built once (building it costs ~20 ms of the event loop)."""
    doc: dict[str, Any] = document(endpoints)
    return json.dumps(doc).encode()
