"""Each plugin's thread: its hook calls run there one at a time, and a call that overruns the time
limit is left behind instead of holding up the plugin's next calls.

A plugin's calls queue for its worker thread, which takes the next one as soon as it is done (no
trip through the event loop between calls). The time limit counts a call's own run, never its
wait behind other requests' calls. When a call overruns it, the worker is *retired*: it finishes
the overrunning call (a thread cannot be stopped) and then ends, while a new worker takes the
calls still queued. Whichever request notices first retires it, so a hung call is found even when
its own request is gone. So a hook that hangs on one tenant's input costs that request, not every
later request of the language.

Calls wait in one queue per tenant, and the worker takes them in turn, one call of each tenant
with calls waiting (:class:`FairQueue`): a tenant that sends many calls, or slow ones, makes its
own calls wait, not another tenant's. Within a tenant, calls keep their order.

The overrunning call may still be running while the new worker serves the next one: that is the
one case where two calls of one plugin overlap. At most :data:`MAX_OVERRUNNING` may be left
running per plugin; past that, the plugin's calls fail at once (the plugin is stuck, not slow)
until one of them returns. Workers are daemon threads: a hung one never holds up the process's
exit.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import gc
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

#: calls per plugin left running past the time limit before its calls fail at once
MAX_OVERRUNNING = 2


class Overran(Exception):
    """The call ran past the time limit (it goes on in its retired worker)."""


class Stuck(Exception):
    """The plugin has MAX_OVERRUNNING calls still running past the time limit: nothing was started."""

    def __init__(self, running: int) -> None:
        super().__init__(f"{running} earlier calls are still running past the time limit")
        self.running = running


class _Call:
    """One queued call: its work, its future, and when it started running (None: still queued)."""

    __slots__ = ("future", "started", "work")

    def __init__(self, work: Callable[[], Any]) -> None:
        self.work = work
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.started: float | None = None

    def ran_for(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started


class _Worker:
    """A worker thread's state, guarded by its lane's lock."""

    __slots__ = ("current", "retired")

    def __init__(self) -> None:
        self.current: _Call | None = None
        self.retired = False


_CLOSE = object()  # put on the queue: the current worker ends


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Nobody awaits this call any more: its late failure is not "never retrieved"."""
    if not future.cancelled():
        future.exception()


class FairQueue:
    """Items waiting for a worker, one queue per tenant, taken in turn: each :meth:`get` takes the
    oldest item of the tenant whose turn it is, then that tenant goes to the back of the ring."""

    def __init__(self) -> None:
        self._ready = threading.Condition(threading.Lock())
        #: tenant -> its items, oldest first; the dict's order is the ring's (the next turn first)
        self._waiting: dict[Hashable, collections.deque[object]] = {}

    def put(self, item: object, tenant: Hashable = None) -> None:
        with self._ready:
            items = self._waiting.get(tenant)
            if items is None:
                items = self._waiting[tenant] = collections.deque()
            items.append(item)
            self._ready.notify()

    def get(self) -> object:
        """The next item in turn, waiting for one when there is none."""
        with self._ready:
            while not self._waiting:
                self._ready.wait()
            return self._take()

    def get_nowait(self) -> object | None:
        """The next item in turn, or None when there is none."""
        with self._ready:
            return self._take() if self._waiting else None

    def _take(self) -> object:
        tenant = next(iter(self._waiting))
        items = self._waiting.pop(tenant)
        item = items.popleft()
        if items:  # the tenant's next item waits for its next turn, behind the other tenants
            self._waiting[tenant] = items
        return item


class Lane:
    """One plugin's worker thread and the queue of calls waiting for it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue = FairQueue()
        self._lock = threading.Lock()
        self._generation = 0
        self._worker = self._start_worker()
        #: calls left running in retired workers
        self.overrunning = 0

    def _start_worker(self) -> _Worker:
        worker = _Worker()
        self._generation += 1
        name = f"codeflash-plugin-{self.name}-{self._generation}"
        threading.Thread(target=self._work, args=(worker,), name=name, daemon=True).start()
        return worker

    def _work(self, worker: _Worker) -> None:
        """The worker's loop: the next call, until retired or closed."""
        while True:
            call = self._queue.get()
            if not isinstance(call, _Call):
                return
            if not call.future.set_running_or_notify_cancel():
                continue  # its request went away while it waited
            with self._lock:
                worker.current, call.started = call, time.monotonic()
            try:
                result = call.work()
            except BaseException as exc:
                call.future.set_exception(exc)
            else:
                call.future.set_result(result)
            with self._lock:
                worker.current = None
                if worker.retired:
                    return

    async def run(self, work: Callable[[], Any], limit: float, tenant: Hashable = None) -> Any:
        """``work()`` in the plugin's thread once it is ``tenant``'s turn and the calls before it
        are done; :class:`Overran` past ``limit`` seconds of running, :class:`Stuck` when too many
        calls overran."""
        if self.overrunning >= MAX_OVERRUNNING:
            raise Stuck(self.overrunning)
        call = _Call(work)
        self._queue.put(call, tenant)
        waiting = asyncio.wrap_future(call.future)
        try:
            while True:
                done, _ = await asyncio.wait({waiting}, timeout=max(limit - call.ran_for(), 0.0))
                if done:
                    return waiting.result()
                self._retire_overrunning(limit)  # this call's, or the one it waits behind
                if call.ran_for() >= limit:
                    raise Overran
        except BaseException:
            call.future.cancel()  # still queued: it never runs (running: it cannot be cancelled)
            waiting.add_done_callback(_retrieved)
            raise

    def _retire_overrunning(self, limit: float) -> None:
        """When the current worker's call has run past ``limit``: leave the worker to it and start
        a new one for the calls queued."""
        with self._lock:
            worker = self._worker
            call = worker.current
            if call is None or call.ran_for() < limit:
                return
            worker.retired = True
            self._worker = self._start_worker()
            self.overrunning += 1
        call.future.add_done_callback(self._returned)
        # the call paused the cyclic collector for its duration: do not let a hung call keep it paused
        if not gc.isenabled():
            gc.enable()

    def _returned(self, _: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self.overrunning -= 1

    def close(self) -> None:
        """End the current worker once it is idle (a hung call is abandoned, not waited for);
        calls still queued are cancelled."""
        while (call := self._queue.get_nowait()) is not None:
            if isinstance(call, _Call):
                call.future.cancel()
        self._queue.put(_CLOSE)
