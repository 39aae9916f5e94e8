"""What the provider layer makes of each provider's answers, errors and settings, through the
official SDKs against the fake server: the text and finish reason a caller receives, the tokens
billed (cache reads and writes), the model that served, which errors are retried, the request's
sampling parameters, and where requests go (Azure's API version, Bedrock's region)."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from codeflash_engine.infra.llm import (
    Completion,
    Deadline,
    LLMClient,
    LLMError,
    ModelChoice,
    ModelInfo,
    ModelTable,
    open_llm_client,
)
from codeflash_engine.infra.llm.config import (
    DEFAULT_AZURE_API_VERSION,
    ProviderSettings,
    bedrock_model_for_region,
    build_providers,
    resolve_mix,
)
from codeflash_engine.infra.recorder import MemorySink, Recorder
from codeflash_engine.plugins.types import Prompt
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import (
    ANTHROPIC_KEY,
    API_KEY,
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    FakeLLM,
    FakeRequest,
    Fault,
    Reply,
)
from codeflash_engine.testing.llm_fixtures import FAST_RETRIES

PROMPT = Prompt(system="You make Python faster.", user="def f(): return sum(range(10))")
OPENAI = ModelChoice("openai", "gpt-4.1")
AZURE = ModelChoice("azure", "gpt-4.1")
ANTHROPIC = ModelChoice("anthropic", "claude-sonnet-4-6")
BEDROCK = ModelChoice("bedrock", "us.anthropic.claude-sonnet-4-6")
CHOICES = {"openai": OPENAI, "azure": AZURE, "anthropic": ANTHROPIC, "bedrock": BEDROCK}
ALL = ",".join(f"{c.key}=1" for c in CHOICES.values())
Body = dict[str, Any]


@pytest.fixture
def client_for(fake_llm_settings: Callable[..., Settings], llm_recorder: Recorder) -> Callable[..., Any]:
    """``async with client_for(**settings) as client``: every provider at the fake server."""

    @asynccontextmanager
    async def make(
        *providers: str, models: str = ALL, table: ModelTable | None = None, **overrides: Any
    ) -> AsyncIterator[LLMClient]:
        settings = fake_llm_settings(*(providers or CHOICES), models=models, **overrides)
        async with open_llm_client(settings, llm_recorder, policy=FAST_RETRIES, table=table) as client:
            yield client

    return make


async def once(client: LLMClient, model: ModelChoice, **kw: Any) -> Completion:
    return await client.complete(
        PROMPT, model=model, call_type="optimize", trace_id="t", deadline=Deadline.after(10), fallbacks=(), **kw
    )


def rewrite_bodies(fake: FakeLLM, change: Callable[[FakeRequest, Body], None]) -> None:
    """Let ``change`` edit every answer's JSON before the fake sends it (shapes the fake does not
    write itself: refusals, several content blocks, odd usage)."""
    original = fake._body

    def body(request: FakeRequest, reply: Reply, texts: list[str] | None = None) -> Body:
        out = original(request, reply, texts)
        change(request, out)
        return out

    fake._body = body  # type: ignore[method-assign]


# --- which errors are retried -------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_408_is_a_timeout_and_is_retried(fake_llm: FakeLLM, client_for: Any, provider: str) -> None:
    fake_llm.fail(Fault.status_code(408, "request timeout"), times=1)
    async with client_for() as client:
        done = await once(client, CHOICES[provider])
    assert done.attempts == 2 and len(fake_llm.requests) == 2
    fake_llm.reset()
    fake_llm.fail(Fault.status_code(408, "request timeout"))
    async with client_for() as client:
        with pytest.raises(LLMError) as err:
            await once(client, CHOICES[provider])
    assert err.value.kind == "timeout" and err.value.status_code == 408 and err.value.attempts == 3


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_request_too_large_fails_fast(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink, provider: str
) -> None:
    """A 413 is the prompt's fault: sending it again is billed time for the same answer."""
    fake_llm.fail(Fault.status_code(413, "prompt is too long"))
    async with client_for() as client:
        with pytest.raises(LLMError) as err:
            await once(client, CHOICES[provider])
    assert (err.value.kind, err.value.status_code, err.value.attempts) == ("bad_request", 413, 1)
    assert not err.value.transient and len(fake_llm.requests) == 1
    await llm_recorder.close()
    assert [r.error_class for r in llm_sink.llm_calls] == ["bad_request"]


async def test_the_sdk_timeout_is_a_timeout_not_a_broken_connection(
    fake_llm: FakeLLM, fake_llm_settings: Callable[..., Settings]
) -> None:
    """The SDK's own timeout (the backstop under the client's) says ``timeout``, as the client's does."""
    fake_llm.fail(Fault.hang())
    settings = fake_llm_settings("openai", "anthropic", models="openai:gpt-4.1")
    ps = ProviderSettings.from_settings(settings)
    providers = build_providers(ps, {"openai", "anthropic"}, pool=4, timeout=5.0, redact=str)
    try:
        for name, choice in (("openai", OPENAI), ("anthropic", ANTHROPIC)):
            with pytest.raises(LLMError) as err:
                await providers[name].complete(
                    PROMPT, model=choice.model, max_tokens=None, temperature=None, time_limit=0.2, info=None
                )
            assert (err.value.kind, err.value.provider) == ("timeout", name) and err.value.transient
    finally:
        for provider in providers.values():
            await provider.aclose()


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_logged_traceback_of_an_error_quotes_no_key(fake_llm: FakeLLM, client_for: Any, provider: str) -> None:
    """The SDK's exception (whose text quotes the key, masked) is not chained to the error: a
    traceback of it, as ``log.exception`` would write, shows neither the key nor the provider's text."""
    fake_llm.api_key = "sk-the-right-key-is-another-one-0000"
    async with client_for() as client:
        with pytest.raises(LLMError) as err:
            await once(client, CHOICES[provider])
    assert err.value.kind == "auth" and "Incorrect API key provided" in err.value.detail
    assert err.value.__cause__ is None and err.value.__suppress_context__
    logged = "".join(traceback.format_exception(err.value))
    assert "Incorrect API key provided" not in logged
    for secret in (API_KEY, ANTHROPIC_KEY):
        assert secret[:4] + "*" not in logged and "*" + secret[-4:] not in logged


# --- the request ----------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["openai", "anthropic", "bedrock"])
@pytest.mark.parametrize("temperature", [0.0, 0.3])
async def test_the_temperature_asked_for_is_sent_zero_included(
    fake_llm: FakeLLM, client_for: Any, provider: str, temperature: float
) -> None:
    """Temperature 0 (the most deterministic answer) is a temperature, not "none given"."""
    async with client_for() as client:
        await once(client, CHOICES[provider], temperature=temperature)
    assert fake_llm.requests[0].body["temperature"] == temperature


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_no_temperature_given_sends_none(fake_llm: FakeLLM, client_for: Any, provider: str) -> None:
    async with client_for() as client:
        await once(client, CHOICES[provider])
    assert "temperature" not in fake_llm.requests[0].body


@pytest.mark.parametrize("max_tokens", [1, 512, 20_000])
async def test_anthropic_gets_the_output_limit_asked_for(fake_llm: FakeLLM, client_for: Any, max_tokens: int) -> None:
    async with client_for() as client:
        await once(client, ANTHROPIC, max_tokens=max_tokens)
    assert fake_llm.requests[0].body["max_tokens"] == max_tokens


async def test_anthropic_default_output_limit_stays_within_the_model_s(fake_llm: FakeLLM, client_for: Any) -> None:
    """Without a limit the request asks for 8192 tokens, or less when the model cannot write that
    many (the API rejects a max_tokens above the model's)."""
    small = ModelInfo("anthropic", "claude-small", context_window=200_000, max_output=4096, input=1.0, output=5.0)
    table = ModelTable([small, *ModelTable.load()])
    async with client_for(table=table) as client:
        await once(client, ModelChoice("anthropic", "claude-small"))
        await once(client, ANTHROPIC)
    assert [r.body["max_tokens"] for r in fake_llm.requests] == [4096, 8192]


async def test_one_choice_is_asked_without_n(fake_llm: FakeLLM, client_for: Any) -> None:
    """OpenAI-compatible servers may reject ``n``: a single answer is asked for without it."""
    async with client_for("openai", models="openai:qwen2.5-coder:14b", openai_api_key=None) as client:
        await once(client, ModelChoice("openai", "qwen2.5-coder:14b"))
    assert "n" not in fake_llm.requests[0].body


# --- the answer -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "reason"),
    [
        ("openai", "length"),
        ("azure", "length"),
        ("openai", "content_filter"),
        ("anthropic", "max_tokens"),
        ("bedrock", "max_tokens"),
        ("anthropic", "end_turn"),
    ],
)
async def test_the_finish_reason_reaches_the_caller(
    fake_llm: FakeLLM, client_for: Any, provider: str, reason: str
) -> None:
    """A cut-off answer must be known as one: the pipelines drop answers the token limit cut."""
    openai_word = {"max_tokens": "length", "end_turn": "stop"}.get(reason, reason)
    fake_llm.reply(Reply("def f(): return su", finish_reason=openai_word))
    async with client_for() as client:
        done = await once(client, CHOICES[provider])
    assert (done.text, done.finish_reason) == ("def f(): return su", reason)


@pytest.mark.parametrize("provider", ["openai", "anthropic", "bedrock"])
async def test_a_lone_surrogate_in_an_answer_becomes_the_replacement_character(
    fake_llm: FakeLLM, client_for: Any, provider: str
) -> None:
    """JSON's ``\\ud800`` escape gives a string UTF-8 cannot encode: left in, the answer could be
    neither sent back to the client nor recorded. A valid pair (an emoji) stays as it is."""
    fake_llm.reply("def f():\n    return '\ud800' + '\U0001f600' + 'a\udfffb'\n")
    async with client_for() as client:
        done = await once(client, CHOICES[provider])
    assert done.text == "def f():\n    return '\ufffd' + '\U0001f600' + 'a\ufffdb'\n"
    done.text.encode("utf-8")


@pytest.mark.parametrize("provider", ["openai", "azure"])
async def test_a_refusal_is_the_answer_s_text(fake_llm: FakeLLM, client_for: Any, provider: str) -> None:
    def refuse(request: FakeRequest, body: Body) -> None:
        body["choices"][0]["message"].update(content=None, refusal="I can't help with that.")

    rewrite_bodies(fake_llm, refuse)
    async with client_for() as client:
        done = await once(client, CHOICES[provider])
    assert (done.text, done.attempts) == ("I can't help with that.", 1)


async def test_an_answer_without_content_is_an_empty_answer_not_a_malformed_one(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    """A reasoning model that spent its whole limit thinking answers ``content: null``: that is an
    empty, cut-off answer (billed once), not a broken body to ask for again."""

    def no_content(request: FakeRequest, body: Body) -> None:
        body["choices"][0]["message"]["content"] = None

    rewrite_bodies(fake_llm, no_content)
    fake_llm.reply(Reply("ignored", prompt_tokens=1000, completion_tokens=4096, finish_reason="length"))
    async with client_for() as client:
        done = await once(client, OPENAI)
    assert (done.text, done.finish_reason, done.attempts) == ("", "length", 1)
    assert len(fake_llm.requests) == 1
    await llm_recorder.close()
    (record,) = llm_sink.llm_calls
    assert (record.outcome, record.tokens_in, record.tokens_out) == ("ok", 1000, 4096)


async def test_thinking_written_into_the_text_by_a_compatible_server_is_left_out(
    fake_llm: FakeLLM, client_for: Any
) -> None:
    """A reasoning model behind a server without a reasoning parser (vLLM, LM Studio) writes its
    thinking into the message: the caller gets the answer after it."""
    fake_llm.reply(Reply("<think>\nDraft:\n```python\ndef f(): return 0\n```\n</think>\n\ndef f(): return 45"))
    async with client_for("openai", models="openai:qwen3:14b", openai_api_key=None) as client:
        done = await once(client, ModelChoice("openai", "qwen3:14b"))
    assert done.text == "def f(): return 45"


@pytest.mark.parametrize("provider", ["anthropic", "bedrock"])
async def test_anthropic_text_blocks_are_joined_and_thinking_is_left_out(
    fake_llm: FakeLLM, client_for: Any, provider: str
) -> None:
    def blocks(request: FakeRequest, body: Body) -> None:
        body["content"] = [
            {"type": "thinking", "thinking": "Let me think about sum()...", "signature": "c2ln"},
            {"type": "text", "text": "def f():\n"},
            {"type": "text", "text": "    return 45\n"},
        ]

    rewrite_bodies(fake_llm, blocks)
    async with client_for() as client:
        done = await once(client, CHOICES[provider])
    assert done.text == "def f():\n    return 45\n"


async def test_openai_content_that_is_not_text_is_malformed_and_billed(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    """A message whose content is not a string (a list of parts, from some gateways) is no answer:
    the call is tried again, and the attempt's tokens stay on the bill."""
    first = iter([True])

    def parts(request: FakeRequest, body: Body) -> None:
        if next(first, False):
            body["choices"][0]["message"]["content"] = [{"type": "text", "text": "def f(): ..."}]

    rewrite_bodies(fake_llm, parts)
    fake_llm.reply(Reply("def f(): return 45", prompt_tokens=1_000, completion_tokens=100))
    async with client_for() as client:
        done = await once(client, OPENAI)
    assert (done.text, done.attempts) == ("def f(): return 45", 2)
    await llm_recorder.close()
    (record,) = llm_sink.llm_calls
    assert (record.attempts, record.tokens_in, record.tokens_out) == (2, 2_000, 200)


async def test_anthropic_content_that_is_not_a_list_is_malformed_and_billed(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    """``content`` must be a list of blocks; a lone block (or any other shape) is no answer: the
    call is tried again, and the attempt's tokens stay on the bill."""
    shapes = iter([{"type": "text", "text": "def f(): ..."}, "def f(): ..."])

    def odd_content(request: FakeRequest, body: Body) -> None:
        shape = next(shapes, None)
        if shape is not None:
            body["content"] = shape

    rewrite_bodies(fake_llm, odd_content)
    fake_llm.reply(Reply("def f(): return 45", prompt_tokens=1_000, completion_tokens=100))
    async with client_for() as client:
        done = await once(client, ANTHROPIC)
    assert (done.text, done.attempts) == ("def f(): return 45", 3)
    await llm_recorder.close()
    (record,) = llm_sink.llm_calls
    assert (record.attempts, record.tokens_in, record.tokens_out) == (3, 3_000, 300)


async def test_token_counts_sent_as_floats_are_counted(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    """Some OpenAI-compatible servers write token counts as ``1000.0``: they are still billed."""

    def floats(request: FakeRequest, body: Body) -> None:
        usage = body["usage"]
        for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
            usage[key] = float(usage[key])

    rewrite_bodies(fake_llm, floats)
    fake_llm.reply(Reply("ok", prompt_tokens=1000, completion_tokens=100))
    async with client_for() as client:
        done = await once(client, OPENAI)
    assert (done.tokens_in, done.tokens_out) == (1000, 100)
    assert done.cost_usd == pytest.approx((1000 * 2.0 + 100 * 8.0) / 1e6)


# --- usage and cost -------------------------------------------------------------------------------


async def test_openai_cache_writes_are_recorded(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    """OpenAI-compatible gateways report the tokens written to the prompt cache: they are kept
    apart from the reads, and none of them is counted twice."""
    fake_llm.reply(
        Reply("ok", prompt_tokens=10_000, completion_tokens=500, cached_tokens=2_000, cache_write_tokens=3_000)
    )
    async with client_for() as client:
        done = await once(client, OPENAI)
    assert (done.tokens_in, done.tokens_cached, done.tokens_cache_write) == (10_000, 2_000, 3_000)
    # gpt-4.1 has no cache write price: written tokens cost as input
    assert done.cost_usd == pytest.approx((8_000 * 2.0 + 2_000 * 0.5 + 500 * 8.0) / 1e6)
    await llm_recorder.close()
    (record,) = llm_sink.llm_calls
    assert (record.tokens_in, record.tokens_cached, record.tokens_cache_write) == (10_000, 2_000, 3_000)


@pytest.mark.parametrize("provider", ["anthropic", "bedrock"])
async def test_anthropic_cache_writes_alone_count_as_input(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink, provider: str
) -> None:
    """A first call writes the cache: the tokens written are input tokens, billed at the write price."""
    fake_llm.reply(Reply("ok", prompt_tokens=5_000, completion_tokens=200, cache_write_tokens=4_000))
    async with client_for() as client:
        done = await once(client, CHOICES[provider])
    assert (done.tokens_in, done.tokens_cached, done.tokens_cache_write) == (5_000, 0, 4_000)
    assert done.cost_usd == pytest.approx((1_000 * 3.0 + 4_000 * 3.75 + 200 * 15.0) / 1e6)
    await llm_recorder.close()
    (record,) = llm_sink.llm_calls
    assert (record.tokens_in, record.tokens_cached, record.tokens_cache_write) == (5_000, 0, 4_000)


@pytest.mark.parametrize(
    ("choice", "served", "price"),
    [
        (ModelChoice("azure", "prod-deployment"), "gpt-4.1-2025-04-14", (1_000 * 2.0 + 100 * 8.0) / 1e6),
        (ModelChoice("openai", "my-gateway-route"), "gpt-4.1-mini", (1_000 * 0.4 + 100 * 1.6) / 1e6),
        (ModelChoice("anthropic", "house-default"), "claude-sonnet-4-6", (1_000 * 3.0 + 100 * 15.0) / 1e6),
    ],
)
async def test_a_deployment_is_priced_as_the_model_that_served_it(
    fake_llm: FakeLLM, client_for: Any, choice: ModelChoice, served: str, price: float
) -> None:
    """An Azure deployment (or a gateway route) has a name of its own: the answer says which model
    served, and that model's price is what the call costs."""
    fake_llm.reply(Reply("ok", prompt_tokens=1_000, completion_tokens=100, model=served))
    async with client_for(models=f"{choice.key}=1") as client:
        done = await once(client, choice)
    assert (done.model, done.served_model) == (choice.model, served)
    assert done.cost_usd == pytest.approx(price) and price > 0


# --- settings -------------------------------------------------------------------------------------


async def test_azure_api_version_comes_from_the_settings(fake_llm: FakeLLM, client_for: Any) -> None:
    async with client_for("azure", models="azure:gpt-4.1", openai_api_version="2025-03-01-preview") as client:
        await once(client, AZURE)
    assert fake_llm.requests[0].query["api-version"] == "2025-03-01-preview"


async def test_azure_api_version_has_a_documented_default(fake_llm: FakeLLM, client_for: Any) -> None:
    async with client_for("azure", models="azure:gpt-4.1", openai_api_version=None) as client:
        await once(client, AZURE)
    assert fake_llm.requests[0].query["api-version"] == DEFAULT_AZURE_API_VERSION == "2024-10-21"


async def test_bedrock_signs_for_the_region_of_the_settings(fake_llm: FakeLLM, client_for: Any) -> None:
    fake_llm.aws_credentials = (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
    model = ModelChoice("bedrock", "eu.anthropic.claude-sonnet-4-6")
    async with client_for("bedrock", models=f"{model.key}=1", aws_region="eu-west-1") as client:
        done = await once(client, model)
    (request,) = fake_llm.requests
    assert "/eu-west-1/bedrock/aws4_request" in request.headers["Authorization"]
    assert request.signature_valid is True and done.provider == "bedrock"


@pytest.fixture
def no_bedrock_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ANTHROPIC_BEDROCK_BASE_URL", raising=False)
    yield


@pytest.mark.parametrize(
    ("region", "url"),
    [
        ("eu-west-1", "https://bedrock-runtime.eu-west-1.amazonaws.com"),
        (None, "https://bedrock-runtime.us-east-1.amazonaws.com"),
    ],
)
async def test_bedrock_goes_to_the_endpoint_of_its_region(no_bedrock_url: None, region: str | None, url: str) -> None:
    ps = ProviderSettings(aws_access_key="AKIAEXAMPLE", aws_secret_key="secret", aws_region=region)
    providers = build_providers(ps, {"bedrock"}, pool=1, timeout=5.0, redact=str)
    try:
        client: Any = providers["bedrock"]
        assert str(client.client.base_url).rstrip("/") == url
        assert client.client.aws_region == (region or "us-east-1")
    finally:
        await providers["bedrock"].aclose()


@pytest.mark.parametrize(
    ("model", "region", "expected"),
    [
        ("anthropic.claude-sonnet-4-6", "us-west-2", "us.anthropic.claude-sonnet-4-6"),
        ("anthropic.claude-sonnet-4-6", "eu-central-1", "eu.anthropic.claude-sonnet-4-6"),
        ("anthropic.claude-sonnet-4-6", "ap-northeast-1", "apac.anthropic.claude-sonnet-4-6"),
        ("anthropic.claude-sonnet-4-6", "sa-east-1", "global.anthropic.claude-sonnet-4-6"),
        ("anthropic.claude-sonnet-4-6", "ca-central-1", "global.anthropic.claude-sonnet-4-6"),
        ("jp.anthropic.claude-sonnet-4-6", "ap-northeast-1", "jp.anthropic.claude-sonnet-4-6"),
        ("global.anthropic.claude-sonnet-4-6", "eu-west-1", "global.anthropic.claude-sonnet-4-6"),
        ("au.anthropic.claude-sonnet-4-6", "ap-southeast-2", "au.anthropic.claude-sonnet-4-6"),
        ("us.anthropic.claude-sonnet-4-6", "eu-west-1", "us.anthropic.claude-sonnet-4-6"),
    ],
)
def test_bedrock_inference_profile_for_the_region(model: str, region: str, expected: str) -> None:
    assert bedrock_model_for_region(model, region) == expected


def test_a_blank_model_list_means_the_default_mix() -> None:
    """``CODEFLASH_ENGINE_MODELS=`` with only spaces (a template's empty line) is unset, not an error."""
    base = Settings(
        openai_api_key="k",
        openai_base_url=None,
        azure_openai_api_key=None,
        azure_openai_endpoint=None,
        anthropic_api_key=None,
        aws_access_key_id=None,
        aws_secret_access_key=None,
    )
    for blank in ("", "   ", "\t"):
        settings = base.model_copy(update={"codeflash_engine_models": blank})
        assert str(resolve_mix(settings)) == "openai:gpt-5-mini=3"


def test_openai_s_own_url_is_not_an_openai_compatible_server() -> None:
    """OPENAI_BASE_URL set to OpenAI itself (a proxy-free template) keeps the default model."""
    settings = Settings(
        openai_api_key="k",
        openai_base_url="https://api.openai.com/v1",
        azure_openai_api_key=None,
        azure_openai_endpoint=None,
        anthropic_api_key=None,
        aws_access_key_id=None,
        aws_secret_access_key=None,
        codeflash_engine_models=None,
    )
    assert not ProviderSettings.from_settings(settings).openai_compatible
    assert str(resolve_mix(settings)) == "openai:gpt-5-mini=3"
