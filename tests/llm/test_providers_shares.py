"""What the provider layer makes of odd failures and odd answers, found by the second share of the
mutation run of providers.py: a ``retry-after-ms`` that is not a number, a timeout whose cause is a
broken connection linked only one way, the log line of an unexpected failure, and an answer whose
``choices`` is not a list. Through the official SDKs against the fake server where an answer is
involved, and through :func:`classify` for exceptions the fake cannot make the SDKs raise."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import httpx2
import openai
import pytest
import pytest_asyncio

from codeflash_engine.infra.llm import LLMError
from codeflash_engine.infra.llm.config import ProviderSettings, build_providers
from codeflash_engine.infra.llm.models import Usage
from codeflash_engine.infra.llm.providers import Provider, ProviderAnswer, classify
from codeflash_engine.plugins.types import Prompt
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import FakeLLM, FakeRequest, Fault, Reply

PROMPT = Prompt(system="You make Python faster.", user="def f(): return sum(range(10))")
REQUEST = httpx2.Request("POST", "http://llm.invalid/v1/chat/completions")
Body = dict[str, Any]


@pytest_asyncio.fixture
async def openai_provider(fake_llm_settings: Callable[..., Settings]) -> AsyncIterator[Provider]:
    """The OpenAI provider at the fake server, as the client builds it (SDK retries off)."""
    settings = fake_llm_settings("openai")
    built = build_providers(ProviderSettings.from_settings(settings), {"openai"}, pool=2, timeout=5.0, redact=str)
    yield built["openai"]
    for provider in built.values():
        await provider.aclose()


async def attempt(provider: Provider) -> ProviderAnswer:
    """One attempt of ``provider`` at the model gpt-4.1, with no limits of its own."""
    return await provider.complete(
        PROMPT, model="gpt-4.1", max_tokens=None, temperature=None, time_limit=5.0, info=None
    )


def rewrite_bodies(fake: FakeLLM, change: Callable[[Body], None]) -> None:
    """Let ``change`` edit every answer's JSON before the fake sends it."""
    original = fake._body

    def body(request: FakeRequest, reply: Reply, texts: list[str] | None = None) -> Body:
        out = original(request, reply, texts)
        change(out)
        return out

    fake._body = body  # type: ignore[method-assign]


# --- what a failure becomes -----------------------------------------------------------------------


async def test_a_retry_after_ms_that_is_not_a_number_gives_way_to_retry_after(
    fake_llm: FakeLLM, openai_provider: Provider
) -> None:
    """A gateway that writes ``retry-after-ms`` wrongly: the wait comes from ``Retry-After``, and
    the rate limit is still a classified error the client retries."""
    fake_llm.fail(Fault.status_code(429, "slow down", headers={"retry-after-ms": "soon", "Retry-After": "4"}))
    with pytest.raises(LLMError) as err:
        await attempt(openai_provider)
    assert (err.value.kind, err.value.retry_after) == ("rate_limited", 4.0)


@pytest.mark.parametrize("link", ["__cause__", "__context__"], ids=["explicit", "implicit"])
def test_a_timeout_caused_by_a_broken_connection_is_a_connection_failure(link: str) -> None:
    """The transport reports a server that hung up as a timeout: whether the disconnect is
    chained with ``from`` only or only implicitly, the call is a broken connection."""
    timeout = openai.APITimeoutError(request=REQUEST)
    setattr(timeout, link, aiohttp.ServerDisconnectedError())
    err = classify(timeout, provider="openai", model="m", redact=str)
    assert (err.kind, err.detail) == ("connection", "openai:m: connection failed: ServerDisconnectedError")


def test_an_unexpected_failure_is_logged_with_its_redacted_text_cut_to_500_characters(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The operator's log line of an exception no rule knows carries its text, redacted, and at
    most its first 500 characters (the text may quote a whole prompt)."""
    text = "key sk-SECRET " + "y" * 600
    with caplog.at_level(logging.WARNING, logger="codeflash_engine.infra.llm.providers"):
        classify(RuntimeError(text), provider="openai", model="m", redact=lambda s: s.replace("sk-SECRET", "***"))
    [record] = [r for r in caplog.records if r.getMessage() == "unexpected error from openai:m: RuntimeError"]
    assert record.__dict__["detail"] == text.replace("sk-SECRET", "***")[:500]


# --- the answer -----------------------------------------------------------------------------------


@pytest.mark.parametrize("choices", [None, 7], ids=["null", "number"])
async def test_choices_that_are_not_a_list_are_malformed_and_billed(
    fake_llm: FakeLLM, openai_provider: Provider, choices: object
) -> None:
    """A server that answers ``"choices": null`` gave no answer: a malformed body (the client asks
    again) whose usage is still billed, not an exception the client does not know."""
    fake_llm.reply(Reply("unused", prompt_tokens=120, completion_tokens=9))
    rewrite_bodies(fake_llm, lambda body: body.update(choices=choices))
    with pytest.raises(LLMError) as err:
        await attempt(openai_provider)
    assert (err.value.kind, str(err.value)) == ("malformed", "openai:gpt-4.1 answered a body without choices")
    assert err.value.billed == Usage(input_tokens=120, output_tokens=9)
