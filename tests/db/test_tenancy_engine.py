"""Issue 17 through the whole engine (fake LLM): a plan's model mix, the organization's spend.

Each test runs with the in-memory store and with PostgreSQL (the engine opens it from
DATABASE_URL, as in production).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from db_support import truncate
from pydantic import SecretStr

from codeflash_engine.app import create_app
from codeflash_engine.http.guards import STORE
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import Plan, TraceRecords
from codeflash_engine.settings import Settings

sys.path.insert(0, str(Path(__file__).parents[1] / "endpoints"))
import endpoint_samples as samples

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture(params=["memory", "postgres"])
async def engine_settings(
    request: pytest.FixtureRequest, fake_llm_settings: Callable[..., Settings]
) -> Callable[..., Settings]:
    """Settings for the whole engine on the fake LLM, with each store in turn."""
    extra: dict[str, Any] = {}
    if request.param == "postgres":
        dsn: str = request.getfixturevalue("migrated_db")
        await truncate(dsn)
        extra["database_url"] = SecretStr(dsn)

    def make(**overrides: Any) -> Settings:
        return fake_llm_settings(models="openai:gpt-4.1=1", codeflash_engine_request_deadline=20, **extra, **overrides)

    return make


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def records_of(store: Store, trace_id: str, calls: int) -> TraceRecords:
    """The trace's records once the recorder has written ``calls`` LLM calls (it writes in the background)."""
    for _ in range(200):
        found = await store.records_for_trace(trace_id)
        if len(found.calls) >= calls:
            return found
        await asyncio.sleep(0.025)
    raise AssertionError(f"{trace_id}: {len(found.calls)} calls recorded, {calls} expected")


async def test_a_plans_model_mix_serves_its_requests(
    engine_settings: Callable[..., Settings], aiohttp_client: ClientFactory
) -> None:
    app = create_app(engine_settings())
    client = await aiohttp_client(app)
    store = app[STORE]
    await store.set_plan(Plan("premium", models="openai:gpt-4.1-mini=1,anthropic:claude-x=5"))
    acme = await store.create_organization("acme", plan="premium")
    premium = await store.create_key("alice", organization_id=acme.id)
    plain = await store.create_key("bob")
    for key, trace in ((premium.key, "t-premium"), (plain.key, "t-plain")):
        body = samples.optimize(trace_id=trace, n_candidates=3)
        resp = await client.post("/ai/optimize", data=json.dumps(body), headers=bearer(key))
        assert resp.status == 200, await resp.text()
    premium_calls = (await records_of(store, "t-premium", 3)).calls
    # the plan's mix, kept to the providers the engine has (no Anthropic here)
    assert {c.model_name for c in premium_calls} == {"gpt-4.1-mini"}
    assert {c.organization_id for c in premium_calls} == {acme.id}  # the organization's spend
    plain_calls = (await records_of(store, "t-plain", 3)).calls
    assert {c.model_name for c in plain_calls} == {"gpt-4.1"}
    assert {c.organization_id for c in plain_calls} == {None}


# --- privacy mode ----------------------------------------------------------------------------------

#: fragments of the code the requests carry and the fake model answers: none may be kept or logged
CODE_MARKERS = ("out[j]", "sorted(xs)", "def sort_list", "assert sort_list", "return out", "def test_")


async def _everything_stored(store: Store, settings: Settings) -> str:
    """Every row of every table (PostgreSQL), or every value the in-memory store holds, as text."""
    if settings.database_url is None:
        return repr(vars(store))
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        tables = [
            r["table_name"]
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        assert {"optimization_features", "optimization_errors", "llm_calls", "staging_reviews"} <= set(tables)
        rows = [f"{t}: {r['row']}" for t in tables for r in await conn.fetch(f'SELECT t::text AS row FROM "{t}" t')]
    finally:
        await conn.close()
    return "\n".join(rows)


async def _full_run(
    client: TestClient[web.Request, web.Application], key: str, fake_llm: Any, *, privacy: bool = False
) -> None:
    """Requests of every kind a CLI run makes, some of them failing, for one trace."""
    from codeflash_engine.testing.fake_llm import Fault

    trace = "t-private"
    fake_llm.fail(Fault.bad_request(f"cannot read: {samples.SORTER_CODE}"), contains="explain", times=5)
    fake_llm.reply(samples.TESTS_ANSWER, contains="test")
    fake_llm.reply(samples.FAST_ANSWER)
    bodies: list[tuple[str, Any]] = [
        ("/ai/optimize", samples.optimize(trace_id=trace, n_candidates=2)),
        ("/ai/optimize-line-profiler", samples.line_profiler(trace_id=trace, n_candidates=1)),
        ("/ai/testgen", samples.testgen(trace_id=trace)),
        ("/ai/explain", samples.explain(trace_id=trace)),
        ("/ai/optimize", {**samples.optimize(trace_id=trace), "source_code": "def broken(:\n  out[j] ="}),
        (
            "/ai/log_features",
            samples.log_features(
                trace_id=trace,
                original_code=samples.SORTER_CODE,
                optimized_line_profiler_results={"o1": "   3  out[j], out[j + 1] = out[j + 1], out[j]"},
                note=samples.SORTER_CODE,
                metadata={"best_optimization_id": "o1", "explanation": samples.FAST_ANSWER},
            ),
        ),
    ]
    for path, body in bodies:
        resp = await client.post(path, data=json.dumps(body), headers=bearer(key))
        assert resp.status < 500 or resp.status == 502, (path, resp.status, await resp.text())
    staging = {  # the CLI's cfapi: a staged optimization carries the code
        "owner": "acme",
        "repo": "shop",
        "baseBranch": "main",
        "diffContents": {"pkg/sorter.py": {"oldContent": samples.SORTER_CODE, "newContent": samples.FAST_CODE}},
        "prCommentFields": {"function_name": "sort_list", "file_path": "pkg/sorter.py"},
        "traceId": trace,
    }
    resp = await client.post("/cfapi/create-staging", data=json.dumps(staging), headers=bearer(key))
    assert resp.status == (403 if privacy else 200), await resp.text()


@pytest.mark.parametrize("privacy", [True, False])
async def test_privacy_mode_keeps_no_code_in_any_table_or_log_line(
    privacy: bool,
    engine_settings: Callable[..., Settings],
    aiohttp_client: ClientFactory,
    fake_llm: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = engine_settings(codeflash_engine_log_level="DEBUG")
    app = create_app(settings)
    client = await aiohttp_client(app)
    store = app[STORE]
    org = await store.create_organization("secret", privacy_mode=privacy)
    new = await store.create_key("alice", organization_id=org.id)
    caplog.set_level(logging.DEBUG)
    await _full_run(client, new.key, fake_llm, privacy=privacy)
    await records_of(store, "t-private", 3)
    await client.close()  # the recorder drains: every record is written
    stored = await _everything_stored(store, settings) if settings.database_url else repr(vars(store))
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.__dict__!r}" for r in caplog.records)
    features = await store.get_features("t-private") if settings.database_url is None else None
    if privacy:
        for marker in CODE_MARKERS:
            assert marker not in stored, marker
            assert marker not in logged, marker
        if features is not None:
            assert features["original_code"] is None and features["optimizations_post"] is None
            assert features["original_runtime"] == 4050000 and features["is_correct"] == {"o1": True, "o2": False}
    else:  # the same run without privacy mode keeps code: the test would see it
        assert "def sort_list" in stored and "out[j]" in stored


async def test_features_keep_the_original_code_and_fields_without_a_column(
    engine_settings: Callable[..., Settings], aiohttp_client: ClientFactory, fake_llm: Any
) -> None:
    fake_llm.reply(samples.FAST_ANSWER)
    app = create_app(engine_settings())
    client = await aiohttp_client(app)
    store = app[STORE]
    new = await store.create_key("alice")
    body = samples.optimize(trace_id="t-features", n_candidates=1)
    assert (await client.post("/ai/optimize", data=json.dumps(body), headers=bearer(new.key))).status == 200
    features = samples.log_features(trace_id="t-features", cli_extra_count=3, cli_note={"kind": "demo"})
    resp = await client.post("/ai/log_features", data=json.dumps(features), headers=bearer(new.key))
    assert resp.status == 200
    for _ in range(100):  # the original code (and the prompt arm) are written in the background
        stored = await store.get_features("t-features")
        if stored is not None and stored["original_code"] is not None and "prompt_arm" in stored["extra"]:
            break
        await asyncio.sleep(0.02)
    assert stored is not None
    assert stored["original_code"] == samples.SORTER_MD
    # beside the client's fields, the engine's own: the prompt arm and the candidates' explanations (issue 22)
    client_fields = {k: v for k, v in stored["extra"].items() if k != "prompt_arm" and not k.startswith("explanation:")}
    assert client_fields == {"cli_extra_count": 3, "cli_note": {"kind": "demo"}}
    assert stored["extra"]["prompt_arm"] == "diverse"
    too_many = {**features, **{f"f{i}": i for i in range(40)}}
    resp = await client.post("/ai/log_features", data=json.dumps(too_many), headers=bearer(new.key))
    assert resp.status == 422 and "unknown fields" in (await resp.json())["error"]


async def test_a_budget_refuses_before_any_llm_call(
    engine_settings: Callable[..., Settings], aiohttp_client: ClientFactory, fake_llm: Any
) -> None:
    fake_llm.reply(samples.FAST_ANSWER)
    app = create_app(engine_settings())
    client = await aiohttp_client(app)
    store = app[STORE]
    await store.set_plan(Plan("spent", budget_usd=0.0, period="week"))
    new = await store.create_key("alice", plan="spent")
    body = samples.optimize(trace_id="t-budget", n_candidates=2)
    resp = await client.post("/ai/optimize", data=json.dumps(body), headers=bearer(new.key))
    assert resp.status == 402
    answer = await resp.json()
    assert answer["plan"] == "spent" and answer["budget_usd"] == 0.0 and answer["spend_usd"] == 0.0
    assert answer["resets_at"].endswith("T00:00:00Z")
    assert fake_llm.requests == []  # refused before any LLM call
    usage = await (await client.get("/usage", headers=bearer(new.key))).json()
    assert usage["period"] == "week" and usage["spend_usd"] == {"used": 0.0, "limit": 0.0}
