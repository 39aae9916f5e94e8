"""Answers the model gives that cannot be understood (issue 20, class 4): asked again once within
the deadline, then said so (no review, no ranking, an error), never replaced by a made-up value."""

from __future__ import annotations

import endpoint_samples as s
import pytest

from codeflash_engine.pipelines.review import Review, read_review
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM, Fault


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("<review>HIGH</review><explanation>ok</explanation>", Review("high", "ok")),
        ("Rating: **Medium**\nNot a low-risk change, not a high one either.", Review("medium", "")),
        ('```json\n{"review": "low", "explanation": "changes behaviour"}\n```', Review("low", "changes behaviour")),
        ("I'd say low confidence.", Review("low", "")),
        ("no idea", None),
        ("Not low; maybe high.", None),  # two levels, neither labelled: not understood
        ("<review>unsure</review> high", None),  # the tag says no level: the prose does not overrule it
    ],
)
def test_read_review(answer: str, expected: Review | None) -> None:
    assert read_review(answer) == expected


async def test_review_unreadable_twice_is_no_review(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("It depends.")
    status, body = await call(engine_client, "/ai/optimization_review", s.optimization_review())
    assert status == 200, body
    assert body == {"review": "", "review_explanation": ""}
    assert len(fake_llm.requests) == 2


async def test_review_unreadable_then_readable(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("It depends.", times=1)
    fake_llm.reply("<review>low</review><explanation>the result type changes</explanation>")
    status, body = await call(engine_client, "/ai/optimization_review", s.optimization_review())
    assert status == 200, body
    assert body == {"review": "low", "review_explanation": "the result type changes"}


async def test_review_whose_retry_fails_is_no_review(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("It depends.", times=1)
    fake_llm.fail(Fault.bad_request("no"))
    status, body = await call(engine_client, "/ai/optimization_review", s.optimization_review())
    assert status == 200 and body["review"] == "", body


async def test_rank_unreadable_then_readable(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("The second one, I think.", times=1)
    fake_llm.reply('{"ranking": [2, 1, 0]}')
    status, body = await call(engine_client, "/ai/rank", s.rank())
    assert status == 200 and body == {"ranking": [2, 1, 0]}
    assert len(fake_llm.requests) == 2


async def test_explain_empty_then_text(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("   ", times=1)
    fake_llm.reply("<explanation>Uses `sorted()`.</explanation>")
    status, body = await call(engine_client, "/ai/explain", s.explain())
    assert status == 200 and body == {"explanation": "Uses `sorted()`."}


async def test_explain_empty_twice_is_an_error(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("  ")
    status, body = await call(engine_client, "/ai/explain", s.explain())
    assert status == 502 and "no explanation" in body["error"]
    assert len(fake_llm.requests) == 2


async def test_testgen_review_unreadable_then_readable(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("looks fine to me", times=1)
    fake_llm.reply('{"reviews": []}')
    status, body = await call(engine_client, "/ai/testgen_review", s.testgen_review())
    assert status == 200 and body == {"reviews": []}
    assert len(fake_llm.requests) == 2
