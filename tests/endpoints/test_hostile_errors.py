"""Issue 16, class 4 at the HTTP level: a parser giving up (RecursionError, MemoryError) is never a
500, and no error answer has an empty message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestClient

from codeflash_engine.errors import EngineError
from codeflash_engine.http.context import context_middleware
from codeflash_engine.http.errors import error_middleware
from codeflash_engine.infra.observability import usage_var

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


async def _recursion(request: web.Request) -> web.Response:
    raise RecursionError("maximum recursion depth exceeded")


async def _memory_after_a_call(request: web.Request) -> web.Response:
    usage = usage_var.get()
    assert usage is not None
    usage.llm_calls += 1  # as if the model had answered
    raise MemoryError()


async def _empty(request: web.Request) -> web.Response:
    raise EngineError("", status=502)


async def test_parser_failures_and_empty_messages(aiohttp_client: ClientFactory) -> None:
    app = web.Application(middlewares=[context_middleware, error_middleware])
    app.router.add_post("/ai/recursion", _recursion)
    app.router.add_post("/ai/memory", _memory_after_a_call)
    app.router.add_post("/ai/empty", _empty)
    client = await aiohttp_client(app)
    resp = await client.post("/ai/recursion")
    assert resp.status == 422 and "RecursionError" in (await resp.json())["error"]
    resp = await client.post("/ai/memory")
    assert resp.status == 502 and "model" in (await resp.json())["error"]
    resp = await client.post("/ai/empty")
    assert resp.status == 502 and (await resp.json())["error"].strip()
