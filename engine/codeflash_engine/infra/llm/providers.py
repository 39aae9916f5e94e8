"""Providers: one chat call over an official SDK, answered as text plus usage, or an LLMError.

- :class:`OpenAIProvider` drives ``openai.AsyncOpenAI`` (OpenAI, and any OpenAI-compatible server
  through its base URL) and ``openai.AsyncAzureOpenAI`` (Azure OpenAI: the model is the
  deployment name).
- :class:`AnthropicProvider` drives ``anthropic.AsyncAnthropic`` and
  ``anthropic.AsyncAnthropicBedrock`` (Anthropic on Bedrock), with prompt caching marks on the
  system prompt and the stable prefix of the user message.

Both send plain JSON through the SDK client's generic ``post`` and read plain JSON back (see
:class:`OpenAIProvider` for why).

SDK retries are off (``max_retries=0``): the client retries, with its own policy and deadline.
Every exception an SDK raises is turned into an :class:`LLMError` by :func:`classify`, with a
redacted message and without the SDK exception chained to it (its text may quote credentials).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp
import anthropic
import attrs
import httpx2
import openai

from codeflash_engine.infra.llm.errors import ErrorKind, LLMError
from codeflash_engine.infra.llm.models import ModelInfo, Usage
from codeflash_engine.infra.llm.reasoning import without_reasoning
from codeflash_engine.plugins.types import Prompt

log = logging.getLogger(__name__)

#: max_tokens for Anthropic models when the caller gives none (the API requires one)
DEFAULT_ANTHROPIC_MAX_TOKENS = 8192

Redact = Callable[[str], str]


#: UTF-16 surrogates, which a model's answer can hold only alone (JSON's ``\ud800`` escape)
_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD: they cannot be encoded as UTF-8, so an
    answer holding one could be neither sent back to the client nor recorded."""
    return text if _SURROGATE.search(text) is None else _SURROGATE.sub("\ufffd", text)


@attrs.frozen
class ProviderAnswer:
    """What a provider returns for one successful call (its text always encodable as UTF-8)."""

    text: str = attrs.field(converter=encodable)
    served_model: str
    usage: Usage
    finish_reason: str | None = None


class Provider(Protocol):
    """One configured provider (``openai``, ``azure``, ``anthropic`` or ``bedrock``)."""

    name: str

    async def complete(
        self,
        prompt: Prompt,
        *,
        model: str,
        max_tokens: int | None,
        temperature: float | None,
        time_limit: float,
        info: ModelInfo | None,
    ) -> ProviderAnswer:
        """One attempt; raises :class:`LLMError` on any failure."""
        ...

    async def aclose(self) -> None:
        """Close the SDK client and its connection pool."""
        ...


# --- error classification ---------------------------------------------------------------------

_STATUS_KINDS = {
    400: ErrorKind.BAD_REQUEST,
    401: ErrorKind.AUTH,
    403: ErrorKind.AUTH,
    404: ErrorKind.NOT_FOUND,
    408: ErrorKind.TIMEOUT,
    413: ErrorKind.BAD_REQUEST,
    422: ErrorKind.BAD_REQUEST,
    429: ErrorKind.RATE_LIMITED,
    500: ErrorKind.SERVER_ERROR,
    502: ErrorKind.SERVER_ERROR,
    503: ErrorKind.SERVER_ERROR,
    504: ErrorKind.SERVER_ERROR,
    529: ErrorKind.OVERLOADED,
}

_STATUS_ERRORS = (openai.APIStatusError, anthropic.APIStatusError)
_TIMEOUT_ERRORS = (openai.APITimeoutError, anthropic.APITimeoutError)
_CONNECTION_ERRORS = (openai.APIConnectionError, anthropic.APIConnectionError)
_VALIDATION_ERRORS = (openai.APIResponseValidationError, anthropic.APIResponseValidationError)
#: causes that mean the connection broke rather than timed out (the aiohttp transport maps a
#: server disconnect to httpx's ConnectTimeout, so look at the chain)
_BROKEN_CONNECTION = (
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
    aiohttp.ClientPayloadError,
    ConnectionError,
    httpx2.RemoteProtocolError,
    httpx2.ReadError,
)


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _provider_message(exc: BaseException) -> str:
    """The provider's own error message, when its body has one; else the exception's text."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    if isinstance(body, str) and body:
        return body
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


def _caused_by(exc: BaseException, types: tuple[type[BaseException], ...]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, types):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def classify(exc: BaseException, *, provider: str, model: str, redact: Redact) -> LLMError:
    """Turn any exception of an SDK call into an :class:`LLMError` with a redacted message."""
    where = f"{provider}:{model}"
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, _STATUS_ERRORS):
        status = exc.status_code
        kind = _STATUS_KINDS.get(status, ErrorKind.UNKNOWN)
        detail = redact(_provider_message(exc))[:500]
        retry_after = parse_retry_after(exc.response.headers)
        return LLMError(
            f"{where} answered HTTP {status} ({kind.value})",
            detail=detail,
            kind=kind,
            provider=provider,
            model=model,
            status_code=status,
            retry_after=retry_after,
        )
    if isinstance(exc, _VALIDATION_ERRORS):
        return LLMError(
            f"{where} answered a body that is not the expected JSON",
            kind=ErrorKind.MALFORMED,
            provider=provider,
            model=model,
            status_code=exc.status_code,
        )
    if isinstance(exc, _CONNECTION_ERRORS):
        if isinstance(exc, _TIMEOUT_ERRORS) and not _caused_by(exc, _BROKEN_CONNECTION):
            return LLMError(f"{where} timed out", kind=ErrorKind.TIMEOUT, provider=provider, model=model)
        return LLMError(
            f"{where}: connection failed",
            detail=redact(_cause_name(exc)),
            kind=ErrorKind.CONNECTION,
            provider=provider,
            model=model,
        )
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return LLMError(f"{where} answered malformed JSON", kind=ErrorKind.MALFORMED, provider=provider, model=model)
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return LLMError(f"{where} timed out", kind=ErrorKind.TIMEOUT, provider=provider, model=model)
    if isinstance(exc, aiohttp.ClientError | ConnectionError | httpx2.TransportError):
        return LLMError(
            f"{where}: connection failed ({type(exc).__name__})",
            kind=ErrorKind.CONNECTION,
            provider=provider,
            model=model,
        )
    log.warning(
        "unexpected error from %s: %s",
        where,
        type(exc).__name__,
        extra={"provider": provider, "model": model, "detail": redact(str(exc))[:500]},
    )
    return LLMError(
        f"{where} failed ({ErrorKind.UNKNOWN.value})",
        detail=f"{type(exc).__name__}: {redact(str(exc))[:300]}",
        kind=ErrorKind.UNKNOWN,
        provider=provider,
        model=model,
    )


def _cause_name(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    while cause is not None and (cause.__cause__ or cause.__context__) is not None:
        cause = cause.__cause__ or cause.__context__
    return type(cause or exc).__name__


def _malformed(provider: str, model: str, what: str, billed: Usage | None = None) -> LLMError:
    """A 200 whose body cannot be used; ``billed`` is the usage it reports (the provider bills it)."""
    return LLMError(
        f"{provider}:{model} answered a body without {what}",
        kind=ErrorKind.MALFORMED,
        provider=provider,
        model=model,
        billed=billed or None,
    )


# --- shared -----------------------------------------------------------------------------------


def _int(value: object) -> int:
    """A token count from a JSON value (None, missing or odd: 0)."""
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --- OpenAI, Azure OpenAI, OpenAI-compatible --------------------------------------------------


class OpenAIProvider:
    """Chat completions over ``AsyncOpenAI`` or ``AsyncAzureOpenAI``.

    The request goes through the SDK's generic ``post`` with a plain JSON body and comes back as
    plain JSON (``cast_to=object``): the SDK still does the URL (Azure's deployment routing
    included), authentication, headers, the transport and the mapping of error statuses to its
    exceptions, but skips the type-driven transformation of the parameters and the construction
    of response models, which cost about 1 ms of CPU per call (measured with
    ``benchmarks/bench_llm.py``), more than everything else the engine does for a call.

    The output limit goes as ``max_completion_tokens`` to models of the table (OpenAI's own,
    which require it for reasoning models) and as ``max_tokens`` to any other model, which is
    what OpenAI-compatible servers (Ollama, vLLM, llama.cpp) understand.
    """

    def __init__(self, name: str, client: openai.AsyncOpenAI, *, redact: Redact) -> None:
        self.name = name
        self.client = client
        self._redact = redact

    async def complete(
        self,
        prompt: Prompt,
        *,
        model: str,
        max_tokens: int | None,
        temperature: float | None,
        time_limit: float,
        info: ModelInfo | None,
    ) -> ProviderAnswer:
        return (
            await self.complete_choices(
                prompt,
                model=model,
                n=1,
                max_tokens=max_tokens,
                temperature=temperature,
                time_limit=time_limit,
                info=info,
            )
        )[0]

    async def complete_choices(
        self,
        prompt: Prompt,
        *,
        model: str,
        n: int,
        max_tokens: int | None,
        temperature: float | None,
        time_limit: float,
        info: ModelInfo | None,
    ) -> list[ProviderAnswer]:
        """``n`` choices of one request (OpenAI's ``n``: the prompt is billed once).

        Each answer carries the whole request's usage (the caller records it once); a server may
        answer fewer choices than asked, never none.
        """
        messages = [{"role": "user", "content": prompt.user}]
        if prompt.system:
            messages.insert(0, {"role": "system", "content": prompt.system})
        body: dict[str, Any] = {"model": model, "messages": messages}
        if n > 1:
            body["n"] = n
        if max_tokens is not None:
            body["max_completion_tokens" if info is not None else "max_tokens"] = max_tokens
        if temperature is not None and (info is None or info.temperature):
            body["temperature"] = temperature
        data = await _post(self.client, "/chat/completions", body, time_limit, self.name, model, self._redact)
        return self._answers(data, model, n)

    def _answers(self, data: object, model: str, n: int) -> list[ProviderAnswer]:
        if not isinstance(data, dict):
            raise _malformed(self.name, model, "a JSON object (it is not JSON)")
        # the usage first: an answer that cannot be used was still billed
        usage = _mapping(data.get("usage"))
        details = _mapping(usage.get("prompt_tokens_details"))
        billed = Usage(
            input_tokens=_int(usage.get("prompt_tokens")),
            output_tokens=_int(usage.get("completion_tokens")),
            cache_read_tokens=_int(details.get("cached_tokens")),
            cache_write_tokens=_int(details.get("cache_write_tokens")),
        )
        choices = data.get("choices")
        if not isinstance(choices, list) or not any(isinstance(choice, dict) for choice in choices):
            raise _malformed(self.name, model, "choices", billed)
        served = data.get("model")
        answers: list[ProviderAnswer] = []
        # a choice that cannot be used is left out wherever it is: the caller asks again, alone,
        # for each choice it did not get, and the batch's usable choices are kept
        for choice in choices[:n]:
            if not isinstance(choice, dict):
                continue
            message = _mapping(choice.get("message"))
            text = message.get("content")
            if text is None:
                text = message.get("refusal") or ""
            if not isinstance(text, str):
                continue
            text = without_reasoning(text)
            finish = choice.get("finish_reason")
            answers.append(
                ProviderAnswer(
                    text=text,
                    served_model=served if isinstance(served, str) and served else model,
                    usage=billed,
                    finish_reason=finish if isinstance(finish, str) else None,
                )
            )
        if not answers:
            raise _malformed(self.name, model, "a text message", billed)
        return answers

    async def aclose(self) -> None:
        await self.client.close()


# --- Anthropic, Anthropic on Bedrock ----------------------------------------------------------

_EPHEMERAL = {"type": "ephemeral"}


def anthropic_system(prompt: Prompt) -> list[dict[str, Any]] | None:
    """The system prompt as one text block marked for caching (None when there is none)."""
    if not prompt.system:
        return None
    return [{"type": "text", "text": prompt.system, "cache_control": _EPHEMERAL}]


def anthropic_user_content(prompt: Prompt) -> str | list[dict[str, Any]]:
    """The user message: its first ``cache_prefix_chars`` in a block marked for caching."""
    user = prompt.user
    cut = max(0, min(prompt.cache_prefix_chars, len(user)))
    if cut == 0:
        return user
    blocks: list[dict[str, Any]] = [{"type": "text", "text": user[:cut], "cache_control": _EPHEMERAL}]
    if cut < len(user):
        blocks.append({"type": "text", "text": user[cut:]})
    return blocks


class AnthropicProvider:
    """Messages over ``AsyncAnthropic`` or ``AsyncAnthropicBedrock``, with prompt caching.

    Like :class:`OpenAIProvider`, it posts plain JSON to ``/v1/messages`` through the SDK's
    generic ``post`` (the Bedrock client turns that into ``/model/{model}/invoke`` and signs it)
    and reads the answer as plain JSON.
    """

    def __init__(
        self,
        name: str,
        client: anthropic.AsyncAnthropic | anthropic.AsyncAnthropicBedrock,
        *,
        redact: Redact,
    ) -> None:
        self.name = name
        self.client = client
        self._redact = redact

    async def complete(
        self,
        prompt: Prompt,
        *,
        model: str,
        max_tokens: int | None,
        temperature: float | None,
        time_limit: float,
        info: ModelInfo | None,
    ) -> ProviderAnswer:
        if max_tokens is None:
            max_tokens = min(DEFAULT_ANTHROPIC_MAX_TOKENS, info.max_output) if info else DEFAULT_ANTHROPIC_MAX_TOKENS
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": anthropic_user_content(prompt)}],
        }
        system = anthropic_system(prompt)
        if system is not None:
            body["system"] = system
        if temperature is not None and (info is None or info.temperature):
            body["temperature"] = temperature
        data = await _post(self.client, "/v1/messages", body, time_limit, self.name, model, self._redact)
        return self._answer(data, model)

    def _answer(self, data: object, model: str) -> ProviderAnswer:
        if not isinstance(data, dict):
            raise _malformed(self.name, model, "a JSON object (it is not JSON)")
        # the usage first: an answer that cannot be used was still billed
        usage = _mapping(data.get("usage"))
        read = _int(usage.get("cache_read_input_tokens"))
        write = _int(usage.get("cache_creation_input_tokens"))
        billed = Usage(
            input_tokens=_int(usage.get("input_tokens")) + read + write,
            output_tokens=_int(usage.get("output_tokens")),
            cache_read_tokens=read,
            cache_write_tokens=write,
        )
        content = data.get("content")
        if not isinstance(content, list):
            raise _malformed(self.name, model, "content", billed)
        text = "".join(
            block["text"]
            for block in content
            if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str)
        )
        served = data.get("model")
        stop = data.get("stop_reason")
        return ProviderAnswer(
            text=text,
            served_model=served if isinstance(served, str) and served else model,
            usage=billed,
            finish_reason=stop if isinstance(stop, str) else None,
        )

    async def aclose(self) -> None:
        await self.client.close()


async def _post(
    client: openai.AsyncOpenAI | anthropic.AsyncAnthropic | anthropic.AsyncAnthropicBedrock,
    path: str,
    body: dict[str, Any],
    time_limit: float,
    provider: str,
    model: str,
    redact: Redact,
) -> object:
    """POST ``body`` through the SDK's generic request (its auth, transport and error mapping);
    any failure but cancellation becomes a classified :class:`LLMError`."""
    try:
        return await client.post(path, cast_to=object, body=body, options={"timeout": time_limit})
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        raise classify(exc, provider=provider, model=model, redact=redact) from None
