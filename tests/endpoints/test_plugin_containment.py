"""A plugin's bug costs only its own language: the engine serves the others, names the plugin in
the error, counts the failure and reports the plugin as degraded in the health check."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import endpoint_samples as s
import pytest
from aiohttp import web

from codeflash_engine import LanguageSpec, hookimpl
from codeflash_engine.app import create_app, load_plugins
from codeflash_engine.http.metrics import METRICS
from codeflash_engine.http.state import PLUGINS
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM, Reply

BOOM = LanguageSpec(name="boom", extensions=(".boom",), comment_prefix="#", fence_tags=("boom",))


class Explosive:
    """Every one of the six hooks raises (register_languages after registering its language)."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        register(BOOM)
        raise RuntimeError("register_languages exploded")

    @hookimpl
    def build_prompt(self, request: Any) -> Any:
        raise RuntimeError("build_prompt exploded")

    @hookimpl
    def validate(self, code: str) -> Any:
        raise RuntimeError("validate exploded")

    @hookimpl
    def apply_diff(self, request: Any) -> Any:
        raise RuntimeError("apply_diff exploded")

    @hookimpl
    def postprocess_candidates(self, request: Any) -> Any:
        raise RuntimeError("postprocess_candidates exploded")

    @hookimpl
    def postprocess_tests(self, request: Any) -> Any:
        raise RuntimeError("postprocess_tests exploded")


class Hanging:
    """Prompts come from the core; cleaning the answers never returns in time."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        register(LanguageSpec(name="slowpoke", extensions=(".slow",), fence_tags=("slowpoke",)))

    @hookimpl
    def postprocess_candidates(self, request: Any) -> Any:
        time.sleep(8)
        return []


BOOM_BODY = {**s.optimize(), "language": "boom", "source_code": "```boom:main.boom\n(def f 1)\n```"}
SLOW_BODY = {**s.optimize(), "language": "slowpoke", "source_code": "```slowpoke:a.slow\nf = 1\n```"}


async def client_with(
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]], settings: Settings, *plugins: Any
) -> EngineClient:
    host = load_plugins(settings)
    for plugin in plugins:
        host.register(plugin, type(plugin).__name__.lower())
    return await aiohttp_client(create_app(settings, plugins=host))


async def test_a_plugin_whose_hooks_all_raise_fails_only_its_language(
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]],
    engine_settings: Settings,
    fake_llm: FakeLLM,
) -> None:
    client = await client_with(aiohttp_client, engine_settings, Explosive())

    status, body = await call(client, "/ai/optimize", BOOM_BODY)
    assert status == 502, body
    assert "'explosive'" in body["error"] and "build_prompt" in body["error"] and "boom" in body["error"]
    assert "Traceback" not in body["error"]

    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(client, "/ai/optimize", s.optimize())
    assert status == 200, body
    assert len(body["optimizations"]) == 1

    fake_llm.reset()
    fake_llm.reply(s.TESTS_ANSWER)
    status, body = await call(client, "/ai/testgen", s.testgen())
    assert status == 200, body
    assert "sort_list" in body["instrumented_behavior_tests"]

    health = await (await client.get("/healthcheck")).json()
    assert health["status"] == "degraded"
    assert "register_languages exploded" in health["plugin_errors"]["explosive"]
    failures = health["plugin_failures"]["explosive"]
    assert [(f["hook"], f["language"]) for f in failures] == [("build_prompt", "boom")]
    assert "build_prompt exploded" in failures[0]["error"]
    assert "python" in health["languages"] and "boom" in health["languages"]
    counted = client.app[METRICS].plugin_failures.labels("explosive", "build_prompt")._value.get()
    assert counted == 1


async def test_the_later_hooks_of_a_failing_plugin_are_contained_too(
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]],
    engine_settings: Settings,
    fake_llm: FakeLLM,
) -> None:
    """With a working prompt (the core's), the edit and postprocessing hooks fail in turn: 502s naming them."""

    class ExplosiveAfterThePrompt(Explosive):
        build_prompt = None  # type: ignore[assignment]

    client = await client_with(aiohttp_client, engine_settings, ExplosiveAfterThePrompt())
    fake_llm.reply("Faster.\n```boom:main.boom\n(def f 2)\n```")
    status, body = await call(client, "/ai/optimize", BOOM_BODY)
    assert status == 502 and "postprocess_candidates" in body["error"], body

    fake_llm.reset()
    fake_llm.reply("main.boom\n```\n<<<<<<< SEARCH\n(def f 1)\n=======\n(def f 2)\n>>>>>>> REPLACE\n```")
    status, body = await call(client, "/ai/optimize", BOOM_BODY)
    assert status == 502 and "apply_diff" in body["error"], body

    fake_llm.reset()
    fake_llm.reply("```boom\n(test f)\n```")
    tests_body = {**s.testgen(), "language": "boom", "source_code_being_tested": BOOM_BODY["source_code"]}
    status, body = await call(client, "/ai/testgen", tests_body)
    assert status == 502 and "postprocess_tests" in body["error"], body


async def test_a_hanging_plugin_times_out_while_other_languages_are_served(
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]],
    engine_settings: Settings,
    fake_llm: FakeLLM,
) -> None:
    settings = engine_settings.model_copy(update={"codeflash_engine_plugin_timeout": 0.5})
    client = await client_with(aiohttp_client, settings, Hanging())
    fake_llm.reply(Reply("```slowpoke:a.slow\nf = 2\n```"), contains="slowpoke")
    fake_llm.reply(s.FAST_ANSWER)
    started = time.monotonic()
    (slow_status, slow), (py_status, py) = await asyncio.gather(
        call(client, "/ai/optimize", SLOW_BODY), call(client, "/ai/optimize", s.optimize())
    )
    assert py_status == 200 and len(py["optimizations"]) == 1, py
    assert slow_status == 502, slow
    assert "'hanging'" in slow["error"] and "postprocess_candidates" in slow["error"] and "0.5 s" in slow["error"]
    assert time.monotonic() - started < 6  # cut at the 0.5 s limit, not when the plugin returns (8 s)


class HangsOnce:
    """Cleaning hangs on an answer that says "hang" (a regular expression that backtracks for
    hours, holding the GIL in native code the whole time) and crashes the process (SIGSEGV) on one
    that says "crash"."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        register(LanguageSpec(name="slowpoke", extensions=(".slow",), fence_tags=("slowpoke",)))

    @hookimpl
    def postprocess_candidates(self, request: Any) -> Any:
        text = request.answers[0].text
        if "hang" in text:
            re.match(r"(a+)+$", "a" * 64 + "b")
        if "crash" in text:
            ctypes.string_at(0)
        return None  # the builtin default cleans it


def plugin_pid(client: EngineClient, plugin: str) -> int | None:
    return client.app[PLUGINS]._lanes[plugin].pid


async def test_after_a_call_overran_it_is_stopped_with_its_process_and_the_next_requests_get_a_new_one(
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]],
    engine_settings: Settings,
    fake_llm: FakeLLM,
) -> None:
    """One tenant's input that hangs a plugin, even inside native code holding the GIL, costs that
    request, not every later request of the language, nor the engine's event loop: the call is
    stopped with its process, and the next calls get a new one."""
    settings = engine_settings.model_copy(update={"codeflash_engine_plugin_timeout": 0.5})
    client = await client_with(aiohttp_client, settings, HangsOnce())
    fake_llm.reply(Reply("```slowpoke:a.slow\nf = 2 # hang\n```"), contains="f = 1")
    fake_llm.reply(Reply("```slowpoke:a.slow\nf = 4\n```"), contains="f = 3")
    later = {**SLOW_BODY, "source_code": "```slowpoke:a.slow\nf = 3\n```"}
    status, body = await call(client, "/ai/optimize", later)
    assert status == 200, body
    first = plugin_pid(client, "hangsonce")
    assert first is not None

    hung = asyncio.ensure_future(call(client, "/ai/optimize", SLOW_BODY))
    await asyncio.sleep(0.2)  # the hang has started: the engine still answers at once
    started = time.monotonic()
    health = await (await client.get("/healthcheck")).json()
    assert time.monotonic() - started < 0.2 and health["status"] == "ok"
    status, body = await hung
    assert status == 502 and "0.5 s" in body["error"] and "hangsonce" in body["error"], body

    started = time.monotonic()
    for _ in range(3):
        status, body = await call(client, "/ai/optimize", later)
        assert status == 200, body
        assert [o["source_code"] for o in body["optimizations"]] == ["```slowpoke:a.slow\nf = 4\n```"]
    assert time.monotonic() - started < 3
    second = plugin_pid(client, "hangsonce")
    assert second is not None and second != first
    for _ in range(100):  # the stopped process is gone (killed, then reaped)
        try:
            os.kill(first, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail(f"the process {first} of the stopped call still runs")
    health = await (await client.get("/healthcheck")).json()
    assert health["status"] == "degraded" and health["plugin_restarts"] == {"hangsonce": 1}
    assert "no answer within 0.5 s" in health["plugin_failures"]["hangsonce"][0]["error"]


async def test_a_plugin_that_crashes_its_process_fails_that_call_only(
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]],
    engine_settings: Settings,
    fake_llm: FakeLLM,
) -> None:
    """A segmentation fault in a plugin's native code ends its worker process, not the engine:
    that request gets a 502 saying how the process ended, and the next ones are served."""
    client = await client_with(aiohttp_client, engine_settings, HangsOnce())
    fake_llm.reply(Reply("```slowpoke:a.slow\nf = 2 # crash\n```"), contains="f = 1")
    fake_llm.reply(Reply("```slowpoke:a.slow\nf = 4\n```"), contains="f = 3")
    status, body = await call(client, "/ai/optimize", SLOW_BODY)
    assert status == 502, body
    assert "hangsonce" in body["error"] and "SIGSEGV" in body["error"], body
    later = {**SLOW_BODY, "source_code": "```slowpoke:a.slow\nf = 3\n```"}
    status, body = await call(client, "/ai/optimize", later)
    assert status == 200 and len(body["optimizations"]) == 1, body
    health = await (await client.get("/healthcheck")).json()
    assert health["plugin_restarts"] == {"hangsonce": 1}
    assert "SIGSEGV" in health["plugin_failures"]["hangsonce"][0]["error"]


DEEP = "x = " + "-" * 6000 + "1"


async def test_client_code_too_deep_to_parse_is_not_a_plugin_failure(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """Code the parser cannot take (from the client or the model) is unusable input, not a bug of the
    Python plugin: no 'plugin failed', no server path, and the health check stays ok."""
    deep_md = f"```python:pkg/sorter.py\n{s.SORTER_CODE}\n\n{DEEP}\n```"
    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(engine_client, "/ai/optimize", {**s.optimize(), "source_code": deep_md})
    assert status == 200, body
    fake_llm.reset()
    fake_llm.reply(s.TESTS_ANSWER)
    status, body = await call(engine_client, "/ai/testgen", {**s.testgen(), "source_code_being_tested": deep_md})
    assert status in (200, 502), body
    assert "plugin" not in str(body) and "/lib/python" not in str(body)
    health = await (await engine_client.get("/healthcheck")).json()
    assert health["status"] == "ok" and health["plugin_failures"] == {}


async def test_a_plugin_failure_tells_the_client_no_server_path(
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]],
    engine_settings: Settings,
    fake_llm: FakeLLM,
) -> None:
    client = await client_with(aiohttp_client, engine_settings, Explosive())
    status, body = await call(client, "/ai/optimize", BOOM_BODY)
    assert status == 502 and "RuntimeError: build_prompt exploded" in body["error"]
    assert ".py" not in body["error"] and "/" not in body["error"].split("failed in hook", 1)[1]
    health = await (await client.get("/healthcheck")).json()
    assert ".py:" not in str(health["plugin_failures"])


class FailsOnBoom:
    """Cleaning raises on an answer that says BOOM; the builtin default cleans the others."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        register(LanguageSpec(name="picky", extensions=(".pk",), fence_tags=("picky",)))

    @hookimpl
    def postprocess_candidates(self, request: Any) -> Any:
        if "BOOM" in request.answers[0].text:
            raise RecursionError("maximum recursion depth exceeded")
        return None


PICKY_BODY = {**s.optimize(), "language": "picky", "source_code": "```picky:a.pk\nf = 1\n```", "n_candidates": 3}


async def test_an_answer_the_plugin_fails_on_costs_only_itself(
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]],
    engine_settings: Settings,
    fake_llm: FakeLLM,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One answer of three makes the plugin raise: the other two are the response, and the
    failure is recorded. When it fails on every answer, the request fails naming it."""
    client = await client_with(aiohttp_client, engine_settings, FailsOnBoom())
    fake_llm.reply("```picky:a.pk\nf = 2  # BOOM\n```", times=1)
    fake_llm.reply("```picky:a.pk\nf = 3\n```", times=1)
    fake_llm.reply("```picky:a.pk\nf = 4\n```", times=1)
    with caplog.at_level(logging.INFO, logger="codeflash_engine.pipelines.candidates"):
        status, body = await call(client, "/ai/optimize", PICKY_BODY)
    assert "optimize: 3 answers, 2 candidates, 1 answers the plugin failed on" in caplog.messages, caplog.messages
    assert status == 200, body
    assert sorted(o["source_code"] for o in body["optimizations"]) == [
        "```picky:a.pk\nf = 3\n```",
        "```picky:a.pk\nf = 4\n```",
    ]
    health = await (await client.get("/healthcheck")).json()
    failures = health["plugin_failures"]["failsonboom"]
    assert [(f["hook"], f["language"]) for f in failures] == [("postprocess_candidates", "picky")]
    assert "RecursionError" in failures[0]["error"]

    fake_llm.reset()
    fake_llm.reply("```picky:a.pk\nf = 5  # BOOM\n```")
    for n in (3, 1):
        status, body = await call(client, "/ai/optimize", {**PICKY_BODY, "n_candidates": n})
        assert status == 502 and "'failsonboom'" in body["error"] and "postprocess_candidates" in body["error"], body
