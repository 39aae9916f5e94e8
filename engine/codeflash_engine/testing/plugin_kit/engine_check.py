"""The "engine" rule: the client's requests in the plugin's language, through the whole engine.

For one endpoint: start the fake LLM answering what a model would, build the engine's app with
the plugin under test (and the builtins), post the samples' request body with an API key, and
check the answer the way the Codeflash CLI reads it (contract sections 2-3), plus the OpenAPI
schema the engine publishes. Runs its own event loop, so it works in any pytest-asyncio mode.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from codeflash_engine.testing.contract import check_candidates, client_blocks
from codeflash_engine.testing.fake_llm import FakeLLM
from codeflash_engine.testing.plugin_kit.checks import PluginUnderTest, fail
from codeflash_engine.testing.plugin_kit.requests import llm_answers, sample_requests

API_KEY = "cf-" + "k" * 43


def engine_settings(fake: FakeLLM, **overrides: Any) -> Any:
    """Settings for an engine that talks to ``fake`` only (OpenAI wire format), no database."""
    from codeflash_engine.settings import Settings

    values: dict[str, Any] = fake.settings_values(("openai",), models="openai:gpt-4.1=1")
    values.update(
        database_url=None,
        codeflash_engine_api_keys=API_KEY,
        codeflash_engine_request_deadline=20,
        codeflash_engine_plugins=None,
        codeflash_engine_disabled_plugins=[],
    )
    values.update(overrides)
    return Settings(**values)


async def post_through_engine(put: PluginUnderTest, endpoint: str, body: Any, answer: str) -> tuple[int, Any]:
    """Serve ``body`` at ``endpoint`` with the plugin under test and a fake LLM answering ``answer``."""
    from codeflash_engine.app import create_app
    from codeflash_engine.testing.engine import call

    async with FakeLLM() as fake:
        fake.reply(answer)
        app = create_app(engine_settings(fake), plugins=put.host)
        async with TestClient(TestServer(app)) as client:
            return await call(client, endpoint, body, key=API_KEY)


def check_engine(put: PluginUnderTest, endpoint: str) -> None:
    """``endpoint`` answers the samples' request with a body the client accepts."""
    body = sample_requests(put.samples, comment_prefix=put.spec.comment_prefix)[endpoint]
    answer = llm_answers(put.samples)[endpoint]
    status, out = asyncio.run(post_through_engine(put, endpoint, body, answer))
    if status != 200:
        raise fail("engine", f"{endpoint} answered {status}: {out}")
    check_answer(put, endpoint, body, out)


def check_answer(put: PluginUnderTest, endpoint: str, body: Any, out: Any) -> None:
    """The endpoint-specific part of the contract for a 200 answer."""
    if endpoint in ("/ai/optimize", "/ai/optimize-line-profiler"):
        _candidates(put, endpoint, out["optimizations"], parent_id=None)
    elif endpoint == "/ai/refinement":
        _candidates(put, endpoint, out["refinements"], parent_id=body[0]["optimization_id"])
    elif endpoint == "/ai/code_repair":
        _candidates(put, endpoint, [out], parent_id=body["optimization_id"])
    elif endpoint == "/ai/adaptive_optimize":
        _candidates(put, endpoint, [out], parent_id=body["candidates"][-1]["optimization_id"])
    elif endpoint in ("/ai/testgen", "/ai/testgen_repair"):
        for key in ("generated_tests", "instrumented_behavior_tests", "instrumented_perf_tests"):
            code = out.get(key)
            if not isinstance(code, str) or not code.strip():
                raise fail("engine", f"{endpoint}: {key} must be a non-empty string")
            problems = put.validate(code)
            if problems:
                raise fail("engine", f"{endpoint}: {key} does not validate: {problems[0]}")
    elif endpoint == "/ai/rank":
        ranking = out["ranking"]
        size = len(body["optimization_ids"])
        if ranking is not None and not all(isinstance(i, int) and 0 <= i < size for i in ranking):
            raise fail("engine", f"/ai/rank: ranking {ranking} holds an index out of range (the client crashes)")
    elif endpoint == "/ai/explain":
        if not isinstance(out["explanation"], str):
            raise fail("engine", "/ai/explain: explanation must be a string")
    elif endpoint == "/ai/optimization_review":
        if out["review"] not in ("high", "medium", "low", ""):
            raise fail("engine", f"/ai/optimization_review: review {out['review']!r}")
    elif endpoint == "/ai/testgen_review" and not isinstance(out.get("reviews", []), list):
        raise fail("engine", "/ai/testgen_review: reviews must be a list")


def _candidates(put: PluginUnderTest, endpoint: str, found: Any, *, parent_id: str | None) -> None:
    try:
        check_candidates(found, parent_id=parent_id, python=put.samples.language == "python", empty_ok=True)
    except AssertionError as exc:
        raise fail("engine", f"{endpoint}: {exc}") from exc
    if not found:
        raise fail("engine", f"{endpoint}: no candidate from the samples' first improved answer")
    paths = {f.path for f in put.samples.original}
    for candidate in found:
        for tag, path, code in client_blocks(candidate["source_code"]):
            spec = put.host.languages.get(tag)
            if spec is None or spec.name != put.samples.language:
                raise fail("engine", f"{endpoint}: block tag {tag!r} is not a tag of {put.samples.language}")
            if path not in paths:
                raise fail("engine", f"{endpoint}: block path {path!r} is not a path of the request")
            problems = put.validate(code)
            if problems:
                raise fail("engine", f"{endpoint}: the client would drop this candidate: {path}: {problems[0]}")
