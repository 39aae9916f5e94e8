"""What each answer of a fan-out carries when several choices share one request, found by the
second share of the mutation run of the fan-out (client.py): the first answer holds the remainder
of every token count that does not split evenly, and each answer and the call's record take the
call's time in milliseconds; the log line of a straggler cut says how long after the start it
came. Through the real SDK against the fake server."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import attrs
import pytest

from codeflash_engine.infra.llm import Completion, Deadline, LLMClient, open_llm_client
from codeflash_engine.infra.llm import client as client_module
from codeflash_engine.infra.recorder import MemorySink, Recorder
from codeflash_engine.plugins.types import Prompt
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import FakeLLM, FakeRequest, Reply
from codeflash_engine.testing.llm_fixtures import FAST_RETRIES

PROMPT = Prompt(system="You optimize code.", user="def f(): return sum(range(10))")


@pytest.fixture
def client_for(fake_llm_settings: Callable[..., Settings], llm_recorder: Recorder) -> Callable[..., Any]:
    """``async with client_for(**settings) as client``: gpt-4.1 at the fake, its candidates in one
    request unless the settings say otherwise."""

    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[LLMClient]:
        overrides.setdefault("codeflash_engine_llm_shared_prompt", True)
        settings = fake_llm_settings("openai", models="openai:gpt-4.1=1", **overrides)
        async with open_llm_client(settings, llm_recorder, policy=FAST_RETRIES) as client:
            yield client

    return make


async def fan_out(client: LLMClient, n: int, calls: int | None = None) -> list[Completion]:
    """The ``n`` answers of one fan-out of :data:`PROMPT` over ``calls`` calls (default ``n``), in
    call order; each must be a success."""
    results = await client.fan_out(
        PROMPT, n=calls or n, call_type="optimize", trace_id="t", deadline=Deadline.after(30)
    )
    completions = [r for r in results if isinstance(r, Completion)]
    assert len(completions) == n, results
    return completions


def numbered(fake: FakeLLM, usage: Reply | None = None) -> None:
    """Every request answered with the token counts of ``usage``, each choice a different text."""
    counter = itertools.count()
    template = usage or Reply()

    def respond(request: FakeRequest) -> Reply:
        return attrs.evolve(template, text=f"answer {next(counter)}")

    fake.add(respond)


class SteppingClock:
    """A ``time`` module whose ``perf_counter`` moves on by ``step`` seconds at each reading."""

    def __init__(self, step: float) -> None:
        self._readings = itertools.count(start=1000.0, step=step)

    def perf_counter(self) -> float:
        """The next reading of the clock."""
        return next(self._readings)


async def test_the_first_answer_of_a_shared_request_holds_every_remainder(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    """Three choices of one request share its tokens: counts that do not split by three leave
    their remainder on the first answer, so the answers add up to the one record."""
    numbered(fake_llm, Reply(prompt_tokens=100, completion_tokens=50, cached_tokens=10, cache_write_tokens=4))
    async with client_for() as client:
        results = await fan_out(client, n=3)
    assert [r.body.get("n") for r in fake_llm.requests] == [3]
    shares = [(r.tokens_in, r.tokens_out, r.tokens_cached, r.tokens_cache_write) for r in results]
    assert shares == [(34, 18, 4, 2), (33, 16, 3, 1), (33, 16, 3, 1)]
    await llm_recorder.close()
    [record] = llm_sink.llm_calls
    assert (record.tokens_in, record.tokens_out, record.tokens_cached, record.tokens_cache_write) == (100, 50, 10, 4)


async def test_each_answer_and_the_record_carry_the_call_s_time_in_milliseconds(
    fake_llm: FakeLLM,
    client_for: Any,
    llm_recorder: Recorder,
    llm_sink: MemorySink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The clock read when the call starts and when it ends a quarter of a second later: every
    answer of the shared request, and its record, say 250 ms."""
    numbered(fake_llm)
    async with client_for() as client:
        monkeypatch.setattr(client_module, "time", SteppingClock(0.25))
        results = await fan_out(client, n=2)
    assert [r.latency_ms for r in results] == [250.0, 250.0]
    await llm_recorder.close()
    assert [record.latency_ms for record in llm_sink.llm_calls] == [250.0]


async def test_the_log_of_a_straggler_cut_says_how_long_after_the_start_it_came(
    fake_llm: FakeLLM, client_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Four calls answer at once and two hang: the two are cut once the grace (0.3 s) has run
    out, and the operator's log line says so, with the seconds since the fan-out started."""
    answers = itertools.count()

    def four_fast_then_slow(request: FakeRequest) -> Reply:
        index = next(answers)
        return Reply(f"fast {index}", latency=0.02) if index < 4 else Reply("slow", latency=25.0)

    fake_llm.add(four_fast_then_slow)
    grace = {"codeflash_engine_straggler_min_wait": 0.3, "codeflash_engine_straggler_max_wait": 0.3}
    with caplog.at_level(logging.INFO, logger="codeflash_engine.infra.llm.client"):
        async with client_for(codeflash_engine_llm_shared_prompt=False, **grace) as client:
            results = await client.fan_out(PROMPT, n=6, call_type="optimize", trace_id="t", deadline=Deadline.after(30))
    assert len(results) == 4
    [line] = [r.getMessage() for r in caplog.records if "stragglers" in r.getMessage()]
    assert line.startswith("2 of 6 optimize calls cut as stragglers ") and line.endswith(" s after the fan-out started")
    assert 0.3 <= float(line.split()[-6]) < 10


async def test_the_fourth_of_six_answers_starts_the_grace_not_the_third(fake_llm: FakeLLM, client_for: Any) -> None:
    """The quorum of six calls is four answers: three quick ones do not start the grace (0.3 s),
    so the fourth, a second later, is kept; the two that hang are cut."""
    answers = itertools.count()

    def three_fast_one_late_two_hung(request: FakeRequest) -> Reply:
        index = next(answers)
        latency = 0.02 if index < 3 else 1.0 if index == 3 else 25.0
        return Reply(f"answer {index}", latency=latency)

    fake_llm.add(three_fast_one_late_two_hung)
    grace = {"codeflash_engine_straggler_min_wait": 0.3, "codeflash_engine_straggler_max_wait": 0.3}
    async with client_for(codeflash_engine_llm_shared_prompt=False, **grace) as client:
        results = await fan_out(client, n=4, calls=6)
    assert sorted(r.text for r in results) == ["answer 0", "answer 1", "answer 2", "answer 3"]


async def test_an_answer_of_the_model_asked_names_no_other_model_requested(fake_llm: FakeLLM, client_for: Any) -> None:
    """``requested`` is set only when a fallback answered: the calls a fan-out's own models
    answered, alone or sharing a request, leave it None."""
    numbered(fake_llm)
    for shared in (False, True):
        async with client_for(codeflash_engine_llm_shared_prompt=shared) as client:
            results = await fan_out(client, n=2)
        assert [(r.requested, r.fell_back) for r in results] == [(None, False), (None, False)]
