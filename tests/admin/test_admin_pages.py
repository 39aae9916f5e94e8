"""The dashboard's pages and actions on the embedded store (no browser): keys, plans, orgs, plugins, traces."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from admin_support import BEARER, FAST_ANSWER, AdminClient, drained, optimize_body
from aiohttp import web

from codeflash_engine import LanguageSpec, hookimpl
from codeflash_engine.app import create_app, load_plugins
from codeflash_engine.http.guards import STORE
from codeflash_engine.infra.db import apikeys
from codeflash_engine.plugins.manager import PluginFailed
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import call
from codeflash_engine.testing.fake_llm import FakeLLM

READ_PAGES = ("/admin", "/admin/usage", "/admin/usage.csv", "/admin/keys", "/admin/plans", "/admin/orgs")
READ_PAGES += ("/admin/plugins", "/admin/traces", "/admin/usage?by=org", "/admin/usage?by=day")


def created_key(page: str) -> str:
    found = re.search(r'<pre class="secret" id="new-key">([^<]+)</pre>', page)
    assert found is not None, page
    return found.group(1)


async def test_a_key_is_shown_once_listed_by_its_suffix_then_revoked(
    admin_client: AdminClient, fake_llm: FakeLLM
) -> None:
    resp = await admin_client.post(
        "/admin/keys", data={"user": "carol", "org": "acme", "tier": "pro", "expires": "90d"}, headers=BEARER
    )
    page = await resp.text()
    assert resp.status == 201 and resp.headers["Cache-Control"] == "no-store"
    key = created_key(page)
    assert apikeys.is_well_formed(key) and "shown only this once" in page
    digest = apikeys.hash_key(key)
    info = await admin_client.app[STORE].lookup_key(digest)
    assert info is not None and info.user_id == "carol" and info.organization == "acme" and info.tier == "pro"
    assert info.expires is not None and info.expires > dt.datetime.now(dt.UTC) + dt.timedelta(days=89)

    # the key works, its use is recorded, and no page ever shows it (or its digest) again
    fake_llm.reply(FAST_ANSWER)
    status, _ = await call(admin_client, "/ai/optimize", optimize_body("trace-carol-1"), key=key)
    assert status == 200
    await drained(admin_client)
    pages = [*READ_PAGES, "/admin/traces/trace-carol-1", "/admin/traces?q=trace-carol", "/admin/usage?by=user"]
    for path in pages:
        resp = await admin_client.get(path, headers=BEARER)
        body = await resp.text()
        assert resp.status == 200, path
        assert key not in body and key[3:] not in body and digest not in body, path
    listing = await (await admin_client.get("/admin/keys", headers=BEARER)).text()
    row = re.search(rf'<tr id="key-{info.id}" data-status="expires">(.*?)</tr>', listing, re.S)
    assert row is not None
    assert f"cf-…{key[-6:]}" in row.group(1) and "carol" in row.group(1) and "acme" in row.group(1)
    last_used = re.search(r'<td class="last-used">([^<]+)</td>', row.group(1))
    assert last_used is not None and last_used.group(1).startswith(f"{dt.datetime.now(dt.UTC):%Y-%m-%d}")

    revoked = await admin_client.post(f"/admin/keys/{info.id}/revoke", headers=BEARER, allow_redirects=False)
    assert revoked.status == 303
    listing = await (await admin_client.get("/admin/keys", headers=BEARER)).text()
    assert f'<tr id="key-{info.id}" data-status="revoked">' in listing
    status, body = await call(admin_client, "/ai/optimize", optimize_body("trace-carol-2"), key=key)
    assert status == 401, body
    again = await admin_client.post(f"/admin/keys/{info.id}/revoke", headers=BEARER)
    assert again.status == 404


async def test_rotating_a_key_keeps_the_old_one_for_its_grace_period(any_store_client: AdminClient) -> None:
    store = any_store_client.app[STORE]
    old = (await store.create_key("dave", tier="team")).info
    resp = await any_store_client.post(f"/admin/keys/{old.id}/rotate", data={"grace": "2h"}, headers=BEARER)
    page = await resp.text()
    assert resp.status == 201 and "keeps working until" in page
    new = await store.lookup_key(apikeys.hash_key(created_key(page)))
    assert new is not None and (new.user_id, new.tier) == ("dave", "team") and new.id != old.id
    kept = await store.lookup_key(old.key_hash)
    assert kept is not None and kept.revoked is None and kept.expires is not None
    assert dt.timedelta(minutes=119) < kept.expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=2)
    at_once = await any_store_client.post(f"/admin/keys/{new.id}/rotate", data={"grace": "0"}, headers=BEARER)
    assert at_once.status == 201 and "is revoked" in await at_once.text()
    assert (await store.lookup_key(new.key_hash)).revoked is not None  # type: ignore[union-attr]
    bad = await any_store_client.post(f"/admin/keys/{old.id}/rotate", data={"grace": "soon"}, headers=BEARER)
    assert bad.status == 422 and "grace" in await bad.text()


async def test_a_bad_key_form_says_what_is_wrong(any_store_client: AdminClient) -> None:
    for data, says in (
        ({"user": ""}, "a user id is required"),
        ({"user": "x", "expires": "yesterday"}, "expires"),
        ({"user": "x", "plan": "gold"}, "no plan is named"),
        ({"user": "x", "org": "999"}, "no organization has id 999"),
    ):
        resp = await any_store_client.post("/admin/keys", data=data, headers=BEARER)
        assert resp.status == 422 and says in await resp.text(), data
    assert await any_store_client.app[STORE].list_keys(user_id="x") == []


async def test_plans_and_organizations_are_edited_as_the_commands_edit_them(any_store_client: AdminClient) -> None:
    store = any_store_client.app[STORE]
    data = {"name": "team", "rate_limit": "600/1h", "quota": "50", "budget": "25.5", "period": "week"}
    data["models"] = "openai:gpt-4.1=2"
    resp = await any_store_client.post("/admin/plans", data=data, headers=BEARER, allow_redirects=False)
    assert resp.status == 303
    plan = await store.get_plan("team")
    assert plan is not None
    assert (plan.rate_limit_max, plan.rate_limit_window_ms, plan.optimizations_limit) == (600, 3_600_000, 50)
    assert (plan.budget_usd, plan.period, plan.models) == (25.5, "week", "openai:gpt-4.1=2")
    page = await (await any_store_client.get("/admin/plans?edit=team", headers=BEARER)).text()
    assert 'value="600/1h"' in page and 'value="25.5"' in page and "Change plan team" in page
    cleared = await any_store_client.post("/admin/plans", data={"name": "team", "period": "week"}, headers=BEARER)
    assert cleared.status == 200
    plan = await store.get_plan("team")
    assert plan is not None and plan.rate_limit_max is None and plan.budget_usd is None and plan.models is None
    for bad, says in (
        ({"name": "x", "rate_limit": "fast"}, "rate limit"),
        ({"name": "x", "budget": "-3"}, "budget"),
        ({"name": "x", "models": "nope"}, "models"),
        ({"name": "-bad name"}, "plan name"),
    ):
        resp = await any_store_client.post("/admin/plans", data=bad, headers=BEARER)
        assert resp.status == 422 and says in await resp.text(), bad

    made = await any_store_client.post(
        "/admin/orgs", data={"name": "globex", "plan": "team", "privacy": "on", "github_org_id": "77"}, headers=BEARER
    )
    assert made.status == 200
    [org] = await store.list_organizations()
    assert (org.name, org.plan, org.privacy_mode, org.github_org_id) == ("globex", "team", True, 77)
    changed = await any_store_client.post(f"/admin/orgs/{org.id}", data={"plan": ""}, headers=BEARER)
    assert changed.status == 200
    org = await store.get_organization(org.id)  # type: ignore[assignment]
    assert org is not None and org.plan is None and not org.privacy_mode
    twice = await any_store_client.post("/admin/orgs", data={"name": "globex"}, headers=BEARER)
    assert twice.status == 422 and "exists already" in await twice.text()


class Explosive:
    """A plugin whose registration and prompt building raise."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        register(LanguageSpec(name="boom", extensions=(".boom",), comment_prefix="#", fence_tags=("boom",)))
        raise RuntimeError("register_languages exploded")

    @hookimpl
    def build_prompt(self, request: Any) -> Any:
        raise RuntimeError("build_prompt exploded")


async def test_the_plugins_page_shows_load_and_run_time_failures(
    aiohttp_client: Callable[[web.Application], Awaitable[AdminClient]],
    admin_settings: Settings,
    fake_llm: FakeLLM,
) -> None:
    host = load_plugins(admin_settings)
    host.register(Explosive(), "explosive")
    client = await aiohttp_client(create_app(admin_settings, plugins=host))
    body = {**optimize_body("trace-boom"), "language": "boom", "source_code": "```boom:main.boom\n(def f 1)\n```"}
    status, _ = await call(client, "/ai/optimize", body)
    assert status == 502
    page = await (await client.get("/admin/plugins", headers=BEARER)).text()
    assert '<strong class="health-degraded" id="health">degraded</strong>' in page
    assert "register_languages exploded" in page and "build_prompt exploded" in page
    assert "codeflash-engine-python" in page  # the shipped plugins, with their versions
    health = await (await client.get("/healthcheck")).json()
    assert health["status"] == "degraded"


async def test_the_dashboard_counts_on_no_rate_limit(
    aiohttp_client: Callable[[web.Application], Awaitable[AdminClient]], admin_settings: Settings, fake_llm: FakeLLM
) -> None:
    client = await aiohttp_client(create_app(admin_settings.model_copy(update={"rate_limit_max": 1})))
    for _ in range(5):
        assert (await client.get("/admin", headers=BEARER)).status == 200
    fake_llm.reply(FAST_ANSWER)
    status, _ = await call(client, "/ai/optimize", optimize_body("trace-limit"))
    assert status == 200
    status, _ = await call(client, "/ai/optimize", optimize_body("trace-limit"))
    assert status == 429  # the API key's one request of the window was the first optimize


async def test_usage_page_and_csv_are_the_stores_rows(admin_client: AdminClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(FAST_ANSWER)
    for trace in ("trace-u1", "trace-u2"):
        status, _ = await call(admin_client, "/ai/optimize", optimize_body(trace))
        assert status == 200
    await drained(admin_client)
    now = dt.datetime.now(dt.UTC)
    rows = await admin_client.app[STORE].usage(since=now - dt.timedelta(days=1), until=now, group="model")
    assert len(rows) == 1 and rows[0].calls == 12 and rows[0].requests == 2
    resp = await admin_client.get("/admin/usage.csv?by=model&since=1d", headers=BEARER)
    assert resp.status == 200 and resp.content_type == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(await resp.text())))
    assert [r["group"] for r in table] == ["openai:gpt-4.1", "TOTAL"]
    assert table[0]["calls"] == "12" and table[0]["requests"] == "2"
    assert float(table[0]["cost_usd"]) == round(rows[0].cost_usd, 10)
    page = await (await admin_client.get("/admin/usage?by=call-type&since=1d", headers=BEARER)).text()
    assert "<td>optimize</td>" in page
    bad = await admin_client.get("/admin/usage?by=weekday", headers=BEARER)
    assert bad.status == 400 and "group by one of" in await bad.text()
    empty = await admin_client.get("/admin/usage?since=1d&until=2d", headers=BEARER)
    assert empty.status == 400 and "the period is empty" in await empty.text()


async def test_a_trace_page_lists_its_calls_errors_and_features(admin_client: AdminClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(FAST_ANSWER)
    status, _ = await call(admin_client, "/ai/optimize", optimize_body("trace-t1"))
    assert status == 200
    features = {
        "trace_id": "trace-t1",
        "speedup_ratio": {"a": 2.5},
        "original_runtime": 1200,
        "is_correct": {"a": True},
    }
    status, _ = await call(admin_client, "/ai/log_features", features)
    assert status == 200
    await drained(admin_client)
    page = await (await admin_client.get("/admin/traces/trace-t1", headers=BEARER)).text()
    assert page.count('<tr class="outcome-ok">') == 6 and "openai:gpt-4.1" in page
    assert "original_runtime" in page and "1200" in page
    found = await admin_client.get("/admin/traces?q=trace-t", headers=BEARER, allow_redirects=False)
    assert found.status == 200 and "/admin/traces/trace-t1" in await found.text()
    exact = await admin_client.get("/admin/traces?q=trace-t1", headers=BEARER, allow_redirects=False)
    assert exact.status == 303 and exact.headers["Location"] == "/admin/traces/trace-t1"
    unknown = await admin_client.get("/admin/traces/no-such-trace", headers=BEARER)
    assert unknown.status == 404 and "Nothing is recorded" in await unknown.text()


async def test_the_keys_page_filters_by_user_and_usability(admin_client: AdminClient) -> None:
    store = admin_client.app[STORE]
    kept = (await store.create_key("frank")).info
    gone = (await store.create_key("frank")).info
    other = (await store.create_key("grace")).info
    assert await store.revoke_key(key_id=gone.id)
    page = await (await admin_client.get("/admin/keys?user=frank", headers=BEARER)).text()
    assert f'id="key-{kept.id}"' in page and f'id="key-{gone.id}"' in page and f'id="key-{other.id}"' not in page
    page = await (await admin_client.get("/admin/keys?user=frank&active=on", headers=BEARER)).text()
    assert f'id="key-{kept.id}"' in page and f'id="key-{gone.id}"' not in page


def _wait(host: object, seconds: float) -> None:
    time.sleep(seconds)


async def test_the_plugins_page_shows_the_processes_replaced_after_a_call_past_the_time_limit(
    aiohttp_client: Callable[[web.Application], Awaitable[AdminClient]], admin_settings: Settings
) -> None:
    host = load_plugins(admin_settings)
    client = await aiohttp_client(create_app(admin_settings, plugins=host))
    page = await (await client.get("/admin/plugins", headers=BEARER)).text()
    row = page[page.index("codeflash-engine-python") :].split("</tr>", 1)[0]
    assert row.endswith('<td class="n">0</td><td class="n">0</td>'), row[-120:]
    host.timeout = 0.1
    with pytest.raises(PluginFailed):
        await host.in_worker("python", _wait, 10, hook="postprocess_candidates")
    page = await (await client.get("/admin/plugins", headers=BEARER)).text()
    assert "Process restarts" in page
    row = page[page.index("codeflash-engine-python") :].split("</tr>", 1)[0]
    assert row.endswith('<td class="n">1</td><td class="n">1</td>'), row[-120:]  # one failure, one process replaced
