"""When each API key last opened a request (the dashboard's keys page), kept off the hot path.

The guards' admission statement reads a key's ``last_used``; when it is a minute old or more, the
key is queued here and a background statement writes ``now()`` for every queued key at once.
So an active key costs one small UPDATE a minute per replica, and admission never waits for it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable

from codeflash_engine.infra.db.types import ApiKey

log = logging.getLogger(__name__)

#: a key's last use is written at most this often
EVERY = dt.timedelta(minutes=1)


class KeyUse:
    """Queues the keys whose last use is stale and writes them in the background (``write`` ids)."""

    #: keys remembered as written lately, at most (beyond it, the oldest are forgotten)
    MAX_REMEMBERED = 10_000

    def __init__(self, write: Callable[[list[int]], Awaitable[None]], *, clock: Callable[[], float] = time.monotonic):
        self._write = write
        self._clock = clock
        self._pending: set[int] = set()
        self._written: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None

    def seen(self, key: ApiKey, now: dt.datetime) -> None:
        """``key`` (usable) opened a request at ``now`` (the database's clock)."""
        if key.last_used is not None and now - key.last_used < EVERY:
            return
        at = self._clock()
        written = self._written.get(key.id)
        if written is not None and at - written < EVERY.total_seconds():
            return  # written lately by this process: the row read was older than the write
        self._written[key.id] = at
        if len(self._written) > self.MAX_REMEMBERED:
            del self._written[next(iter(self._written))]
        self._pending.add(key.id)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush(), name="codeflash-engine key last use")

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # the other keys of this turn of the loop join the same statement
        while self._pending:
            ids, self._pending = sorted(self._pending), set()
            try:
                await self._write(ids)
            except Exception as exc:  # a last-use time is not worth an error: the next minute tries again
                log.debug("could not record the last use of %d key(s): %s", len(ids), exc)
                for key_id in ids:
                    self._written.pop(key_id, None)

    async def drain(self) -> None:
        """Wait for the write in flight (at close)."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
