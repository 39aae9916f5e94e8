"""The Grafana dashboard shipped in docs/grafana reads series the engine exports, by labels they have."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from codeflash_engine.http.metrics import Metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "codeflash-engine.json"
#: labels Prometheus adds to every scraped series
SCRAPE_LABELS = {"instance", "job"}


def exported() -> dict[str, tuple[str, set[str]]]:
    """Family name -> (type, label names) of everything /metrics serves, one sample of each observed."""
    metrics = Metrics()
    metrics.request_finished("/ai/optimize", 200, 0.5, 0.01, None)
    metrics.request_finished("/ai/optimize", 502, 0.5, 0.01, "UpstreamFailed")
    metrics.llm_calls.labels("openai", "gpt-4.1", "optimize", "ok").inc()
    metrics.llm_duration.labels("openai", "gpt-4.1").observe(1)
    metrics.llm_tokens.labels("openai", "gpt-4.1", "input").inc()
    metrics.llm_cost.labels("openai", "gpt-4.1").inc(0.1)
    metrics.recorded.labels("written").inc()
    metrics.sink_failures.inc()
    metrics.observe_plugin_failure("python", "validate")
    metrics.observe_lag(0.01)
    metrics.connection_cut("client_gone")
    metrics.refresh(None)
    found: dict[str, tuple[str, set[str]]] = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        labels = {name for sample in family.samples for name in sample.labels}
        found[family.name] = (family.type, labels)
    return found


def expressions(dashboard: dict[str, Any]) -> list[str]:
    out = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    out += [v["definition"] for v in dashboard["templating"]["list"] if "definition" in v]
    return out


def test_the_dashboard_is_importable_json() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "codeflash-engine" and dashboard["schemaVersion"] >= 36
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)) >= 15
    for panel in dashboard["panels"]:
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"]) and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] != "row":
            assert panel["targets"] and panel["datasource"]["uid"] == "${datasource}"


def family_of(series: str, families: dict[str, tuple[str, set[str]]]) -> str:
    """The exported family a series of a query belongs to (counters lose _total, histograms _bucket...)."""
    suffixes = (("_total", "counter"), ("_bucket", "histogram"), ("_count", "histogram"), ("_sum", "histogram"))
    for suffix, kind in suffixes:
        base = series.removesuffix(suffix)
        if base != series and families.get(base, ("", set()))[0] == kind:
            return base
    assert series in families and families[series][0] == "gauge", f"{series} is not a series the engine exports"
    return series


def test_every_series_and_label_of_the_dashboard_is_exported() -> None:
    families = {k: v for k, v in exported().items() if not k.endswith("_created")}
    dashboard = json.loads(DASHBOARD.read_text())
    used: set[str] = set()
    for expr in expressions(dashboard):
        for series, selector in re.findall(r"(codeflash_engine_\w+)(?:\{([^}]*)\})?", expr):
            family = family_of(series, families)
            used.add(family)
            for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", selector):
                assert label in families[family][1] | SCRAPE_LABELS, f"{series} has no label {label!r} (in {expr})"
        for grouping, series in re.findall(r"by \(([^)]*)\) \((?:rate|increase)\((codeflash_engine_\w+)", expr):
            labels = families[family_of(series, families)][1]
            for label in (g.strip() for g in grouping.split(",")):
                assert label in labels | SCRAPE_LABELS, f"{series} has no label {label!r} (in {expr})"
    # every series /metrics serves (see http/metrics.py) is on the dashboard
    assert {f for f in families if f.startswith("codeflash_engine_")} - used == set()
