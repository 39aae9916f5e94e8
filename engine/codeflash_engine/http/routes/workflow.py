"""``/ai/workflow-gen``: GitHub Actions steps for ``codeflash init-actions``."""

from __future__ import annotations

from aiohttp import web

from codeflash_engine.http.body import parse_body
from codeflash_engine.http.openapi import ApiRoutes
from codeflash_engine.http.respond import respond
from codeflash_engine.http.schemas import WorkflowGenRequest, WorkflowGenResponse
from codeflash_engine.http.state import ENGINE
from codeflash_engine.pipelines import workflow
from codeflash_engine.pipelines.common import prompt_fields

routes = ApiRoutes()


@routes.endpoint(
    "POST",
    "/ai/workflow-gen",
    summary="Workflow steps that install the project and run Codeflash",
    request=WorkflowGenRequest,
    response=WorkflowGenResponse,
)
async def workflow_gen_handler(request: web.Request) -> web.Response:
    body = await parse_body(request, WorkflowGenRequest)
    fields = prompt_fields(body.model_dump())
    steps = await workflow.workflow_steps(request.app[ENGINE], trace_id=body.trace_id, fields=fields)
    return respond(WorkflowGenResponse(workflow_steps=steps))
