"""Endpoints for generated tests: testgen, testgen_review, testgen_repair."""

from __future__ import annotations

from aiohttp import web

from codeflash_engine.http.body import parse_body
from codeflash_engine.http.openapi import ApiRoutes
from codeflash_engine.http.respond import respond
from codeflash_engine.http.schemas import (
    TestgenRepairRequest,
    TestgenRepairResponse,
    TestgenRequest,
    TestgenResponse,
    TestgenReviewRequest,
    TestgenReviewResponse,
)
from codeflash_engine.http.state import ENGINE
from codeflash_engine.pipelines import testgen
from codeflash_engine.pipelines.common import prompt_fields
from codeflash_engine.plugins.types import Task
from codeflash_engine.text.markdown import project_relative

routes = ApiRoutes()


@routes.endpoint(
    "POST",
    "/ai/testgen",
    summary="Generate regression tests (instrumented where the language needs it)",
    request=TestgenRequest,
    response=TestgenResponse,
)
async def testgen_handler(request: web.Request) -> web.Response:
    body = await parse_body(request, TestgenRequest)
    engine = request.app[ENGINE]
    fields = body.model_dump()
    out = await testgen.generate_tests(
        engine,
        task=Task.TESTGEN,
        trace_id=body.trace_id,
        language=engine.languages.resolve(body.language),
        language_version=body.language_version,
        source_code=body.source_code_being_tested,
        target=testgen.target_of(fields["function_to_optimize"], fields, body.source_code_being_tested),
        # the model sees the context files' paths relative to the project, not the user's directories
        fields={
            **prompt_fields(fields),
            "source_code_being_tested": project_relative(
                body.source_code_being_tested, str(fields["function_to_optimize"].get("file_path") or "")
            ),
        },
    )
    return respond(
        TestgenResponse(
            generated_tests=out.tests.generated,
            instrumented_behavior_tests=out.tests.instrumented_behavior,
            instrumented_perf_tests=out.tests.instrumented_perf,
            raw_generated_tests=out.raw,
        )
    )


@routes.endpoint(
    "POST",
    "/ai/testgen_review",
    summary="Judge generated tests; name the functions to repair",
    request=TestgenReviewRequest,
    response=TestgenReviewResponse,
)
async def testgen_review_handler(request: web.Request) -> web.Response:
    body = await parse_body(request, TestgenReviewRequest)
    engine = request.app[ENGINE]
    fields = body.model_dump()
    reviews = await testgen.review_tests(
        engine,
        trace_id=body.trace_id,
        language=engine.languages.resolve(body.language),
        language_version=body.language_version,
        tests=fields["tests"],
        fields=prompt_fields(fields),
    )
    return respond(TestgenReviewResponse.model_validate({"reviews": reviews}))


@routes.endpoint(
    "POST",
    "/ai/testgen_repair",
    summary="Rewrite the flagged test functions",
    request=TestgenRepairRequest,
    response=TestgenRepairResponse,
)
async def testgen_repair_handler(request: web.Request) -> web.Response:
    body = await parse_body(request, TestgenRepairRequest)
    engine = request.app[ENGINE]
    fields = body.model_dump()
    source = body.module_source_code or body.function_source_code
    out = await testgen.generate_tests(
        engine,
        task=Task.TESTGEN_REPAIR,
        trace_id=body.trace_id,
        language=engine.languages.resolve(body.language),
        language_version=body.language_version,
        source_code=source,
        target=testgen.target_of(fields["function_to_optimize"], fields, source),
        fields=prompt_fields(fields),
    )
    return respond(
        TestgenRepairResponse(
            generated_tests=out.tests.generated,
            instrumented_behavior_tests=out.tests.instrumented_behavior,
            instrumented_perf_tests=out.tests.instrumented_perf,
        )
    )
