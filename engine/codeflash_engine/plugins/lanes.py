"""Each plugin's lane: its calls wait their turn, then run one at a time in the plugin's own worker
process (:mod:`.workers`), and a call that overruns the time limit is stopped with the process.

The plugin's work runs in another process, on another core, without sharing the engine's GIL. A
dispatcher thread per plugin sends each call and waits for its answer (blocked in a system call,
not holding the GIL), then sends the next at once: the process never waits for the event loop.
The time limit counts a call's own run, never its wait behind other requests' calls. A call that
overruns it is stopped by killing the process, whether the plugin is stuck in Python or in native
code; the plugin's next call gets a new process. So a hook that hangs on one tenant's input costs
that request, not every later request of the language, and never holds the engine.

Calls wait in one queue per tenant, and the lane takes them in turn, one call of each tenant with
calls waiting (:class:`FairQueue`): a tenant that sends many calls, or slow ones, makes its own
calls wait, not another tenant's. Within a tenant, calls keep their order. A request that goes
away while its call waits takes the call with it; one that goes away while its call runs leaves
it to finish (or overrun) in the process, so the next call never meets its late answer.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import threading
from collections.abc import Callable, Hashable
from typing import Any

from codeflash_engine.plugins.workers import Handler, PluginProcess, WorkerGone


class Overran(Exception):
    """The call ran past the time limit: its process was stopped."""


class Died(Exception):
    """The plugin's process ended during the call (a crash in native code, an exit)."""


class FairQueue:
    """Items waiting for the lane, one queue per tenant, taken in turn: each :meth:`get` takes the
    oldest item of the tenant whose turn it is, then that tenant goes to the back of the ring."""

    def __init__(self) -> None:
        self._ready = threading.Condition(threading.Lock())
        #: tenant -> its items, oldest first; the dict's order is the ring's (the next turn first)
        self._waiting: dict[Hashable, collections.deque[Any]] = {}

    def put(self, item: Any, tenant: Hashable = None) -> None:
        with self._ready:
            items = self._waiting.get(tenant)
            if items is None:
                items = self._waiting[tenant] = collections.deque()
            items.append(item)
            self._ready.notify()

    def get(self) -> Any:
        """The next item in turn, waiting for one when there is none."""
        with self._ready:
            while not self._waiting:
                self._ready.wait()
            return self._take()

    def get_nowait(self) -> Any:
        """The next item in turn, or None when there is none."""
        with self._ready:
            return self._take() if self._waiting else None

    def _take(self) -> Any:
        tenant = next(iter(self._waiting))
        items = self._waiting.pop(tenant)
        item = items.popleft()
        if items:  # the tenant's next item waits for its next turn, behind the other tenants
            self._waiting[tenant] = items
        return item


class _Call:
    __slots__ = ("future", "limit", "request")

    def __init__(self, request: object, limit: float) -> None:
        self.request = request
        self.limit = limit
        self.future: concurrent.futures.Future[tuple[bool, Any, Any]] = concurrent.futures.Future()


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Nobody awaits this call any more: its late failure is not "never retrieved"."""
    if not future.cancelled():
        future.exception()


_CLOSE = object()  # put on the queue: the dispatcher ends

Starter = Callable[[], PluginProcess]


class Lane:
    """One plugin's queue of calls, its dispatcher thread and the worker process that runs them.

    ``handle`` is what the process runs for each call (see :mod:`.workers`).
    """

    def __init__(self, name: str, handle: Handler) -> None:
        self.name = name
        self._handle = handle
        self._queue = FairQueue()
        self._process: PluginProcess | None = None
        #: processes started so far (the first, then one after each overrun or crash)
        self.started = 0
        #: processes stopped at the time limit or dead during a call (the next call starts a new one)
        self.replaced = 0
        self._thread = threading.Thread(target=self._dispatch, name=f"codeflash-plugin-{name}", daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int | None:
        """The current worker process, if one runs."""
        process = self._process
        return process.pid if process is not None else None

    async def run(self, request: object, limit: float, tenant: Hashable = None) -> tuple[bool, Any, Any]:
        """The process's answer to ``request`` once it is ``tenant``'s turn and the calls before it
        are done: ``(ok, value, journal)``; :class:`Overran` past ``limit`` seconds of running,
        :class:`Died` when the process ends during the call."""
        call = _Call(request, limit)
        self._queue.put(call, tenant)
        waiting = asyncio.wrap_future(call.future)
        try:
            return await waiting
        except asyncio.CancelledError:
            call.future.cancel()  # still queued: it never runs (running: it finishes, unread)
            waiting.add_done_callback(_retrieved)
            raise

    def _dispatch(self) -> None:
        """The dispatcher thread: the next call in turn, run in the process, until closed."""
        while True:
            call = self._queue.get()
            if not isinstance(call, _Call):
                return
            if not call.future.set_running_or_notify_cancel():
                continue  # its request went away while it waited
            try:
                answer = self._exchange(call)
            except BaseException as exc:
                call.future.set_exception(exc)
            else:
                call.future.set_result(answer)

    def _exchange(self, call: _Call) -> tuple[bool, Any, Any]:
        process = self._process
        if process is None:
            process = self._process = PluginProcess.start(self.name, self._handle)
            self.started += 1
        try:
            return process.call(call.request, call.limit)
        except TimeoutError:
            self._process = None
            self.replaced += 1
            raise Overran from None
        except WorkerGone as gone:
            self._process = None
            self.replaced += 1
            raise Died(str(gone)) from None
        except BaseException:
            self._process = None
            process.kill()
            raise

    def close(self) -> None:
        """Stop the process and the dispatcher; the calls still queued are cancelled."""
        while (call := self._queue.get_nowait()) is not None:
            if isinstance(call, _Call):
                call.future.cancel()
        self._queue.put(_CLOSE)
        process = self._process
        if process is not None:
            process.kill()
