"""The engine's own metrics as the overview shows them: error rates and latency percentiles.

Read from the same Prometheus exposition that ``GET /metrics`` serves (every worker's values in
multiprocess mode). The counters run since the engine (or its oldest live worker) started; a
sampler keeps a snapshot every :data:`SAMPLE_EVERY` seconds for :data:`KEEP` seconds, so the
overview also shows the last few minutes: the difference between now and the snapshot taken
:data:`WINDOW` seconds ago (or the oldest one, when the engine is younger), as PromQL's
``increase`` would. Percentiles are estimated from histogram buckets the way
``histogram_quantile`` does (linear within a bucket). The dashboard's own requests and scrapes
are left out.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable

import attrs
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from codeflash_engine.http.metrics import METRICS, PREFIX, Metrics

#: routes whose requests are not the service's work
_NOT_SERVICE = ("/admin", "/metrics")
QUANTILES = (0.5, 0.95, 0.99)
#: seconds between two snapshots, the window the overview calls "now", and how long snapshots are kept
SAMPLE_EVERY = 30.0
WINDOW = 300.0
KEEP = 900.0


@attrs.frozen
class Snapshot:
    """The cumulative counts of the service's requests and LLM calls at one moment."""

    at: float
    requests: float = 0.0
    server_errors: float = 0.0
    client_errors: float = 0.0
    #: upper bound -> cumulative count
    request_buckets: dict[float, float] = attrs.field(factory=dict)
    llm_calls: float = 0.0
    llm_failed: float = 0.0
    llm_buckets: dict[float, float] = attrs.field(factory=dict)

    def minus(self, older: Snapshot) -> Snapshot:
        """What happened between ``older`` and this snapshot (counters never go down within one engine)."""

        def buckets(new: dict[float, float], old: dict[float, float]) -> dict[float, float]:
            return {bound: max(0.0, count - old.get(bound, 0.0)) for bound, count in new.items()}

        return Snapshot(
            at=self.at,
            requests=max(0.0, self.requests - older.requests),
            server_errors=max(0.0, self.server_errors - older.server_errors),
            client_errors=max(0.0, self.client_errors - older.client_errors),
            request_buckets=buckets(self.request_buckets, older.request_buckets),
            llm_calls=max(0.0, self.llm_calls - older.llm_calls),
            llm_failed=max(0.0, self.llm_failed - older.llm_failed),
            llm_buckets=buckets(self.llm_buckets, older.llm_buckets),
        )


@attrs.frozen
class LatencySummary:
    count: int
    #: quantile -> seconds (None: no observation)
    quantiles: dict[float, float | None]


@attrs.frozen
class LiveMetrics:
    """Requests and LLM calls over some span: since start, or the last minutes."""

    #: seconds the figures cover (None: since the engine started)
    seconds: float | None
    requests: int
    #: requests answered 5xx / 4xx
    server_errors: int
    client_errors: int
    requests_latency: LatencySummary
    llm_calls: int
    llm_failed: int
    llm_latency: LatencySummary

    @property
    def error_rate(self) -> float | None:
        return self.server_errors / self.requests if self.requests else None

    @property
    def client_error_rate(self) -> float | None:
        return self.client_errors / self.requests if self.requests else None

    @property
    def llm_failure_rate(self) -> float | None:
        return self.llm_failed / self.llm_calls if self.llm_calls else None

    @classmethod
    def of(cls, snapshot: Snapshot, seconds: float | None) -> LiveMetrics:
        def latency(buckets: dict[float, float]) -> LatencySummary:
            count = max(buckets.values(), default=0.0)
            return LatencySummary(int(count), {q: quantile(q, buckets.items()) for q in QUANTILES})

        return cls(
            seconds=seconds,
            requests=int(snapshot.requests),
            server_errors=int(snapshot.server_errors),
            client_errors=int(snapshot.client_errors),
            requests_latency=latency(snapshot.request_buckets),
            llm_calls=int(snapshot.llm_calls),
            llm_failed=int(snapshot.llm_failed),
            llm_latency=latency(snapshot.llm_buckets),
        )


def _service_route(route: str) -> bool:
    return not any(route == p or route.startswith(p + "/") for p in _NOT_SERVICE)


def quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float | None:
    """The ``q`` quantile of cumulative ``(upper bound, count)`` buckets, as histogram_quantile."""
    ordered = sorted(buckets)
    if not ordered or ordered[-1][1] <= 0:
        return None
    total = ordered[-1][1]
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, count in ordered:
        if count >= rank:
            if math.isinf(upper):
                return lower  # beyond the last finite bucket: its bound, as PromQL answers
            if count == below:
                return upper
            return lower + (upper - lower) * (rank - below) / (count - below)
        lower, below = upper, count
    return ordered[-1][0]


def snapshot(metrics: Metrics, at: float | None = None) -> Snapshot:
    """The cumulative counts of ``metrics`` now (this application's registry, or every worker's files)."""
    counts: collections.defaultdict[str, float] = collections.defaultdict(float)
    req_buckets: dict[float, float] = {}
    llm_buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, sample.value
            if name == f"{PREFIX}_http_requests_total" and _service_route(labels.get("route", "")):
                counts["requests"] += value
                status = labels.get("status", "")
                counts["server"] += value if status.startswith("5") else 0
                counts["client"] += value if status.startswith("4") else 0
            elif name == f"{PREFIX}_http_request_duration_seconds_bucket" and _service_route(labels.get("route", "")):
                bound = float(labels["le"])
                req_buckets[bound] = req_buckets.get(bound, 0.0) + value
            elif name == f"{PREFIX}_llm_calls_total":
                counts["llm"] += value
                counts["llm_failed"] += value if labels.get("outcome") != "ok" else 0
            elif name == f"{PREFIX}_llm_call_duration_seconds_bucket":
                bound = float(labels["le"])
                llm_buckets[bound] = llm_buckets.get(bound, 0.0) + value
    return Snapshot(
        at=time.time() if at is None else at,
        requests=counts["requests"],
        server_errors=counts["server"],
        client_errors=counts["client"],
        request_buckets=req_buckets,
        llm_calls=counts["llm"],
        llm_failed=counts["llm_failed"],
        llm_buckets=llm_buckets,
    )


def read(metrics: Metrics) -> LiveMetrics:
    """The live figures of ``metrics`` since the engine started."""
    return LiveMetrics.of(snapshot(metrics), None)


class History:
    """Snapshots of the last :data:`KEEP` seconds, oldest first."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.snapshots: collections.deque[Snapshot] = collections.deque()

    def add(self, taken: Snapshot) -> None:
        self.snapshots.append(taken)
        while self.snapshots and self.snapshots[0].at < taken.at - KEEP:
            self.snapshots.popleft()

    def recent(self, now: Snapshot) -> LiveMetrics | None:
        """The last :data:`WINDOW` seconds (or since the oldest snapshot); None before the first one."""
        older = [s for s in self.snapshots if s.at <= now.at - WINDOW]
        base = older[-1] if older else (self.snapshots[0] if self.snapshots else None)
        if base is None or base.at >= now.at:
            return None
        return LiveMetrics.of(now.minus(base), now.at - base.at)


HISTORY: web.AppKey[History] = web.AppKey("admin_metrics_history", History)


async def sampler(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx of the dashboard: a snapshot of the metrics every SAMPLE_EVERY seconds."""
    history = app[HISTORY] = History()

    async def sample_forever() -> None:
        while True:
            history.add(snapshot(app[METRICS], history.clock()))
            await asyncio.sleep(SAMPLE_EVERY)

    task = asyncio.create_task(sample_forever(), name="codeflash-engine dashboard metrics sampler")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
