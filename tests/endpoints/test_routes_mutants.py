"""The routes' handlers (http/routes/candidates.py, testgen.py, health.py, usage.py): what a
handler passes on to its pipeline (the line profiler's synchronous job, the source a test
repair reads), the health check's status, plugin list and failure window, how the public routes
are documented, and what /usage reports for each kind of tenant (what the mutation runs of the
route modules found untested)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import endpoint_samples as s
import pytest
from aiohttp import web

from codeflash_engine import LanguageSpec, hookimpl
from codeflash_engine.app import create_app, load_plugins
from codeflash_engine.http.guards import STORE
from codeflash_engine.http.quota import BUDGETS, Budgets
from codeflash_engine.infra.db.types import Plan, StoreUnavailable
from codeflash_engine.infra.records import LLMCallRecord
from codeflash_engine.plugins import manager
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM

ClientFactory = Callable[[web.Application], Awaitable[EngineClient]]


async def test_the_line_profiler_route_never_calls_the_function_asynchronous(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """/ai/optimize-line-profiler has no ``is_async`` in its contract: its prompt never tells the
    model the function is a coroutine, even when the body carries ``is_async: true``; the same
    flag on /ai/optimize does (the Python templates say "coroutine" for an asynchronous job)."""
    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(
        engine_client, "/ai/optimize-line-profiler", s.line_profiler(n_candidates=1, is_async=True)
    )
    assert status == 200, body
    assert len(fake_llm.requests) == 1
    assert "coroutine" not in fake_llm.requests[0].text
    fake_llm.requests.clear()
    status, body = await call(engine_client, "/ai/optimize", s.optimize(n_candidates=1, is_async=True))
    assert status == 200, body
    assert len(fake_llm.requests) == 1
    assert "coroutine" in fake_llm.requests[0].text


ITEM_MODULE = f"class Item:\n    def __init__(self, price):\n        self.price = price\n\n\n{s.SORTER_CODE}\n"

REPAIRED_WITH_ITEM = """```python
from pkg.sorter import sort_list


def test_empty():
    assert sort_list([Item(1)])[0].price == 1
```
"""


async def test_testgen_repair_reads_the_module_source_for_the_names_the_tests_may_import(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """The repaired tests use a class of the module under test that they do not import: the
    handler gives the pipeline ``module_source_code`` (not the bare function), so the class is
    known to come from ``pkg.sorter`` and its import is added."""
    fake_llm.reply(REPAIRED_WITH_ITEM)
    body = s.testgen_repair(module_source_code=ITEM_MODULE, function_source_code=s.SORTER_CODE)
    status, out = await call(engine_client, "/ai/testgen_repair", body)
    assert status == 200, out
    assert "from pkg.sorter import Item" in out["generated_tests"]


async def test_testgen_repair_without_a_module_source_reads_the_function_source(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """An empty ``module_source_code`` falls back to ``function_source_code``: a class defined
    there is imported from the module under test."""
    fake_llm.reply(REPAIRED_WITH_ITEM)
    body = s.testgen_repair(module_source_code="", function_source_code=ITEM_MODULE)
    status, out = await call(engine_client, "/ai/testgen_repair", body)
    assert status == 200, out
    assert "from pkg.sorter import Item" in out["generated_tests"]
    fake_llm.requests.clear()
    body = s.testgen_repair(module_source_code="", function_source_code=s.SORTER_CODE)
    status, out = await call(engine_client, "/ai/testgen_repair", body)
    assert status == 200, out
    assert "import Item" not in out["generated_tests"]


# --- GET /healthcheck and GET /openapi.json -------------------------------------------------------


class FailsToLoad:
    """A plugin whose registration raises: a load error, never a run-time failure."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        raise RuntimeError("register_languages exploded")


class FailsToPrompt:
    """A plugin that loads (language "boom") but whose prompt hook raises at run time."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        register(LanguageSpec(name="boom", extensions=(".boom",), comment_prefix="#", fence_tags=("boom",)))

    @hookimpl
    def build_prompt(self, request: Any) -> Any:
        raise RuntimeError("build_prompt exploded")


BOOM_BODY = {**s.optimize(), "language": "boom", "source_code": "```boom:main.boom\n(def f 1)\n```"}


async def client_with(aiohttp_client: ClientFactory, settings: Settings, plugin: object) -> EngineClient:
    host = load_plugins(settings)
    host.register(plugin, type(plugin).__name__.lower())
    return await aiohttp_client(create_app(settings, plugins=host))


async def health(client: EngineClient) -> dict[str, Any]:
    resp = await client.get("/healthcheck")  # no key: a public route
    assert resp.status == 200
    answer: dict[str, Any] = await resp.json()
    return answer


async def test_a_healthy_engine_is_ok_and_lists_its_language_plugins_not_the_core(
    engine_client: EngineClient,
) -> None:
    """Nothing failed: status "ok", every language plugin listed, and the core's own builtin
    plugin left out of the list."""
    answer = await health(engine_client)
    assert answer["status"] == "ok"
    assert answer["plugin_errors"] == {} and answer["plugin_failures"] == {} and answer["plugin_restarts"] == {}
    names = [p["name"] for p in answer["plugins"]]
    assert "python" in names and "codeflash_engine.plugins.builtin" not in names
    assert all(not name.startswith("codeflash_engine") for name in names)
    python = next(p for p in answer["plugins"] if p["name"] == "python")
    assert "python" in python["languages"] and "build_prompt" in python["hooks"]


async def test_a_plugin_that_failed_to_load_alone_makes_the_engine_degraded_and_is_not_listed(
    aiohttp_client: ClientFactory, engine_settings: Settings
) -> None:
    """A load error and nothing else (no run-time failure, no process replaced) is enough for
    "degraded"; the plugin is named under plugin_errors and not among the working plugins."""
    client = await client_with(aiohttp_client, engine_settings, FailsToLoad())
    answer = await health(client)
    assert answer["status"] == "degraded"
    assert "register_languages exploded" in answer["plugin_errors"]["failstoload"]
    assert answer["plugin_failures"] == {} and answer["plugin_restarts"] == {}
    names = [p["name"] for p in answer["plugins"]]
    assert "failstoload" not in names and "python" in names


async def test_a_run_time_failure_alone_makes_the_engine_degraded_for_fifteen_minutes(
    aiohttp_client: ClientFactory, engine_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hook that raised (no load error, no process replaced) makes the engine "degraded" and
    is listed under plugin_failures for 15 minutes after the failure, then the engine is "ok"
    again (the plugin manager's clock moved forward 890 s, then 910 s)."""
    client = await client_with(aiohttp_client, engine_settings, FailsToPrompt())
    status, body = await call(client, "/ai/optimize", BOOM_BODY)
    assert status == 502, body
    answer = await health(client)
    assert answer["status"] == "degraded" and answer["plugin_errors"] == {}
    assert [f["hook"] for f in answer["plugin_failures"]["failstoprompt"]] == ["build_prompt"]
    assert "failstoprompt" in [p["name"] for p in answer["plugins"]]

    real = time.time
    for offset, status_then in ((890.0, "degraded"), (910.0, "ok")):
        clock = SimpleNamespace(time=lambda offset=offset: real() + offset, perf_counter=time.perf_counter)
        monkeypatch.setattr(manager, "time", clock)
        answer = await health(client)
        assert answer["status"] == status_then, offset
        assert bool(answer["plugin_failures"]) == (status_then == "degraded")


@pytest.mark.parametrize("path", ["/healthcheck", "/openapi.json"])
async def test_the_public_routes_are_documented_without_a_key_or_client_errors(
    engine_client: EngineClient, path: str
) -> None:
    """/healthcheck and /openapi.json need no key: their operations carry no security
    requirement and document only a 500 besides the 200 (a route behind the key, /usage,
    carries the bearer requirement)."""
    resp = await engine_client.get("/openapi.json")
    assert resp.status == 200
    doc = await resp.json()
    operation = doc["paths"][path]["get"]
    assert "security" not in operation
    assert set(operation["responses"]) == {"200", "500"}
    assert doc["paths"]["/usage"]["get"]["security"] == [{"bearer": []}]


# --- GET /usage -----------------------------------------------------------------------------------

#: the usage clock: Wednesday 2026-03-18 12:00 UTC (its ISO week starts Monday the 16th)
NOW = dt.datetime(2026, 3, 18, 12, tzinfo=dt.UTC)
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@pytest.fixture
async def usage_client(aiohttp_client: ClientFactory, fake_llm_settings: Callable[..., Settings]) -> EngineClient:
    """The whole engine on the in-memory store (keys made in the store), its usage periods by
    the fixed clock :data:`NOW`."""
    app = create_app(fake_llm_settings(models="openai:gpt-4.1=1", rate_limit_max=40, rate_limit_window_ms=DAY_MS))
    app[BUDGETS] = Budgets(ttl=0, clock=NOW.timestamp)
    return await aiohttp_client(app)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def spent(usd: float, user_id: str, organization_id: int | None) -> LLMCallRecord:
    return LLMCallRecord(
        trace_id="spent",
        call_type="optimize",
        model_name="gpt-4.1",
        provider="openai",
        cost_usd=usd,
        user_id=user_id,
        organization_id=organization_id,
        created=NOW,
    )


async def usage(client: EngineClient, key: str) -> dict[str, Any]:
    resp = await client.get("/usage", headers=bearer(key))
    assert resp.status == 200, await resp.text()
    answer: dict[str, Any] = await resp.json()
    return answer


async def test_usage_of_an_organization_plan_and_of_a_member_with_a_plan_of_their_own(
    usage_client: EngineClient,
) -> None:
    """On the organization's plan the spend is the organization's (every member's calls,
    rounded to 6 decimals) and the period is the plan's by the engine's usage clock; a member
    whose key has a plan of its own is a tenant alone: only their own calls count on it, though
    their organization is still named. /usage itself is not counted on the rate limit."""
    store = usage_client.app[STORE]
    await store.set_plan(
        Plan("team", rate_limit_max=10, rate_limit_window_ms=HOUR_MS, optimizations_limit=5, budget_usd=2.0)
    )
    await store.set_plan(Plan("solo", budget_usd=1.0, period="week"))
    acme = await store.create_organization("acme", plan="team")
    alice = await store.create_key("alice", organization_id=acme.id)
    await store.create_key("bob", organization_id=acme.id)
    carol = await store.create_key("carol", organization_id=acme.id, plan="solo")
    await store.write_records(
        [spent(0.5, "bob", acme.id), spent(0.1234567, "alice", acme.id), spent(0.25, "carol", acme.id)]
    )

    for _ in range(3):
        body = await usage(usage_client, alice.key)
        assert body["rate_limit"] == {"max": 10, "window_ms": HOUR_MS, "remaining": 10}
    assert body["plan"] == "team" and body["tenant"] == "organization" and body["organization_id"] == acme.id
    assert body["spend_usd"] == {"used": 0.873457, "limit": 2.0}
    assert body["quota"] == {"used": 0, "limit": 5}
    assert body["period"] == "month"
    assert dt.datetime.fromisoformat(body["period_start"]) == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert dt.datetime.fromisoformat(body["period_end"]) == dt.datetime(2026, 4, 1, tzinfo=dt.UTC)

    body = await usage(usage_client, carol.key)
    assert body["plan"] == "solo" and body["tenant"] == "user" and body["organization_id"] == acme.id
    assert body["spend_usd"] == {"used": 0.25, "limit": 1.0}
    assert body["period"] == "week"
    assert dt.datetime.fromisoformat(body["period_start"]) == dt.datetime(2026, 3, 16, tzinfo=dt.UTC)
    assert body["rate_limit"] == {"max": 40, "window_ms": DAY_MS, "remaining": 40}


async def test_usage_of_a_user_with_a_subscription_is_the_subscriptions_quota_and_period(
    usage_client: EngineClient,
) -> None:
    """A subscription of the user's own sets the quota and the period (here a week, the plan's
    is a month): its count when it started in the current period (at its very start
    included), 0 when it is from an earlier period."""
    store = usage_client.app[STORE]
    dave = await store.create_key("dave")
    await store.write_records([spent(0.125, "dave", None)])
    monday = dt.datetime(2026, 3, 16, tzinfo=dt.UTC)
    for started, used in ((monday, 3), (monday + dt.timedelta(hours=1), 3), (monday - dt.timedelta(days=7), 0)):
        await store.set_subscription(
            "dave", plan_type="pro", optimizations_limit=10, period="week", optimizations_used=3, period_start=started
        )
        body = await usage(usage_client, dave.key)
        assert body["quota"] == {"used": used, "limit": 10}, started
        assert body["plan"] == "default" and body["tenant"] == "user" and body["organization_id"] is None
        assert body["period"] == "week"
        assert dt.datetime.fromisoformat(body["period_start"]) == monday
        assert dt.datetime.fromisoformat(body["period_end"]) == monday + dt.timedelta(days=7)
        assert body["spend_usd"] == {"used": 0.125, "limit": None}


async def test_usage_when_the_store_cannot_answer_is_a_503_to_retry(
    usage_client: EngineClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store failing after the key was admitted: 503 with Retry-After and the store's
    message, as the guards answer (fail closed, never a made-up figure)."""
    store = usage_client.app[STORE]
    erin = await store.create_key("erin")

    async def unavailable(**_: Any) -> float:
        raise StoreUnavailable("the database did not answer")

    monkeypatch.setattr(store, "spend", unavailable)
    resp = await usage_client.get("/usage", headers=bearer(erin.key))
    assert resp.status == 503
    assert resp.headers["Retry-After"] == "5"
    assert await resp.json() == {"error": "the database did not answer"}


async def test_usage_without_a_known_key_is_a_401(usage_client: EngineClient) -> None:
    """/usage is behind the key like /ai: no key, or a key the store does not know, is the
    guards' 401 and no usage."""
    for headers in ({}, bearer("cf-" + "x" * 43)):
        resp = await usage_client.get("/usage", headers=headers)
        assert resp.status == 401
        answer = await resp.json()
        assert set(answer) == {"error"} and "quota" not in answer
