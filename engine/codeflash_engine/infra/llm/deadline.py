"""A per-request deadline, passed down from the HTTP handler to every LLM call it causes.

No call starts, waits for a provider slot, or retries once the deadline has passed, and a call in
flight is cut off when it arrives. The engine's default (``CODEFLASH_ENGINE_REQUEST_DEADLINE``,
270 s) leaves room inside the Codeflash CLI's 300 s read timeout for postprocessing and the answer.
"""

from __future__ import annotations

import math
import time

import attrs


@attrs.frozen
class Deadline:
    """A point in time on the monotonic clock (``time.monotonic``) after which no work should start."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline ``seconds`` from now."""
        return cls(time.monotonic() + seconds)

    @classmethod
    def never(cls) -> Deadline:
        """A deadline that never passes (for tools and tests; requests should always have one)."""
        return cls(math.inf)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return time.monotonic() >= self.at

    def cap(self, seconds: float) -> float:
        """``seconds``, shortened to what is left before the deadline."""
        return min(seconds, self.remaining())

    def sooner(self, seconds: float) -> Deadline:
        """This deadline or one ``seconds`` from now, whichever comes first (for a sub-task's budget)."""
        return Deadline(min(self.at, time.monotonic() + seconds))
