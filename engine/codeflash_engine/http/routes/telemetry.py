"""``/ai/log_features``: the client's end-of-function telemetry (its answer is ignored by the client)."""

from __future__ import annotations

from aiohttp import web

from codeflash_engine.http.body import parse_body
from codeflash_engine.http.guards import IDENTITY
from codeflash_engine.http.openapi import ApiRoutes
from codeflash_engine.http.respond import respond
from codeflash_engine.http.schemas import LogFeaturesRequest, LogFeaturesResponse
from codeflash_engine.http.state import ENGINE
from codeflash_engine.pipelines import features

routes = ApiRoutes()


@routes.endpoint(
    "POST",
    "/ai/log_features",
    summary="Record the outcome of a function's optimization",
    request=LogFeaturesRequest,
    response=LogFeaturesResponse,
)
async def log_features_handler(request: web.Request) -> web.Response:
    body = await parse_body(request, LogFeaturesRequest)
    who = request.get(IDENTITY)
    await features.log_features(
        request.app[ENGINE],
        trace_id=body.trace_id,
        user_id=who.user_id if who is not None else None,
        payload=body.model_dump(exclude={"trace_id"}),
        organization_id=who.organization_id if who is not None else None,
    )
    return respond(LogFeaturesResponse())
