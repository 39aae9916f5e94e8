"""When to try an LLM call again, and which models to route around for a while.

Transient failures (429, 500-504, 529, timeouts, connection resets, malformed bodies) are retried
with exponential backoff and jitter: 0.5 s, 1 s, 2 s, ... capped at 8 s, each scaled by a random
factor in [0.75, 1.25]. A provider's Retry-After (``retry-after-ms`` or ``retry-after``) is
honoured when it is at most 60 s; a longer one ends the attempts on that model at once (the
fallback takes over). Nothing is retried when the wait would end past the request's deadline.

A model that fails :attr:`ModelHealth.allowed_fails` calls in a row (after its retries) cools
down for :attr:`ModelHealth.cooldown` seconds: calls meant for it go to the next model of the
mix first. (LiteLLM's router uses the same numbers: 3 failures, 5 s.)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import attrs

from codeflash_engine.infra.llm.errors import ErrorKind, LLMError


@attrs.frozen
class RetryPolicy:
    """How many attempts one model gets and how long to wait between them."""

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    retry_after_cap: float = 60.0

    def delay(self, retry: int, retry_after: float | None = None, *, rng: random.Random | None = None) -> float | None:
        """Seconds to wait before retry number ``retry`` (1 for the first retry).

        None means "do not retry this model": the provider asked for a wait above the cap.
        """
        uniform: Callable[[float, float], float] = (rng or random).uniform
        if retry_after is not None and retry_after > 0:
            if retry_after > self.retry_after_cap:
                return None
            # honour it, plus a little spread so a burst of calls does not come back together
            return float(retry_after * (1 + uniform(0, self.jitter / 2)))
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return min(self.max_delay, backoff * uniform(1 - self.jitter, 1 + self.jitter))


#: failures that say something about the model or its provider (not about the request)
_HEALTH_KINDS = frozenset(
    {
        ErrorKind.RATE_LIMITED,
        ErrorKind.SERVER_ERROR,
        ErrorKind.OVERLOADED,
        ErrorKind.TIMEOUT,
        ErrorKind.CONNECTION,
        ErrorKind.MALFORMED,
        ErrorKind.AUTH,
        ErrorKind.NOT_FOUND,
    }
)


class ModelHealth:
    """Consecutive failures per model, and the models cooling down because of them."""

    def __init__(self, *, allowed_fails: int = 3, cooldown: float = 5.0) -> None:
        self.allowed_fails = allowed_fails
        self.cooldown = cooldown
        self._fails: dict[str, int] = {}
        self._until: dict[str, float] = {}

    def succeeded(self, key: str) -> None:
        """A call of ``key`` succeeded: its failure count starts over."""
        if key in self._fails:
            del self._fails[key]
            self._until.pop(key, None)

    def failed(self, key: str, error: LLMError) -> bool:
        """Count a failed call of ``key``; True when this failure starts a cooldown."""
        if error.kind not in _HEALTH_KINDS:
            return False
        count = self._fails.get(key, 0) + 1
        self._fails[key] = count
        if count >= self.allowed_fails:
            self._fails[key] = 0
            self._until[key] = time.monotonic() + self.cooldown
            return True
        return False

    def cooling(self, key: str) -> bool:
        """Whether ``key`` is cooling down now."""
        until = self._until.get(key)
        if until is None:
            return False
        if time.monotonic() >= until:
            del self._until[key]
            return False
        return True
