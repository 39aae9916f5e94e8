"""The dashboard in a real browser: headless Chromium (Debian's package) driven by Playwright.

Logs in with the form, opens the overview (its four charts drawn with data points), creates a key
(shown once) and revokes it, and opens a trace (its timeline drawn), with no console error on any
page. Screenshots of every page are written to ``artifacts/admin-screenshots/`` (printed).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from admin_support import (
    ADMIN_TOKEN,
    FAST_ANSWER,
    TESTS_ANSWER,
    AdminClient,
    drained,
    generate_tests_body,
    optimize_body,
)

from codeflash_engine.http.guards import STORE
from codeflash_engine.infra.records import ErrorRecord, LLMCallRecord
from codeflash_engine.testing.engine import call
from codeflash_engine.testing.fake_llm import FakeLLM, Fault

CHROMIUM = os.environ.get("CODEFLASH_ENGINE_CHROMIUM", "/usr/bin/chromium")
#: what works on this network and in containers: no sandbox, no GPU, nothing fetched in the background
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "admin-screenshots"
TRACE = "9b1c4f7e-5d2a-4e8b-a0c3-2f6d8e1b7a94"

playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or run scripts/test)")
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


async def seed(client: AdminClient, fake_llm: FakeLLM) -> None:
    """A week of calls from three users (two organizations) on two models, written as records; one real trace."""
    now = dt.datetime.now(dt.UTC)
    store = client.app[STORE]
    orgs = {user: (await store.create_organization(name)).id for user, name in (("bob", "acme"), ("carol", "globex"))}
    records: list[LLMCallRecord | ErrorRecord] = []
    for day in range(7):
        for i in range(3 + 2 * day):
            user = ("alice", "bob", "carol")[i % 3]
            model = ("gpt-4.1", "claude-sonnet-4-5")[i % 2]
            records.append(
                LLMCallRecord(
                    trace_id=f"seed-{day}-{i // 3}",
                    call_type=("optimize", "testgen", "refinement")[i % 3],
                    model_name=model,
                    provider="openai" if model == "gpt-4.1" else "anthropic",
                    tokens_in=1500 + 100 * i,
                    tokens_out=300,
                    cost_usd=0.004 * (1 + i % 4) * (1 + day / 3),
                    latency_ms=900.0 + 40 * i,
                    outcome="error" if i % 7 == 6 else "ok",
                    error_class="RateLimitError" if i % 7 == 6 else None,
                    user_id=user,
                    organization_id=orgs.get(user),
                    created=now - dt.timedelta(days=6 - day, hours=1, minutes=i),
                    request_id=f"seed-{day}-{user}-{i // 6}",
                )
            )
    await store.write_records(records)

    # one function's optimization end to end: candidates (one model call failing), tests, features
    fake_llm.latency_median, fake_llm.latency_sigma = 0.15, 0.6
    fake_llm.fail(Fault.bad_request("the model refused"), times=1)
    fake_llm.reply(FAST_ANSWER)
    status, _ = await call(client, "/ai/optimize", optimize_body(TRACE))
    assert status == 200
    # the CLI asks for two test files at once
    fake_llm.reset()
    fake_llm.reply(TESTS_ANSWER)
    answers = await asyncio.gather(*(call(client, "/ai/testgen", generate_tests_body(TRACE, i)) for i in (0, 1)))
    assert [status for status, _ in answers] == [200, 200]
    fake_llm.reset()
    fake_llm.reply(FAST_ANSWER)
    status, _ = await call(client, "/ai/optimize", {**optimize_body(TRACE), "n_candidates": 3, "call_sequence": 2})
    assert status == 200
    features = {"trace_id": TRACE, "speedup_ratio": {"cand-1": 3.2}, "original_runtime": 182_000, "is_correct": {}}
    status, _ = await call(client, "/ai/log_features", features)
    assert status == 200
    await store.write_records([ErrorRecord(trace_id=TRACE, error_type="testgen", message="no tests in answer 2")])


async def shoot(page: Any, name: str) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


#: for each chart on the page: its kind, how many data points it has, and how many pixels are drawn
CHART_STATE = """
() => Array.from(document.querySelectorAll("canvas[data-chart]")).map((canvas) => {
  const chart = Chart.getChart(canvas);
  const ctx = canvas.getContext("2d");
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn++;
  const positive = (v) => (Array.isArray(v) ? v[1] > v[0] : v > 0);
  const points = chart ? chart.data.datasets.reduce((n, d) => n + d.data.filter(positive).length, 0) : 0;
  const elements = chart ? chart.getSortedVisibleDatasetMetas().reduce((n, m) => n + m.data.length, 0) : 0;
  return { name: canvas.dataset.chart, type: chart && chart.config.type, points, elements, drawn, width: canvas.width };
})
"""


async def test_the_dashboard_in_chromium(admin_client: AdminClient, fake_llm: FakeLLM, browser: Any) -> None:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    await seed(admin_client, fake_llm)
    await drained(admin_client)
    base = f"http://{admin_client.host}:{admin_client.port}"
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
    shots: list[Path] = []

    # login: the form, then the overview
    await page.goto(f"{base}/admin")
    assert page.url.startswith(f"{base}/admin/login")
    shots.append(await shoot(page, "01-login"))
    await page.fill("#token", ADMIN_TOKEN)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/admin")
    cookies = {c["name"]: c for c in await context.cookies()}
    assert cookies["cf_admin_session"]["httpOnly"] and cookies["cf_admin_session"]["sameSite"] == "Strict"

    # the overview: four charts, each drawn with data points
    charts = await page.evaluate(CHART_STATE)
    by_name = {c["name"]: c for c in charts}
    assert set(by_name) == {"requests", "calls", "cost", "models"}, charts
    for chart in charts:
        assert chart["points"] > 0 and chart["elements"] > 0 and chart["drawn"] > 1000, chart
    assert by_name["requests"]["points"] == 7 and by_name["models"]["type"] == "doughnut"
    assert by_name["models"]["points"] == 2  # openai:gpt-4.1 and anthropic:claude-sonnet-4-5
    shots.append(await shoot(page, "02-overview"))

    # a key: created (shown once), listed by its suffix, revoked
    await page.click("nav a[href='/admin/keys']")
    await page.fill("#create-key input[name=user]", "browser-user")
    await page.fill("#create-key input[name=org]", "acme")
    await page.click("#create-key button[type=submit]")
    key = (await page.text_content("#new-key") or "").strip()
    assert key.startswith("cf-") and len(key) > 40
    shots.append(await shoot(page, "03-key-created"))
    await page.goto(f"{base}/admin/keys")
    assert key not in await page.content()
    row = page.locator("tr", has_text="browser-user")
    assert await row.get_attribute("data-status") == "active"
    assert f"cf-…{key[-6:]}" in (await row.inner_text())
    shots.append(await shoot(page, "04-keys"))
    await row.locator("form.revoke button").click()
    await page.wait_for_load_state()
    row = page.locator("tr", has_text="browser-user")
    assert await row.get_attribute("data-status") == "revoked"
    status, _ = await call(admin_client, "/ai/optimize", optimize_body("after-revoke"), key=key)
    assert status == 401
    shots.append(await shoot(page, "05-key-revoked"))

    # a trace: searched by the beginning of its id, then its page with the timeline
    await page.fill("header input[name=q]", TRACE[:8])
    await page.press("header input[name=q]", "Enter")
    await page.wait_for_url(f"{base}/admin/traces?q={TRACE[:8]}")
    await page.click(f"a[href='/admin/traces/{TRACE}']")
    await page.wait_for_url(f"{base}/admin/traces/{TRACE}")
    [timeline] = await page.evaluate(CHART_STATE)
    calls = await page.locator("#calls tbody tr").count()
    assert timeline["name"] == "timeline" and timeline["points"] == calls == timeline["elements"] >= 11, timeline
    assert {"optimize", "testgen"} <= set(await page.locator("#calls tbody td.call-type").all_inner_texts())
    assert timeline["drawn"] > 1000
    assert await page.locator("#calls tbody tr.outcome-error").count() >= 1
    assert "no tests in answer 2" in await page.inner_text("#errors")
    assert "original_runtime" in await page.inner_text("#features")
    shots.append(await shoot(page, "06-trace"))

    # the other pages render without errors too
    for n, path in enumerate(("/admin/usage?by=model", "/admin/plans", "/admin/orgs", "/admin/plugins"), start=7):
        await page.goto(f"{base}{path}")
        assert await page.locator("h1").count() == 1
        shots.append(await shoot(page, f"{n:02d}-{path.split('/')[2].split('?')[0]}"))

    assert problems == []
    print(f"\nscreenshots of the dashboard: {SCREENSHOTS}")
    for shot in shots:
        assert shot.stat().st_size > 10_000
    await context.close()
