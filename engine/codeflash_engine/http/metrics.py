"""Prometheus metrics (the official ``prometheus_client``) and ``GET /metrics``.

What is measured (every name starts with ``codeflash_engine_``):

==========================================  =========  ===========================================
metric                                      type       labels
==========================================  =========  ===========================================
``http_requests_total``                     counter    route, status
``http_request_duration_seconds``           histogram  route
``http_overhead_seconds``                   histogram  route: the engine's own time (total - LLM)
``http_requests_in_flight``                 gauge      (summed over live workers)
``llm_calls_total``                         counter    provider, model, call_type, outcome
``llm_call_duration_seconds``               histogram  provider, model (retries included)
``llm_tokens_total``                        counter    provider, model, kind (input/output/cached)
``llm_cost_usd_total``                      counter    provider, model
``errors_total``                            counter    source (http/llm), class
``recorder_queue_depth``                    gauge      (summed over live workers)
``recorder_records_total``                  counter    outcome (written/dropped/rejected)
``recorder_sink_failures_total``            counter
``plugin_failures_total``                   counter    plugin, hook (a hook raised or timed out)
``connections_cut_total``                   counter    reason (header_timeout/body_timeout/client_gone/malformed)
``event_loop_lag_seconds``                  histogram  how late the loop wakes a sleeping task
``event_loop_lag_max_seconds``              gauge      largest lag since start (max over workers)
``worker_resident_memory_bytes``            gauge      pid (live workers)
``build_info``                              gauge      version
==========================================  =========  ===========================================

Routes are labelled by their template (``/ai/optimize``), and every unknown path as
``unmatched``, so a scanner cannot blow up the label set.

**Several workers.** ``serve --workers N`` runs the client's *multiprocess mode*: the parent sets
``PROMETHEUS_MULTIPROC_DIR`` (its own temporary folder unless the operator gives one) before
forking, each worker writes its values to memory-mapped files there, and whichever worker
answers a scrape aggregates every worker's files. One scrape of the shared port therefore sees
the whole instance, and counters survive a worker restart. (Per-worker scraping would need one
port per worker, since the workers share one listening socket and a scrape reaches a random one.)
Gauges are summed (in-flight, queue depth) or kept per live pid (memory); the parent removes a
dead worker's live gauges. Process collectors (CPU, file descriptors) are per process and not
aggregated in that mode: use ``worker_resident_memory_bytes`` and the node's own metrics.
"""

from __future__ import annotations

import os

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    gc_collector,
    generate_latest,
    multiprocess,
    platform_collector,
    process_collector,
)
from pydantic import RootModel

from codeflash_engine import __version__
from codeflash_engine.http.openapi import ApiRoutes
from codeflash_engine.infra.recorder import Recorder
from codeflash_engine.infra.records import LLMCallRecord, Record

PREFIX = "codeflash_engine"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
OVERHEAD_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LLM_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def multiprocess_dir() -> str | None:
    """The multiprocess folder when that mode is on (``PROMETHEUS_MULTIPROC_DIR`` set), else None."""
    return os.environ.get(MULTIPROC_ENV) or None


def resident_memory() -> int:
    """This process's resident set size in bytes (Linux), 0 when unknown."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


class Metrics:
    """The engine's metrics for one application (a registry of its own, or the multiprocess files)."""

    def __init__(self) -> None:
        self.multiprocess = multiprocess_dir() is not None
        # In multiprocess mode values live in files and a scrape reads them all; metrics are
        # not registered anywhere. Otherwise each application has its own registry (tests build many).
        self.registry: CollectorRegistry | None = None if self.multiprocess else CollectorRegistry()
        reg = self.registry
        if reg is not None:
            process_collector.ProcessCollector(registry=reg)
            platform_collector.PlatformCollector(registry=reg)
            gc_collector.GCCollector(registry=reg)

        def name(short: str) -> str:
            return f"{PREFIX}_{short}"

        self.requests = Counter(name("http_requests"), "HTTP requests answered", ["route", "status"], registry=reg)
        self.duration = Histogram(
            name("http_request_duration_seconds"),
            "Time to answer a request",
            ["route"],
            buckets=REQUEST_BUCKETS,
            registry=reg,
        )
        self.overhead = Histogram(
            name("http_overhead_seconds"),
            "The engine's own time per request: total time minus time waiting on LLM providers",
            ["route"],
            buckets=OVERHEAD_BUCKETS,
            registry=reg,
        )
        self.in_flight = Gauge(
            name("http_requests_in_flight"), "Requests being served", registry=reg, multiprocess_mode="livesum"
        )
        self.llm_calls = Counter(
            name("llm_calls"),
            "LLM calls (a call's retries are one call)",
            ["provider", "model", "call_type", "outcome"],
            registry=reg,
        )
        self.llm_duration = Histogram(
            name("llm_call_duration_seconds"),
            "Duration of LLM calls, retries and waits included",
            ["provider", "model"],
            buckets=LLM_BUCKETS,
            registry=reg,
        )
        self.llm_tokens = Counter(name("llm_tokens"), "LLM tokens by kind", ["provider", "model", "kind"], registry=reg)
        self.llm_cost = Counter(name("llm_cost_usd"), "LLM cost in US dollars", ["provider", "model"], registry=reg)
        self.errors = Counter(name("errors"), "Errors by source and class", ["source", "class"], registry=reg)
        self.queue_depth = Gauge(
            name("recorder_queue_depth"),
            "Records waiting to be written",
            registry=reg,
            multiprocess_mode="livesum",
        )
        self.recorded = Counter(
            name("recorder_records"),
            "Records written, dropped (queue full), shed (features records, queue half full) or rejected "
            "(refused by the database)",
            ["outcome"],
            registry=reg,
        )
        self.sink_failures = Counter(
            name("recorder_sink_failures"), "Failed record writes (each retried)", registry=reg
        )
        self.plugin_failures = Counter(
            name("plugin_failures"), "Plugin hook calls that raised or timed out", ["plugin", "hook"], registry=reg
        )
        self.loop_lag = Histogram(
            name("event_loop_lag_seconds"),
            "How late the event loop woke a task sleeping a fixed interval",
            buckets=LAG_BUCKETS,
            registry=reg,
        )
        self.loop_lag_max = Gauge(
            name("event_loop_lag_max_seconds"),
            "Largest event-loop lag since start",
            registry=reg,
            multiprocess_mode="max",
        )
        self.memory = Gauge(
            name("worker_resident_memory_bytes"),
            "Resident memory of the worker process",
            registry=reg,
            multiprocess_mode="liveall",
        )
        self.connections_cut = Counter(
            name("connections_cut"),
            "Connections cut or requests refused because of the client: slow headers or body, hang-up, malformed",
            ["reason"],
            registry=reg,
        )
        Gauge(name("build_info"), "Engine version", ["version"], registry=reg, multiprocess_mode="max").labels(
            __version__
        ).set(1)
        self._seen_written = 0
        self._seen_dropped = 0
        self._seen_shed = 0
        self._seen_rejected = 0
        self._seen_failures = 0
        self._lag_max = 0.0
        #: requests being served by this process now
        self.active = 0

    # --- updates ---------------------------------------------------------------------------------

    def request_started(self) -> None:
        """A request enters the engine."""
        self.active += 1
        self.in_flight.inc()

    def connection_cut(self, reason: str) -> None:
        """A client was cut off: header_timeout, body_timeout, client_gone or malformed."""
        self.connections_cut.labels(reason).inc()

    def request_finished(
        self, route: str, status: int, seconds: float, overhead: float, error_class: str | None
    ) -> None:
        """A request was answered (or cancelled)."""
        self.active -= 1
        self.in_flight.dec()
        self.requests.labels(route, str(status)).inc()
        self.duration.labels(route).observe(seconds)
        self.overhead.labels(route).observe(overhead)
        if error_class is not None:
            self.errors.labels("http", error_class).inc()

    def observe_record(self, record: Record) -> None:
        """A record on its way to the recorder (LLM calls are counted here)."""
        if not isinstance(record, LLMCallRecord):
            return
        provider, model = record.provider, record.model_name
        self.llm_calls.labels(provider, model, record.call_type, record.outcome).inc()
        self.llm_duration.labels(provider, model).observe(record.latency_ms / 1000)
        if record.outcome == "ok":
            self.llm_tokens.labels(provider, model, "input").inc(record.tokens_in)
            self.llm_tokens.labels(provider, model, "output").inc(record.tokens_out)
            if record.tokens_cached:
                self.llm_tokens.labels(provider, model, "cached").inc(record.tokens_cached)
            if record.cost_usd:
                self.llm_cost.labels(provider, model).inc(record.cost_usd)
        else:
            self.errors.labels("llm", record.error_class or "unknown").inc()

    def observe_plugin_failure(self, plugin: str, hook: str) -> None:
        """A plugin's hook raised or ran past its time limit."""
        self.plugin_failures.labels(plugin, hook).inc()

    def observe_lag(self, lag: float) -> None:
        """One sample of the loop monitor."""
        self.loop_lag.observe(lag)
        if lag > self._lag_max:
            self._lag_max = lag
            self.loop_lag_max.set(lag)

    def refresh(self, recorder: Recorder | None) -> None:
        """Bring the sampled values up to date (recorder counters, memory)."""
        self.memory.set(resident_memory())
        if recorder is None:
            return
        self.queue_depth.set(recorder.queue_depth)
        for outcome, attr in (
            ("written", "_seen_written"),
            ("dropped", "_seen_dropped"),
            ("shed", "_seen_shed"),
            ("rejected", "_seen_rejected"),
        ):
            now = getattr(recorder, outcome)
            delta = now - getattr(self, attr)
            if delta > 0:
                self.recorded.labels(outcome).inc(delta)
                setattr(self, attr, now)
        delta = recorder.sink_failures - self._seen_failures
        if delta > 0:
            self.sink_failures.inc(delta)
            self._seen_failures = recorder.sink_failures

    # --- exposition ------------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The text format of every metric (all workers' in multiprocess mode)."""
        if self.registry is not None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)


METRICS: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)
#: the recorder whose queue the metrics report (set by the application's cleanup context)
RECORDER: web.AppKey[Recorder] = web.AppKey("metrics_recorder", Recorder)

routes = ApiRoutes()


class MetricsText(RootModel[str]):
    """The Prometheus text exposition format."""


@routes.endpoint(
    "GET",
    "/metrics",
    summary="Prometheus metrics (text exposition format)",
    request=None,
    response=MetricsText,
    public=True,
    media_type="text/plain",
)
async def metrics_handler(request: web.Request) -> web.Response:
    """Every metric, this worker's sampled values refreshed first."""
    metrics = request.app[METRICS]
    metrics.refresh(request.app.get(RECORDER))
    body = metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def route_label(request: web.Request) -> str:
    """The route template of ``request``, or ``unmatched`` (bounded label values)."""
    match_info = request.match_info
    if match_info.http_exception is not None:
        return "unmatched"
    resource = match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"
