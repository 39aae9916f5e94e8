"""Errors of the LLM layer: one exception type with a kind, so callers and records need no SDK types.

Every failure of a provider call becomes an :class:`LLMError` whose :attr:`~LLMError.kind` says
what happened (``rate_limited``, ``server_error``, ...). Transient kinds are retried with backoff;
every other kind fails fast. Messages are redacted: they never carry a credential.

The message (``str()``, what a client may be told) says only which model failed and how (the
kind, the HTTP status); the provider's own text, which can name internal hosts, paths or
deployments, is in :attr:`LLMError.detail`, for the log only.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from codeflash_engine.errors import EngineError

if TYPE_CHECKING:
    from codeflash_engine.infra.llm.models import Usage


class ErrorKind(enum.StrEnum):
    """What went wrong with an LLM call; the value is the ``error_class`` of its record."""

    RATE_LIMITED = "rate_limited"  # 429
    SERVER_ERROR = "server_error"  # 500-504
    OVERLOADED = "overloaded"  # 529 (Anthropic)
    TIMEOUT = "timeout"  # the per-call timeout, or 408
    CONNECTION = "connection"  # refused, reset, cut mid-answer
    MALFORMED = "malformed"  # a body that is not the JSON the API promises
    BAD_REQUEST = "bad_request"  # 400, 413, 422: the request itself is wrong
    AUTH = "auth"  # 401, 403: credentials missing, wrong or not allowed
    NOT_FOUND = "not_found"  # 404: unknown model or deployment
    DEADLINE = "deadline"  # the request's deadline passed
    NOT_CONFIGURED = "not_configured"  # the model's provider has no credentials here
    CANCELLED = "cancelled"  # the caller gave up (its request was cancelled)
    STRAGGLER = "straggler"  # cut by the fan-out's straggler cut-off (enough other calls had answered)
    UNKNOWN = "unknown"  # anything else (fails fast)


TRANSIENT_KINDS = frozenset(
    {
        ErrorKind.RATE_LIMITED,
        ErrorKind.SERVER_ERROR,
        ErrorKind.OVERLOADED,
        ErrorKind.TIMEOUT,
        ErrorKind.CONNECTION,
        ErrorKind.MALFORMED,
    }
)


class LLMError(EngineError):
    """An LLM call failed. ``status`` (502) is what the HTTP layer answers if nobody handles it.

    ``provider`` and ``model`` name the model that failed, ``status_code`` the provider's HTTP
    status when there was one, ``retry_after`` the provider's Retry-After in seconds, and
    ``attempts`` how many attempts were made on that model. ``billed`` is what the provider
    billed for an answer that came back (a 200) and could not be used, read from the answer's
    usage: the call's record adds it, so spend matches the provider's bill.
    """

    status = 502

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind,
        provider: str | None = None,
        model: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
        attempts: int = 0,
        detail: str | None = None,
        billed: Usage | None = None,
    ) -> None:
        super().__init__(message)
        #: the provider's own words (redacted), for the log; never sent to a client
        self.detail = f"{message}: {detail}" if detail else message
        self.kind = kind
        self.provider = provider
        self.model = model
        self.status_code = status_code
        self.retry_after = retry_after
        self.attempts = attempts
        self.billed = billed

    @property
    def transient(self) -> bool:
        """Whether trying again later may succeed (rate limits, overload, 5xx, timeouts, resets)."""
        return self.kind in TRANSIENT_KINDS

    @property
    def error_class(self) -> str:
        """The value recorded as ``error_class``."""
        return self.kind.value

    def __repr__(self) -> str:
        where = f"{self.provider}:{self.model}" if self.provider else "?"
        return f"{type(self).__name__}({self.kind.value}, {where}, status={self.status_code}, attempts={self.attempts})"


class DeadlineExceeded(LLMError):
    """The request's deadline passed before the call could finish (or start)."""

    status = 504

    def __init__(
        self,
        message: str = "the request's deadline passed before the LLM call could finish",
        *,
        provider: str | None = None,
        model: str | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(message, kind=ErrorKind.DEADLINE, provider=provider, model=model, attempts=attempts)


class LLMConfigError(EngineError):
    """The LLM configuration cannot work (raised at start-up, with what to set)."""

    status = 500
