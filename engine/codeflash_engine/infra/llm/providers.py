"""Providers: one chat call over an official SDK, answered as text plus usage, or an LLMError.

- :class:`OpenAIProvider` drives ``openai.AsyncOpenAI`` (OpenAI, and any OpenAI-compatible server
  through its base URL) and ``openai.AsyncAzureOpenAI`` (Azure OpenAI: the model is the
  deployment name).
- :class:`AnthropicProvider` drives ``anthropic.AsyncAnthropic`` and
  ``anthropic.AsyncAnthropicBedrock`` (Anthropic on Bedrock), with prompt caching marks on the
  system prompt and the stable prefix of the user message.

SDK retries are off (``max_retries=0``): the client retries, with its own policy and deadline.
Every exception an SDK raises is turned into an :class:`LLMError` by :func:`classify`, with a
redacted message and without the SDK exception chained to it (its text may quote credentials).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp
import anthropic
import attrs
import httpx2
import openai
from anthropic.types import CacheControlEphemeralParam, Message, MessageParam, TextBlock, TextBlockParam
from openai.types.chat import ChatCompletion

from codeflash_engine.infra.llm.errors import ErrorKind, LLMError
from codeflash_engine.infra.llm.models import ModelInfo, Usage
from codeflash_engine.plugins.types import Prompt

log = logging.getLogger(__name__)

#: max_tokens for Anthropic models when the caller gives none (the API requires one)
DEFAULT_ANTHROPIC_MAX_TOKENS = 8192

Redact = Callable[[str], str]


@attrs.frozen
class ProviderAnswer:
    """What a provider returns for one successful call."""

    text: str
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
            f"{where} answered HTTP {status} ({kind.value}): {detail}",
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
            f"{where}: connection failed ({redact(_cause_name(exc))})",
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
        f"{where} failed: {type(exc).__name__}: {redact(str(exc))[:300]}",
        kind=ErrorKind.UNKNOWN,
        provider=provider,
        model=model,
    )


def _cause_name(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    while cause is not None and (cause.__cause__ or cause.__context__) is not None:
        cause = cause.__cause__ or cause.__context__
    return type(cause or exc).__name__


def _malformed(provider: str, model: str, what: str) -> LLMError:
    return LLMError(
        f"{provider}:{model} answered a body without {what}", kind=ErrorKind.MALFORMED, provider=provider, model=model
    )


# --- OpenAI, Azure OpenAI, OpenAI-compatible --------------------------------------------------


class OpenAIProvider:
    """Chat completions over ``AsyncOpenAI`` or ``AsyncAzureOpenAI``.

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
        messages: list[dict[str, str]] = []
        if prompt.system:
            messages.append({"role": "system", "content": prompt.system})
        messages.append({"role": "user", "content": prompt.user})
        options: dict[str, Any] = {}
        if max_tokens is not None:
            options["max_completion_tokens" if info is not None else "max_tokens"] = max_tokens
        if temperature is not None and (info is None or info.temperature):
            options["temperature"] = temperature
        try:
            response = await self.client.chat.completions.create(
                model=model,
                messages=messages,  # type: ignore[arg-type]
                timeout=time_limit,
                **options,
            )
            return self._answer(response, model)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise classify(exc, provider=self.name, model=model, redact=self._redact) from None

    def _answer(self, response: object, model: str) -> ProviderAnswer:
        if not isinstance(response, ChatCompletion):
            raise _malformed(self.name, model, "a chat completion (not JSON)")
        try:
            choice = response.choices[0]
            text = choice.message.content
            if text is None:
                text = choice.message.refusal or ""
            usage = response.usage
            if usage is None:
                tokens = Usage()
            else:
                details = usage.prompt_tokens_details
                tokens = Usage(
                    input_tokens=int(usage.prompt_tokens or 0),
                    output_tokens=int(usage.completion_tokens or 0),
                    cache_read_tokens=int((details.cached_tokens if details else 0) or 0),
                    cache_write_tokens=int((details.cache_write_tokens if details else 0) or 0),
                )
            return ProviderAnswer(
                text=str(text),
                served_model=str(getattr(response, "model", None) or model),
                usage=tokens,
                finish_reason=choice.finish_reason,
            )
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            raise _malformed(self.name, model, "choices and a message") from None

    async def aclose(self) -> None:
        await self.client.close()


# --- Anthropic, Anthropic on Bedrock ----------------------------------------------------------

_EPHEMERAL: CacheControlEphemeralParam = {"type": "ephemeral"}


def anthropic_system(prompt: Prompt) -> list[TextBlockParam] | None:
    """The system prompt as one text block marked for caching (None when there is none)."""
    if not prompt.system:
        return None
    return [{"type": "text", "text": prompt.system, "cache_control": _EPHEMERAL}]


def anthropic_user_content(prompt: Prompt) -> str | list[TextBlockParam]:
    """The user message: its first ``cache_prefix_chars`` in a block marked for caching."""
    user = prompt.user
    cut = max(0, min(prompt.cache_prefix_chars, len(user)))
    if cut == 0:
        return user
    blocks: list[TextBlockParam] = [{"type": "text", "text": user[:cut], "cache_control": _EPHEMERAL}]
    if cut < len(user):
        blocks.append({"type": "text", "text": user[cut:]})
    return blocks


class AnthropicProvider:
    """Messages over ``AsyncAnthropic`` or ``AsyncAnthropicBedrock``, with prompt caching."""

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
        options: dict[str, Any] = {}
        system = anthropic_system(prompt)
        if system is not None:
            options["system"] = system
        if temperature is not None and (info is None or info.temperature):
            options["temperature"] = temperature
        messages: list[MessageParam] = [{"role": "user", "content": anthropic_user_content(prompt)}]
        try:
            response = await self.client.messages.create(
                model=model,
                max_tokens=max_tokens,
                messages=messages,
                timeout=time_limit,
                **options,
            )
            return self._answer(response, model)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise classify(exc, provider=self.name, model=model, redact=self._redact) from None

    def _answer(self, response: object, model: str) -> ProviderAnswer:
        if not isinstance(response, Message):
            raise _malformed(self.name, model, "a message (not JSON)")
        try:
            text = "".join(block.text for block in response.content if isinstance(block, TextBlock))
            usage = response.usage
            read = int(usage.cache_read_input_tokens or 0)
            write = int(usage.cache_creation_input_tokens or 0)
            tokens = Usage(
                input_tokens=int(usage.input_tokens or 0) + read + write,
                output_tokens=int(usage.output_tokens or 0),
                cache_read_tokens=read,
                cache_write_tokens=write,
            )
            return ProviderAnswer(
                text=text,
                served_model=str(getattr(response, "model", None) or model),
                usage=tokens,
                finish_reason=response.stop_reason,
            )
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            raise _malformed(self.name, model, "content and usage") from None

    async def aclose(self) -> None:
        await self.client.close()
