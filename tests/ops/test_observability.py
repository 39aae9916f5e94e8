"""Observability: the JSON access line, the overhead headers, /metrics, LLM accounting."""

from __future__ import annotations

import json
import logging
import re

import pytest

from codeflash_engine.http.context import LLM_HEADER, OVERHEAD_HEADER
from codeflash_engine.infra.logging import JsonFormatter
from codeflash_engine.infra.observability import RecordTap, RequestUsage, llm_span, track_request, usage_var
from codeflash_engine.infra.records import ErrorRecord, LLMCallRecord, Record
from codeflash_engine.testing.engine import API_KEY, AUTH, EngineClient
from codeflash_engine.testing.fake_llm import API_KEY as FAKE_OPENAI_KEY
from codeflash_engine.testing.fake_llm import FakeLLM, Fault, Reply
from codeflash_engine.testing.load import candidate_answer, optimize_body


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """The access records, formatted by the engine's JSON formatter, decoded again."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "codeflash_engine.access"]


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        metric, _, value = line.rpartition(" ")
        base, _, rest = metric.partition("{")
        if base == name and all(f'{k}="{v}"' in rest for k, v in labels.items()):
            return float(value)
    return 0.0


async def test_access_line_has_route_status_latency_llm_time_and_cost(
    engine_client: EngineClient, fake_llm: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    fake_llm.add(lambda req: Reply(candidate_answer(len(fake_llm.requests)), latency=0.2))
    caplog.set_level(logging.INFO, logger="codeflash_engine.access")
    body = optimize_body("0c6f1d2e-7f3b-4a8e-9a51-3f1d2b7c9e10")
    resp = await engine_client.post("/ai/optimize", json=body, headers={**AUTH, "X-Request-Id": "req-123"})
    assert resp.status == 200
    assert resp.headers["X-Request-Id"] == "req-123"
    [line] = access_lines(caplog)
    assert line["request_id"] == "req-123" and line["trace_id"] == body["trace_id"]
    assert line["route"] == "/ai/optimize" and line["status"] == 200 and line["method"] == "POST"
    assert line["llm_calls"] == 6 and line["llm_failures"] == 0
    assert isinstance(line["tokens_in"], int) and line["tokens_in"] > 0 and line["tokens_out"] > 0
    assert isinstance(line["cost_usd"], float) and line["cost_usd"] > 0  # gpt-4.1 has a price
    assert line["user_id"] == "local"
    # six concurrent calls of 200 ms: LLM time is their union, not their sum
    assert 190 <= float(line["llm_ms"]) < 600, line  # type: ignore[arg-type]
    assert float(line["latency_ms"]) >= float(line["llm_ms"])  # type: ignore[arg-type]
    assert line["overhead_ms"] == pytest.approx(float(line["latency_ms"]) - float(line["llm_ms"]), abs=0.05)  # type: ignore[arg-type]
    text = json.dumps(line)
    for secret in (API_KEY, API_KEY[3:], FAKE_OPENAI_KEY):
        assert secret not in text
    assert "Authorization" not in text and "source_code" not in text


async def test_overhead_headers(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.add(lambda req: Reply(candidate_answer(len(fake_llm.requests)), latency=0.3))
    resp = await engine_client.post("/ai/optimize", json=optimize_body(), headers=AUTH)
    assert resp.status == 200
    llm_ms = float(resp.headers[LLM_HEADER])
    overhead_ms = float(resp.headers[OVERHEAD_HEADER])
    assert 290 <= llm_ms < 900
    assert 0 <= overhead_ms < 1000
    assert re.fullmatch(r"llm;dur=[0-9.]+, engine;dur=[0-9.]+", resp.headers["Server-Timing"])
    # requests without LLM calls: everything is overhead
    resp = await engine_client.get("/healthcheck")
    assert float(resp.headers[LLM_HEADER]) == 0.0 and float(resp.headers[OVERHEAD_HEADER]) >= 0.0


async def test_metrics_count_requests_llm_calls_tokens_cost_errors(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    fake_llm.add(lambda req: Reply(candidate_answer(len(fake_llm.requests))))
    assert (await engine_client.post("/ai/optimize", json=optimize_body(), headers=AUTH)).status == 200
    fake_llm.reset()
    fake_llm.fail(Fault.bad_request("no"))
    assert (await engine_client.post("/ai/optimize", json=optimize_body(n_candidates=2), headers=AUTH)).status == 502
    assert (await engine_client.post("/ai/optimize", json=optimize_body(), headers={})).status == 401
    assert (await engine_client.get("/wp-admin/../etc/passwd")).status == 404
    assert (await engine_client.post("/ai/optimize", data=b"{", headers=AUTH)).status == 400

    resp = await engine_client.get("/metrics")
    assert resp.status == 200 and resp.content_type == "text/plain"
    text = await resp.text()
    p = "codeflash_engine_"
    assert sample(text, p + "http_requests_total", route="/ai/optimize", status="200") == 1
    assert sample(text, p + "http_requests_total", route="/ai/optimize", status="502") == 1
    assert sample(text, p + "http_requests_total", route="/ai/optimize", status="401") == 1
    assert sample(text, p + "http_requests_total", route="unmatched", status="404") == 1
    assert "passwd" not in text  # unknown paths never become label values
    assert sample(text, p + "http_request_duration_seconds_count", route="/ai/optimize") == 4
    assert sample(text, p + "http_overhead_seconds_count", route="/ai/optimize") == 4
    ok = dict(provider="openai", model="gpt-4.1", call_type="optimize")
    assert sample(text, p + "llm_calls_total", outcome="ok", **ok) == 6
    assert sample(text, p + "llm_calls_total", outcome="error", **ok) == 2
    assert sample(text, p + "llm_tokens_total", provider="openai", model="gpt-4.1", kind="input") > 0
    assert sample(text, p + "llm_tokens_total", provider="openai", model="gpt-4.1", kind="output") > 0
    assert sample(text, p + "llm_cost_usd_total", provider="openai", model="gpt-4.1") > 0
    assert sample(text, p + "llm_call_duration_seconds_count", provider="openai", model="gpt-4.1") == 8
    assert sample(text, p + "errors_total", source="llm", **{"class": "bad_request"}) == 2
    assert sample(text, p + "errors_total", source="http", **{"class": "UpstreamFailed"}) == 1
    assert sample(text, p + "errors_total", source="http", **{"class": "MalformedBody"}) == 1
    assert sample(text, p + "errors_total", source="http", **{"class": "http_401"}) == 1
    assert sample(text, p + "errors_total", source="http", **{"class": "HTTPNotFound"}) == 1
    assert sample(text, p + "http_requests_in_flight") == 1  # this scrape
    assert sample(text, p + "recorder_queue_depth") >= 0
    assert sample(text, p + "worker_resident_memory_bytes") > 10_000_000
    assert sample(text, p + "build_info") == 1
    assert sample(text, p + "event_loop_lag_seconds_count") >= 0
    assert "process_cpu_seconds_total" in text  # one process: the standard collectors too


async def test_metrics_route_is_documented_as_text(engine_client: EngineClient) -> None:
    doc = await (await engine_client.get("/openapi.json")).json()
    op = doc["paths"]["/metrics"]["get"]
    assert set(op["responses"]["200"]["content"]) == {"text/plain"}
    assert op.get("security") is None


async def test_llm_records_carry_the_callers_user_id(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    from codeflash_engine.http.metrics import RECORDER

    fake_llm.add(lambda req: Reply(candidate_answer(len(fake_llm.requests))))
    body = optimize_body(n_candidates=2)
    assert (await engine_client.post("/ai/optimize", json=body, headers=AUTH)).status == 200
    recorder = engine_client.app[RECORDER]
    await recorder._queue.join()
    records = await recorder.sink.records_for_trace(body["trace_id"])  # type: ignore[attr-defined]
    assert [c.user_id for c in records.calls] == ["local", "local"]


def test_usage_counts_concurrent_llm_time_once() -> None:
    import time

    usage = RequestUsage()
    started = time.perf_counter()
    usage.enter_llm()
    usage.enter_llm()
    time.sleep(0.05)
    usage.leave_llm()
    time.sleep(0.05)
    assert usage.llm_seconds == 0.0 and usage.llm_seconds_now() >= 0.1
    usage.leave_llm()
    # at most the wall time of the whole span (counting the overlap twice would exceed it by the
    # first 0.05 s), however slow the machine
    assert 0.1 <= usage.llm_seconds <= time.perf_counter() - started
    time.sleep(0.02)
    assert usage.llm_seconds_now() == usage.llm_seconds  # nothing in flight: no growth


async def test_span_and_tap_without_a_request_do_nothing() -> None:
    seen: list[Record] = []

    class Inner:
        def record(self, record: Record) -> bool:
            seen.append(record)
            return True

    token = usage_var.set(None)
    try:
        with llm_span():
            pass
        tap = RecordTap(Inner())
        call = LLMCallRecord(trace_id="t", call_type="optimize", model_name="m", provider="p", tokens_in=5)
        assert tap.record(call) and tap.record(ErrorRecord(trace_id="t", error_type="x", message="y"))
        assert seen[0] is call
        usage = track_request()
        usage.user = lambda: "alice"
        tap.record(call)
        assert usage.tokens_in == 5 and usage.llm_calls == 1
        assert isinstance(seen[-1], LLMCallRecord) and seen[-1].user_id == "alice"
    finally:
        usage_var.reset(token)
