"""Cut-off answers through the whole engine (issue 20, class 2), Python.

An answer whose ``finish_reason`` is ``length`` (Anthropic: ``max_tokens``) never becomes a
candidate or a test, not even cut back to a shorter version that still compiles: a function
missing its last statements compiles and is wrong. An answer that finished normally but forgot
its closing fence is complete, and is kept whole. The Java twin is in
``plugins/java/tests/test_java_cut_off.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import endpoint_samples as s
import pytest
from aiohttp import web

from codeflash_engine.app import create_app
from codeflash_engine.settings import Settings
from codeflash_engine.testing.contract import check_candidates
from codeflash_engine.testing.engine import API_KEY, EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM, Reply
from codeflash_engine.text.markdown import parse_markdown

# Cut where it still compiles: the loop is there, the return is not.
CUT_CODE = "def sort_list(xs):\n    out = list(xs)\n    out.sort()\n"
CUT_ANSWER = f"Sorting a copy in place is faster.\n\n```python:pkg/sorter.py\n{CUT_CODE}"
# Complete, without its closing fence.
OPEN_CODE = "def sort_list(xs):\n    out = list(xs)\n    out.sort()\n    return out\n"
OPEN_ANSWER = f"Sorting a copy in place avoids the quadratic loop.\n\n```python:pkg/sorter.py\n{OPEN_CODE}"

TESTS_CUT = (
    "Here are the tests.\n\n```python\nfrom pkg.sorter import sort_list\n\n\ndef test_sorts():\n"
    "    assert sort_list([3, 1, 2]) == [1, 2, 3]\n\n\ndef test_empty():\n    assert sort_l"
)
TESTS_OPEN = (
    "Here are the tests.\n\n```python\nfrom pkg.sorter import sort_list\n\n\ndef test_sorts():\n"
    "    assert sort_list([3, 1, 2]) == [1, 2, 3]\n\n\ndef test_empty():\n    assert sort_list([]) == []\n"
)


def _codes(body: dict[str, list[dict[str, str]]]) -> list[str]:
    return [parse_markdown(c["source_code"])[0].code for c in body["optimizations"]]


async def test_a_cut_off_answer_is_never_a_candidate(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(Reply(CUT_ANSWER, finish_reason="length"), times=1)
    fake_llm.reply(Reply(s.FAST_ANSWER, finish_reason="length"), times=1)  # complete, but the model was cut
    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(engine_client, "/ai/optimize", s.optimize(n_candidates=3))
    assert status == 200, body
    check_candidates(body["optimizations"])
    assert len(body["optimizations"]) == 1
    assert _codes(body)[0].strip() == s.FAST_CODE


async def test_only_cut_off_answers_give_no_candidate(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(Reply(CUT_ANSWER, finish_reason="length"))
    status, body = await call(engine_client, "/ai/optimize", s.optimize(n_candidates=2))
    assert status == 200, body
    assert body == {"optimizations": []}


async def test_a_complete_answer_without_its_closing_fence_is_kept_whole(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(Reply(OPEN_ANSWER, finish_reason="stop"))
    status, body = await call(engine_client, "/ai/optimize", s.optimize(n_candidates=2))
    assert status == 200, body
    check_candidates(body["optimizations"])
    assert len(body["optimizations"]) == 1
    assert _codes(body)[0].strip() == OPEN_CODE.strip()


async def test_a_repair_cut_off_is_not_a_candidate(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(Reply(CUT_ANSWER, finish_reason="length"))
    status, body = await call(engine_client, "/ai/code_repair", s.code_repair())
    assert status != 200, body
    assert "return out" not in str(body)


async def test_cut_off_tests_are_refused(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(Reply(TESTS_CUT, finish_reason="length"))
    status, body = await call(engine_client, "/ai/testgen", s.testgen())
    assert status == 502 and "no usable tests" in body["error"], body
    assert len(fake_llm.requests) == 2  # retried once, cut off again


async def test_cut_off_tests_then_complete_tests(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(Reply(TESTS_CUT, finish_reason="length"), times=1)
    fake_llm.reply(s.TESTS_ANSWER)
    status, body = await call(engine_client, "/ai/testgen", s.testgen())
    assert status == 200, body
    assert "def test_empty" in body["generated_tests"] and "assert sort_list([]) == []" in body["generated_tests"]


async def test_complete_tests_without_their_closing_fence_are_kept_whole(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(Reply(TESTS_OPEN, finish_reason="stop"))
    status, body = await call(engine_client, "/ai/testgen", s.testgen())
    assert status == 200, body
    assert "assert sort_list([]) == []" in body["generated_tests"]
    compile(body["generated_tests"], "generated", "exec")


@pytest.fixture
async def anthropic_client(
    aiohttp_client: Callable[[web.Application], object], fake_llm_settings: Callable[..., Settings]
) -> EngineClient:
    """The engine over Anthropic's wire format: a cut-off answer says ``max_tokens`` there."""
    settings = fake_llm_settings(
        "anthropic",
        models="anthropic:claude-sonnet-4-5=1",
        codeflash_engine_api_keys=API_KEY,
        codeflash_engine_request_deadline=20,
    )
    client: EngineClient = await aiohttp_client(create_app(settings))  # type: ignore[operator]
    return client


async def test_anthropic_max_tokens_is_a_cut_off(anthropic_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(Reply(CUT_ANSWER, finish_reason="length"), times=1)
    fake_llm.reply(Reply(OPEN_ANSWER, finish_reason="stop"))
    status, body = await call(anthropic_client, "/ai/optimize", s.optimize(n_candidates=2))
    assert status == 200, body
    assert fake_llm.requests[0].api == "anthropic"
    assert [c.strip() for c in _codes(body)] == [OPEN_CODE.strip()]
