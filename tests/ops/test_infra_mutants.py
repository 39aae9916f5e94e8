"""Small infrastructure pieces, pinned where the mutation runs found them untested.

- infra/db/safe_text.py: a JSON-shaped value made safe for PostgreSQL all the way down (dict
  keys and values, lists and tuples, nested), other values left as they are.
- infra/observability.py: a request's LLM time is the union of its calls' spans, to the second
  on a controlled clock; each call record's tokens, cost and failure are added; the tap keeps a
  record's own user id, survives a failing listener and passes on what the inner taker says; the
  loop monitor's samples, lag (clamped at zero, the largest kept), start and stop, measured on an
  event loop whose clock only moves when the test says so (waiting for a timer jumps to it).
"""

from __future__ import annotations

import asyncio
import logging
import selectors
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest

from codeflash_engine.infra import observability
from codeflash_engine.infra.db.safe_text import REPLACEMENT, pg_optional, pg_text, pg_value
from codeflash_engine.infra.observability import LoopMonitor, RecordTap, RequestUsage, track_request, usage_var
from codeflash_engine.infra.records import ErrorRecord, LLMCallRecord, Record

# --- safe_text ------------------------------------------------------------------------------


def test_a_json_value_is_made_safe_all_the_way_down() -> None:
    value = {
        "k\x00": ["a\x00", ("b\ud800", 3), {"c": "d\udfff"}, None, 2.5, True],
        7: "e\x00",
        "plain": "fine",
    }
    assert pg_value(value) == {
        "k\ufffd": ["a\ufffd", ["b\ufffd", 3], {"c": "d\ufffd"}, None, 2.5, True],
        7: "e\ufffd",
        "plain": "fine",
    }
    assert pg_value(("x\x00",)) == ["x\ufffd"]
    assert pg_value(5) == 5 and pg_value(None) is None


def test_only_nul_and_lone_surrogates_are_replaced() -> None:
    safe = "caf\u00e9 \ud7ff\ue000 \U0001f600"
    assert pg_text(safe) is safe
    assert pg_text("\x00a\ud800b\udfff") == f"{REPLACEMENT}a{REPLACEMENT}b{REPLACEMENT}"
    assert pg_optional(None) is None and pg_optional("\x00") == REPLACEMENT


# --- RequestUsage and RecordTap --------------------------------------------------------------


class Clock:
    """A perf_counter that returns what the test set."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(time, "perf_counter", fake)  # the clock RequestUsage reads
    return fake


def test_llm_time_is_the_union_of_the_calls_spans(clock: Clock) -> None:
    usage = RequestUsage()
    clock.now = 1.0
    usage.enter_llm()
    clock.now = 3.0
    usage.enter_llm()  # overlaps the first: the span started at 1
    clock.now = 4.0
    usage.leave_llm()
    clock.now = 5.0
    assert usage.llm_seconds == 0.0
    assert usage.llm_seconds_now() == 4.0
    clock.now = 7.0
    usage.leave_llm()
    assert usage.llm_seconds == 6.0
    clock.now = 10.0
    assert usage.llm_seconds_now() == 6.0
    usage.enter_llm()
    clock.now = 12.0
    assert usage.llm_seconds_now() == 8.0
    clock.now = 13.0
    usage.leave_llm()
    assert usage.llm_seconds == 9.0 and usage.llm_seconds_now() == 9.0


def _call(
    outcome: str = "ok", *, tokens_in: int = 0, tokens_out: int = 0, tokens_cached: int = 0, cost_usd: float = 0.0
) -> LLMCallRecord:
    return LLMCallRecord(
        trace_id="t",
        call_type="optimize",
        model_name="m",
        provider="p",
        outcome=outcome,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        tokens_cached=tokens_cached,
        cost_usd=cost_usd,
    )


def _user(record: Record) -> str | None:
    assert isinstance(record, LLMCallRecord)
    return record.user_id


def test_each_record_adds_its_tokens_cost_and_failure() -> None:
    usage = RequestUsage()
    assert (usage.llm_calls, usage.llm_failures, usage.tokens_in, usage.tokens_out) == (0, 0, 0, 0)
    assert (usage.tokens_cached, usage.cost_usd, usage.llm_seconds) == (0, 0.0, 0.0)
    usage.add(_call(tokens_in=10, tokens_out=3, tokens_cached=2, cost_usd=0.25))
    usage.add(_call("error", tokens_in=1))
    usage.add(_call("cancelled", tokens_out=4, cost_usd=0.5))
    usage.add(_call("error"))
    assert usage.llm_calls == 4
    assert usage.llm_failures == 2  # the cancelled call did not fail
    assert (usage.tokens_in, usage.tokens_out, usage.tokens_cached) == (11, 7, 2)
    assert usage.cost_usd == 0.75


class Inner:
    """The recorder's side of the tap: keeps what it is given, answers ``accept``."""

    def __init__(self, accept: bool = True) -> None:
        self.accept = accept
        self.seen: list[Record] = []

    def record(self, record: Record) -> bool:
        self.seen.append(record)
        return self.accept


@pytest.fixture
def request_usage() -> Iterator[RequestUsage]:
    token = usage_var.set(None)
    try:
        yield track_request()
    finally:
        usage_var.reset(token)


def test_the_tap_keeps_a_records_own_user_and_stamps_the_callers_otherwise(request_usage: RequestUsage) -> None:
    inner = Inner()
    tap = RecordTap(inner)
    own = LLMCallRecord(trace_id="t", call_type="optimize", model_name="m", provider="p", user_id="alice")
    # no caller known: the record goes through as it is
    assert tap.record(_call())
    assert _user(inner.seen[-1]) is None
    request_usage.user = lambda: "bob"
    assert tap.record(own)
    assert inner.seen[-1] is own
    tap.record(_call())
    assert _user(inner.seen[-1]) == "bob"
    request_usage.user = lambda: None
    plain = _call()
    tap.record(plain)
    assert inner.seen[-1] is plain
    assert request_usage.llm_calls == 4


def test_a_failing_listener_is_logged_and_the_record_still_goes_through(
    request_usage: RequestUsage, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[Record] = []

    def broken(record: Record) -> None:
        raise RuntimeError("listener bug")

    inner = Inner(accept=False)
    tap = RecordTap(inner, [broken, heard.append])
    error = ErrorRecord(trace_id="t", error_type="x", message="y")
    with caplog.at_level(logging.ERROR, logger=observability.__name__):
        assert tap.record(error) is False  # what the inner taker said
    assert heard == [error] and inner.seen == [error]
    assert "a record listener failed" in caplog.text


# --- LoopMonitor on a virtual clock ----------------------------------------------------------


class _VirtualSelector(selectors.DefaultSelector):
    """Never blocks: waiting ``timeout`` seconds moves the loop's clock by that much instead."""

    def __init__(self, loop: Callable[[], VirtualLoop]) -> None:
        super().__init__()
        self._loop = loop
        self.calls = 0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        self.calls += 1
        assert self.calls < 10_000, "the loop spins without time moving"
        assert timeout is not None, "nothing scheduled: the loop would wait forever"
        loop = self._loop()
        loop.now += max(0.0, timeout - loop.early)
        return super().select(0)


class VirtualLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock starts at 100 s and moves only when it waits or a test moves it.

    ``early``: how much sooner than due a timer is woken (asyncio wakes timers due within its
    clock resolution, here 1 ms).
    """

    def __init__(self, early: float = 0.0) -> None:
        self.now = 100.0
        self.early = early
        super().__init__(_VirtualSelector(lambda: self))
        self._clock_resolution = 0.001

    def time(self) -> float:
        return self.now

    def block(self, seconds: float) -> None:
        """CPU-bound work that holds the loop ``seconds``."""
        self.now += seconds


def run_virtual(main: Callable[[VirtualLoop], Awaitable[None]], early: float = 0.0) -> None:
    loop = VirtualLoop(early)
    try:
        loop.run_until_complete(main(loop))
    finally:
        loop.close()


def test_the_monitor_measures_how_late_the_loop_wakes_it() -> None:
    lags: list[float] = []
    monitor = LoopMonitor(0.25, observe=lags.append)

    async def main(loop: VirtualLoop) -> None:
        assert monitor.max_lag == 0.0 and monitor.samples == 0
        monitor.start()
        monitor.start()  # already running: still one sampler
        await asyncio.sleep(1.125)  # wakes at 100.25, 100.5, 100.75, 101.0: on time
        assert lags == [0.0, 0.0, 0.0, 0.0] and monitor.samples == 4 and monitor.max_lag == 0.0
        loop.block(1.0)  # due at 101.25, woken at 102.125
        await asyncio.sleep(0.3125)  # then 102.375: on time again
        assert lags == [0.0, 0.0, 0.0, 0.0, 0.875, 0.0]
        assert monitor.samples == 6 and monitor.max_lag == 0.875
        await monitor.stop()
        await asyncio.sleep(1.0)
        assert monitor.samples == 6  # stopped: no more samples
        await monitor.stop()  # stopping twice is harmless
        monitor.start()  # and it starts again
        await asyncio.sleep(0.3)
        assert monitor.samples == 7
        await monitor.stop()

    run_virtual(main)


def test_a_timer_woken_early_is_no_lag_and_the_default_interval_is_20_ms() -> None:
    lags: list[float] = []
    monitor = LoopMonitor(observe=lags.append)

    async def main(loop: VirtualLoop) -> None:
        monitor.start()
        await asyncio.sleep(0.09)  # samples at 20, 40, 60 and 80 ms, each woken 0.5 ms early
        await monitor.stop()

    run_virtual(main, early=0.0005)
    assert lags == [0.0, 0.0, 0.0, 0.0] and monitor.samples == 4 and monitor.max_lag == 0.0


def test_the_monitor_samples_without_an_observer() -> None:
    monitor = LoopMonitor(0.25)

    async def main(loop: VirtualLoop) -> None:
        monitor.start()
        await asyncio.sleep(0.375)
        loop.block(0.5)
        await asyncio.sleep(0.0625)
        await monitor.stop()

    run_virtual(main)
    assert monitor.samples == 2 and monitor.max_lag == 0.375
