"""The background recorder: non-blocking, bounded, batched, retrying, drained on close."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Sequence

import pytest

from codeflash_engine.infra.logging import ContextFilter, JsonFormatter
from codeflash_engine.infra.recorder import LogSink, MemorySink, Recorder, open_recorder
from codeflash_engine.infra.records import ErrorRecord, FeaturesRecord, LLMCallRecord, Record


def call(i: int = 0, trace: str | None = "t") -> LLMCallRecord:
    return LLMCallRecord(trace_id=trace, call_type="optimize", model_name=f"m{i}", provider="openai")


class SlowSink:
    def __init__(self) -> None:
        self.batches: list[list[Record]] = []
        self.release = asyncio.Event()

    async def write(self, batch: Sequence[Record]) -> None:
        await self.release.wait()
        self.batches.append(list(batch))


class FlakySink:
    """Fails its first ``failures`` writes."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.records: list[Record] = []
        self.calls = 0

    async def write(self, batch: Sequence[Record]) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("database is down")
        self.records.extend(batch)


async def test_records_are_written_in_batches_and_drained_on_close() -> None:
    sink = SlowSink()
    recorder = Recorder(sink, batch_size=100)
    recorder.start()
    for i in range(250):
        assert recorder.record(call(i))
    await asyncio.sleep(0)  # the worker takes its first batch and waits on the sink
    assert recorder.queue_depth == 250
    sink.release.set()
    await recorder.close()
    assert [len(b) for b in sink.batches] == [100, 100, 50]
    assert [r.model_name for b in sink.batches for r in b] == [f"m{i}" for i in range(250)]
    assert recorder.written == 250 and recorder.dropped == 0 and recorder.queue_depth == 0


async def test_a_full_queue_drops_and_counts_without_blocking() -> None:
    sink = SlowSink()
    recorder = Recorder(sink, max_queue=10, batch_size=5)
    recorder.start()
    await asyncio.sleep(0)
    accepted = [recorder.record(call(i)) for i in range(30)]
    assert accepted.count(True) == 10
    assert recorder.dropped == 20
    sink.release.set()
    await recorder.close()
    assert recorder.written == 10


async def test_a_failing_sink_is_retried_while_new_records_wait() -> None:
    sink = FlakySink(failures=3)
    recorder = Recorder(sink, retry_base=0.01, retry_cap=0.02)
    recorder.start()
    recorder.record(call(0))
    await asyncio.sleep(0.005)
    recorder.record(call(1))  # arrives while the sink is failing
    await recorder.close()
    assert [r.model_name for r in sink.records if isinstance(r, LLMCallRecord)] == ["m0", "m1"]
    assert recorder.sink_failures == 3 and recorder.dropped == 0


async def test_close_gives_up_on_a_dead_sink_after_its_grace() -> None:
    sink = FlakySink(failures=10**9)
    recorder = Recorder(sink, retry_base=0.01, retry_cap=0.01)
    recorder.start()
    for i in range(3):
        recorder.record(call(i))
    await recorder.close(grace=0.1)
    assert recorder.dropped == 3
    assert not recorder.record(call(9))  # closed: refused and counted
    assert recorder.dropped == 4


async def test_open_recorder_context_manager() -> None:
    sink = MemorySink()
    async with open_recorder(sink) as recorder:
        recorder.record(call(1))
        recorder.record(ErrorRecord(trace_id="t", error_type="postprocess", message="no candidates"))
    assert len(sink.llm_calls) == 1 and len(sink.errors) == 1


async def test_log_sink_writes_one_structured_line_per_record() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("test.records")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        await LogSink(logger).write([call(1, trace="trace-1"), ErrorRecord(trace_id=None, error_type="x", message="y")])
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 2
    assert lines[0]["msg"] == "llm_call" and lines[0]["trace_id"] == "trace-1"
    assert lines[0]["model_name"] == "m1" and lines[0]["cost_usd"] == 0.0 and lines[0]["outcome"] == "ok"
    assert lines[1]["msg"] == "error" and lines[1]["error_type"] == "x"


async def test_features_records_give_way_to_call_records_when_the_queue_fills() -> None:
    """Features records (telemetry) are shed once the queue is half full; call records (the
    bill) still take the other half, and are dropped only when it is full."""
    sink = MemorySink()
    recorder = Recorder(sink, max_queue=4)  # not started: nothing leaves the queue
    features = [FeaturesRecord(f"t{i}", "alice", {"prompt_arm": "x"}) for i in range(3)]
    assert recorder.record(features[0]) and recorder.record(call(1))  # 2 of 4: half full
    assert not recorder.record(features[1])
    assert recorder.record(call(2)) and recorder.record(call(3))
    assert not recorder.record(call(4)) and not recorder.record(features[2])
    assert (recorder.shed, recorder.dropped) == (2, 1)
    await recorder.close()
    assert [type(r).__name__ for r in sink.records] == ["FeaturesRecord", *["LLMCallRecord"] * 3]


async def test_a_features_record_is_logged_without_its_values() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("test.recorder.features")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        await LogSink(logger).write([FeaturesRecord("t1", "alice", {"original_code": "secret()", "prompt_arm": "x"})])
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue().strip())
    assert line["msg"] == "features" and line["trace_id"] == "t1" and line["payload"] == ["original_code", "prompt_arm"]
    assert "secret()" not in stream.getvalue()


class CountingSink:
    def __init__(self) -> None:
        self.batches: list[list[Record]] = []

    async def write(self, batch: Sequence[Record]) -> None:
        self.batches.append(list(batch))


async def test_records_arriving_within_the_linger_share_one_write() -> None:
    sink = CountingSink()
    recorder = Recorder(sink, linger=0.2)
    recorder.start()
    recorder.record(call(0))
    await asyncio.sleep(0.05)
    assert sink.batches == [] and recorder.queue_depth == 1  # the first one waits, and is counted
    recorder.record(call(1))
    await asyncio.sleep(0.05)
    recorder.record(call(2))
    await asyncio.sleep(0.3)
    assert [[r.model_name for r in b] for b in sink.batches] == [["m0", "m1", "m2"]]
    recorder.record(call(3))  # the next batch lingers again
    await asyncio.sleep(0.05)
    assert len(sink.batches) == 1
    await asyncio.sleep(0.3)
    assert [len(b) for b in sink.batches] == [3, 1] and recorder.queue_depth == 0
    await recorder.close()


async def test_without_linger_the_first_record_is_written_at_once() -> None:
    sink = CountingSink()
    recorder = Recorder(sink)
    recorder.start()
    recorder.record(call(0))
    await asyncio.sleep(0.01)
    assert len(sink.batches) == 1
    await recorder.close()


async def test_close_does_not_wait_out_the_linger() -> None:
    sink = CountingSink()
    recorder = Recorder(sink, linger=30.0)
    recorder.start()
    recorder.record(call(0))
    await asyncio.sleep(0.01)
    recorder.record(call(1))
    started = asyncio.get_running_loop().time()
    await recorder.close()
    assert asyncio.get_running_loop().time() - started < 1.0
    assert [len(b) for b in sink.batches] == [2] and recorder.written == 2


@pytest.mark.parametrize(
    ("queued", "at_once", "lingering", "in_the_end"),
    [(7, [3, 3], 1, [3, 3, 1]), (3, [3], 0, [3])],  # the seventh lingers alone; exactly full: none
)
async def test_a_full_batch_does_not_linger(
    queued: int, at_once: list[int], lingering: int, in_the_end: list[int]
) -> None:
    sink = CountingSink()
    recorder = Recorder(sink, batch_size=3, linger=30.0)
    for i in range(queued):
        recorder.record(call(i))
    recorder.start()
    await asyncio.sleep(0.05)
    assert [len(b) for b in sink.batches] == at_once
    assert recorder.queue_depth == lingering
    await recorder.close()
    assert [len(b) for b in sink.batches] == in_the_end


async def test_a_batch_one_short_lingers_for_the_last_record() -> None:
    sink = CountingSink()
    recorder = Recorder(sink, batch_size=3, linger=0.3)
    recorder.record(call(0))
    recorder.record(call(1))
    recorder.start()
    await asyncio.sleep(0.05)
    assert sink.batches == []
    recorder.record(call(2))
    await asyncio.sleep(0.5)
    assert [len(b) for b in sink.batches] == [3]
    await recorder.close()
