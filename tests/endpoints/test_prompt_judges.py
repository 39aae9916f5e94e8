"""Judges reason before their verdict, the ranking survives the content order, and test generation
retries with the problems of the unusable answer (issue 22, items 7 and 8)."""

from __future__ import annotations

import endpoint_samples as s

from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM, prompt_key


async def test_rank_reads_the_ranking_after_the_reasoning(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(
        'Candidate 1 changes less and is as fast; candidate 0 adds a cache.\n\n```json\n{"ranking": [1, 0]}\n```'
    )
    body = s.rank(
        diffs=["--- a\n+++ b\n-x\n+y\n", "--- a\n+++ b\n-x\n+z\n"], optimization_ids=["a", "b"], speedups=[2.0, 2.1]
    )
    status, answer = await call(engine_client, "/ai/rank", body)
    assert status == 200 and answer["ranking"] == [1, 0]
    prompt = fake_llm.requests[0]
    assert "First compare them" in prompt.system
    # the candidates keep their numbers whatever order they are shown in
    assert "Candidate 0 (speedup 2.00x)" in prompt.user and "Candidate 1 (speedup 2.10x)" in prompt.user


async def test_rank_order_does_not_follow_the_clients_order(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply('```json\n{"ranking": [0, 1]}\n```')
    diffs = ["--- a\n+++ b\n-x\n+y\n", "--- a\n+++ b\n-x\n+z\n"]
    await call(engine_client, "/ai/rank", s.rank(diffs=diffs, optimization_ids=["a", "b"], speedups=[2.0, 2.0]))
    await call(engine_client, "/ai/rank", s.rank(diffs=diffs[::-1], optimization_ids=["b", "a"], speedups=[2.0, 2.0]))
    first, second = (r.user for r in fake_llm.requests)
    # the same diffs are shown in the same order, whichever order the client sent them in
    assert (first.index("+y") < first.index("+z")) == (second.index("+y") < second.index("+z"))


async def test_review_reasons_before_the_rating(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("<explanation>It mutates its argument.</explanation>\n<review>low</review>")
    status, answer = await call(engine_client, "/ai/optimization_review", s.optimization_review())
    assert status == 200 and answer["review"] == "low"
    system = fake_llm.requests[0].system
    assert system.index("<explanation>") < system.index("<review>")


async def test_testgen_retries_with_the_problems_found(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("I cannot write tests for this.", times=1)
    fake_llm.reply(s.TESTS_ANSWER)
    status, _ = await call(engine_client, "/ai/testgen", s.testgen())
    assert status == 200
    first, second = fake_llm.requests
    assert "could not be used" not in first.user
    assert "An earlier answer to this request could not be used" in second.user


def test_the_calls_of_one_fan_out_share_a_delay_key() -> None:
    from codeflash_engine.testing.fake_llm import FakeRequest

    def request(user: str) -> FakeRequest:
        return FakeRequest("openai", "POST", "/", {}, {}, {}, "m", "sys", user, 0.0)

    base = request("code")
    assert prompt_key(base) == prompt_key(request("code\n\nStrategy for this answer: vectorise"))
    assert prompt_key(base) != prompt_key(request("other code"))
