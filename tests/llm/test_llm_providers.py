"""Each provider kind through its official SDK against the fake server: the answer, the request
as the provider sees it, usage and cost, and the call record."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from codeflash_engine.infra.llm import Deadline, ModelChoice, open_llm_client
from codeflash_engine.infra.recorder import MemorySink, Recorder
from codeflash_engine.plugins.types import Prompt
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import (
    ANTHROPIC_KEY,
    API_KEY,
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    AZURE_KEY,
    FakeLLM,
    Reply,
)
from codeflash_engine.testing.llm_fixtures import FAST_RETRIES

PROMPT = Prompt(system="You make Python faster.", user="CONTEXT " * 50 + "Optimize f.", cache_prefix_chars=400)
SettingsFactory = Callable[..., Settings]


async def complete_once(settings: Settings, recorder: Recorder, model: ModelChoice, **kw: object):  # type: ignore[no-untyped-def]
    async with open_llm_client(settings, recorder, policy=FAST_RETRIES) as client:
        return await client.complete(
            PROMPT, model=model, call_type="optimize", trace_id="trace-1", deadline=Deadline.after(10), **kw
        )


async def test_openai(
    fake_llm: FakeLLM, fake_llm_settings: SettingsFactory, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.reply(Reply("def f(): pass", prompt_tokens=1000, completion_tokens=100), model="gpt-4.1")
    settings = fake_llm_settings("openai", models="openai:gpt-4.1")
    done = await complete_once(
        settings, llm_recorder, ModelChoice("openai", "gpt-4.1"), max_tokens=512, temperature=0.7
    )
    assert (done.text, done.provider, done.model, done.tokens_in, done.tokens_out) == (
        "def f(): pass",
        "openai",
        "gpt-4.1",
        1000,
        100,
    )
    assert done.cost_usd == pytest.approx((1000 * 2.0 + 100 * 8.0) / 1e6)
    assert done.attempts == 1 and done.latency_ms > 0 and not done.fell_back

    (request,) = fake_llm.requests
    assert request.api == "openai" and request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.body["messages"] == [
        {"role": "system", "content": PROMPT.system},
        {"role": "user", "content": PROMPT.user},
    ]
    assert request.body["max_completion_tokens"] == 512 and "max_tokens" not in request.body
    assert request.body["temperature"] == 0.7

    await llm_recorder.close()
    (record,) = llm_sink.llm_calls
    assert (record.trace_id, record.call_type, record.provider, record.model_name) == (
        "trace-1",
        "optimize",
        "openai",
        "gpt-4.1",
    )
    assert (record.tokens_in, record.tokens_out, record.tokens_cached, record.outcome) == (1000, 100, 0, "ok")
    assert record.cost_usd == pytest.approx(done.cost_usd) and record.latency_ms == pytest.approx(done.latency_ms)


async def test_openai_cached_input_is_priced_as_cache_reads(
    fake_llm: FakeLLM, fake_llm_settings: SettingsFactory, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.reply(Reply("ok", prompt_tokens=10_000, completion_tokens=1_000, cached_tokens=8_000))
    done = await complete_once(
        fake_llm_settings("openai", models="openai:gpt-4.1"), llm_recorder, ModelChoice("openai", "gpt-4.1")
    )
    assert (done.tokens_in, done.tokens_cached) == (10_000, 8_000)
    assert done.cost_usd == pytest.approx((2_000 * 2.0 + 8_000 * 0.5 + 1_000 * 8.0) / 1e6)
    await llm_recorder.close()
    assert llm_sink.llm_calls[0].tokens_cached == 8_000
    assert llm_sink.llm_calls[0].cost_usd == pytest.approx(done.cost_usd)


async def test_reasoning_models_get_no_temperature(
    fake_llm: FakeLLM, fake_llm_settings: SettingsFactory, llm_recorder: Recorder
) -> None:
    await complete_once(
        fake_llm_settings("openai", models="openai:gpt-5-mini"),
        llm_recorder,
        ModelChoice("openai", "gpt-5-mini"),
        temperature=0.5,
    )
    assert "temperature" not in fake_llm.requests[0].body


async def test_azure_uses_the_deployment_url_and_api_key_header(
    fake_llm: FakeLLM, fake_llm_settings: SettingsFactory, llm_recorder: Recorder
) -> None:
    fake_llm.reply("azure answer", model="my-gpt41", api="azure")
    settings = fake_llm_settings("azure", models="azure:my-gpt41")
    done = await complete_once(settings, llm_recorder, ModelChoice("azure", "my-gpt41"))
    assert (done.text, done.provider) == ("azure answer", "azure")
    (request,) = fake_llm.requests
    assert request.path == "/openai/deployments/my-gpt41/chat/completions"
    assert request.query["api-version"] == "2024-10-21"
    assert request.headers["api-key"] == AZURE_KEY
    assert "Authorization" not in request.headers
    assert done.cost_usd == 0.0  # an unknown deployment name costs nothing (and is logged once)


async def test_openai_compatible_server_without_a_key(
    fake_llm: FakeLLM, fake_llm_settings: SettingsFactory, llm_recorder: Recorder
) -> None:
    settings = fake_llm_settings("openai", models="openai:qwen2.5-coder:14b", openai_api_key=None)
    done = await complete_once(settings, llm_recorder, ModelChoice("openai", "qwen2.5-coder:14b"), max_tokens=256)
    assert done.model == "qwen2.5-coder:14b" and done.cost_usd == 0.0
    (request,) = fake_llm.requests
    assert request.model == "qwen2.5-coder:14b"
    assert request.body["max_tokens"] == 256 and "max_completion_tokens" not in request.body


async def test_anthropic_with_prompt_caching(
    fake_llm: FakeLLM, fake_llm_settings: SettingsFactory, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.simulate_cache = True
    settings = fake_llm_settings("anthropic", models="anthropic:claude-sonnet-4-6")
    async with open_llm_client(settings, llm_recorder, policy=FAST_RETRIES) as client:
        first = await client.complete(PROMPT, call_type="optimize", trace_id="t", deadline=Deadline.after(10))
        second = await client.complete(PROMPT, call_type="optimize", trace_id="t", deadline=Deadline.after(10))
    request = fake_llm.requests[0]
    assert request.path == "/v1/messages" and request.api_key == ANTHROPIC_KEY
    assert request.body["system"] == [{"type": "text", "text": PROMPT.system, "cache_control": {"type": "ephemeral"}}]
    assert request.body["messages"][0]["content"][0] == {
        "type": "text",
        "text": PROMPT.user[:400],
        "cache_control": {"type": "ephemeral"},
    }
    assert request.body["max_tokens"] == 8192
    assert first.tokens_cache_write > 0 and first.tokens_cached == 0
    assert second.tokens_cached == first.tokens_cache_write and second.tokens_cache_write == 0
    assert first.tokens_in == second.tokens_in
    assert second.cost_usd < first.cost_usd  # reads cost 0.1x input, writes 1.25x
    await llm_recorder.close()
    assert [r.tokens_cached for r in llm_sink.llm_calls] == [0, second.tokens_cached]


async def test_anthropic_cost_from_cache_usage(
    fake_llm: FakeLLM, fake_llm_settings: SettingsFactory, llm_recorder: Recorder
) -> None:
    fake_llm.reply(
        Reply("ok", prompt_tokens=10_000, completion_tokens=1_000, cached_tokens=6_000, cache_write_tokens=3_000)
    )
    done = await complete_once(
        fake_llm_settings("anthropic", models="anthropic:claude-sonnet-4-6"),
        llm_recorder,
        ModelChoice("anthropic", "claude-sonnet-4-6"),
    )
    assert (done.tokens_in, done.tokens_cached, done.tokens_cache_write) == (10_000, 6_000, 3_000)
    assert done.cost_usd == pytest.approx((1_000 * 3 + 6_000 * 0.3 + 3_000 * 3.75 + 1_000 * 15) / 1e6)


async def test_bedrock_requests_are_signed_and_answered(
    fake_llm: FakeLLM, fake_llm_settings: SettingsFactory, llm_recorder: Recorder
) -> None:
    fake_llm.aws_credentials = (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
    model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    fake_llm.reply(Reply("bedrock answer", prompt_tokens=2_000, completion_tokens=100), model=model, api="bedrock")
    done = await complete_once(
        fake_llm_settings("bedrock", models=f"bedrock:{model}"), llm_recorder, ModelChoice("bedrock", model)
    )
    assert (done.text, done.provider, done.model) == ("bedrock answer", "bedrock", model)
    assert done.cost_usd == pytest.approx((2_000 * 3 + 100 * 15) / 1e6)
    (request,) = fake_llm.requests
    assert request.api == "bedrock" and request.path == f"/model/{model}/invoke"
    assert request.headers["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={AWS_ACCESS_KEY_ID}/")
    assert "/us-east-1/bedrock/aws4_request" in request.headers["Authorization"]
    assert request.signature_valid is True
    assert "model" not in request.body and "anthropic_version" in request.body
    assert request.cache_marks == 2


async def test_bedrock_with_a_wrong_secret_fails_fast(
    fake_llm: FakeLLM, fake_llm_settings: SettingsFactory, llm_recorder: Recorder
) -> None:
    from codeflash_engine.infra.llm import LLMError

    fake_llm.aws_credentials = (AWS_ACCESS_KEY_ID, "another-secret")
    model = "anthropic.claude-haiku-4-5-20251001-v1:0"
    with pytest.raises(LLMError) as err:
        await complete_once(
            fake_llm_settings("bedrock", models=f"bedrock:{model}"), llm_recorder, ModelChoice("bedrock", model)
        )
    assert err.value.kind == "auth" and err.value.status_code == 403 and err.value.attempts == 1
    assert fake_llm.requests[0].signature_valid is False
    assert len(fake_llm.requests) == 1
