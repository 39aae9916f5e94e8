"""An engine application wired to the fake LLM server, for tests of the engine and of plugins.

Fixtures (registered by ``pytest_plugins = ["codeflash_engine.testing.engine"]``):

- ``engine_settings``: Settings pointing OpenAI at the ``fake_llm`` server, with the embedded
  API key :data:`API_KEY` and a short request deadline;
- ``engine_client``: an aiohttp test client for ``create_app(engine_settings)``.

And :func:`call`, which posts JSON with the key and returns ``(status, json)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from codeflash_engine.app import create_app
from codeflash_engine.settings import Settings

API_KEY = "cf-" + "e" * 43
AUTH = {"Authorization": f"Bearer {API_KEY}"}

EngineClient = TestClient[web.Request, web.Application]


@pytest.fixture
def engine_settings(fake_llm_settings: Callable[..., Settings]) -> Settings:
    """Settings for an engine that talks to the fake LLM (OpenAI wire format, model gpt-4.1)."""
    settings: Settings = fake_llm_settings(
        "openai", models="openai:gpt-4.1=1", codeflash_engine_api_keys=API_KEY, codeflash_engine_request_deadline=20
    )
    return settings


@pytest.fixture
async def engine_client(
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]], engine_settings: Settings
) -> EngineClient:
    """A test client for the whole engine (guards, pipelines, plugins) over the fake LLM."""
    return await aiohttp_client(create_app(engine_settings))


async def call(client: EngineClient, path: str, body: Any, *, key: str | None = API_KEY) -> tuple[int, Any]:
    """POST ``body`` as JSON with the API key; the status and the decoded JSON answer.

    Every answer must be JSON; a 200 must validate against the route's schema in the engine's
    own ``/openapi.json``, and any other status must be the error envelope.
    """
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    resp = await client.post(path, json=body, headers=headers)
    assert resp.content_type == "application/json", await resp.text()
    answer = await resp.json()
    await check_against_openapi(client, path, resp.status, answer)
    return resp.status, answer


async def check_against_openapi(client: EngineClient, path: str, status: int, answer: Any) -> None:
    """Validate ``answer`` against the schema /openapi.json gives for ``path`` and ``status``."""
    import jsonschema

    doc = await (await client.get("/openapi.json")).json()
    if status != 200:
        assert set(answer) == {"error"} and isinstance(answer["error"], str), answer
        return
    schema = doc["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.validate(answer, {**schema, "components": doc["components"]})
