"""/ai/optimize and /ai/testgen for Java through the engine and the fake LLM."""

from __future__ import annotations

from java_cases import CASES, load_request

from codeflash_engine.testing.contract import check_candidates
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM
from codeflash_engine.text.markdown import parse_markdown

TRACE = "0b7d1f3e-2c4a-4e6b-8f9a-1c2d3e4f5a6b"


async def test_optimize(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    request = load_request("stats")
    for answer in request.answers:
        fake_llm.reply(answer.text, times=1)
    body = {
        "source_code": "\n".join(f"```java:{f.path}\n{f.code.strip()}\n```" for f in request.original),
        "dependency_code": "",
        "trace_id": TRACE,
        "language": "java",
        "language_version": "17",
        "experiment_metadata": None,
        "codeflash_version": "0.20.6",
        "current_username": None,
        "repo_owner": None,
        "repo_name": None,
        "is_async": False,
        "call_sequence": 1,
        "n_candidates": len(request.answers),
        "is_numerical_code": None,
        "rerun_trace_id": None,
    }
    status, reply = await call(engine_client, "/ai/optimize", body)
    assert status == 200, reply
    check_candidates(reply["optimizations"])
    assert len(reply["optimizations"]) == 3
    for candidate in reply["optimizations"]:
        [block] = parse_markdown(candidate["source_code"])
        assert (block.language, block.path) == ("java", request.original[0].path)


async def test_testgen(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply((CASES.parent / "testgen" / "junit5_assertj" / "answer.md").read_text())
    stats = (CASES / "stats" / "files" / "src/main/java/com/acme/util/Stats.java").read_text()
    body = {
        "source_code_being_tested": f"```java:src/main/java/com/acme/util/Stats.java\n{stats}```",
        "function_to_optimize": {
            "function_name": "median",
            "file_path": "/repo/src/main/java/com/acme/util/Stats.java",
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
        "rerun_trace_id": None,
        "is_async": False,
        "is_numerical_code": None,
        "class_name": "Stats",
        "qualified_name": "Stats.median",
    }
    status, reply = await call(engine_client, "/ai/testgen", body)
    assert status == 200, reply
    assert reply["generated_tests"].startswith("package com.acme.util;\n")
    assert reply["instrumented_behavior_tests"] == reply["generated_tests"]
    assert "assertEquals" not in reply["instrumented_perf_tests"]
    assert "Stats.median(List.of(3, 1, 2));" in reply["instrumented_perf_tests"]
