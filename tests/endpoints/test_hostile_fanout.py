"""Issue 16, class 1: no list that becomes LLM calls is unbounded, and the call rate limit and the
per-key concurrency see LLM calls, not just requests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import endpoint_samples as s
import pytest
from aiohttp import web

from codeflash_engine.app import create_app
from codeflash_engine.http import schemas
from codeflash_engine.http.limits import MAX_CALLS_PER_REQUEST, planned_calls
from codeflash_engine.infra.llm.slots import KeyedSlots, NoSlot
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import API_KEY, EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM, Reply

ClientFactory = Callable[[web.Application], Awaitable[EngineClient]]


CASES = [
    ("/ai/refinement", [s.refinement_item() for _ in range(schemas.MAX_REFINEMENT_ITEMS + 1)], "the body", 8),
    (
        "/ai/adaptive_optimize",
        s.adaptive(candidates=s.adaptive()["candidates"] * (schemas.MAX_ADAPTIVE_CANDIDATES + 1)),
        "candidates",
        schemas.MAX_ADAPTIVE_CANDIDATES,
    ),
    (
        "/ai/code_repair",
        s.code_repair(test_diffs=s.code_repair()["test_diffs"][:1] * (schemas.MAX_TEST_DIFFS + 1)),
        "test_diffs",
        schemas.MAX_TEST_DIFFS,
    ),
    (
        "/ai/testgen_review",
        s.testgen_review(tests=s.testgen_review()["tests"][:1] * (schemas.MAX_REVIEWED_TESTS + 1)),
        "tests",
        schemas.MAX_REVIEWED_TESTS,
    ),
    (
        "/ai/testgen_repair",
        s.testgen_repair(functions_to_repair=[{"function_name": "t"}] * (schemas.MAX_FUNCTIONS_TO_REPAIR + 1)),
        "functions_to_repair",
        schemas.MAX_FUNCTIONS_TO_REPAIR,
    ),
    (
        "/ai/rank",
        s.rank(
            diffs=["d"] * (schemas.MAX_RANKED + 1),
            optimization_ids=["o"] * (schemas.MAX_RANKED + 1),
            speedups=[1.0] * (schemas.MAX_RANKED + 1),
        ),
        "diffs",
        schemas.MAX_RANKED,
    ),
    ("/ai/testgen", s.testgen(helper_function_names=["h"] * 1000), "helper_function_names", schemas.MAX_ENTRIES),
    (
        "/ai/workflow-gen",
        s.workflow_gen(repo_files={f"pkg/m{i}.py": "x = 1\n" for i in range(schemas.MAX_REPO_FILES + 1)}),
        "repo_files",
        schemas.MAX_REPO_FILES,
    ),
]


@pytest.mark.parametrize(("path", "body", "field", "limit"), CASES, ids=[c[0] for c in CASES])
async def test_lists_past_their_bound_are_422_naming_field_and_limit(
    engine_client: EngineClient, fake_llm: FakeLLM, path: str, body: Any, field: str, limit: int
) -> None:
    status, answer = await call(engine_client, path, body)
    assert status == 422, answer
    assert field in answer["error"] and f"at most {limit}" in answer["error"], answer
    assert fake_llm.requests == []


async def test_a_full_refinement_body_makes_at_most_its_bound_of_calls(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(s.FAST_ANSWER)
    items = [s.refinement_item(optimization_id=f"o{i}") for i in range(schemas.MAX_REFINEMENT_ITEMS)]
    status, answer = await call(engine_client, "/ai/refinement", items)
    assert status == 200, answer
    assert len(fake_llm.requests) == planned_calls(items) == 16 == MAX_CALLS_PER_REQUEST


def test_planned_calls_bound() -> None:
    assert MAX_CALLS_PER_REQUEST == 16
    assert planned_calls(schemas.OptimizeRequest.model_validate(s.optimize(n_candidates=10_000))) == 12


async def test_the_call_rate_limit_counts_llm_calls(
    fake_llm: FakeLLM, fake_llm_settings: Callable[..., Settings], aiohttp_client: ClientFactory
) -> None:
    fake_llm.reply(s.FAST_ANSWER)
    settings = fake_llm_settings(
        models="openai:gpt-4.1=1", codeflash_engine_api_keys=API_KEY, codeflash_engine_rate_limit_llm_calls=10
    )
    client = await aiohttp_client(create_app(settings))
    status, answer = await call(client, "/ai/optimize", s.optimize(n_candidates=6))
    assert status == 200, answer
    resp = await client.post(
        "/ai/optimize", json=s.optimize(n_candidates=6), headers={"Authorization": f"Bearer {API_KEY}"}
    )
    answer = await resp.json()
    assert resp.status == 429 and "CODEFLASH_ENGINE_RATE_LIMIT_LLM_CALLS" in answer["error"], answer
    assert int(resp.headers["Retry-After"]) >= 1
    assert len(fake_llm.requests) == 6
    status, answer = await call(client, "/ai/explain", s.explain())
    assert status == 429  # 6 + 6 counted (a refused request counts, as in the request limit) + 1 > 10


async def test_per_key_concurrency_bounds_calls_in_flight(
    fake_llm: FakeLLM, fake_llm_settings: Callable[..., Settings], aiohttp_client: ClientFactory
) -> None:
    fake_llm.reply(Reply(s.FAST_ANSWER, latency=0.2))
    settings = fake_llm_settings(
        models="openai:gpt-4.1=1", codeflash_engine_api_keys=API_KEY, codeflash_engine_llm_concurrency_per_key=2
    )
    client = await aiohttp_client(create_app(settings))
    started = time.perf_counter()
    status, answer = await call(client, "/ai/optimize", s.optimize(n_candidates=6))
    assert status == 200, answer
    assert time.perf_counter() - started >= 0.55  # 6 calls, 2 at a time, 0.2 s each


async def test_keyed_slots() -> None:
    slots = KeyedSlots(1)
    async with slots.slot("a"):
        assert slots.in_use("a") == 1
        with pytest.raises(NoSlot):
            async with slots.slot("a", within=0.01):
                pass
        async with slots.slot("b", within=0.01):  # other keys are not held back
            pass
    assert slots.in_use("a") == 0
    async with asyncio.timeout(1):
        async with slots.slot(None):
            pass
