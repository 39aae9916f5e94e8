"""Issue 16, class 10 (and the HTTP part of class 4): fields a client sends are bounded, newer
clients' extra keys are ignored everywhere, and a provider's own error text never reaches the
client (it gets the kind of failure; the log gets the detail)."""

from __future__ import annotations

import logging

import endpoint_samples as s
import pytest

from codeflash_engine.http.schemas import MAX_FEATURE_FIELD_BYTES
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM, Fault


@pytest.mark.parametrize(
    "field",
    ["metadata", "optimized_line_profiler_results", "optimizations_post", "speedup_ratio", "codeflash_version"],
)
async def test_log_features_fields_have_a_size_limit(engine_client: EngineClient, field: str) -> None:
    big = "x" * (MAX_FEATURE_FIELD_BYTES + 10)
    value = {
        "metadata": {"k": big},
        "optimized_line_profiler_results": {"o1": big},
        "optimizations_post": {"o1": big},
        "speedup_ratio": {f"o{i}": 1.0 for i in range(MAX_FEATURE_FIELD_BYTES // 8)},
        "codeflash_version": big,
    }[field]
    status, answer = await call(engine_client, "/ai/log_features", s.log_features(**{field: value}))
    assert status == 422, answer
    assert field in answer["error"], answer


async def test_log_features_of_normal_size_are_stored(engine_client: EngineClient) -> None:
    status, answer = await call(engine_client, "/ai/log_features", s.log_features(metadata={"k": "v" * 1000}))
    assert status == 200, answer


async def test_functions_to_repair_ignore_unknown_keys(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(s.TESTS_ANSWER)
    body = s.testgen_repair(
        functions_to_repair=[{"function_name": "test_sorts_numbers", "reason": "r", "from_a_newer_client": 1}]
    )
    status, answer = await call(engine_client, "/ai/testgen_repair", body)
    assert status != 422, answer


async def test_provider_error_text_is_not_passed_to_the_client(
    engine_client: EngineClient, fake_llm: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "internal host llm-gw-7.corp.internal:8443 path /srv/deploy/keys"
    fake_llm.fail(Fault.bad_request(secret))
    caplog.set_level(logging.WARNING)
    status, answer = await call(engine_client, "/ai/explain", s.explain())
    assert status == 502, answer
    assert "llm-gw-7" not in answer["error"] and "/srv/deploy" not in answer["error"]
    assert "bad_request" in answer["error"], answer  # the kind of failure
    assert "llm-gw-7" in caplog.text  # the detail is in the log


@pytest.mark.parametrize("module_path", ["pkg/primes.py", "../x", "a b", "", "1pkg.x", "pkg..x", "pkg.class", "pkg\\x"])
async def test_module_path_must_be_a_dotted_module_name(
    engine_client: EngineClient, fake_llm: FakeLLM, module_path: str
) -> None:
    fake_llm.reply(s.TESTS_ANSWER)
    for path, body in (
        ("/ai/testgen", s.testgen(module_path=module_path)),
        ("/ai/testgen_repair", s.testgen_repair(module_path=module_path)),
    ):
        status, answer = await call(engine_client, path, body)
        assert status == 422 and "module_path" in answer["error"], (path, answer)
    assert fake_llm.requests == []


@pytest.mark.parametrize(
    "over",
    [
        {"function_to_optimize": {**s.FUNCTION_TO_OPTIMIZE, "function_name": "foo bar"}},
        {"function_to_optimize": {**s.FUNCTION_TO_OPTIMIZE, "function_name": "import"}},
        {"function_to_optimize": {**s.FUNCTION_TO_OPTIMIZE, "parents": [{"name": "a b", "type": "ClassDef"}]}},
        {"qualified_name": "a b.c"},
        {"class_name": "1x"},
    ],
)
async def test_python_names_must_be_names(
    engine_client: EngineClient, fake_llm: FakeLLM, over: dict[str, object]
) -> None:
    status, answer = await call(engine_client, "/ai/testgen", s.testgen(**over))
    assert status == 422, answer
    assert fake_llm.requests == []
