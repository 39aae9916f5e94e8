"""The overview's figures equal `codeflash-engine usage --json` for the same period (PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import sys
from typing import Any

import pytest
from admin_support import BEARER, AdminClient

from codeflash_engine.http.guards import STORE
from codeflash_engine.infra.records import LLMCallRecord


async def cli_usage(database: str, *args: str) -> dict[str, Any]:
    """`codeflash-engine usage --json ARGS` run as an operator runs it, against ``database``."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codeflash_engine",
        "usage",
        "--json",
        *args,
        env={**os.environ, "DATABASE_URL": database},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    report: dict[str, Any] = json.loads(out)
    return report


def calls(base: dt.datetime) -> list[LLMCallRecord]:
    """Calls over a few days of the period (and two outside it), from two users, one organization."""
    out = []
    for day, user, org, n, cost, outcome in (
        (-1, "alice", None, 2, 0.5, "ok"),  # the day before the period
        (0, "alice", None, 3, 0.0123456789, "ok"),
        (0, "bob", 1, 2, 0.2, "error"),
        (2, "bob", 1, 4, 0.03125, "ok"),
        (3, "carol", None, 1, 1.75, "ok"),
        (6, "alice", None, 5, 0.0001, "ok"),
        (7, "bob", 1, 2, 9.0, "ok"),  # the day after the period
    ):
        for i in range(n):
            out.append(
                LLMCallRecord(
                    trace_id=f"trace-{user}-{day}",
                    call_type="optimize" if i % 2 == 0 else "testgen",
                    model_name="gpt-4.1" if i % 3 else "claude-sonnet-4-5",
                    provider="openai" if i % 3 else "anthropic",
                    tokens_in=1000 + i,
                    tokens_out=200,
                    cost_usd=cost,
                    latency_ms=500.0,
                    outcome=outcome,
                    error_class=None if outcome == "ok" else "APIError",
                    user_id=user,
                    organization_id=org,
                    created=base + dt.timedelta(days=day, hours=3, minutes=i),
                    request_id=f"req-{user}-{day}-{i // 2}",
                )
            )
    return out


async def test_the_overview_shows_what_usage_json_prints(pg_admin_client: AdminClient, database: str) -> None:
    store = pg_admin_client.app[STORE]
    assert store.persistent
    await store.create_key("bob", organization="acme")  # organization 1
    base = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).replace(hour=0, minute=0, second=0, microsecond=0)
    await store.write_records(calls(base))
    since, until = base.date().isoformat(), (base + dt.timedelta(days=7)).date().isoformat()

    resp = await pg_admin_client.get(f"/admin?since={since}&until={until}", headers=BEARER)
    page = await resp.text()
    assert resp.status == 200
    totals = re.search(r'<section class="cards" id="totals" ([^>]*)>', page)
    assert totals is not None
    shown = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', totals.group(1)))
    charts = json.loads(re.search(r'<script type="application/json" id="overview-data">(.*?)</script>', page).group(1))  # type: ignore[union-attr]

    by_day = await cli_usage(database, "--by", "day", "--since", since, "--until", until)
    total = by_day["total"]
    assert total["calls"] == 15 and total["requests"] == 9  # the calls outside the period are not counted
    assert int(shown["calls"]) == total["calls"]
    assert int(shown["failed"]) == total["failed"] == 2
    assert int(shown["requests"]) == total["requests"]
    assert float(shown["cost-usd"]) == pytest.approx(total["cost_usd"], abs=1e-10)
    # the per-day charts are the CLI's day rows, days without calls drawn as zeros
    days = {r["group"]: r for r in by_day["rows"]}
    assert len(charts["days"]) == 7 and set(days) <= set(charts["days"])
    for i, day in enumerate(charts["days"]):
        row = days.get(day, {"calls": 0, "failed": 0, "requests": 0, "cost_usd": 0.0})
        assert charts["calls"][i] + charts["failed"][i] == row["calls"]
        assert charts["failed"][i] == row["failed"] and charts["requests"][i] == row["requests"]
        assert charts["cost"][i] == pytest.approx(row["cost_usd"], abs=1e-6)
    # cost split by model; top users and organizations by spend
    by_model = await cli_usage(database, "--by", "model", "--since", since, "--until", until)
    assert by_model["total"] == total  # requests spanning two models are counted once in the TOTAL
    assert sum(r["requests"] for r in by_model["rows"]) > total["requests"]
    assert dict(zip(charts["models"], charts["model_cost"], strict=True)) == {
        r["group"]: pytest.approx(r["cost_usd"], abs=1e-6) for r in by_model["rows"]
    }
    by_user = await cli_usage(database, "--by", "user", "--since", since, "--until", until)
    ranked = sorted(by_user["rows"], key=lambda r: -r["cost_usd"])
    users_table = page.split("Top users by spend")[1].split("</table>")[0]
    assert [u for u in re.findall(r">([a-z]+)</a></td>", users_table)] == [r["group"] for r in ranked]
    by_org = await cli_usage(database, "--by", "org", "--since", since, "--until", until)
    assert {r["group"] for r in by_org["rows"]} == {"acme", "-"}
    orgs_table = page.split("Top organizations by spend")[1].split("</table>")[0]
    assert "<td>acme</td>" in orgs_table
