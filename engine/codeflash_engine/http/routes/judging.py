"""Endpoints that judge a finished optimization: rank, explain, optimization_review."""

from __future__ import annotations

from aiohttp import web

from codeflash_engine.errors import InvalidRequest
from codeflash_engine.http.body import parse_body
from codeflash_engine.http.openapi import ApiRoutes
from codeflash_engine.http.respond import respond
from codeflash_engine.http.schemas import (
    ExplainRequest,
    ExplainResponse,
    OptimizationReviewRequest,
    OptimizationReviewResponse,
    RankRequest,
    RankResponse,
)
from codeflash_engine.http.state import ENGINE
from codeflash_engine.pipelines import explain, rank, review
from codeflash_engine.pipelines.common import prompt_fields

routes = ApiRoutes()


@routes.endpoint(
    "POST",
    "/ai/rank",
    summary="Order the winning candidates, best first (0-based indices)",
    request=RankRequest,
    response=RankResponse,
)
async def rank_handler(request: web.Request) -> web.Response:
    body = await parse_body(request, RankRequest)
    size = len(body.optimization_ids)
    if len(body.diffs) != size or len(body.speedups) != size:
        raise InvalidRequest(
            f"fields 'diffs' ({len(body.diffs)}), 'optimization_ids' ({size}) and 'speedups' "
            f"({len(body.speedups)}) must have the same length"
        )
    ranking = await rank.rank(
        request.app[ENGINE],
        trace_id=body.trace_id,
        size=size,
        speedups=body.speedups,
        fields=prompt_fields(body.model_dump()),
    )
    return respond(RankResponse(ranking=ranking))


@routes.endpoint(
    "POST",
    "/ai/explain",
    summary="Explain the winning candidate in markdown",
    request=ExplainRequest,
    response=ExplainResponse,
)
async def explain_handler(request: web.Request) -> web.Response:
    body = await parse_body(request, ExplainRequest)
    fields = prompt_fields(body.model_dump())
    text = await explain.explain(request.app[ENGINE], trace_id=body.trace_id, fields=fields)
    return respond(ExplainResponse(explanation=text))


@routes.endpoint(
    "POST",
    "/ai/optimization_review",
    summary="Rate the final change: high, medium or low",
    request=OptimizationReviewRequest,
    response=OptimizationReviewResponse,
)
async def optimization_review_handler(request: web.Request) -> web.Response:
    body = await parse_body(request, OptimizationReviewRequest)
    result = await review.review(
        request.app[ENGINE],
        trace_id=body.trace_id,
        language=body.language,
        language_version=body.language_version,
        fields=prompt_fields(body.model_dump()),
    )
    return respond(OptimizationReviewResponse(review=result.review, review_explanation=result.explanation))
