"""What parse_body takes from a valid body before any LLM call: the trace id that the request's
log lines carry, and the trace ids charged to the quota (one per item of a list body, cfapi's
``traceId`` too)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, cast

import pydantic
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from codeflash_engine.http.body import parse_body
from codeflash_engine.http.quota import METER, Meter
from codeflash_engine.infra.logging import trace_id_var

Client = TestClient[web.Request, web.Application]


class Item(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    trace_id: str | int | None = None


ONE = pydantic.TypeAdapter(Item)
MANY = pydantic.TypeAdapter(list[Item])


class CountingMeter:
    """Stands in for the guards' meter: what the body charged."""

    def __init__(self) -> None:
        self.charged: list[list[str | None]] = []

    async def charge(self, trace_ids: Iterable[str | None], calls: int = 1, body: object = None) -> None:
        self.charged.append(list(trace_ids))


@pytest.fixture
async def client(aiohttp_client: Callable[[web.Application], Awaitable[Client]]) -> Client:
    async def handle(request: web.Request, adapter: pydantic.TypeAdapter[Any]) -> web.Response:
        meter = CountingMeter()
        request[METER] = cast(Meter, meter)
        trace_id_var.set(None)
        await parse_body(request, adapter)
        return web.json_response({"logged_as": trace_id_var.get(), "charged": meter.charged})

    async def one(request: web.Request) -> web.Response:
        return await handle(request, ONE)

    async def many(request: web.Request) -> web.Response:
        return await handle(request, MANY)

    app = web.Application()
    app.router.add_post("/one", one)
    app.router.add_post("/many", many)
    return await aiohttp_client(app)


@pytest.mark.parametrize(
    ("path", "body", "logged_as", "charged"),
    [
        ("/one", {"trace_id": "t-1"}, "t-1", [["t-1"]]),
        ("/one", {"traceId": "t-2"}, "t-2", [["t-2"]]),  # cfapi's spelling
        ("/one", {"trace_id": 7}, None, [[None]]),  # not a trace id: charged as a request of its own
        ("/one", {}, None, [[None]]),
        # a list body (refinement): every item's trace, the log names the first
        ("/many", [{"trace_id": "a"}, {"trace_id": "b"}], "a", [["a", "b"]]),
        ("/many", [{"trace_id": "a"}, {"trace_id": "b"}, {"trace_id": "a"}], "a", [["a", "b", "a"]]),
        ("/many", [], None, [[]]),
        ("/many", [{"trace_id": "a"}, {"trace_id": 1}], "a", [["a", None]]),
        ("/many", [{"trace_id": 1}, {"trace_id": "b"}], None, [[None, "b"]]),
    ],
)
async def test_the_trace_ids_of_a_body_are_logged_and_charged(
    client: Client, path: str, body: Any, logged_as: str | None, charged: list[list[str | None]]
) -> None:
    resp = await client.post(path, json=body)
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {"logged_as": logged_as, "charged": charged}
