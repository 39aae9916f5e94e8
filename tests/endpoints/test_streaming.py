"""Answers are cleaned as they arrive: the postprocess hook runs for the first answers while the
slow ones are still on their way, and the result equals one batch call (issue 19)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import endpoint_samples as s
from aiohttp import web

from codeflash_engine import CandidatesRequest, LanguageSpec, hookimpl
from codeflash_engine.app import create_app, load_plugins
from codeflash_engine.plugins.defaults import LENIENT
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM, Fault, Reply


class Watched:
    """A language whose postprocessing notes when it ran, and for how many answers, in a file (it
    runs in the plugin's worker process; the monotonic clock is the machine's, the same there)."""

    def __init__(self, log: Path) -> None:
        self.log = log

    @property
    def calls(self) -> list[tuple[float, int]]:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [(float(at), int(n)) for at, n in (line.split() for line in lines)]

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        register(LanguageSpec(name="watched", extensions=(".w",), fence_tags=("watched",)))

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> Any:
        with self.log.open("a") as out:
            out.write(f"{time.monotonic()} {len(request.answers)}\n")
        return LENIENT.postprocess(request)


BODY = {**s.optimize(), "language": "watched", "source_code": "```watched:a.w\nf = 1\n```", "n_candidates": 3}


async def test_the_first_answers_are_cleaned_before_the_last_one_arrives(
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]],
    engine_settings: Settings,
    fake_llm: FakeLLM,
    tmp_path: Path,
) -> None:
    watched = Watched(tmp_path / "cleaned")
    settings = engine_settings.model_copy(update={"codeflash_engine_straggler_cutoff": False})  # keep the slow one
    host = load_plugins(settings)
    host.register(watched, "watched")
    client = await aiohttp_client(create_app(settings, plugins=host))
    fake_llm.reply(Reply("Faster.\n```watched:a.w\nf = 2\n```", latency=0.02), times=2)
    fake_llm.reply(Reply("Other.\n```watched:a.w\nf = 3\n```", latency=3.0), times=1)
    started = time.monotonic()
    status, body = await call(client, "/ai/optimize", BODY)
    ended = time.monotonic()
    assert status == 200, body
    # the two fast answers are the same candidate: the engine's merge keeps one, and the slow one
    # (in call order: which call the fake answers slowly depends on which request reaches it last)
    assert sorted(c["source_code"].split("\n")[1] for c in body["optimizations"]) == ["f = 2", "f = 3"]
    assert all(n == 1 for _, n in watched.calls) and len(watched.calls) in (2, 3)
    first = watched.calls[0][0] - started
    # the slow answer comes 3 s in: the fast ones are cleaned long before it, and the answer is
    # sent right after the slow one is cleaned (generous bounds: only a wait for the batch fails)
    assert first < 2.0, f"the first answer was cleaned {first:.2f} s in, after the slow one came"
    assert watched.calls[-1][0] - started >= 2.9 and ended - watched.calls[-1][0] < 2.0


async def test_a_consumer_that_stops_early_cancels_the_calls_still_running(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """The handler went away after the first answer (a client that hung up): the slow call is
    cancelled, recorded as such, and closing the stream raises nothing."""
    from codeflash_engine.http.state import ENGINE
    from codeflash_engine.infra.llm import Deadline
    from codeflash_engine.plugins.types import Prompt, Task

    fake_llm.reply(Reply("fast", latency=0.02), times=1)
    fake_llm.reply(Reply("slow", latency=20.0), times=1)
    engine = engine_client.app[ENGINE]
    trace = "5b3c9a1e-2f4d-4e6a-8b7c-0d1e2f3a4b5c"
    stream = engine.ask_each(
        Prompt(system="s", user="u"), n=2, task=Task.OPTIMIZE, trace_id=trace, deadline=Deadline.after(60)
    )
    started = time.monotonic()
    first = await stream.__anext__()
    assert [c.text for _, c in first] == ["fast"]
    await stream.aclose()  # raises nothing
    for _ in range(100):
        calls = (await engine.store.records_for_trace(trace)).calls
        if len(calls) == 2:
            break
        await asyncio.sleep(0.02)
    assert sorted(c.outcome for c in calls) == ["cancelled", "ok"]
    assert time.monotonic() - started < 5  # not the slow call's 20 s


async def test_when_every_call_fails_the_502_names_why(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.fail(Fault.bad_request("the model refuses this prompt"))
    status, body = await call(engine_client, "/ai/optimize", {**s.optimize(), "n_candidates": 2})
    assert status == 502
    assert body["error"] == "every LLM call for optimize failed: openai:gpt-4.1 answered HTTP 400 (bad_request)"


def test_the_reasons_of_a_502_are_cut_at_500_characters() -> None:
    from codeflash_engine.infra.llm import LLMError
    from codeflash_engine.infra.llm.errors import ErrorKind
    from codeflash_engine.pipelines.common import _every_call_failed
    from codeflash_engine.plugins.types import Task

    long, short = LLMError("x" * 1000, kind=ErrorKind.BAD_REQUEST), LLMError("y" * 10, kind=ErrorKind.BAD_REQUEST)
    failed = _every_call_failed(Task.OPTIMIZE, [long, short])
    reasons = str(failed).split("failed: ", 1)[1]
    assert len(reasons) == 500 and reasons.startswith("x" * 490)
    assert "no call was made" in str(_every_call_failed(Task.OPTIMIZE, []))
