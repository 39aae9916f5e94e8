"""Every failure is a JSON ``{"error": ...}`` with the right status; the service keeps serving."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pydantic
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from codeflash_engine.app import create_app
from codeflash_engine.http.body import parse_body
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import AUTH

Client = TestClient[web.Request, web.Application]


class Thing(pydantic.BaseModel):
    source_code: str
    n_candidates: int = 5
    trace_id: str | None = None


THING = pydantic.TypeAdapter(Thing)


async def echo(request: web.Request) -> web.Response:
    thing = await parse_body(request, THING)
    return web.json_response(thing.model_dump())


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("secret internals: sk-live-123")


@pytest.fixture
async def client(aiohttp_client: Callable[[web.Application], Awaitable[Client]], engine_settings: Settings) -> Client:
    app = create_app(engine_settings.model_copy(update={"codeflash_engine_max_body_bytes": 4096}))
    app.router.add_post("/test/echo", echo)
    app.router.add_post("/test/boom", boom)
    return await aiohttp_client(app)


async def error_of(resp: Any, status: int) -> str:
    assert resp.status == status
    assert resp.content_type == "application/json"
    body = await resp.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    return str(body["error"])


async def test_valid_body_is_served(client: Client) -> None:
    resp = await client.post("/test/echo", json={"source_code": "x", "extra": "ignored"})
    assert resp.status == 200
    assert await resp.json() == {"source_code": "x", "n_candidates": 5, "trace_id": None}
    assert resp.headers["X-Request-Id"]


@pytest.mark.parametrize(
    "body", [b"{not json", b"\xff\xfe\x00garbage", b"", b"[" * 3000], ids=["syntax", "utf8", "empty", "deep"]
)
async def test_malformed_json_is_400(client: Client, body: bytes) -> None:
    message = await error_of(await client.post("/test/echo", data=body), 400)
    assert "JSON" in message or "empty" in message


async def test_unknown_route_is_404(client: Client) -> None:
    message = await error_of(await client.post("/ai/nothing-here", json={}, headers=AUTH), 404)
    assert "/ai/nothing-here" in message
    assert "/elsewhere" in await error_of(await client.get("/elsewhere"), 404)
    # without a key, /ai routes do not reveal what exists
    await error_of(await client.post("/ai/nothing-here", json={}), 401)


async def test_wrong_method_is_405(client: Client) -> None:
    resp = await client.get("/test/echo")
    message = await error_of(resp, 405)
    assert "use POST" in message
    assert resp.headers["Allow"] == "POST"


async def test_body_over_the_limit_is_413(client: Client) -> None:
    message = await error_of(await client.post("/test/echo", json={"source_code": "x" * 10_000}), 413)
    assert "4096" in message and "CODEFLASH_ENGINE_MAX_BODY_BYTES" in message


async def test_schema_violation_is_422_naming_the_field(client: Client) -> None:
    message = await error_of(await client.post("/test/echo", json={"n_candidates": "many"}), 422)
    assert "'source_code' is required" in message
    assert "'n_candidates'" in message


async def test_unexpected_failure_is_500_without_traceback(client: Client) -> None:
    message = await error_of(await client.post("/test/boom", json={}), 500)
    assert "internal error" in message
    assert "Traceback" not in message and "sk-live" not in message and "RuntimeError" not in message
    # the service keeps serving
    assert (await client.get("/healthcheck")).status == 200


async def test_healthcheck_reports_version_plugins_and_errors(client: Client) -> None:
    resp = await client.get("/healthcheck")
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "ok"
    assert body["version"]
    assert {"python", "java", "javascript", "typescript"} <= set(body["languages"])
    names = {p["name"] for p in body["plugins"]}
    assert {"python", "java", "js_ts"} <= names
    assert body["plugin_errors"] == {}
