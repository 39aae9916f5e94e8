"""What the recorder does to a record on its way in (privacy mode, the organization and request
stamped from the request's context, telemetry giving way), and how it copes (backoff, the drop
warning, the record set aside). The linger's edges are in test_llm_recorder.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence

import pytest

from codeflash_engine.errors import InvalidRequest
from codeflash_engine.infra import recorder as recorder_module
from codeflash_engine.infra.logging import request_id_var
from codeflash_engine.infra.recorder import MemorySink, Recorder, record_fields
from codeflash_engine.infra.records import ErrorRecord, FeaturesRecord, LLMCallRecord, Record, organization_id_var
from codeflash_engine.infra.tenancy import WITHHELD, privacy_var


def call(i: int = 0, **fields: object) -> LLMCallRecord:
    return LLMCallRecord(trace_id="t", call_type="optimize", model_name=f"m{i}", provider="openai", **fields)  # type: ignore[arg-type]


def error() -> ErrorRecord:
    return ErrorRecord(trace_id="t", error_type="postprocess", message="def secret(): pass", stack_trace="at secret")


async def written(*records: Record) -> list[Record]:
    sink = MemorySink()
    recorder = Recorder(sink)
    for record in records:
        recorder.record(record)
    await recorder.close()
    return sink.records


async def test_an_error_record_in_privacy_mode_keeps_no_code() -> None:
    token = privacy_var.set(True)
    try:
        [kept] = await written(error())
    finally:
        privacy_var.reset(token)
    assert isinstance(kept, ErrorRecord)
    assert kept.message == f"postprocess ({WITHHELD})" and kept.stack_trace is None


async def test_an_error_record_outside_privacy_mode_is_kept_whole() -> None:
    [kept] = await written(error())
    assert isinstance(kept, ErrorRecord)
    assert (kept.message, kept.stack_trace) == ("def secret(): pass", "at secret")


async def test_a_features_record_in_privacy_mode_keeps_numbers_and_ids_only() -> None:
    payload = {"original_code": "def secret(): pass", "speedup": 1.5, "note": "free text with code", "id": "abc-1"}
    token = privacy_var.set(True)
    try:
        [kept] = await written(FeaturesRecord("t", "alice", payload))
    finally:
        privacy_var.reset(token)
    assert isinstance(kept, FeaturesRecord)
    assert "original_code" not in kept.payload and kept.payload["speedup"] == 1.5
    assert kept.payload["note"] is None and kept.payload["id"] == "abc-1"


async def test_a_features_record_outside_privacy_mode_is_kept_whole() -> None:
    payload = {"original_code": "def f(): pass", "speedup": 1.5}
    [kept] = await written(FeaturesRecord("t", "alice", payload))
    assert kept.payload == payload  # type: ignore[union-attr]


async def test_a_call_record_gets_the_request_s_organization_and_request_id() -> None:
    org, req = organization_id_var.set(7), request_id_var.set("req-1")
    try:
        records = await written(call(0), call(1, organization_id=3), call(2, request_id="req-2"))
    finally:
        organization_id_var.reset(org)
        request_id_var.reset(req)
    stamps = [(r.organization_id, r.request_id) for r in records]  # type: ignore[union-attr]
    assert stamps == [(7, "req-1"), (3, "req-1"), (7, "req-2")]  # what the record says wins


async def test_a_call_record_outside_a_request_stays_as_it_is() -> None:
    [kept] = await written(call(0))
    assert (kept.organization_id, kept.request_id) == (None, None)  # type: ignore[union-attr]
    both = call(1, organization_id=3, request_id="req-9")
    assert await written(both) == [both]


async def test_an_unbounded_queue_never_sheds_telemetry() -> None:
    recorder = Recorder(MemorySink(), max_queue=0)  # not started: everything stays queued
    for i in range(10):
        assert recorder.record(call(i))
    assert recorder.record(FeaturesRecord("t", "alice", {"x": 1})) and recorder.shed == 0
    await recorder.close()


async def test_telemetry_is_shed_from_half_full_not_before() -> None:
    recorder = Recorder(MemorySink(), max_queue=6)
    recorder.record(call(0))
    recorder.record(call(1))  # 2 of 6: under half
    assert recorder.record(FeaturesRecord("t", "alice", {"x": 1}))  # 3 of 6 now: half full
    assert not recorder.record(FeaturesRecord("t", "alice", {"x": 2}))
    assert (recorder.shed, recorder.dropped) == (1, 0)
    await recorder.close()


async def test_telemetry_on_a_queue_of_one_is_shed_not_dropped() -> None:
    recorder = Recorder(MemorySink(), max_queue=1)
    assert recorder.record(call(0))
    assert not recorder.record(FeaturesRecord("t", "alice", {"x": 1}))
    assert (recorder.shed, recorder.dropped) == (1, 0)
    await recorder.close()


async def test_a_fresh_recorder_holds_nothing_and_close_stops_its_task() -> None:
    recorder = Recorder(MemorySink())
    assert recorder.queue_depth == 0
    recorder.start()
    task = recorder._task
    assert task is not None and not task.done()
    await recorder.close()
    assert task.done() and recorder.queue_depth == 0


class Failing:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.records: list[Record] = []

    async def write(self, batch: Sequence[Record]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database is down")
        self.records.extend(batch)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the recorder sleeps between retries (each sleep then lasts no time)."""
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float) -> None:
        slept.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(recorder_module.asyncio, "sleep", sleep)
    return slept


async def test_retries_back_off_doubling_up_to_the_cap(waits: list[float]) -> None:
    sink = Failing(failures=5)
    recorder = Recorder(sink, retry_base=0.1, retry_cap=0.5)
    recorder.record(call(0))
    await recorder.close()
    assert waits == [0.1, 0.2, 0.4, 0.5, 0.5]
    assert len(sink.records) == 1


async def test_by_default_a_failed_write_is_retried_after_a_fifth_of_a_second(waits: list[float]) -> None:
    sink = Failing(failures=2)
    recorder = Recorder(sink)
    recorder.record(call(0))
    await recorder.close()
    assert waits == [0.2, 0.4] and len(sink.records) == 1


async def test_a_full_queue_warns_once_then_stays_quiet(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder(MemorySink(), max_queue=1)
    recorder.record(call(0))
    with caplog.at_level(logging.WARNING, logger=recorder_module.__name__):
        for i in range(5):
            assert not recorder.record(call(i + 1))
    warnings = [r for r in caplog.records if "recorder queue full" in r.getMessage()]
    assert len(warnings) == 1 and recorder.dropped == 5
    await recorder.close()


class Refusing:
    """Refuses any batch holding the record of model ``bad``."""

    def __init__(self, bad: str) -> None:
        self.bad = bad
        self.records: list[Record] = []

    async def write(self, batch: Sequence[Record]) -> None:
        if any(getattr(r, "model_name", None) == self.bad for r in batch):
            raise InvalidRequest("a value the database refuses " + "x" * 400)
        self.records.extend(batch)


async def test_the_record_set_aside_is_named_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    sink = Refusing("m2")
    recorder = Recorder(sink)
    with caplog.at_level(logging.ERROR, logger=recorder_module.__name__):
        for i in range(4):
            recorder.record(
                LLMCallRecord(trace_id=f"trace-{i}", call_type="optimize", model_name=f"m{i}", provider="x")
            )
        await recorder.close()
    assert [r.model_name for r in sink.records] == ["m0", "m1", "m3"]  # type: ignore[union-attr]
    [line] = [r for r in caplog.records if "set aside" in r.getMessage()]
    assert "'trace-2'" in line.getMessage() and "llm_call" in line.getMessage()
    assert line.sink_error.startswith("a value the database refuses") and len(line.sink_error) == 300  # type: ignore[attr-defined]
    assert recorder.rejected == 1


def test_record_fields_are_json_ready() -> None:
    when = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    fields = record_fields(call(0, created=when))
    assert fields["created"] == "2026-12-06T12:00:00+00:00" and fields["kind"] == "llm_call"
