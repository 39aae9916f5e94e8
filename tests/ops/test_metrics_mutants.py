"""http/metrics.py: the figures a scrape of one engine reads (what the mutation run of the module
found untested): the histograms' bucket bounds (the dashboards' and alerts' quantiles rest on
them), which bucket an observation lands in, the in-flight count, the LLM token, cost and error
counters, the largest event-loop lag, the recorder's counters carried over as increments, the
resident memory, and when the multiprocess mode is on."""

from __future__ import annotations

import importlib.util
import io
import os
from pathlib import Path
from types import ModuleType

import pytest
from prometheus_client.parser import text_string_to_metric_families

from codeflash_engine import __version__
from codeflash_engine.http import metrics as metrics_module
from codeflash_engine.http.metrics import MULTIPROC_ENV, Metrics, multiprocess_dir, resident_memory
from codeflash_engine.infra.recorder import MemorySink, Recorder
from codeflash_engine.infra.records import ErrorRecord, LLMCallRecord, Record

P = "codeflash_engine_"


def samples(metrics: Metrics) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of the exposition: (name, labels, value)."""
    text = metrics.exposition().decode()
    return [(s.name, dict(s.labels), s.value) for f in text_string_to_metric_families(text) for s in f.samples]


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    """The value of the one sample ``name`` with exactly these labels (among others), None when absent."""
    found = [v for n, ls, v in samples(metrics) if n == P + name and all(ls.get(k) == w for k, w in labels.items())]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


def bounds(metrics: Metrics, histogram: str) -> list[float]:
    """The finite upper bounds of a histogram's buckets, in order."""
    les = [ls["le"] for n, ls, _ in samples(metrics) if n == P + histogram + "_bucket"]
    assert les and les[-1] == "+Inf"
    return [float(le) for le in les[:-1]]


def call(**over: object) -> LLMCallRecord:
    fields: dict[str, object] = {
        "trace_id": "t",
        "call_type": "optimize",
        "model_name": "gpt-4.1",
        "provider": "openai",
        "latency_ms": 1500,
        "outcome": "ok",
        "tokens_in": 10,
        "tokens_out": 5,
        **over,
    }
    return LLMCallRecord(**fields)  # type: ignore[arg-type]


def test_the_histograms_bucket_bounds() -> None:
    """The documented bounds of every histogram (seconds): changing one changes what the
    dashboards' quantiles and the alerts read."""
    metrics = Metrics()
    metrics.request_started()
    metrics.request_finished("/ai/optimize", 200, 0.3, 0.01, None)
    metrics.observe_record(call())
    metrics.observe_lag(0.02)
    assert bounds(metrics, "http_request_duration_seconds") == [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
    ]  # fmt: skip
    assert bounds(metrics, "http_overhead_seconds") == [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ]  # fmt: skip
    assert bounds(metrics, "llm_call_duration_seconds") == [
        0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
    ]  # fmt: skip
    assert bounds(metrics, "event_loop_lag_seconds") == [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0]


def test_observations_land_in_their_buckets_in_seconds() -> None:
    """A request of 0.3 s with 0.01 s of overhead, an LLM call of 1500 ms (observed as 1.5 s)
    and a lag of 0.02 s, each counted from its own bucket up (a bound is inclusive)."""
    metrics = Metrics()
    metrics.request_started()
    metrics.request_finished("/ai/optimize", 200, 0.3, 0.01, None)
    metrics.observe_record(call(latency_ms=1500))
    metrics.observe_lag(0.02)
    route = {"route": "/ai/optimize"}
    assert value(metrics, "http_request_duration_seconds_bucket", le="0.25", **route) == 0
    assert value(metrics, "http_request_duration_seconds_bucket", le="0.5", **route) == 1
    assert value(metrics, "http_request_duration_seconds_sum", **route) == pytest.approx(0.3)
    assert value(metrics, "http_overhead_seconds_bucket", le="0.005", **route) == 0
    assert value(metrics, "http_overhead_seconds_bucket", le="0.01", **route) == 1
    llm = {"provider": "openai", "model": "gpt-4.1"}
    assert value(metrics, "llm_call_duration_seconds_bucket", le="1.0", **llm) == 0
    assert value(metrics, "llm_call_duration_seconds_bucket", le="2.5", **llm) == 1
    assert value(metrics, "llm_call_duration_seconds_sum", **llm) == pytest.approx(1.5, abs=1e-9)
    assert value(metrics, "event_loop_lag_seconds_bucket", le="0.01") == 0
    assert value(metrics, "event_loop_lag_seconds_bucket", le="0.025") == 1


def test_requests_in_flight_and_http_errors() -> None:
    """Requests in flight go up as they start and down as they finish (this process's count
    too); an answered request is counted by route and status, and by error class when it
    failed."""
    metrics = Metrics()
    assert metrics.active == 0 and value(metrics, "http_requests_in_flight") == 0
    metrics.request_started()
    metrics.request_started()
    assert metrics.active == 2 and value(metrics, "http_requests_in_flight") == 2
    metrics.request_finished("/ai/optimize", 502, 0.1, 0.1, "UpstreamFailed")
    assert metrics.active == 1 and value(metrics, "http_requests_in_flight") == 1
    metrics.request_finished("/ai/optimize", 200, 0.1, 0.1, None)
    assert metrics.active == 0 and value(metrics, "http_requests_in_flight") == 0
    assert value(metrics, "http_requests_total", route="/ai/optimize", status="502") == 1
    assert value(metrics, "http_requests_total", route="/ai/optimize", status="200") == 1
    assert value(metrics, "errors_total", source="http", **{"class": "UpstreamFailed"}) == 1
    assert [ls for n, ls, _ in samples(metrics) if n == P + "errors_total"] == [
        {"source": "http", "class": "UpstreamFailed"}
    ]


def test_llm_calls_tokens_cost_and_errors() -> None:
    """A successful call adds its input, output and cached tokens and its cost; nothing cached
    or free adds no cached-tokens or cost sample; a failed call adds no tokens, only an
    error of its class ("unknown" when it has none); records other than LLM calls count nothing."""
    metrics = Metrics()
    metrics.observe_record(call(tokens_in=10, tokens_out=5, tokens_cached=3, cost_usd=0.25))
    metrics.observe_record(call(model_name="gpt-4.1-mini", tokens_in=7, tokens_out=2))
    metrics.observe_record(call(outcome="error", tokens_in=100, tokens_out=100, error_class=None, cost_usd=1.0))
    metrics.observe_record(call(outcome="error", tokens_in=100, tokens_out=100, error_class="timeout"))
    other: Record = ErrorRecord(trace_id="t", error_type="x", message="y")
    metrics.observe_record(other)
    llm = {"provider": "openai", "model": "gpt-4.1"}
    assert value(metrics, "llm_calls_total", outcome="ok", **llm) == 1
    assert value(metrics, "llm_calls_total", outcome="error", **llm) == 2
    assert value(metrics, "llm_tokens_total", kind="input", **llm) == 10
    assert value(metrics, "llm_tokens_total", kind="output", **llm) == 5
    assert value(metrics, "llm_tokens_total", kind="cached", **llm) == 3
    assert value(metrics, "llm_cost_usd_total", **llm) == 0.25
    mini = {"provider": "openai", "model": "gpt-4.1-mini"}
    assert value(metrics, "llm_tokens_total", kind="input", **mini) == 7
    assert value(metrics, "llm_tokens_total", kind="cached", **mini) is None
    assert value(metrics, "llm_cost_usd_total", **mini) is None
    assert value(metrics, "errors_total", source="llm", **{"class": "unknown"}) == 1
    assert value(metrics, "errors_total", source="llm", **{"class": "timeout"}) == 1
    assert value(metrics, "llm_call_duration_seconds_count", **llm) == 3
    assert value(metrics, "errors_total", source="http") is None


def test_the_largest_event_loop_lag_is_kept() -> None:
    """The max gauge follows the largest lag seen, not the latest one."""
    metrics = Metrics()
    metrics.observe_lag(0.2)
    metrics.observe_lag(0.1)
    assert value(metrics, "event_loop_lag_max_seconds") == pytest.approx(0.2)
    metrics.observe_lag(0.3)
    assert value(metrics, "event_loop_lag_max_seconds") == pytest.approx(0.3)
    assert value(metrics, "event_loop_lag_seconds_count") == 3


async def test_refresh_carries_the_recorders_counts_over_as_increments() -> None:
    """Each scrape adds what the recorder counted since the previous one (a counter never counts
    twice), reads its queue depth and this process's memory; without a recorder only the memory."""
    metrics = Metrics()
    metrics.refresh(None)
    assert value(metrics, "worker_resident_memory_bytes") == resident_memory() > 0
    assert value(metrics, "recorder_records_total") is None and value(metrics, "recorder_sink_failures_total") == 0

    recorder = Recorder(MemorySink(), max_queue=4)  # never started: its records wait
    for _ in range(6):
        recorder.record(call())
    assert recorder.queue_depth == 4 and recorder.dropped == 2
    recorder.written, recorder.shed, recorder.rejected, recorder.sink_failures = 3, 1, 1, 4
    metrics.refresh(recorder)
    assert value(metrics, "recorder_queue_depth") == 4
    recorder.written, recorder.dropped, recorder.sink_failures = 8, 3, 5  # some by one only
    metrics.refresh(recorder)
    metrics.refresh(recorder)  # nothing new: nothing added
    assert value(metrics, "recorder_records_total", outcome="written") == 8
    assert value(metrics, "recorder_records_total", outcome="dropped") == 3
    assert value(metrics, "recorder_records_total", outcome="shed") == 1
    assert value(metrics, "recorder_records_total", outcome="rejected") == 1
    assert value(metrics, "recorder_sink_failures_total") == 5


def test_resident_memory_is_the_resident_set_in_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The resident set (VmRSS of /proc/self/status, in kB there) in bytes, not the virtual
    size or the shared part; 0 when it cannot be read."""
    status = Path("/proc/self/status").read_text()
    rss_kb = int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])
    assert resident_memory() == pytest.approx(rss_kb * 1024, rel=0.1)

    def unreadable(*_: object, **__: object) -> object:
        raise OSError("no /proc here")

    monkeypatch.setattr(metrics_module, "open", unreadable, raising=False)
    assert resident_memory() == 0
    for statm in (b"", b"123 many 45"):  # too short, not a number

        def reads(*_: object, statm: bytes = statm, **__: object) -> io.BytesIO:
            return io.BytesIO(statm)

        monkeypatch.setattr(metrics_module, "open", reads, raising=False)
        assert resident_memory() == 0, statm


def fresh_metrics_module() -> ModuleType:
    """Another copy of http/metrics.py, executed now (its page size read at import)."""
    spec = importlib.util.spec_from_file_location("codeflash_engine_metrics_copy", metrics_module.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_resident_set_is_counted_in_pages_of_the_hosts_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """statm counts pages: 25 resident pages are 25 times the host's page size (16 KiB here),
    4 KiB where the platform cannot tell its page size."""

    def statm(*_: object, **__: object) -> io.BytesIO:
        return io.BytesIO(b"100 25 10 1 0 20 0\n")

    real_sysconf = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: 16384 if name == "SC_PAGE_SIZE" else real_sysconf(name))
    module = fresh_metrics_module()
    monkeypatch.setattr(module, "open", statm, raising=False)
    assert module.resident_memory() == 25 * 16384
    monkeypatch.delattr(os, "sysconf")
    module = fresh_metrics_module()
    monkeypatch.setattr(module, "open", statm, raising=False)
    assert module.resident_memory() == 25 * 4096


def test_the_multiprocess_mode_is_on_when_its_folder_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """PROMETHEUS_MULTIPROC_DIR names the folder of the multiprocess mode; unset or empty, the
    mode is off and the application has a registry of its own (the process collectors in it)."""
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    assert multiprocess_dir() is None
    metrics = Metrics()
    assert not metrics.multiprocess and metrics.registry is not None
    assert value(metrics, "build_info", version=__version__) == 1
    assert b"process_cpu_seconds_total" in metrics.exposition()
    monkeypatch.setenv(MULTIPROC_ENV, "")
    assert multiprocess_dir() is None and not Metrics().multiprocess
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    assert multiprocess_dir() == str(tmp_path)
    shared = Metrics()
    assert shared.multiprocess and shared.registry is None
    # a scrape reads the workers' files only: none were written in this folder
    assert b"process_cpu_seconds_total" not in shared.exposition()
