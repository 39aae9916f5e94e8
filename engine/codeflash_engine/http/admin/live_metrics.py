"""The engine's own metrics as the overview shows them: error rates and latency percentiles.

Read from the same Prometheus exposition that ``GET /metrics`` serves (every worker's values in
multiprocess mode), so the figures are counted since the engine (or its oldest live worker)
started. Percentiles are estimated from histogram buckets the way PromQL's
``histogram_quantile`` does (linear within a bucket). The dashboard's own requests and scrapes
are left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import attrs
from prometheus_client.parser import text_string_to_metric_families

from codeflash_engine.http.metrics import PREFIX, Metrics

#: routes whose requests are not the service's work
_NOT_SERVICE = ("/admin", "/metrics")
QUANTILES = (0.5, 0.95, 0.99)


@attrs.frozen
class LatencySummary:
    count: int
    #: quantile -> seconds (None: no observation)
    quantiles: dict[float, float | None]


@attrs.frozen
class LiveMetrics:
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


def read(metrics: Metrics) -> LiveMetrics:
    """The live figures of ``metrics`` (this application's registry, or every worker's files)."""
    text = metrics.exposition().decode()
    requests = server = client = 0
    llm_calls = llm_failed = 0
    req_buckets: dict[float, float] = {}
    llm_buckets: dict[float, float] = {}
    req_count = llm_count = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, sample.value
            if name == f"{PREFIX}_http_requests_total" and _service_route(labels.get("route", "")):
                requests += int(value)
                status = labels.get("status", "")
                server += int(value) if status.startswith("5") else 0
                client += int(value) if status.startswith("4") else 0
            elif name == f"{PREFIX}_http_request_duration_seconds_bucket" and _service_route(labels.get("route", "")):
                bound = float(labels["le"])
                req_buckets[bound] = req_buckets.get(bound, 0.0) + value
            elif name == f"{PREFIX}_http_request_duration_seconds_count" and _service_route(labels.get("route", "")):
                req_count += value
            elif name == f"{PREFIX}_llm_calls_total":
                llm_calls += int(value)
                llm_failed += int(value) if labels.get("outcome") != "ok" else 0
            elif name == f"{PREFIX}_llm_call_duration_seconds_bucket":
                bound = float(labels["le"])
                llm_buckets[bound] = llm_buckets.get(bound, 0.0) + value
            elif name == f"{PREFIX}_llm_call_duration_seconds_count":
                llm_count += value
    return LiveMetrics(
        requests=requests,
        server_errors=server,
        client_errors=client,
        requests_latency=LatencySummary(int(req_count), {q: quantile(q, req_buckets.items()) for q in QUANTILES}),
        llm_calls=llm_calls,
        llm_failed=llm_failed,
        llm_latency=LatencySummary(int(llm_count), {q: quantile(q, llm_buckets.items()) for q in QUANTILES}),
    )
