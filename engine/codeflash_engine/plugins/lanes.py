"""Each plugin's thread: its hook calls run there one at a time, and a call that overruns the time
limit is left behind instead of holding up the plugin's next calls.

A plugin's calls queue on the event loop (not in the thread), so the time limit counts only the
call's own run, never the wait behind other requests' calls. When a call overruns it, the request
gets its 502 at once and the plugin's thread is *retired*: the overrunning call keeps it until it
returns (a thread cannot be stopped), and the plugin's next call starts a new thread. So a hook
that hangs on one tenant's input costs that request, not every later request of the language.

The overrunning call may still be running while the new thread serves the next one: that is the
one case where two calls of one plugin overlap. At most :data:`MAX_OVERRUNNING` may be left
running per plugin; past that, the plugin's calls fail at once (the plugin is stuck, not slow)
until one of them returns.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
from collections.abc import Callable
from typing import Any

#: calls per plugin left running past the time limit before its calls fail at once
MAX_OVERRUNNING = 2


class Overran(Exception):
    """The call ran past the time limit (it goes on in its retired thread)."""


class Stuck(Exception):
    """The plugin has MAX_OVERRUNNING calls still running past the time limit: nothing was started."""

    def __init__(self, running: int) -> None:
        super().__init__(f"{running} earlier calls are still running past the time limit")
        self.running = running


class Lane:
    """One plugin's thread and the queue of calls waiting for it (on the event loop)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._executor = self._new_executor()
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        #: calls left running in retired threads
        self.overrunning = 0

    def _new_executor(self) -> concurrent.futures.ThreadPoolExecutor:
        return concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"codeflash-plugin-{self.name}")

    def _queue(self) -> asyncio.Lock:
        """The lock calls wait on, bound to the running loop (tests run several loops in turn)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    async def run(self, work: Callable[[], Any], limit: float) -> Any:
        """``work()`` in the plugin's thread once the calls before it are done; :class:`Overran`
        past ``limit`` seconds of running, :class:`Stuck` when too many calls overran."""
        if self.overrunning >= MAX_OVERRUNNING:
            raise Stuck(self.overrunning)
        lock = self._queue()
        await lock.acquire()
        try:
            future = asyncio.get_running_loop().run_in_executor(self._executor, work)
        except BaseException:
            lock.release()
            raise
        freed = False

        def free(done: asyncio.Future[Any] | None = None) -> None:
            nonlocal freed
            if done is not None and not done.cancelled():
                done.exception()  # retrieved: nobody may be awaiting it any more
            if not freed:
                freed = True
                lock.release()

        # the lane is busy exactly while the thread works, even when this request is cancelled
        future.add_done_callback(free)
        try:
            return await asyncio.wait_for(asyncio.shield(future), limit)
        except TimeoutError:
            self._retire(future)
            free()
            raise Overran from None

    def _retire(self, future: asyncio.Future[Any]) -> None:
        """Leave the overrunning call its thread; the next call gets a new one."""
        self._executor.shutdown(wait=False)  # the thread ends when the call returns
        self._executor = self._new_executor()
        self.overrunning += 1
        future.add_done_callback(self._returned)
        # the call paused the cyclic collector for its duration: do not let a hung call keep it paused
        if not gc.isenabled():
            gc.enable()

    def _returned(self, _: asyncio.Future[Any]) -> None:
        self.overrunning -= 1

    def close(self) -> None:
        """Let the thread go (a hung call is abandoned, not waited for)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
