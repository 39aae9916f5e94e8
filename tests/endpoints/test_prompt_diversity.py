"""n different strategies instead of n copies of one prompt (issue 22), and the prompt cache.

Through the whole engine and the fake LLM: the n calls of an optimize fan-out get pairwise
distinct prompts sharing one prefix (system prompt, instructions, code); the duplicate rate of
candidates on the fake's echo of the prompts, diverse against identical; the arm recorded with
the trace's features; the share of prompt tokens read from the (simulated) prompt cache across
the requests of one function's optimization.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import endpoint_samples as s

from codeflash_engine.http.state import ENGINE
from codeflash_engine.pipelines import strategies
from codeflash_engine.plugins.types import CodeFile
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM, echo

LOOPY = (
    "```python:pkg/stats.py\n"
    "def pair_sums(xs, target):\n"
    "    out = []\n"
    "    for i in range(len(xs)):\n"
    "        for j in range(len(xs)):\n"
    "            if i < j and xs[i] + xs[j] == target:\n"
    "                out.append((min(xs[i], xs[j]), max(xs[i], xs[j])))\n"
    "    return sorted(set(out))\n"
    "```"
)


def optimize_body(n: int = 6, group: str | None = None, trace: str = s.TRACE) -> dict[str, Any]:
    body = s.optimize(source_code=LOOPY, n_candidates=n, trace_id=trace)
    body["experiment_metadata"] = {"id": "exp-22", "group": group} if group else None
    return body


def common_prefix(texts: list[str]) -> int:
    first = texts[0]
    return next((i for i in range(len(first)) if any(len(t) <= i or t[i] != first[i] for t in texts)), len(first))


async def test_six_calls_get_six_distinct_prompts_with_one_prefix(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    fake_llm.add(echo)
    status, _ = await call(engine_client, "/ai/optimize", optimize_body(6))
    assert status == 200
    users = [r.user for r in fake_llm.requests]
    systems = {r.system for r in fake_llm.requests}
    assert len(users) == 6 and len(systems) == 1
    assert len(set(users)) == 6, "the prompts are not pairwise distinct"
    shared = common_prefix(users)
    # the shared prefix holds the instructions and the whole code: only the strategy line differs
    assert "return sorted(set(out))" in users[0][:shared]
    assert all(len(u) - shared < 400 for u in users)
    assert sum("Strategy for this answer" in u for u in users) == 5  # one call unconstrained


def test_strategies_follow_the_code() -> None:
    plain = [CodeFile("a.py", "def f(x):\n    return x + 1\n")]
    numeric = [CodeFile("a.py", "import numpy as np\ndef f(a):\n    for x in a:\n        pass\n")]
    waits = [CodeFile("a.py", "async def f(c):\n    return [await c.get(i) for i in range(3)]\n")]
    assert strategies.applicable(plain)[0] == "algorithm"
    assert "vectorise" not in strategies.applicable(plain) and "concurrency" not in strategies.applicable(plain)
    assert strategies.applicable(numeric)[0] == "vectorise"
    assert strategies.applicable(waits, is_async=True)[0] == "concurrency"
    assert strategies.applicable(plain) == strategies.applicable(plain)  # deterministic
    chosen = strategies.assign(12, strategies.applicable(plain))
    assert chosen[0] is None and len(set(chosen)) == 12


async def _candidates(client: EngineClient, fake: FakeLLM, group: str | None) -> tuple[int, int]:
    fake.requests.clear()
    status, body = await call(client, "/ai/optimize", optimize_body(6, group))
    assert status == 200, body
    return len(fake.requests), len(body["optimizations"])


async def test_duplicate_rate_on_the_echo_diverse_against_identical(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    fake_llm.add(echo)
    answers_d, kept_d = await _candidates(engine_client, fake_llm, "experiment")
    answers_i, kept_i = await _candidates(engine_client, fake_llm, "control")
    rate_d, rate_i = 1 - kept_d / answers_d, 1 - kept_i / answers_i
    print(
        f"duplicate rate on the echo: diverse {rate_d:.0%} ({kept_d}/{answers_d}), "
        f"identical {rate_i:.0%} ({kept_i}/{answers_i})"
    )
    assert (kept_d, kept_i) == (6, 1)


async def test_the_arm_is_recorded_with_the_trace_features(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.add(echo)
    store = engine_client.app[ENGINE].store
    for group, trace, arm in (("control", "t-control-1", "identical"), (None, "t-plain-1", "diverse")):
        await call(engine_client, "/ai/optimize", optimize_body(2, group, trace))
        for _ in range(50):
            row = await store.get_features(trace)
            if row and row["extra"].get("prompt_arm"):
                break
            await asyncio.sleep(0.02)
        assert row is not None and row["extra"]["prompt_arm"] == arm
        # the client's own telemetry lands in the same row
        await call(engine_client, "/ai/log_features", {"trace_id": trace, "speedup_ratio": {"o": 0.5}})
        row = await store.get_features(trace)
        assert row is not None and row["extra"]["prompt_arm"] == arm and row["speedup_ratio"] == {"o": 0.5}


async def _session(client: EngineClient, fake: FakeLLM, group: str | None) -> tuple[int, int]:
    """The requests of one function's optimization, in the CLI's order (contract section 6)."""
    fake.usages.clear()
    fake._prefixes.clear()
    trace = "9f1c2d3e-0000-4000-8000-00000000" + ("0001" if group else "0002")
    await asyncio.gather(
        call(client, "/ai/testgen", s.testgen(test_index=0, trace_id=trace)),
        call(client, "/ai/testgen", s.testgen(test_index=1, trace_id=trace)),
        call(client, "/ai/optimize", {**optimize_body(6, group), "trace_id": trace}),
    )
    profile = {**s.line_profiler(trace_id=trace), "n_candidates": 7}
    profile["experiment_metadata"] = {"id": "exp-22", "group": group} if group else None
    await call(client, "/ai/optimize-line-profiler", profile)
    await call(client, "/ai/refinement", [{**item, "trace_id": trace} for item in [s.refinement_item()]])
    await call(client, "/ai/explain", {**s.explain(), "trace_id": trace})
    await call(client, "/ai/optimization_review", {**s.optimization_review(), "trace_id": trace})
    if os.environ.get("CODEFLASH_ENGINE_PRINT_FIGURES"):
        for request, (_, p, c) in zip(fake.requests[-len(fake.usages) :], fake.usages, strict=False):
            print(f"  {request.system[:50]!r} {p} {c}")
    prompt = sum(p for _, p, _ in fake.usages)
    cached = sum(c for _, _, c in fake.usages)
    return prompt, cached


async def test_cached_share_of_prompt_tokens_over_a_cli_session(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.simulate_cache = True
    fake_llm.add(echo, where=lambda r: "performance engineer" in r.system)
    fake_llm.reply(s.TESTS_ANSWER, contains="regression tests")
    fake_llm.reply("<explanation>Fine.</explanation><review>high</review>")
    figures = {}
    for group in ("experiment", "control"):
        prompt, cached = await _session(engine_client, fake_llm, group)
        figures[group] = cached / prompt
        print(
            f"prompt cache over one function's session ({group}): {cached:,} of {prompt:,} prompt tokens "
            f"cached ({cached / prompt:.0%}), {len(fake_llm.usages)} calls"
        )
    if os.environ.get("CODEFLASH_ENGINE_PRINT_FIGURES"):
        print(figures)
    assert figures["experiment"] > 0.5
    assert figures["experiment"] >= figures["control"] - 0.05
