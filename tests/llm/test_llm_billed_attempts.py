"""Accounting that matches the provider's bill: an attempt whose 200 answer could not be used
was still billed, so its tokens and cost go on the call's record (issue 17)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from codeflash_engine.infra.llm import Deadline, LLMError, ModelChoice, Usage, open_llm_client
from codeflash_engine.infra.llm.models import ModelTable
from codeflash_engine.infra.recorder import MemorySink, Recorder
from codeflash_engine.plugins.types import Prompt
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import FakeLLM, Fault, Reply
from codeflash_engine.testing.llm_fixtures import FAST_RETRIES

PROMPT = Prompt(system="system", user="optimize this")
MODELS = {"openai": ModelChoice("openai", "gpt-4.1"), "anthropic": ModelChoice("anthropic", "claude-sonnet-4-6")}
REPLY = Reply(text="fast code", prompt_tokens=1000, completion_tokens=200)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_an_unusable_answer_that_was_retried_adds_its_bill_to_the_call(
    fake_llm: FakeLLM,
    fake_llm_settings: Callable[..., Settings],
    llm_recorder: Recorder,
    llm_sink: MemorySink,
    provider: str,
) -> None:
    fake_llm.default = REPLY
    fake_llm.fail(Fault.unusable(), times=1)
    choice = MODELS[provider]
    settings = fake_llm_settings(provider, models=f"{choice.key}=1")
    async with open_llm_client(settings, llm_recorder, policy=FAST_RETRIES) as client:
        done = await client.complete(
            PROMPT, model=choice, call_type="optimize", trace_id="t", deadline=Deadline.after(10), fallbacks=()
        )
    assert done.text == "fast code" and done.attempts == 2
    # the answer's own usage is the good attempt's; the record is the bill of both
    assert (done.tokens_in, done.tokens_out) == (1000, 200)
    await llm_recorder.close()
    (record,) = llm_sink.llm_calls
    one = ModelTable.load().cost(choice.provider, choice.model, Usage(input_tokens=1000, output_tokens=200))
    assert one > 0
    assert (record.outcome, record.attempts, record.tokens_in, record.tokens_out) == ("ok", 2, 2000, 400)
    assert record.cost_usd == pytest.approx(2 * one)


async def test_a_call_whose_every_answer_was_unusable_records_what_was_billed(
    fake_llm: FakeLLM, fake_llm_settings: Callable[..., Settings], llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.default = REPLY
    fake_llm.fail(Fault.unusable())
    choice = MODELS["openai"]
    settings = fake_llm_settings("openai", models=f"{choice.key}=1")
    async with open_llm_client(settings, llm_recorder, policy=FAST_RETRIES) as client:
        with pytest.raises(LLMError) as err:
            await client.complete(
                PROMPT, model=choice, call_type="optimize", trace_id="t", deadline=Deadline.after(10), fallbacks=()
            )
    assert err.value.kind == "malformed" and err.value.attempts == 3
    await llm_recorder.close()
    (record,) = llm_sink.llm_calls
    one = ModelTable.load().cost("openai", "gpt-4.1", Usage(input_tokens=1000, output_tokens=200))
    assert (record.outcome, record.error_class, record.attempts) == ("error", "malformed", 3)
    assert (record.tokens_in, record.tokens_out) == (3000, 600)
    assert record.cost_usd == pytest.approx(3 * one)


async def test_a_failure_without_an_answer_bills_nothing(
    fake_llm: FakeLLM, fake_llm_settings: Callable[..., Settings], llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.default = REPLY
    fake_llm.fail(Fault.server_error(), times=1)
    fake_llm.fail(Fault.not_json(), times=1)
    choice = MODELS["openai"]
    settings = fake_llm_settings("openai", models=f"{choice.key}=1")
    async with open_llm_client(settings, llm_recorder, policy=FAST_RETRIES) as client:
        await client.complete(
            PROMPT, model=choice, call_type="optimize", trace_id="t", deadline=Deadline.after(10), fallbacks=()
        )
    await llm_recorder.close()
    (record,) = llm_sink.llm_calls
    assert (record.attempts, record.tokens_in, record.tokens_out) == (3, 1000, 200)
