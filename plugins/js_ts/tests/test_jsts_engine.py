"""/ai/optimize and /ai/testgen for JavaScript and TypeScript through the engine and the fake LLM."""

from __future__ import annotations

from typing import Any

import pytest
from jsts_cases import load_request

from codeflash_engine.testing.contract import check_candidates
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM
from codeflash_engine.text.markdown import parse_markdown

TRACE = "6f1c2b9e-4d2a-4c55-9a57-3b8f0c1d2e3f"


def optimize_body(name: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    request = load_request(name)
    source = "\n".join(f"```{request.language}:{f.path}\n{f.code.strip()}\n```" for f in request.original)
    body = {
        "source_code": source,
        "dependency_code": "",
        "trace_id": TRACE,
        "language": request.language,
        "language_version": "20.11.1",
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
    return body, tuple(a.text for a in request.answers)


@pytest.mark.parametrize(("name", "kept"), [("esm_js", 1), ("commonjs_js", 3), ("typescript_generics", 3), ("tsx", 2)])
async def test_optimize(engine_client: EngineClient, fake_llm: FakeLLM, name: str, kept: int) -> None:
    body, answers = optimize_body(name)
    for answer in answers:
        fake_llm.reply(answer, times=1)
    status, reply = await call(engine_client, "/ai/optimize", body)
    assert status == 200, reply
    check_candidates(reply["optimizations"])
    assert len(reply["optimizations"]) == kept
    for candidate in reply["optimizations"]:
        blocks = parse_markdown(candidate["source_code"])
        assert blocks and all(b.language == body["language"] for b in blocks)


@pytest.mark.parametrize("language", ["javascript", "typescript"])
async def test_testgen(engine_client: EngineClient, fake_llm: FakeLLM, language: str) -> None:
    fake_llm.reply(
        "```js\nconst { topWords } = require('./stats');\n\n"
        "test('counts', () => {\n"
        "  expect(topWords('a b a', 1)).toEqual([{ word: 'a', count: 2, share: 0.667 }]);\n});\n```"
    )
    body = {
        "source_code_being_tested": "```javascript:src/stats.js\nexport function topWords(text, limit = 10) {\n"
        "  return [];\n}\n```",
        "function_to_optimize": {
            "function_name": "topWords",
            "file_path": "/repo/src/stats.js",
            "parents": [],
            "starting_line": 1,
            "ending_line": 3,
            "is_async": False,
            "is_method": False,
            "language": language,
        },
        "helper_function_names": [],
        "module_path": "../src/stats.js",
        "test_module_path": "tests/test_topWords__unit_test_0.test",
        "test_framework": "jest",
        "test_timeout": 15,
        "trace_id": TRACE,
        "test_index": 0,
        "language": language,
        "language_version": "20.11.1",
        "codeflash_version": "0.20.6",
        "call_sequence": 2,
        "rerun_trace_id": None,
        "is_async": False,
        "is_numerical_code": None,
        "class_name": None,
        "qualified_name": "topWords",
        "module_system": "esm",
    }
    status, reply = await call(engine_client, "/ai/testgen", body)
    assert status == 200, reply
    for key in ("generated_tests", "instrumented_behavior_tests", "instrumented_perf_tests"):
        assert isinstance(reply[key], str)
    assert reply["generated_tests"].startswith("import { topWords } from '../src/stats.js';\n")
