"""Concurrency per caller: at most ``limit`` LLM calls of one key (user) in flight at once.

The provider semaphores bound what the whole worker sends; these bound what one caller holds of
it, so a caller with many concurrent requests waits for its own slots instead of taking every
provider slot from the others. Slots of callers with nothing in flight are forgotten.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator


class NoSlot(Exception):
    """No slot came free within the time given."""


class KeyedSlots:
    """A semaphore of ``limit`` slots per key, created on first use and dropped when idle."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    def in_use(self, key: str) -> int:
        """Slots ``key`` holds or waits for right now."""
        entry = self._slots.get(key)
        return 0 if entry is None else entry[1][0]

    @contextlib.asynccontextmanager
    async def slot(self, key: str | None, within: float | None = None) -> AsyncIterator[None]:
        """Hold one of ``key``'s slots (no bound for ``key`` None); :class:`NoSlot` after ``within`` s."""
        if key is None:
            yield
            return
        entry = self._slots.get(key)
        if entry is None:
            entry = self._slots[key] = (asyncio.Semaphore(self.limit), [0])
        semaphore, users = entry
        users[0] += 1
        try:
            wait = None if within is None or math.isinf(within) else within
            try:
                async with asyncio.timeout(wait):
                    await semaphore.acquire()
            except TimeoutError:
                raise NoSlot(f"no call slot free within {within:.1f} s") from None
            try:
                yield
            finally:
                semaphore.release()
        finally:
            users[0] -= 1
            if users[0] == 0 and self._slots.get(key) is entry:
                del self._slots[key]
