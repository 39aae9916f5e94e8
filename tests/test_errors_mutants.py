"""The JSON error a client gets and the error an operator finds recorded (http/errors.py): what
the mutation run of the error middleware found untested."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

import pydantic
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from codeflash_engine.app import create_app
from codeflash_engine.errors import EngineError, InvalidRequest, ServiceUnavailable, UpstreamFailed
from codeflash_engine.http.body import parse_body
from codeflash_engine.http.state import ENGINE
from codeflash_engine.infra.records import ErrorRecord
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import AUTH

Client = TestClient[web.Request, web.Application]


class Traced(pydantic.BaseModel):
    trace_id: str


class Many(pydantic.BaseModel):
    """Twelve required numbers: a body can break as many rules as it likes."""

    f00: int
    f01: int
    f02: int
    f03: int
    f04: int
    f05: int
    f06: int
    f07: int
    f08: int
    f09: int
    f10: int
    f11: int


class Capped(pydantic.BaseModel):
    """A list and a string with documented caps."""

    items: list[int] = pydantic.Field(default=[], max_length=2)
    name: str = pydantic.Field(default="", max_length=3)


CAPPED_LIST = pydantic.TypeAdapter(Annotated[list[Traced], pydantic.Field(max_length=2)])


async def _capped(request: web.Request) -> web.Response:
    await parse_body(request, Capped)
    return web.json_response({})


async def _capped_list(request: web.Request) -> web.Response:
    await parse_body(request, CAPPED_LIST)
    return web.json_response({})


async def _validates_late(request: web.Request) -> web.Response:
    await parse_body(request, Traced)
    Many.model_validate({f"f{i:02}": i for i in range(11)})  # not the body: a value the handler built
    return web.json_response({})


async def _many(request: web.Request) -> web.Response:
    await parse_body(request, Many)
    return web.json_response({})


def _failing(error: Callable[[], BaseException]) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        await parse_body(request, Traced)  # the trace id the failure is recorded under
        raise error()

    return handler


async def _redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/healthcheck")


async def _bad_request(request: web.Request) -> web.Response:
    raise web.HTTPBadRequest(text="the header X-Thing is not a number")


@pytest.fixture
async def client(aiohttp_client: Callable[[web.Application], Awaitable[Client]], engine_settings: Settings) -> Client:
    """The engine with a few extra routes that fail in chosen ways."""
    app = create_app(engine_settings)
    app.router.add_post("/test/many", _many)
    app.router.add_post("/test/capped", _capped)
    app.router.add_post("/ai/test-validates-late", _validates_late)
    app.router.add_post("/test/capped-list", _capped_list)
    app.router.add_post("/test/redirect", _redirect)
    app.router.add_post("/test/bad-request", _bad_request)
    app.router.add_post("/ai/test-engine-error", _failing(lambda: EngineError("no model could be asked")))
    app.router.add_post("/ai/test-upstream", _failing(lambda: UpstreamFailed("every model failed")))
    app.router.add_post("/ai/test-invalid", _failing(lambda: InvalidRequest("the language is unknown")))
    app.router.add_post("/ai/test-boom", _failing(lambda: RuntimeError("x" * 5000)))
    app.router.add_post(
        "/ai/test-unavailable",
        _failing(lambda: ServiceUnavailable("the database is down", headers={"Retry-After": "7"})),
    )
    app.router.add_post("/test/boom", _failing(lambda: RuntimeError("outside the API")))
    return await aiohttp_client(app)


async def _errors(client: Client, trace_id: str, *, at_least: int = 1) -> list[ErrorRecord]:
    """The trace's error records, once at least ``at_least`` are written (or after 5 s)."""
    store = client.app[ENGINE].store
    for _ in range(250):  # the recorder writes in the background, in order
        found = (await store.records_for_trace(trace_id)).errors
        if len(found) >= at_least:
            return found
        await asyncio.sleep(0.02)
    return found


@pytest.mark.parametrize(
    ("body", "listed", "more"),
    [
        ({}, 10, "; and 2 more problem(s)"),
        ({"f00": 0}, 10, "; and 1 more problem(s)"),
        ({"f00": 0, "f01": 1}, 10, ""),
        ({"f00": 0, "f01": 1, "f02": 2}, 9, ""),
    ],
)
async def test_a_body_with_many_problems_names_ten_and_counts_the_rest(
    client: Client, body: dict[str, int], listed: int, more: str
) -> None:
    """At most ten problems are described, each naming its field; the rest are counted, and
    nothing is added when there is no rest."""
    resp = await client.post("/test/many", json=body, headers=AUTH)
    assert resp.status == 422
    error = (await resp.json())["error"]
    missing = [f"field 'f{i:02}' is required" for i in range(12) if f"f{i:02}" not in body]
    assert error == "invalid request body: " + "; ".join(missing[:listed]) + more


async def test_a_body_that_is_not_an_object_and_a_field_of_the_wrong_type(client: Client) -> None:
    """A body of the wrong shape is described as "the body", a field of the wrong type by its name
    and pydantic's reason, not as missing."""
    resp = await client.post("/test/many", json=[1], headers=AUTH)
    assert resp.status == 422
    assert (await resp.json())["error"].startswith("invalid request body: the body: Input should be")
    resp = await client.post("/test/many", json={f"f{i:02}": i for i in range(11)} | {"f11": "eleven"}, headers=AUTH)
    assert resp.status == 422
    assert (await resp.json())["error"] == (
        "invalid request body: field 'f11': Input should be a valid integer, unable to parse string as an integer"
    )


async def test_a_list_past_its_cap_names_the_field_the_count_and_the_limit(client: Client) -> None:
    """A list longer than its documented cap is described by its field (or as the body, for a list
    body) with its length and the limit; a string past its cap keeps pydantic's own sentence."""
    resp = await client.post("/test/capped", json={"items": [1, 2, 3]}, headers=AUTH)
    assert resp.status == 422
    assert (await resp.json())["error"] == (
        "invalid request body: field 'items' has 3 entries; at most 2 are accepted in one request (a documented limit)"
    )
    resp = await client.post("/test/capped-list", json=[{"trace_id": "t"}] * 4, headers=AUTH)
    assert resp.status == 422
    assert (await resp.json())["error"] == (
        "invalid request body: the body has 4 entries; at most 2 are accepted in one request (a documented limit)"
    )
    resp = await client.post("/test/capped", json={"name": "four"}, headers=AUTH)
    assert resp.status == 422
    assert (await resp.json())["error"] == "invalid request body: field 'name': String should have at most 3 characters"


async def test_a_validation_error_escaping_a_handler_is_the_engines_500_not_the_clients_422(
    client: Client,
) -> None:
    """The body's validation errors are parse_body's 422s; one raised past it (a value the engine
    built, such as a response) is an internal error: a 500 quoting the request id, recorded as
    critical for the operator, never a 422 telling the client its body was wrong."""
    resp = await client.post("/ai/test-validates-late", json={"trace_id": "t-late"}, headers=AUTH)
    assert resp.status == 500
    error = (await resp.json())["error"]
    assert error.startswith("internal error; quote request id") and "invalid request body" not in error
    (late,) = await _errors(client, "t-late")
    assert late.error_type == "ValidationError" and late.severity == "critical"


async def test_a_redirect_passes_and_a_raised_400_is_a_json_error(client: Client) -> None:
    """An HTTP exception below 400 is the response itself; a 400 raised by a handler becomes the
    JSON envelope with its own text."""
    resp = await client.post("/test/redirect", headers=AUTH, allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/healthcheck"
    resp = await client.post("/test/bad-request", headers=AUTH)
    assert resp.status == 400 and resp.content_type == "application/json"
    assert await resp.json() == {"error": "the header X-Thing is not a number"}


async def test_server_side_engine_errors_are_recorded_client_errors_are_not(client: Client) -> None:
    """A 500 or 502 engine error is kept for the operator (optimization_errors) with its path and
    trace, severity "error" and no stack; a 422 is the client's mistake and is not kept. Neither
    closes the connection."""
    for path, trace, status in (
        ("/ai/test-invalid", "t-invalid", 422),
        ("/ai/test-engine-error", "t-engine", 500),
        ("/ai/test-upstream", "t-upstream", 502),
    ):
        resp = await client.post(path, json={"trace_id": trace}, headers=AUTH)
        assert resp.status == status
        assert resp.headers.get("Connection", "").lower() != "close"
    (engine_error,) = await _errors(client, "t-engine")
    assert (engine_error.error_type, engine_error.message, engine_error.severity, engine_error.stack_trace) == (
        "EngineError",
        "/ai/test-engine-error: no model could be asked",
        "error",
        None,
    )
    (upstream,) = await _errors(client, "t-upstream")
    assert upstream.error_type == "UpstreamFailed" and upstream.message == "/ai/test-upstream: every model failed"
    assert await _errors(client, "t-invalid", at_least=0) == []


async def test_an_unhandled_error_is_recorded_critical_cut_to_4000_characters(client: Client) -> None:
    """An unexpected exception under /ai/ is a 500 quoting the request id, recorded as critical
    with its stack, its message prefixed with the path and cut to 4,000 characters; one on a
    route outside /ai/ and /cfapi/ is answered the same but not recorded."""
    resp = await client.post("/test/boom", json={"trace_id": "t-outside"}, headers=AUTH)
    assert resp.status == 500
    resp = await client.post("/ai/test-boom", json={"trace_id": "t-boom"}, headers=AUTH)
    assert resp.status == 500
    assert (await resp.json())["error"] == (
        f"internal error; quote request id {resp.headers['X-Request-Id']} when reporting it"
    )
    (boom,) = await _errors(client, "t-boom")
    assert boom.error_type == "RuntimeError" and boom.severity == "critical"
    assert boom.message == ("/ai/test-boom: " + "x" * 5000)[:4000] and len(boom.message) == 4000
    assert boom.stack_trace is not None and "RuntimeError" in boom.stack_trace
    assert await _errors(client, "t-outside", at_least=0) == []


async def test_a_body_the_parser_gave_up_on_closes_the_connection(client: Client) -> None:
    """A body that is not what its Content-Encoding says is a 400 JSON error and the connection is
    closed (the parser stopped in the middle of the body), on any server."""
    headers = {**AUTH, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    resp = await client.post("/ai/test-invalid", data=b'{"trace_id": "t"}', headers=headers)
    assert resp.status == 400 and resp.content_type == "application/json"
    assert resp.headers.get("Connection", "").lower() == "close"
    assert "Content-Encoding says" in (await resp.json())["error"]


async def test_a_dependency_down_is_503_with_its_retry_after(client: Client) -> None:
    """``ServiceUnavailable`` answers 503 (the client may retry), with the headers it was raised
    with; other errors carry no headers of their own."""
    resp = await client.post("/ai/test-unavailable", json={"trace_id": "t-unavailable"}, headers=AUTH)
    assert resp.status == 503 and resp.headers["Retry-After"] == "7"
    assert (await resp.json())["error"] == "the database is down"
    resp = await client.post("/ai/test-upstream", json={"trace_id": "t-upstream-headers"}, headers=AUTH)
    assert resp.status == 502 and "Retry-After" not in resp.headers


def test_an_error_keeps_its_headers_and_has_none_by_default() -> None:
    assert EngineError("x", headers={"Retry-After": "3"}).headers == {"Retry-After": "3"}
    assert EngineError("x").headers == {}
    assert ServiceUnavailable("x").status == 503
