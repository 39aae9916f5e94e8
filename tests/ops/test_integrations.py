"""Sentry and PostHog: nothing (not even an import) when unset; events to a local collector when set."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from codeflash_engine.app import create_app
from codeflash_engine.infra.integrations import EVENT, Integrations
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import API_KEY, AUTH, EngineClient
from codeflash_engine.testing.fake_llm import FakeLLM, Reply
from codeflash_engine.testing.load import candidate_answer, optimize_body


class Collector:
    """A local stand-in for Sentry's and PostHog's ingestion endpoints: keeps every POST body."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, bytes]] = []

    def app(self) -> web.Application:
        async def take(request: web.Request) -> web.Response:
            self.posts.append((request.path, await request.read()))  # aiohttp undoes Content-Encoding
            return web.json_response({"status": 1})

        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("POST", "/{tail:.*}", take)
        return app


@pytest_asyncio.fixture
async def collector() -> AsyncIterator[tuple[Collector, str]]:
    found = Collector()
    server = TestServer(found.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield found, f"http://127.0.0.1:{server.port}"
    finally:
        await server.close()


def test_unset_integrations_import_nothing() -> None:
    code = (
        "import sys\n"
        "from codeflash_engine.app import create_app\n"
        "from codeflash_engine.infra.integrations import Integrations\n"
        "from codeflash_engine.settings import Settings\n"
        "on = Integrations.start(Settings(sentry_dsn=None, posthog_api_key=None))\n"
        "print(on.sentry, on.posthog, 'sentry_sdk' in sys.modules, 'posthog' in sys.modules)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["False", "None", "False", "False"], out.stderr


async def test_sentry_gets_unhandled_errors_with_ids_and_no_local_variables(
    fake_llm_settings: Callable[..., Settings],
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]],
    collector: tuple[Collector, str],
) -> None:
    import sentry_sdk

    found, url = collector
    dsn = "http://0123456789abcdef0123456789abcdef@" + url.removeprefix("http://") + "/42"
    settings = fake_llm_settings(
        models="openai:gpt-4.1=1", codeflash_engine_api_keys=API_KEY, sentry_dsn=SecretStr(dsn), environment="ops-test"
    )
    app = create_app(settings)

    async def boom(request: web.Request) -> web.Response:
        secret_local = "-".join(("sk", "local", "value", str(6 * 7)))  # only its value could leak
        raise RuntimeError(f"the plugin broke ({len(secret_local)})")

    app.router.add_post("/ai/boom", boom)
    client = await aiohttp_client(app)
    resp = await client.post("/ai/boom", json={}, headers={**AUTH, "X-Request-Id": "sentry-req-1"})
    assert resp.status == 500
    assert "sentry-req-1" in (await resp.json())["error"]
    await asyncio.to_thread(sentry_sdk.flush, 5)
    await client.close()  # closes the integrations: the client is flushed and shut
    envelopes = [body for path, body in found.posts if path == "/api/42/envelope/"]
    assert envelopes, found.posts
    events = []
    for envelope in envelopes:
        for line in envelope.split(b"\n"):
            if line.startswith(b"{") and b'"exception"' in line:
                events.append(json.loads(line))
    [event] = events
    assert event["tags"]["request_id"] == "sentry-req-1"
    assert event["environment"] == "ops-test" and event["release"].startswith("codeflash-engine@")
    [exc] = event["exception"]["values"]
    assert exc["type"] == "RuntimeError"
    frames = exc["stacktrace"]["frames"]
    assert frames and all("vars" not in frame for frame in frames)
    raw = b"".join(envelopes)
    assert b"sk-local-value-42" not in raw and API_KEY.encode() not in raw
    assert not sentry_sdk.get_client().is_active()


async def test_posthog_gets_one_event_per_ai_request(
    fake_llm_settings: Callable[..., Settings],
    fake_llm: FakeLLM,
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]],
    collector: tuple[Collector, str],
) -> None:
    found, url = collector
    fake_llm.add(lambda req: Reply(candidate_answer(len(fake_llm.requests))))
    settings = fake_llm_settings(
        models="openai:gpt-4.1=1",
        codeflash_engine_api_keys=API_KEY,
        posthog_api_key=SecretStr("phc_test_project_key"),
        posthog_host=url,
    )
    client = await aiohttp_client(create_app(settings))
    body = optimize_body(n_candidates=2)
    assert (await client.post("/ai/optimize", json=body, headers=AUTH)).status == 200
    assert (await client.get("/healthcheck")).status == 200  # not an /ai request of a known caller
    assert (await client.post("/ai/optimize", json=body, headers={})).status == 401  # no caller
    await client.close()  # flushes the PostHog queue
    batches = [json.loads(body) for path, body in found.posts if "batch" in path]
    events = [e for batch in batches for e in batch["batch"]]
    assert [e["event"] for e in events] == [EVENT]
    [event] = events
    assert event["distinct_id"] == "local"
    props: dict[str, Any] = event["properties"]
    assert props["route"] == "/ai/optimize" and props["status"] == 200 and props["llm_calls"] == 2
    assert props["trace_id"] == body["trace_id"] and props["latency_ms"] >= props["llm_ms"] > 0
    assert props["environment"] == "development"
    raw = b"".join(b for _, b in found.posts)
    assert API_KEY.encode() not in raw and API_KEY[3:].encode() not in raw


def test_integrations_close_without_start_is_harmless() -> None:
    Integrations().close()
