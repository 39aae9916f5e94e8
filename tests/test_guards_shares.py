"""How long the guards took, as they put it on the request (http.guards), found by the second share
of the mutation run of guards.py: on a clock that steps a quarter of a second per reading, the
guards of an LLM-backed route and of a route that makes no LLM call each say they took 250 ms."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from codeflash_engine.http import guards
from codeflash_engine.http.guards import GUARD_SECONDS, STORE, guards_middleware
from codeflash_engine.http.state import SETTINGS
from codeflash_engine.infra.db.memory import MemoryStore
from codeflash_engine.settings import Settings

ClientFactory = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


class SteppingClock:
    """A ``time`` module whose performance counter moves on by ``step`` seconds at each reading."""

    def __init__(self, step: float) -> None:
        self._readings = itertools.count(start=1000.0, step=step)

    def perf_counter(self) -> float:
        """The next reading of the counter."""
        return next(self._readings)


async def guard_seconds(request: web.Request) -> web.Response:
    """Answer the seconds the guards say they took on this request."""
    return web.json_response({"guard_seconds": request[GUARD_SECONDS]})


def guarded_app(store: MemoryStore) -> web.Application:
    """An application behind the guards with one LLM-backed route and the unmetered telemetry route."""
    app = web.Application(middlewares=[guards_middleware])
    app[SETTINGS] = Settings()
    app[STORE] = store
    app.router.add_post("/ai/optimize", guard_seconds)
    app.router.add_post("/ai/log_features", guard_seconds)
    return app


@pytest.mark.parametrize("path", ["/ai/optimize", "/ai/log_features"], ids=["llm-backed", "no-llm-call"])
async def test_the_guards_put_the_time_they_took_on_the_request(
    aiohttp_client: ClientFactory, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """The counter read when the guards start and when they hand over to the handler, a quarter
    of a second apart: the request says the guards took 0.25 s, on either kind of route."""
    store = MemoryStore()
    new = await store.create_key("alice")
    client = await aiohttp_client(guarded_app(store))
    monkeypatch.setattr(guards, "time", SteppingClock(0.25))
    resp = await client.post(path, headers={"Authorization": f"Bearer {new.key}"})
    assert resp.status == 200
    assert await resp.json() == {"guard_seconds": 0.25}
