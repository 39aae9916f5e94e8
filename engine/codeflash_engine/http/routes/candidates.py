"""Endpoints that return optimization candidates: optimize, line profiler, refinement, repair,
adaptive, and the legacy JIT rewrite."""

from __future__ import annotations

from aiohttp import web

from codeflash_engine.http.body import parse_body
from codeflash_engine.http.openapi import ApiRoutes
from codeflash_engine.http.respond import respond
from codeflash_engine.http.schemas import (
    REFINEMENT_BODY,
    AdaptiveRequest,
    Candidate,
    CodeRepairRequest,
    LineProfilerRequest,
    OptimizeRequest,
    OptimizeResponse,
    RefinementResponse,
    RewriteJitRequest,
)
from codeflash_engine.http.state import ENGINE
from codeflash_engine.pipelines import adaptive, jit, optimize, refine, repair
from codeflash_engine.pipelines.candidates import CandidateOut
from codeflash_engine.pipelines.common import prompt_fields

routes = ApiRoutes()


def candidate(c: CandidateOut) -> Candidate:
    return Candidate(
        source_code=c.source_code,
        explanation=c.explanation,
        optimization_id=c.optimization_id,
        parent_id=c.parent_id,
        model=c.model,
    )


@routes.endpoint(
    "POST",
    "/ai/optimize",
    summary="First optimization candidates for a function",
    request=OptimizeRequest,
    response=OptimizeResponse,
)
async def optimize_handler(request: web.Request) -> web.Response:
    body = await parse_body(request, OptimizeRequest)
    return await _optimize(request, body, is_async=body.is_async, line_profile=False)


async def _optimize(
    request: web.Request, body: OptimizeRequest | LineProfilerRequest, *, is_async: bool, line_profile: bool
) -> web.Response:
    found = await optimize.optimize(
        request.app[ENGINE],
        trace_id=body.trace_id,
        language=body.language,
        language_version=body.language_version,
        source_code=body.source_code,
        n_candidates=body.n_candidates,
        is_async=is_async,
        fields=prompt_fields(body.model_dump()),
        line_profile=line_profile,
        experiment_metadata=body.experiment_metadata.model_dump() if body.experiment_metadata else None,
    )
    return respond(OptimizeResponse(optimizations=[candidate(c) for c in found]))


@routes.endpoint(
    "POST",
    "/ai/optimize-line-profiler",
    summary="Candidates guided by the line profile",
    request=LineProfilerRequest,
    response=OptimizeResponse,
)
async def line_profiler_handler(request: web.Request) -> web.Response:
    body = await parse_body(request, LineProfilerRequest)
    return await _optimize(request, body, is_async=False, line_profile=True)


@routes.endpoint(
    "POST",
    "/ai/refinement",
    summary="Refine candidates that worked (body: a JSON array)",
    request=REFINEMENT_BODY,
    response=RefinementResponse,
)
async def refinement_handler(request: web.Request) -> web.Response:
    items = await parse_body(request, REFINEMENT_BODY)
    found = await refine.refine(request.app[ENGINE], [item.model_dump() for item in items])
    return respond(RefinementResponse(refinements=[candidate(c) for c in found]))


@routes.endpoint(
    "POST",
    "/ai/code_repair",
    summary="Repair a candidate whose behaviour differed",
    request=CodeRepairRequest,
    response=Candidate,
)
async def code_repair_handler(request: web.Request) -> web.Response:
    body = await parse_body(request, CodeRepairRequest)
    found = await repair.repair(
        request.app[ENGINE],
        trace_id=body.trace_id,
        language=body.language,
        language_version=body.language_version,
        optimization_id=body.optimization_id,
        original_source_code=body.original_source_code,
        modified_source_code=body.modified_source_code,
        fields=prompt_fields(body.model_dump()),
    )
    return respond(candidate(found))


@routes.endpoint(
    "POST",
    "/ai/adaptive_optimize",
    summary="A new candidate learned from a candidate chain",
    request=AdaptiveRequest,
    response=Candidate,
)
async def adaptive_handler(request: web.Request) -> web.Response:
    body = await parse_body(request, AdaptiveRequest)
    found = await adaptive.adaptive(
        request.app[ENGINE],
        trace_id=body.trace_id,
        original_source_code=body.original_source_code,
        chain=[c.model_dump() for c in body.candidates],
        fields=prompt_fields(body.model_dump()),
    )
    return respond(candidate(found))


@routes.endpoint(
    "POST",
    "/ai/rewrite_jit",
    summary="JIT rewrites of numerical Python (clients 0.20.0-0.20.3)",
    request=RewriteJitRequest,
    response=OptimizeResponse,
)
async def rewrite_jit_handler(request: web.Request) -> web.Response:
    body = await parse_body(request, RewriteJitRequest)
    found = await jit.rewrite_jit(
        request.app[ENGINE],
        trace_id=body.trace_id,
        source_code=body.source_code,
        python_version=body.python_version,
        n_candidates=body.n_candidates,
        fields=prompt_fields(body.model_dump()),
    )
    return respond(OptimizeResponse(optimizations=[candidate(c) for c in found]))
