"""What a request cost: LLM time, calls, tokens and money, accounted per request; loop health.

The HTTP layer opens a :class:`RequestUsage` for each request (:func:`track_request`); the LLM
client marks the time its calls are in flight with :func:`llm_span`, and every LLM call record
passing through :class:`RecordTap` adds its tokens and cost. Both find the request's usage in a
context variable, so the tasks a request fans out to (they copy the context) account to it
without anything being passed around.

``llm_seconds`` is wall time during which at least one LLM call of the request was in flight
(the union of the calls' intervals, not their sum: six concurrent calls of 500 ms count 500 ms).
The engine's own overhead is the request's total time minus that.

:class:`LoopMonitor` measures how late the event loop wakes a sleeping task: a loop blocked
by CPU-bound work shows up as lag.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Iterator
from typing import Protocol

import attrs

from codeflash_engine.infra.records import LLMCallRecord, Record

log = logging.getLogger(__name__)


@attrs.define
class RequestUsage:
    """The LLM work one request caused, updated as it happens."""

    started: float = attrs.field(factory=time.perf_counter)
    llm_calls: int = 0
    llm_failures: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cost_usd: float = 0.0
    #: wall seconds with at least one LLM call in flight (closed intervals only)
    llm_seconds: float = 0.0
    #: who is calling, once known (the HTTP layer sets it; records get the user id from it)
    user: Callable[[], str | None] | None = None
    _in_flight: int = 0
    _since: float = 0.0

    def enter_llm(self) -> None:
        """An LLM call starts waiting on the provider."""
        if self._in_flight == 0:
            self._since = time.perf_counter()
        self._in_flight += 1

    def leave_llm(self) -> None:
        """An LLM call stopped waiting on the provider."""
        self._in_flight -= 1
        if self._in_flight == 0:
            self.llm_seconds += time.perf_counter() - self._since

    def llm_seconds_now(self) -> float:
        """``llm_seconds`` including a span still open."""
        if self._in_flight > 0:
            return self.llm_seconds + time.perf_counter() - self._since
        return self.llm_seconds

    def add(self, record: LLMCallRecord) -> None:
        """Count one LLM call record (its retries are one record)."""
        self.llm_calls += 1
        if record.outcome not in ("ok", "cancelled"):  # a call cut on purpose did not fail
            self.llm_failures += 1
        self.tokens_in += record.tokens_in
        self.tokens_out += record.tokens_out
        self.tokens_cached += record.tokens_cached
        self.cost_usd += record.cost_usd


usage_var: contextvars.ContextVar[RequestUsage | None] = contextvars.ContextVar("request_usage", default=None)


def track_request() -> RequestUsage:
    """Start accounting the current request (call it in the task serving the request)."""
    usage = RequestUsage()
    usage_var.set(usage)
    return usage


@contextlib.contextmanager
def llm_span() -> Iterator[None]:
    """Mark the block as time spent waiting on an LLM provider, for the current request."""
    usage = usage_var.get()
    if usage is None:
        yield
        return
    usage.enter_llm()
    try:
        yield
    finally:
        usage.leave_llm()


RecordListener = Callable[[Record], None]


class RecordTakerLike(Protocol):
    """What :class:`RecordTap` wraps: the recorder's non-blocking ``record``."""

    def record(self, record: Record) -> bool:
        """Queue ``record``; False when it was dropped."""
        ...


class RecordTap:
    """A record taker that lets listeners see each record, then hands it to ``inner``.

    The current request's :class:`RequestUsage` gets the tokens and cost of LLM call records,
    and the records get the caller's user id; ``listeners`` (metrics) see every record. A
    listener that fails is logged, never raised: observing must not break the request.
    """

    def __init__(self, inner: RecordTakerLike, listeners: list[RecordListener] | None = None) -> None:
        self.inner = inner
        self.listeners = list(listeners or [])

    def record(self, record: Record) -> bool:
        """Observe ``record`` and queue it with ``inner``; False when ``inner`` dropped it."""
        if isinstance(record, LLMCallRecord):
            usage = usage_var.get()
            if usage is not None:
                usage.add(record)
                if record.user_id is None and usage.user is not None:
                    user_id = usage.user()
                    if user_id is not None:
                        record = attrs.evolve(record, user_id=user_id)
        for listener in self.listeners:
            try:
                listener(record)
            except Exception:  # pragma: no cover - a bug in a listener
                log.exception("a record listener failed")
        return self.inner.record(record)


class LoopMonitor:
    """Measures event-loop lag: how late a task sleeping ``interval`` seconds is woken.

    A loop blocked for B seconds wakes the monitor at least B - ``interval`` late, so the lag
    seen is a lower bound on blocking, within ``interval``. ``max_lag`` is the largest lag
    since start; ``observe`` (if given) receives every sample.
    """

    def __init__(self, interval: float = 0.02, observe: Callable[[float], None] | None = None) -> None:
        self.interval = interval
        self.observe = observe
        self.max_lag = 0.0
        self.samples = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sampling in the running loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="codeflash-engine loop monitor")

    async def stop(self) -> None:
        """Stop sampling."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.interval)
            lag = max(0.0, loop.time() - before - self.interval)
            self.samples += 1
            if lag > self.max_lag:
                self.max_lag = lag
            if self.observe is not None:
                self.observe(lag)
