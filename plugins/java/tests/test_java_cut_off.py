"""Cut-off answers through the whole engine, Java (issue 20, class 2; Python's are in the engine's
tests/endpoints/test_cut_off_answers.py): ``finish_reason: length`` is never a candidate nor a
test; a normally finished answer without its closing fence is kept whole."""

from __future__ import annotations

from typing import Any

from java_cases import CASES

from codeflash_engine.testing.contract import check_candidates
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM, Reply
from codeflash_engine.text.markdown import parse_markdown

TRACE = "0b7d1f3e-2c4a-4e6b-8f9a-1c2d3e4f5a6c"
PATH = "src/main/java/com/acme/util/Stats.java"
STATS = (CASES / "stats" / "files" / PATH).read_text()
FASTER = STATS.replace("        Collections.sort(copy);\n", "        copy.sort(null);\n")
TESTS = (CASES.parent / "testgen" / "junit5_assertj" / "answer.md").read_text()


def _optimize(n: int) -> dict[str, Any]:
    return {
        "source_code": f"```java:{PATH}\n{STATS.strip()}\n```",
        "dependency_code": "",
        "trace_id": TRACE,
        "language": "java",
        "language_version": "17",
        "codeflash_version": "0.20.6",
        "is_async": False,
        "call_sequence": 1,
        "n_candidates": n,
    }


def _testgen() -> dict[str, Any]:
    return {
        "source_code_being_tested": f"```java:{PATH}\n{STATS}```",
        "function_to_optimize": {
            "function_name": "median",
            "file_path": f"/repo/{PATH}",
            "parents": [{"name": "Stats", "type": "ClassDef"}],
            "starting_line": 19,
            "ending_line": 26,
            "is_async": False,
            "is_method": True,
            "language": "java",
        },
        "helper_function_names": [],
        "module_path": "com.acme.util.Stats",
        "test_module_path": "com.acme.util.StatsTest",
        "test_framework": "junit5",
        "test_timeout": 15,
        "trace_id": TRACE,
        "test_index": 0,
        "language": "java",
        "language_version": "17",
        "codeflash_version": "0.20.6",
        "call_sequence": 2,
        "is_async": False,
        "class_name": "Stats",
        "qualified_name": "Stats.median",
    }


def _answer(code: str, *, closed: bool = True) -> str:
    return f"Sorting in place through List.sort avoids a copy.\n\n```java:{PATH}\n{code}" + ("```\n" if closed else "")


async def test_a_cut_off_java_answer_is_never_a_candidate(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    # Cut right after median: what is there parses once closed, and is still refused.
    cut = FASTER[: FASTER.index("    public static double median")]
    fake_llm.reply(Reply(_answer(cut, closed=False), finish_reason="length"), times=1)
    fake_llm.reply(Reply(_answer(FASTER), finish_reason="length"), times=1)
    status, body = await call(engine_client, "/ai/optimize", _optimize(2))
    assert status == 200, body
    assert body == {"optimizations": []}


async def test_a_complete_java_answer_without_its_closing_fence_is_kept_whole(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(Reply(_answer(FASTER, closed=False), finish_reason="stop"))
    status, body = await call(engine_client, "/ai/optimize", _optimize(2))
    assert status == 200, body
    check_candidates(body["optimizations"])
    assert len(body["optimizations"]) == 1
    [block] = parse_markdown(body["optimizations"][0]["source_code"])
    assert "copy.sort(null);" in block.code
    assert "sumBy" in block.code and block.code.rstrip().endswith("}")


async def test_cut_off_java_tests_are_refused(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    cut = TESTS[: TESTS.rindex("assertAll(")]
    fake_llm.reply(Reply(cut, finish_reason="length"))
    status, body = await call(engine_client, "/ai/testgen", _testgen())
    assert status == 502, body


async def test_complete_java_tests_without_their_closing_fence_are_kept_whole(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    unclosed = TESTS.rstrip().removesuffix("```")
    fake_llm.reply(Reply(unclosed, finish_reason="stop"))
    status, body = await call(engine_client, "/ai/testgen", _testgen())
    assert status == 200, body
    assert "sorted.get(2500)" in body["generated_tests"]
