"""Verified wins as examples (issue 22): the store contract on both stores, then the whole engine
(fake LLM) on both stores: a win reported by /ai/log_features appears in the next optimize prompt
of the same organization, never in another's, never in privacy mode, not with the switch off,
and never over the token cap."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from db_support import truncate
from pydantic import SecretStr

from codeflash_engine.app import create_app
from codeflash_engine.http.guards import STORE
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.types import Organization
from codeflash_engine.infra.db.wins import VerifiedWin, words
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import FakeLLM, echo

sys.path.insert(0, str(Path(__file__).parents[1] / "endpoints"))
import endpoint_samples as samples

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


def win(tenant: str, trace: str, code: str, speedup: float = 0.5, explanation: str = "") -> VerifiedWin:
    return VerifiedWin.of(
        tenant=tenant,
        trace_id=trace,
        optimization_id="o-" + trace,
        original=f"```python:pkg/m.py\n{code}\n```",
        optimized=f"```python:pkg/m.py\n{code}  # faster\n```",
        speedup=speedup,
        explanation=explanation,
    )


# --- the store contract --------------------------------------------------------------------------


def test_search_words_split_identifiers() -> None:
    text = "def pairSums(xs, target_total):\n    seen_values = set()"
    assert words(text) == ["pair", "seen", "sums", "target", "total"]


async def test_retrieval_is_deterministic_and_best_first(store: Store) -> None:
    await store.add_verified_win(win("org:1", "t1", "def pair_sums(numbers, target): pass", 0.3))
    await store.add_verified_win(win("org:1", "t2", "def parse_header(line): pass", 2.0))
    await store.add_verified_win(win("org:1", "t3", "def pair_sums_sorted(numbers, target): pass", 0.9))
    await store.add_verified_win(win("org:1", "t4", "def unrelated_thing(): pass", 5.0, "sums of pairs"))
    query = words("def pair_sums(nums, target):\n    return [x for x in nums]")
    first = await store.similar_wins("org:1", query, 4)
    again = await store.similar_wins("org:1", query, 4)
    assert [w.trace_id for w in first] == [w.trace_id for w in again]
    # both pair_sums wins match three words; the faster one first; the others do not match enough
    assert [w.trace_id for w in first[:2]] == ["t3", "t1"]
    assert "t2" not in [w.trace_id for w in first]
    assert len(await store.similar_wins("org:1", query, 1)) == 1
    assert await store.similar_wins("org:1", ["nothingmatches"], 4) == []


async def test_two_tenants_wins_never_cross(store: Store) -> None:
    await store.add_verified_win(win("org:1", "t1", "def pair_sums(numbers, target): pass"))
    await store.add_verified_win(win("org:2", "t2", "def pair_sums(numbers, target): pass"))
    await store.add_verified_win(win("user:carol", "t3", "def pair_sums(numbers, target): pass"))
    query = words("def pair_sums(numbers, target): pass")
    for tenant, trace in (("org:1", "t1"), ("org:2", "t2"), ("user:carol", "t3")):
        found = await store.similar_wins(tenant, query, 4)
        assert [w.trace_id for w in found] == [trace]
        assert all(w.tenant == tenant for w in found)
    assert await store.similar_wins("org:3", query, 4) == []


async def test_a_later_win_for_the_same_trace_replaces_it(store: Store) -> None:
    await store.add_verified_win(win("org:1", "t1", "def pair_sums(numbers, target): pass", 0.2))
    await store.add_verified_win(win("org:1", "t1", "def pair_sums(numbers, target): pass", 0.7))
    found = await store.similar_wins("org:1", ["pair"], 4)
    assert len(found) == 1 and found[0].speedup == pytest.approx(0.7)


# --- through the engine --------------------------------------------------------------------------


@pytest.fixture(params=["memory", "postgres"])
async def engine_settings(
    request: pytest.FixtureRequest, fake_llm_settings: Callable[..., Settings]
) -> Callable[..., Settings]:
    extra: dict[str, Any] = {}
    if request.param == "postgres":
        dsn: str = request.getfixturevalue("migrated_db")
        await truncate(dsn)
        extra["database_url"] = SecretStr(dsn)

    def make(**overrides: Any) -> Settings:
        return fake_llm_settings(models="openai:gpt-4.1=1", codeflash_engine_request_deadline=20, **extra, **overrides)

    return make


LOOPY = (
    "```python:pkg/stats.py\n"
    "def pair_sums(numbers, target):\n"
    "    found = []\n"
    "    for i in range(len(numbers)):\n"
    "        for j in range(i + 1, len(numbers)):\n"
    "            if numbers[i] + numbers[j] == target:\n"
    "                found.append((numbers[i], numbers[j]))\n"
    "    return found\n"
    "```"
)
SIMILAR = LOOPY.replace("pair_sums", "pair_sums_within").replace("found", "pairs_found")


async def _optimize(client: TestClient[web.Request, web.Application], key: str, trace: str, code: str) -> Any:
    body = samples.optimize(source_code=code, n_candidates=2, trace_id=trace)
    resp = await client.post("/ai/optimize", json=body, headers={"Authorization": f"Bearer {key}"})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["optimizations"]


async def _win(
    client: TestClient[web.Request, web.Application], store: Store, key: str, trace: str, *, speedup: float = 0.42
) -> None:
    """An optimize request, then the client's report that its first candidate won."""
    found = await _optimize(client, key, trace, LOOPY)
    best = found[0]["optimization_id"]
    for _ in range(200):  # the original code and the explanations are written in the background
        row = await store.get_features(trace)
        if row and row.get("original_code") and f"explanation:{best}" in (row.get("extra") or {}):
            break
        await asyncio.sleep(0.02)
    body = {
        "trace_id": trace,
        "speedup_ratio": {best: speedup},
        "original_runtime": 1_000_000,
        "optimized_runtime": {best: 700_000},
        "is_correct": {best: True},
        "metadata": {"best_optimization_id": best},
        "optimizations_post": {best: found[0]["source_code"]},
    }
    resp = await client.post("/ai/log_features", json=body, headers={"Authorization": f"Bearer {key}"})
    assert resp.status == 200, await resp.text()


async def _acme(
    engine_settings: Callable[..., Settings], aiohttp_client: ClientFactory, **settings: Any
) -> tuple[TestClient[web.Request, web.Application], Store, Organization, str]:
    """An engine with ``settings``, the organization acme and the key of its member alice."""
    app = create_app(engine_settings(**settings))
    client = await aiohttp_client(app)
    store = app[STORE]
    acme = await store.create_organization("acme")
    alice = (await store.create_key("alice", organization_id=acme.id)).key
    return client, store, acme, alice


def _optimize_prompts(fake: FakeLLM) -> list[str]:
    return [r.user for r in fake.requests if "pair_sums_within" in r.user]


async def test_a_win_appears_in_the_next_prompt_of_the_same_organization_only(
    engine_settings: Callable[..., Settings], aiohttp_client: ClientFactory, fake_llm: FakeLLM
) -> None:
    fake_llm.add(echo)
    app = create_app(engine_settings())
    client = await aiohttp_client(app)
    store = app[STORE]
    acme = await store.create_organization("acme")
    globex = await store.create_organization("globex")
    alice = (await store.create_key("alice", organization_id=acme.id)).key
    bob = (await store.create_key("bob", organization_id=acme.id)).key
    gina = (await store.create_key("gina", organization_id=globex.id)).key

    await _win(client, store, alice, "4f7c0000-0000-4000-8000-000000000001")
    # bob, same organization: the win is shown (after the code, with its speedup and explanation)
    fake_llm.requests.clear()
    await _optimize(client, bob, "4f7c0000-0000-4000-8000-000000000002", SIMILAR)
    prompts = _optimize_prompts(fake_llm)
    assert prompts and all("verified before" in p and "42% faster" in p and "Echo of the prompt" in p for p in prompts)
    assert all(p.index("verified before") > p.index("def pair_sums_within") for p in prompts)
    # gina, another organization: nothing of acme's
    fake_llm.requests.clear()
    await _optimize(client, gina, "4f7c0000-0000-4000-8000-000000000003", SIMILAR)
    prompts = _optimize_prompts(fake_llm)
    assert prompts and not any("verified before" in p for p in prompts)


async def test_no_win_is_kept_or_shown_in_privacy_mode(
    engine_settings: Callable[..., Settings], aiohttp_client: ClientFactory, fake_llm: FakeLLM
) -> None:
    fake_llm.add(echo)
    app = create_app(engine_settings())
    client = await aiohttp_client(app)
    store = app[STORE]
    secret = await store.create_organization("secret", privacy_mode=True)
    key = (await store.create_key("sam", organization_id=secret.id)).key
    found = await _optimize(client, key, "4f7c0000-0000-4000-8000-000000000011", LOOPY)
    best = found[0]["optimization_id"]
    body = {
        "trace_id": "4f7c0000-0000-4000-8000-000000000011",
        "speedup_ratio": {best: 3.0},
        "is_correct": {best: True},
        "optimizations_post": {best: found[0]["source_code"]},
    }
    await client.post("/ai/log_features", json=body, headers={"Authorization": f"Bearer {key}"})
    assert await store.similar_wins(f"org:{secret.id}", words(LOOPY), 4) == []


async def test_the_switch_off_keeps_and_shows_nothing(
    engine_settings: Callable[..., Settings], aiohttp_client: ClientFactory, fake_llm: FakeLLM
) -> None:
    fake_llm.add(echo)
    client, store, acme, alice = await _acme(engine_settings, aiohttp_client, codeflash_engine_verified_examples=False)
    trace = "4f7c0000-0000-4000-8000-000000000021"
    found = await _optimize(client, alice, trace, LOOPY)
    best = found[0]["optimization_id"]
    body = {
        "trace_id": trace,
        "speedup_ratio": {best: 3.0},
        "is_correct": {best: True},
        "optimizations_post": {best: found[0]["source_code"]},
    }
    await client.post("/ai/log_features", json=body, headers={"Authorization": f"Bearer {alice}"})
    await store.add_verified_win(win(f"org:{acme.id}", "old", "def pair_sums(numbers, target): pass"))
    fake_llm.requests.clear()
    await _optimize(client, alice, "4f7c0000-0000-4000-8000-000000000022", SIMILAR)
    assert not any("verified before" in p for p in _optimize_prompts(fake_llm))
    assert [w.trace_id for w in await store.similar_wins(f"org:{acme.id}", words(LOOPY), 4)] == ["old"]


async def test_a_win_over_the_cap_is_not_kept(
    engine_settings: Callable[..., Settings], aiohttp_client: ClientFactory, fake_llm: FakeLLM
) -> None:
    fake_llm.add(echo)
    client, store, acme, alice = await _acme(
        engine_settings, aiohttp_client, codeflash_engine_verified_examples_tokens=100
    )
    await _win(client, store, alice, "4f7c0000-0000-4000-8000-000000000023")
    assert await store.similar_wins(f"org:{acme.id}", words(LOOPY), 4) == []


async def test_examples_within_the_cap_are_shown_and_larger_ones_left_out(
    engine_settings: Callable[..., Settings], aiohttp_client: ClientFactory, fake_llm: FakeLLM
) -> None:
    fake_llm.add(echo)
    client, store, acme, alice = await _acme(
        engine_settings, aiohttp_client, codeflash_engine_verified_examples_tokens=400
    )
    tenant = f"org:{acme.id}"
    small = win(tenant, "s1", "def pair_sums(numbers, target): return []", 0.5, "small one")
    large = win(tenant, "l1", "def pair_sums(numbers, target):\n" + "    x = 1\n" * 200, 9.0, "large one")
    await store.add_verified_win(small)
    await store.add_verified_win(large)
    fake_llm.requests.clear()
    await _optimize(client, alice, "4f7c0000-0000-4000-8000-000000000031", SIMILAR)
    prompts = _optimize_prompts(fake_llm)
    assert prompts and all("small one" in p and "large one" not in p for p in prompts)
    assert all(len(p.split("verified before")[1]) < 400 * 2.5 + 2000 for p in prompts)


async def test_a_tenant_without_wins_costs_no_search_for_a_few_seconds(migrated_db: str) -> None:
    """PostgreSQL: "no wins" is remembered per tenant for WINLESS_SECONDS (a win kept by another
    replica, here written behind the store's back, shows after that); a win kept through this
    store shows at once."""
    import asyncpg  # type: ignore[import-untyped]

    from codeflash_engine.infra.db.postgres import PostgresStore

    query = words("def pair_sums(values):")
    async with PostgresStore(migrated_db, migrate=False, pool_max=2, prune_interval=0) as store:
        store.WINLESS_SECONDS = 2.0  # long enough for the insert below on a loaded machine
        assert await store.similar_wins("org:5", query, 4) == []
        elsewhere = win("org:5", "t-other", "def pair_sums(values):\n    return values")
        conn = await asyncpg.connect(migrated_db)
        try:
            await conn.execute(
                "INSERT INTO verified_wins (tenant, trace_id, optimization_id, original, optimized, speedup, "
                "explanation, terms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                elsewhere.tenant,
                elsewhere.trace_id,
                elsewhere.optimization_id,
                elsewhere.original,
                elsewhere.optimized,
                elsewhere.speedup,
                elsewhere.explanation,
                elsewhere.terms,
            )
        finally:
            await conn.close()
        assert await store.similar_wins("org:5", query, 4) == []  # trusted "no wins"
        await asyncio.sleep(2.1)
        assert [w.trace_id for w in await store.similar_wins("org:5", query, 4)] == ["t-other"]
        assert await store.similar_wins("org:6", query, 4) == []
        await store.add_verified_win(win("org:6", "t-here", "def pair_sums(values):\n    return values"))
        assert [w.trace_id for w in await store.similar_wins("org:6", query, 4)] == ["t-here"]
