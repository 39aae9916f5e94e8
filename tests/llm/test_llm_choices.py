"""A prompt billed once for n choices (issue 19): candidates assigned to a model the table marks
``choices`` share one request (OpenAI's ``n``) when CODEFLASH_ENGINE_LLM_SHARED_PROMPT is on;
retries and fallbacks keep working per choice. Through the real SDK against the fake server."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from codeflash_engine.infra.llm import Completion, Deadline, LLMClient, LLMError, open_llm_client
from codeflash_engine.infra.llm.errors import ErrorKind
from codeflash_engine.infra.recorder import MemorySink, Recorder
from codeflash_engine.plugins.types import Prompt
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import FakeLLM, FakeRequest, Fault, Reply
from codeflash_engine.testing.llm_fixtures import FAST_RETRIES

PROMPT = Prompt(system="You optimize code. " * 40, user="def f(): return sum(range(10))")


@pytest.fixture
def client_for(fake_llm_settings: Callable[..., Settings], llm_recorder: Recorder) -> Callable[..., Any]:
    @asynccontextmanager
    async def make(models: str = "openai:gpt-4.1=1", **overrides: Any) -> AsyncIterator[LLMClient]:
        overrides.setdefault("codeflash_engine_llm_shared_prompt", True)
        settings = fake_llm_settings("openai", "anthropic", models=models, **overrides)
        async with open_llm_client(settings, llm_recorder, policy=FAST_RETRIES) as client:
            yield client

    return make


def numbered(fake: FakeLLM) -> None:
    """Every answer (every choice) a different text."""
    counter = itertools.count()
    fake.add(lambda request: Reply(f"{request.api} answer {next(counter)}"))


async def fan_out(client: LLMClient, n: int = 6) -> list[Completion]:
    results = await client.fan_out(PROMPT, n=n, call_type="optimize", trace_id="t", deadline=Deadline.after(30))
    assert all(isinstance(r, Completion) for r in results), results
    return [r for r in results if isinstance(r, Completion)]


async def calls(recorder: Recorder, sink: MemorySink) -> list[Any]:
    await recorder.close()
    return list(sink.llm_calls)


async def test_candidates_of_one_model_share_one_request_and_its_prompt(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    numbered(fake_llm)
    async with client_for() as client:
        results = await fan_out(client)
    assert len(fake_llm.requests) == 1 and fake_llm.requests[0].body["n"] == 6
    assert len({r.text for r in results}) == 6
    [record] = await calls(llm_recorder, llm_sink)
    prompt_tokens = len(PROMPT.system + "\n" + PROMPT.user) // 4
    assert record.tokens_in == prompt_tokens  # billed once, not six times
    assert sum(r.tokens_in for r in results) == record.tokens_in
    assert sum(r.tokens_out for r in results) == record.tokens_out
    assert sum(r.cost_usd for r in results) == pytest.approx(record.cost_usd)


async def test_a_failed_batch_is_retried_as_one_request(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.fail(Fault.server_error(), times=1)
    numbered(fake_llm)
    async with client_for() as client:
        results = await fan_out(client)
    assert [r.body.get("n") for r in fake_llm.requests] == [6, 6]
    assert len({r.text for r in results}) == 6 and all(r.attempts == 2 for r in results)
    assert [(r.outcome, r.attempts) for r in await calls(llm_recorder, llm_sink)] == [("ok", 2)]


async def test_a_batch_that_keeps_failing_falls_back_choice_by_choice(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.fail(Fault.bad_request("n is not supported"), api="openai")
    numbered(fake_llm)
    async with client_for(models="openai:gpt-4.1=1,anthropic:claude-sonnet-4-6=1") as client:
        results = await fan_out(client)
    openai = fake_llm.requests_for(api="openai")
    assert [r.body.get("n") for r in openai] == [3]  # the three openai candidates in one request
    assert len(fake_llm.requests_for(api="anthropic")) == 6  # its three, and the three fallen back
    assert [r.provider for r in results] == ["anthropic"] * 6
    assert sum(r.fell_back for r in results) == 3
    outcomes = sorted(r.outcome for r in await calls(llm_recorder, llm_sink))
    assert outcomes == ["error"] + ["ok"] * 6


async def test_fewer_choices_than_asked_are_completed_one_by_one(fake_llm: FakeLLM, client_for: Any) -> None:
    numbered(fake_llm)
    original = fake_llm._body

    def two_choices(request: FakeRequest, reply: Reply, texts: list[str] | None = None) -> dict[str, Any]:
        body = original(request, reply, texts)
        body["choices"] = body["choices"][:2]
        return body

    fake_llm._body = two_choices  # type: ignore[method-assign]
    async with client_for() as client:
        results = await fan_out(client, n=4)
    assert [r.body.get("n") for r in fake_llm.requests] == [4, None, None]
    assert len({r.text for r in results}) == 4


@pytest.mark.parametrize("bad", [0, 2])
async def test_an_unusable_choice_is_asked_again_alone_and_the_others_are_kept(
    fake_llm: FakeLLM, client_for: Any, bad: int
) -> None:
    """A choice whose content is no text (a list of parts, from some gateways), first or not, costs
    only itself: the batch's other choices are used, and that one is asked for again alone."""
    numbered(fake_llm)
    original = fake_llm._body

    def one_bad(request: FakeRequest, reply: Reply, texts: list[str] | None = None) -> dict[str, Any]:
        body = original(request, reply, texts)
        if request.body.get("n"):
            body["choices"][bad]["message"]["content"] = [{"type": "text", "text": "def f(): ..."}]
        return body

    fake_llm._body = one_bad  # type: ignore[method-assign]
    async with client_for() as client:
        results = await fan_out(client, n=4)
    assert [r.body.get("n") for r in fake_llm.requests] == [4, None]
    assert len({r.text for r in results}) == 4
    assert all(r.attempts == 1 for r in results)


async def test_a_batch_with_no_usable_choice_is_malformed_and_retried_as_one(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    numbered(fake_llm)
    original = fake_llm._body
    first = iter([True])

    def none_usable(request: FakeRequest, reply: Reply, texts: list[str] | None = None) -> dict[str, Any]:
        body = original(request, reply, texts)
        if next(first, False):
            for choice in body["choices"]:
                choice["message"]["content"] = {"text": "not a string"}
        return body

    fake_llm._body = none_usable  # type: ignore[method-assign]
    async with client_for() as client:
        results = await fan_out(client, n=3)
    assert [r.body.get("n") for r in fake_llm.requests] == [3, 3]
    assert len({r.text for r in results}) == 3 and all(r.attempts == 2 for r in results)
    assert [(r.outcome, r.attempts) for r in await calls(llm_recorder, llm_sink)] == [("ok", 2)]


@pytest.mark.parametrize(
    ("models", "overrides"),
    [
        ("openai:gpt-4.1=1", {"codeflash_engine_llm_shared_prompt": False}),  # off (the default)
        ("openai:gpt-5-mini=1", {}),  # a model the table does not mark
    ],
)
async def test_one_request_per_candidate_otherwise(
    fake_llm: FakeLLM, client_for: Any, models: str, overrides: dict[str, Any]
) -> None:
    numbered(fake_llm)
    async with client_for(models=models, **overrides) as client:
        results = await fan_out(client)
    assert len(fake_llm.requests) == 6 and all("n" not in r.body for r in fake_llm.requests)
    assert len({r.text for r in results}) == 6


def test_the_default_is_one_request_per_candidate() -> None:
    assert Settings().codeflash_engine_llm_shared_prompt is False


async def test_one_prompt_per_call_sends_each_its_own_and_shares_only_equal_ones(
    fake_llm: FakeLLM, client_for: Any
) -> None:
    """Issue 22: the calls of a fan-out may differ (a strategy line each): each goes with its own
    prompt; calls whose prompts are equal still share one request."""
    numbered(fake_llm)
    prompts = [PROMPT, PROMPT, *(Prompt(system=PROMPT.system, user=f"{PROMPT.user}\n\nStrategy {i}") for i in range(4))]
    async with client_for() as client:
        results = await client.fan_out(prompts, n=6, call_type="optimize", trace_id="t", deadline=Deadline.after(30))
    assert all(isinstance(r, Completion) for r in results)
    users = sorted(r.user for r in fake_llm.requests)
    assert len(fake_llm.requests) == 5  # the two equal prompts in one request (n=2), four alone
    assert users.count(PROMPT.user) == 1 and all(f"Strategy {i}" in "".join(users) for i in range(4))
    with pytest.raises(ValueError):
        async with client_for() as client:
            await client.fan_out(prompts[:2], n=6, call_type="optimize", trace_id="t", deadline=Deadline.after(30))


async def test_a_failed_batch_without_fallbacks_ends_each_choice_with_the_error(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.fail(Fault.bad_request("n is not supported"))
    async with client_for() as client:  # one model: nothing to fall back on
        results = await client.fan_out(PROMPT, n=4, call_type="optimize", trace_id="t", deadline=Deadline.after(30))
    assert len(results) == 4 and all(isinstance(r, LLMError) and r.kind is ErrorKind.BAD_REQUEST for r in results)
    assert [r.body.get("n") for r in fake_llm.requests] == [4]  # a 400 is not retried, and no one is left
    assert [r.outcome for r in await calls(llm_recorder, llm_sink)] == ["error"]


async def test_a_lone_candidate_goes_alone_and_so_routes_around_a_cooling_model(
    fake_llm: FakeLLM, client_for: Any
) -> None:
    """A model with one candidate has nothing to share: its call is an ordinary one, which tries a
    cooling model last (a shared request goes to its model first)."""
    numbered(fake_llm)
    async with client_for(models="openai:gpt-4.1=1,anthropic:claude-sonnet-4-6=1") as client:
        for _ in range(client.health.allowed_fails):
            client.health.failed("openai:gpt-4.1", LLMError("down", kind=ErrorKind.SERVER_ERROR))
        assert client.health.cooling("openai:gpt-4.1")
        results = await fan_out(client, n=2)
    assert [r.provider for r in results] == ["anthropic", "anthropic"]
    assert fake_llm.requests_for(api="openai") == []
