"""Every endpoint with the CLI's request shapes against the engine and the fake LLM: the answers
carry what the client reads (contract sections 2-3), including the failure modes of section 9."""

from __future__ import annotations

import asyncio

import endpoint_samples as s
import pytest

from codeflash_engine.http.state import ENGINE
from codeflash_engine.infra.db.factory import EMBEDDED_USER
from codeflash_engine.testing.contract import check_candidate, check_candidates
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM, Fault


async def test_optimize_returns_valid_unique_candidates(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(engine_client, "/ai/optimize", s.optimize())
    assert status == 200, body
    assert set(body) == {"optimizations"}
    check_candidates(body["optimizations"])
    # six identical answers are one candidate after dedup
    assert len(body["optimizations"]) == 1
    assert "sorted(xs)" in body["optimizations"][0]["source_code"]
    assert body["optimizations"][0]["model"] == "gpt-4.1"
    assert len(fake_llm.requests) == 6


async def test_optimize_ignores_unknown_fields_and_accepts_nulls(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(
        engine_client, "/ai/optimize", s.optimize(a_field_from_the_future=[1, 2], dependency_code=None, n_candidates=2)
    )
    assert status == 200, body
    check_candidates(body["optimizations"])


async def test_optimize_all_calls_failing_is_a_json_error(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.fail(Fault.bad_request("model refuses"))
    status, body = await call(engine_client, "/ai/optimize", s.optimize(n_candidates=3))
    assert status == 502
    assert "every LLM call" in body["error"]


async def test_optimize_partial_failure_returns_the_survivors(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.fail(Fault.bad_request("no"), times=2)
    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(engine_client, "/ai/optimize", s.optimize(n_candidates=3))
    assert status == 200, body
    check_candidates(body["optimizations"])
    assert len(body["optimizations"]) == 1


async def test_optimize_garbage_answers_give_an_empty_list(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("I cannot help with that. ```python:pkg/sorter.py\ndef sort_list(xs:\n```")
    status, body = await call(engine_client, "/ai/optimize", s.optimize(n_candidates=2))
    assert status == 200, body
    assert body == {"optimizations": []}


async def test_optimize_unknown_language_is_422(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    status, body = await call(engine_client, "/ai/optimize", s.optimize(language="cobol"))
    assert status == 422 and "'cobol' is not supported" in body["error"]
    assert fake_llm.requests == []


async def test_optimize_without_code_block_is_422(engine_client: EngineClient) -> None:
    status, body = await call(engine_client, "/ai/optimize", s.optimize(source_code="def f(): pass"))
    assert status == 422 and "source_code" in body["error"]


async def test_line_profiler(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(engine_client, "/ai/optimize-line-profiler", s.line_profiler())
    assert status == 200, body
    check_candidates(body["optimizations"])
    assert "Line profile" in fake_llm.requests[0].text or "line profile" in fake_llm.requests[0].text.lower()


async def test_refinement_sets_parent_id(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(s.FAST_ANSWER)
    item = s.refinement_item()
    status, body = await call(engine_client, "/ai/refinement", [item])
    assert status == 200, body
    assert set(body) == {"refinements"}
    check_candidates(body["refinements"], parent_id=item["optimization_id"])
    assert body["refinements"]


async def test_refinement_body_must_be_an_array(engine_client: EngineClient) -> None:
    status, body = await call(engine_client, "/ai/refinement", s.refinement_item())
    assert status == 422 and "the body: input should be a valid array" in body["error"].lower()


async def test_code_repair_returns_one_candidate(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(s.FAST_ANSWER)
    request = s.code_repair()
    status, body = await call(engine_client, "/ai/code_repair", request)
    assert status == 200, body
    check_candidate(body, parent_id=request["optimization_id"])
    assert "[1, 1, 2]" in fake_llm.requests[0].text


async def test_code_repair_without_valid_answer_is_an_error(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("no code here")
    status, body = await call(engine_client, "/ai/code_repair", s.code_repair())
    assert status == 502 and "repaired" in body["error"]


async def test_adaptive_infers_language_and_links_the_chain(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(
        "Better.\n```python:pkg/sorter.py\ndef sort_list(xs):\n    ys = list(xs)\n    ys.sort()\n    return ys\n```"
    )
    status, body = await call(engine_client, "/ai/adaptive_optimize", s.adaptive())
    assert status == 200, body
    check_candidate(body, parent_id="a2")


async def test_testgen_returns_the_three_required_keys(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(s.TESTS_ANSWER)
    status, body = await call(engine_client, "/ai/testgen", s.testgen())
    assert status == 200, body
    for key in ("generated_tests", "instrumented_behavior_tests", "instrumented_perf_tests"):
        assert isinstance(body[key], str) and body[key].strip()
        compile(body[key], key, "exec")
    assert body["raw_generated_tests"] == s.TESTS_ANSWER


async def test_testgen_without_tests_is_an_error(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("Sorry, no.")
    status, body = await call(engine_client, "/ai/testgen", s.testgen())
    assert status == 502 and "no usable tests" in body["error"]
    assert len(fake_llm.requests) == 2  # one retry
    assert body["error"].count("do not parse") == 1, body  # both attempts failed alike: said once


async def test_testgen_review_keeps_only_known_tests_and_functions(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(
        '```json\n{"reviews": [{"test_index": 0, "functions": [{"function_name": "test_empty", "reason": "weak"},'
        ' {"function_name": "test_invented", "reason": "x"}]}, {"test_index": 7, "functions": []}]}\n```'
    )
    status, body = await call(engine_client, "/ai/testgen_review", s.testgen_review())
    assert status == 200, body
    assert body == {"reviews": [{"test_index": 0, "functions": [{"function_name": "test_empty", "reason": "weak"}]}]}


async def test_testgen_review_garbage_is_said_not_invented(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    # Issue 20: asked again once, then an error (the client keeps the tests), not "nothing to repair".
    fake_llm.reply("looks fine to me")
    status, body = await call(engine_client, "/ai/testgen_review", s.testgen_review())
    assert status == 502 and "could not be read" in body["error"]
    assert len(fake_llm.requests) == 2


async def test_testgen_repair(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(s.TESTS_ANSWER)
    status, body = await call(engine_client, "/ai/testgen_repair", s.testgen_repair())
    assert status == 200, body
    assert set(body) == {"generated_tests", "instrumented_behavior_tests", "instrumented_perf_tests"}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"ranking": [2, 0, 1]}', [2, 0, 1]),
        ("```json\n[1]\n```", [1, 0, 2]),
        ('{"ranking": [9, 7, -1]}', []),  # out of range, twice: no ranking (the client ranks itself)
        ("the second one", []),
        ('{"ranking": [3, 1, 2]}', [2, 0, 1]),  # clearly 1-based
    ],
    ids=["valid", "partial", "out-of-range", "prose", "one-based"],
)
async def test_rank_is_always_a_permutation(
    engine_client: EngineClient, fake_llm: FakeLLM, answer: str, expected: list[int]
) -> None:
    fake_llm.reply(answer)
    status, body = await call(engine_client, "/ai/rank", s.rank())
    assert status == 200, body
    assert body == {"ranking": expected}


async def test_rank_when_the_llm_fails_lets_the_client_rank(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.fail(Fault.bad_request())
    status, body = await call(engine_client, "/ai/rank", s.rank())
    assert status == 200 and body == {"ranking": []}


async def test_rank_lists_of_different_lengths_are_422(engine_client: EngineClient) -> None:
    status, body = await call(engine_client, "/ai/rank", s.rank(speedups=[1.0]))
    assert status == 422 and "same length" in body["error"]


async def test_explain_returns_markdown(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("<explanation>**Faster**: uses `sorted()`.\n- O(n log n)</explanation>")
    status, body = await call(engine_client, "/ai/explain", s.explain())
    assert status == 200, body
    assert body == {"explanation": "**Faster**: uses `sorted()`.\n- O(n log n)"}


async def test_explain_all_failing_is_an_error(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.fail(Fault.bad_request())
    status, body = await call(engine_client, "/ai/explain", s.explain())
    assert status == 502 and body["error"]


@pytest.mark.parametrize(
    ("answer", "level"),
    [
        ("<review>HIGH</review><explanation>ok</explanation>", "high"),
        ("I'd say low confidence.", "low"),
        ("no idea", ""),  # issue 20: no review rather than an invented one
    ],
    ids=["tagged", "prose", "garbage"],
)
async def test_optimization_review_is_high_medium_or_low(
    engine_client: EngineClient, fake_llm: FakeLLM, answer: str, level: str
) -> None:
    fake_llm.reply(answer)
    status, body = await call(engine_client, "/ai/optimization_review", s.optimization_review())
    assert status == 200, body
    assert body["review"] == level and isinstance(body["review_explanation"], str)


async def test_log_features_is_idempotent(engine_client: EngineClient) -> None:
    for _ in range(2):
        status, body = await call(engine_client, "/ai/log_features", s.log_features())
        assert status == 200 and body == {}


async def test_workflow_gen(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("```yaml\n- uses: actions/checkout@v4\n- run: pip install codeflash\n```")
    status, body = await call(engine_client, "/ai/workflow-gen", s.workflow_gen())
    assert status == 200, body
    assert body["workflow_steps"].startswith("- uses: actions/checkout@v4")
    assert "pyproject.toml" in fake_llm.requests[0].text


async def test_rewrite_jit(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(
        "Numba.\n```python:pkg/sorter.py\nimport numba\n\n@numba.njit\ndef sort_list(xs):\n    return sorted(xs)\n```"
    )
    status, body = await call(engine_client, "/ai/rewrite_jit", s.rewrite_jit())
    assert status == 200, body
    check_candidates(body["optimizations"])


async def test_every_ai_route_requires_a_key(engine_client: EngineClient) -> None:
    status, body = await call(engine_client, "/ai/optimize", s.optimize(), key=None)
    assert status == 401 and "API key" in body["error"]


async def test_pipeline_failures_and_llm_calls_are_recorded(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.fail(Fault.bad_request("model refuses"))
    trace = "0d3f1d7e-8b0c-4d6a-9e61-2b5f2b3c0a99"
    status, _ = await call(engine_client, "/ai/optimize", s.optimize(n_candidates=2, trace_id=trace))
    assert status == 502
    store = engine_client.app[ENGINE].store
    for _ in range(100):
        records = await store.records_for_trace(trace)
        if records.errors and len(records.calls) >= 2:
            break
        await asyncio.sleep(0.02)
    assert [e.error_type for e in records.errors] == ["UpstreamFailed"]
    assert "/ai/optimize" in records.errors[0].message
    assert {c.call_type for c in records.calls} == {"optimize"} and all(c.outcome != "ok" for c in records.calls)
    assert {c.user_id for c in records.calls} == {EMBEDDED_USER}


async def test_answers_written_as_edits_go_through_apply_diff(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(
        "Timsort instead of bubble sort.\n\npkg/sorter.py\n```python\n<<<<<<< SEARCH\n"
        + s.SORTER_CODE
        + "\n=======\ndef sort_list(xs):\n    return sorted(xs)\n>>>>>>> REPLACE\n```\n"
    )
    status, body = await call(engine_client, "/ai/optimize", s.optimize(n_candidates=1))
    assert status == 200, body
    check_candidates(body["optimizations"])
    assert "return sorted(xs)" in body["optimizations"][0]["source_code"]
    assert body["optimizations"][0]["explanation"] == "Timsort instead of bubble sort."


async def test_a_unified_diff_answer_is_applied(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    removed = "".join(f"-{line}\n" for line in s.SORTER_CODE.splitlines()[1:])
    fake_llm.reply(
        "Timsort instead of bubble sort.\n\n```diff\n--- a/pkg/sorter.py\n+++ b/pkg/sorter.py\n"
        f"@@ -1,7 +1,2 @@\n def sort_list(xs):\n{removed}+    return sorted(xs)\n```\n"
    )
    status, body = await call(engine_client, "/ai/optimize", s.optimize(n_candidates=1))
    assert status == 200, body
    check_candidates(body["optimizations"])
    assert "return sorted(xs)" in body["optimizations"][0]["source_code"]
    assert "for i in range" not in body["optimizations"][0]["source_code"]
    assert body["optimizations"][0]["explanation"] == "Timsort instead of bubble sort."


async def test_a_refinement_written_as_an_edit_of_the_candidate(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    # the model was shown the optimized code: its SEARCH block quotes that, not the original
    fake_llm.reply(
        "Skip the copy and the in-place sort: sorted() does both at once.\n\npkg/sorter.py\n```python\n"
        "<<<<<<< SEARCH\n    out = list(xs)\n    out.sort()\n    return out\n=======\n    return sorted(xs)\n"
        ">>>>>>> REPLACE\n```\n"
    )
    item = s.refinement_item()
    status, body = await call(engine_client, "/ai/refinement", [item])
    assert status == 200, body
    check_candidates(body["refinements"], parent_id=item["optimization_id"])
    [refined] = body["refinements"]
    assert "return sorted(xs)" in refined["source_code"] and "out.sort()" not in refined["source_code"]
    assert refined["explanation"] == "Skip the copy and the in-place sort: sorted() does both at once."


async def test_an_adaptive_edit_of_an_earlier_attempt_applies_to_that_attempt(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """The model is shown every attempt of the chain and may build on the best one rather than the
    last: its edit applies to the attempt whose code it quotes (newest first, then the original)."""
    request = s.adaptive()
    request["candidates"][0]["source_code"] = (
        "```python:pkg/sorter.py\ndef sort_list(xs):\n    out = list(xs)\n    out.sort()\n    return out\n```"
    )
    fake_llm.reply(
        "Attempt 1 was right; sorted() does the copy and the sort at once.\n\npkg/sorter.py\n```python\n"
        "<<<<<<< SEARCH\n    out = list(xs)\n    out.sort()\n    return out\n=======\n    return sorted(xs)\n"
        ">>>>>>> REPLACE\n```\n"
    )
    status, body = await call(engine_client, "/ai/adaptive_optimize", request)
    assert status == 200, body
    check_candidate(body, parent_id="a2")
    assert "def sort_list(xs):\n    return sorted(xs)" in body["source_code"]
    assert "set(" not in body["source_code"] and "out.sort()" not in body["source_code"]


THINKING = (
    "<think>\nThe user wants a faster sort. A first idea:\n```python:pkg/sorter.py\n"
    "def sort_list(xs):\n    return list(sorted(list(xs)))\n```\nThe copies are redundant.\n</think>\n\n"
)


async def test_a_reasoning_model_s_thinking_is_neither_code_nor_explanation(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(THINKING + s.FAST_ANSWER)
    status, body = await call(engine_client, "/ai/optimize", s.optimize(n_candidates=1))
    assert status == 200, body
    [candidate] = body["optimizations"]
    assert candidate["source_code"] == s.FAST_MD
    assert candidate["explanation"] == "Timsort through sorted() is O(n log n) instead of O(n^2)."


async def test_draft_tests_in_a_reasoning_model_s_thinking_are_not_the_tests(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    draft = "<think>\nFirst try:\n```python\nimport pytest\n\ndef test_draft():\n    assert False\n```\n</think>\n"
    fake_llm.reply(draft + s.TESTS_ANSWER)
    status, body = await call(engine_client, "/ai/testgen", s.testgen())
    assert status == 200, body
    assert "test_draft" not in body["generated_tests"]
    assert "sort_list" in body["generated_tests"]
