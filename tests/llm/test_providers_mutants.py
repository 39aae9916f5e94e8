"""One provider attempt, through the official SDKs against the fake server (no client, no
retries): the request body each provider sends, what an odd answer body becomes (usage, model,
finish reason, choices), and what a failure becomes (kind, the provider's words in the detail,
Retry-After, the root cause of a broken connection). Found by the mutation run of providers.py."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import httpx2
import openai
import pytest
import pytest_asyncio
from aiohttp import web

from codeflash_engine.infra.llm import LLMError, ModelInfo
from codeflash_engine.infra.llm.config import ProviderSettings, build_providers
from codeflash_engine.infra.llm.errors import ErrorKind
from codeflash_engine.infra.llm.models import Usage
from codeflash_engine.infra.llm.providers import (
    DEFAULT_ANTHROPIC_MAX_TOKENS,
    OpenAIProvider,
    Provider,
    ProviderAnswer,
    anthropic_user_content,
    classify,
    parse_retry_after,
)
from codeflash_engine.plugins.types import Prompt
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import FakeLLM, FakeRequest, Fault, Reply

PROMPT = Prompt(system="You make Python faster.", user="def f(): return sum(range(10))")
MODELS = {
    "openai": "gpt-4.1",
    "azure": "gpt-4.1",
    "anthropic": "claude-sonnet-4-6",
    "bedrock": "us.anthropic.claude-sonnet-4-6",
}
Body = dict[str, Any]
Providers = dict[str, Provider]


@pytest_asyncio.fixture
async def providers(fake_llm_settings: Callable[..., Settings]) -> AsyncIterator[Providers]:
    """Every provider kind at the fake server, as the client builds them (SDK retries off)."""
    settings = fake_llm_settings(*MODELS)
    built = build_providers(ProviderSettings.from_settings(settings), set(MODELS), pool=2, timeout=5.0, redact=str)
    yield dict(built)
    for provider in built.values():
        await provider.aclose()


async def attempt(
    providers: Providers,
    name: str,
    *,
    prompt: Prompt = PROMPT,
    model: str | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    info: ModelInfo | None = None,
) -> ProviderAnswer:
    return await providers[name].complete(
        prompt,
        model=model or MODELS[name],
        max_tokens=max_tokens,
        temperature=temperature,
        time_limit=5.0,
        info=info,
    )


async def failure(providers: Providers, name: str) -> LLMError:
    with pytest.raises(LLMError) as err:
        await attempt(providers, name)
    return err.value


def rewrite_bodies(fake: FakeLLM, change: Callable[[FakeRequest, Body], None]) -> None:
    """Let ``change`` edit every answer's JSON before the fake sends it."""
    original = fake._body

    def body(request: FakeRequest, reply: Reply, texts: list[str] | None = None) -> Body:
        out = original(request, reply, texts)
        change(request, out)
        return out

    fake._body = body  # type: ignore[method-assign]


def rewrite_errors(fake: FakeLLM, body: Body) -> None:
    """Every error the fake sends has ``body`` as its JSON (the shapes of gateways in front of a
    provider, which the fake does not write itself)."""

    def error_response(api: str, status: int, message: str, headers: Any = None) -> web.Response:
        return web.json_response(body, status=status, headers=dict(headers or {}))

    fake._error_response = error_response  # type: ignore[method-assign]


# --- what a failure becomes -----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MODELS))
async def test_the_detail_of_an_error_is_the_provider_s_own_message(
    fake_llm: FakeLLM, providers: Providers, name: str
) -> None:
    """The log must say what the provider said (OpenAI's and Anthropic's ``error.message``,
    Bedrock's top-level ``message``), not the SDK's wrapper text with the JSON quoted in it."""
    message = "The model `gpt-9` does not exist or you do not have access to it."
    fake_llm.fail(Fault.bad_request(message))
    err = await failure(providers, name)
    assert (err.kind, err.status_code, err.provider, err.model) == ("bad_request", 400, name, MODELS[name])
    assert err.detail == f"{err}: {message}"
    assert message not in str(err)  # the client is told the kind, not the provider's words


async def test_a_long_provider_message_is_cut_to_500_characters(fake_llm: FakeLLM, providers: Providers) -> None:
    """A provider's message can quote the whole prompt: the logged detail keeps its first 500 characters."""
    fake_llm.fail(Fault.bad_request("a" * 500 + "b" * 300))
    err = await failure(providers, "openai")
    assert err.detail == f"{err}: " + "a" * 500


@pytest.mark.parametrize(
    ("name", "said"),
    [("openai", "Bad Gateway"), ("anthropic", "upstream timed out"), ("bedrock", "upstream timed out")],
)
async def test_a_gateway_s_message_beside_a_string_error_is_the_detail(
    fake_llm: FakeLLM, providers: Providers, name: str, said: str
) -> None:
    """A gateway that answers ``{"error": "Bad Gateway", "message": ...}``: the log says its words
    (the OpenAI SDK hands over the ``error`` string, the Anthropic SDKs the whole body, whose
    ``message`` is read); a body with no message at all still gives a classified error."""
    rewrite_errors(fake_llm, {"error": "Bad Gateway", "message": "upstream timed out"})
    fake_llm.fail(Fault.server_error(502))
    err = await failure(providers, name)
    assert (err.kind, err.detail) == ("server_error", f"{err}: {said}")
    rewrite_errors(fake_llm, {"error": {"code": 17}})
    err = await failure(providers, name)
    assert (err.kind, err.status_code, str(err)) == (
        "server_error",
        502,
        f"{name}:{MODELS[name]} answered HTTP 502 (server_error)",
    )


@pytest.mark.parametrize("name", ["openai", "anthropic"])
async def test_a_proxy_s_error_page_is_a_server_error_whose_detail_is_the_page(
    fake_llm: FakeLLM, providers: Providers, name: str
) -> None:
    """A gateway's HTML 502 page has no JSON error: its text is the detail, and it is retried."""
    fake_llm.fail(Fault("not_json", status=502))
    err = await failure(providers, name)
    assert (err.kind, err.status_code, err.transient) == ("server_error", 502, True)
    assert err.detail == f"{err}: <html><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.mark.parametrize("name", list(MODELS))
async def test_a_broken_connection_names_its_root_cause(fake_llm: FakeLLM, providers: Providers, name: str) -> None:
    """A connection cut before the answer is a ``connection`` error whose detail names the
    innermost cause (what an operator looks for), not the SDK's wrapper."""
    fake_llm.fail(Fault.cut())
    err = await failure(providers, name)
    assert (err.kind, err.status_code, err.transient) == ("connection", None, True)
    assert err.detail == f"{err}: ServerDisconnectedError"


@pytest.mark.parametrize("name", ["openai", "bedrock"])
@pytest.mark.parametrize(
    ("headers", "seconds"),
    [({"Retry-After": "7"}, 7.0), ({"retry-after-ms": "1500", "Retry-After": "9"}, 1.5), ({}, None)],
    ids=["seconds", "milliseconds-first", "none"],
)
async def test_the_retry_after_of_a_rate_limit_reaches_the_caller(
    fake_llm: FakeLLM, providers: Providers, name: str, headers: dict[str, str], seconds: float | None
) -> None:
    """The client waits what the provider asks before trying again (``retry-after-ms`` wins)."""
    fake_llm.fail(Fault.status_code(429, "slow down", headers=headers))
    err = await failure(providers, name)
    assert (err.kind, err.retry_after) == ("rate_limited", seconds)


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after-ms": "-500"},
        {"retry-after": "-3"},
        {"retry-after": email.utils.formatdate(time.time() - 3600, usegmt=True)},
    ],
    ids=["negative-ms", "negative-seconds", "a-date-past"],
)
def test_a_retry_after_in_the_past_is_no_wait(headers: dict[str, str]) -> None:
    """A negative delay or a date already past means "now": never a negative wait."""
    assert parse_retry_after(headers) == 0.0


def test_an_unexpected_exception_is_unknown_with_its_type_and_a_redacted_cut_text() -> None:
    """An exception no rule knows fails fast as ``unknown``; its text is redacted and cut to 300
    characters, and it names the exception's type."""
    err = classify(
        RuntimeError("key sk-SECRET " + "z" * 400),
        provider="openai",
        model="gpt-4.1",
        redact=lambda s: s.replace("sk-SECRET", "***"),
    )
    assert (err.kind, err.provider, err.model, err.transient) == ("unknown", "openai", "gpt-4.1", False)
    assert str(err) == "openai:gpt-4.1 failed (unknown)"
    assert err.detail == f"{err}: RuntimeError: " + ("key *** " + "z" * 400)[:300]


@pytest.mark.parametrize(
    ("exc", "kind", "message"),
    [
        (TimeoutError(), "timeout", "anthropic:m timed out"),
        (ConnectionResetError("reset"), "connection", "anthropic:m: connection failed (ConnectionResetError)"),
        (aiohttp.ServerDisconnectedError(), "connection", "anthropic:m: connection failed (ServerDisconnectedError)"),
        (json.JSONDecodeError("x", "{", 1), "malformed", "anthropic:m answered malformed JSON"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), "malformed", "anthropic:m answered malformed JSON"),
    ],
    ids=["timeout", "reset", "disconnected", "json", "unicode"],
)
def test_failures_outside_the_sdk_are_classified_by_what_happened(exc: Exception, kind: str, message: str) -> None:
    """Failures raised under the SDK (the transport, the JSON decoding) are retried as timeouts,
    broken connections or malformed bodies, not failed fast as unknown."""
    err = classify(exc, provider="anthropic", model="m", redact=str)
    assert (err.kind, str(err), err.transient) == (kind, message, True)


def test_the_root_cause_is_found_through_explicit_and_implicit_links() -> None:
    """A cause chained with ``from`` or only implicitly (raised while handling another): the detail
    names the innermost one either way."""
    root = ConnectionResetError("peer reset")
    middle = OSError("read failed")
    middle.__context__ = root  # implicit: raised while handling the reset
    top = openai.APIConnectionError(request=httpx2.Request("POST", "http://llm.invalid/v1/chat/completions"))
    top.__cause__ = middle  # explicit: raise ... from middle
    err = classify(top, provider="openai", model="m", redact=str)
    assert (err.kind, err.detail) == ("connection", "openai:m: connection failed: ConnectionResetError")


def test_an_llm_error_is_classified_as_itself() -> None:
    """An error already classified keeps its kind and words."""
    original = LLMError("given up", kind=ErrorKind.DEADLINE, provider="openai", model="m")
    assert classify(original, provider="anthropic", model="other", redact=str) is original


# --- the request ----------------------------------------------------------------------------------


async def test_a_prompt_without_a_system_part_sends_only_the_user_message(
    fake_llm: FakeLLM, providers: Providers
) -> None:
    """No empty system message (some compatible servers reject one), no ``system`` field."""
    bare = Prompt(system="", user="Optimize f.")
    await attempt(providers, "openai", prompt=bare)
    await attempt(providers, "anthropic", prompt=bare)
    openai_body, anthropic_body = (r.body for r in fake_llm.requests)
    assert openai_body["messages"] == [{"role": "user", "content": "Optimize f."}]
    assert "system" not in anthropic_body and anthropic_body["messages"] == [{"role": "user", "content": "Optimize f."}]


@pytest.mark.parametrize("name", ["openai", "anthropic"])
async def test_a_model_outside_the_table_gets_the_temperature_asked(
    fake_llm: FakeLLM, providers: Providers, name: str
) -> None:
    """Only the table can say a model refuses a temperature: any other model gets the one asked."""
    await attempt(providers, name, model="house-model", temperature=0.3)
    await attempt(providers, name, model="house-model")
    assert fake_llm.requests[0].body["temperature"] == 0.3
    assert "temperature" not in fake_llm.requests[1].body


async def test_an_anthropic_model_outside_the_table_gets_the_default_output_limit(
    fake_llm: FakeLLM, providers: Providers
) -> None:
    """The Messages API requires max_tokens: a model the table does not know gets the default."""
    await attempt(providers, "anthropic", model="house-model")
    await attempt(providers, "anthropic", model="house-model", max_tokens=300)
    assert [r.body["max_tokens"] for r in fake_llm.requests] == [DEFAULT_ANTHROPIC_MAX_TOKENS, 300] == [8192, 300]


def test_a_negative_cache_prefix_marks_nothing_for_caching() -> None:
    """A prefix length below zero is no prefix: the user message goes as plain text, whole."""
    assert anthropic_user_content(Prompt(system="s", user="abc", cache_prefix_chars=-5)) == "abc"


# --- the answer -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MODELS))
async def test_an_answer_without_usage_bills_nothing(fake_llm: FakeLLM, providers: Providers, name: str) -> None:
    """A compatible server that reports no usage: zero tokens, not invented ones."""
    rewrite_bodies(fake_llm, lambda request, body: body.pop("usage"))
    done = await attempt(providers, name)
    assert done.text == Reply().text and done.usage == Usage(0, 0, 0, 0)


@pytest.mark.parametrize("name", ["openai", "anthropic"])
async def test_token_counts_that_are_not_numbers_count_as_zero(
    fake_llm: FakeLLM, providers: Providers, name: str
) -> None:
    """A count sent as ``true``, a string or null is no count: zero, while the numbers beside it count."""

    def odd(request: FakeRequest, body: Body) -> None:
        if "choices" in body:
            body["usage"] = {"prompt_tokens": True, "completion_tokens": 40, "prompt_tokens_details": None}
        else:
            body["usage"] = {"input_tokens": "1000", "output_tokens": 40, "cache_read_input_tokens": False}

    rewrite_bodies(fake_llm, odd)
    done = await attempt(providers, name)
    assert done.usage == Usage(input_tokens=0, output_tokens=40)


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("served", ["", None, 7], ids=["empty", "null", "number"])
async def test_an_answer_that_names_no_model_is_the_requested_model_s(
    fake_llm: FakeLLM, providers: Providers, name: str, served: object
) -> None:
    """The served model prices the call: an empty or odd one falls back to the model asked for."""
    rewrite_bodies(fake_llm, lambda request, body: body.update(model=served))
    done = await attempt(providers, name)
    assert done.served_model == MODELS[name]


@pytest.mark.parametrize("name", list(MODELS))
async def test_a_finish_reason_that_is_not_text_is_none(fake_llm: FakeLLM, providers: Providers, name: str) -> None:
    """Only a word can say an answer was cut: anything else is no finish reason."""

    def odd(request: FakeRequest, body: Body) -> None:
        if "choices" in body:
            body["choices"][0]["finish_reason"] = 1
        else:
            body["stop_reason"] = ["max_tokens"]

    rewrite_bodies(fake_llm, odd)
    done = await attempt(providers, name)
    assert (done.text, done.finish_reason) == (Reply().text, None)


async def test_choices_beyond_the_number_asked_and_unusable_ones_are_left_out(
    fake_llm: FakeLLM, providers: Providers
) -> None:
    """A server that answers more choices than ``n`` gives ``n`` at most; a choice that is not an
    object is skipped where it stands (the caller asks again for the missing one)."""
    provider = providers["openai"]
    assert isinstance(provider, OpenAIProvider)
    fake_llm.reply(Reply("first", prompt_tokens=100, completion_tokens=30))

    def extra(request: FakeRequest, body: Body) -> None:
        good = body["choices"][0]
        body["choices"] = [dict(good, index=i, message=dict(good["message"], content=f"c{i}")) for i in range(3)]

    rewrite_bodies(fake_llm, extra)
    kw: dict[str, Any] = {"model": "gpt-4.1", "max_tokens": None, "temperature": None, "time_limit": 5.0, "info": None}
    answers = await provider.complete_choices(PROMPT, n=2, **kw)
    assert [a.text for a in answers] == ["c0", "c1"]
    assert {a.usage for a in answers} == {Usage(input_tokens=100, output_tokens=30)}

    rewrite_bodies(fake_llm, lambda request, body: body.update(choices=["junk", *body["choices"]]))
    answers = await provider.complete_choices(PROMPT, n=2, **kw)
    assert [a.text for a in answers] == ["c0"]
