"""Go through the whole engine with the fake LLM: /ai/optimize and /ai/testgen answers the
client accepts (contract 2-3), the alias golang, and `plugins list`."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

from codeflash_engine.cli import main
from codeflash_engine.testing.contract import check_candidates, client_blocks
from codeflash_engine.testing.engine import call
from codeflash_engine.testing.fake_llm import FakeLLM
from codeflash_engine.testing.plugin_kit import LanguageSamples
from codeflash_engine.testing.plugin_kit.fixtures import API_KEY
from codeflash_engine_go.syntax import problems


async def test_optimize(
    plugin_engine_client: Any, fake_llm: FakeLLM, language_samples: LanguageSamples, sample_requests: dict[str, Any]
) -> None:
    for answer in language_samples.improved:
        fake_llm.reply(answer, times=1)
    fake_llm.reply(language_samples.changed_signature[0])
    body = {**sample_requests["/ai/optimize"], "n_candidates": 4}
    status, out = await call(plugin_engine_client, "/ai/optimize", body, key=API_KEY)
    assert status == 200, out
    check_candidates(out["optimizations"], python=False)
    assert len(out["optimizations"]) == 2  # the answers with another signature are dropped
    for candidate in out["optimizations"]:
        [(tag, path, code)] = client_blocks(candidate["source_code"])
        assert (tag, path) == ("go", "stats/series.go")
        assert problems(code, "1.22.1") == []
        assert "func (s *Series) Median() int {" in code
    prompt = fake_llm.requests[0]
    assert "```go:stats/series.go" in prompt.system and "Go 1.22" in prompt.system


async def test_testgen(
    plugin_engine_client: Any, fake_llm: FakeLLM, language_samples: LanguageSamples, sample_requests: dict[str, Any]
) -> None:
    fake_llm.reply(language_samples.test_answer)
    status, out = await call(plugin_engine_client, "/ai/testgen", sample_requests["/ai/testgen"], key=API_KEY)
    assert status == 200, out
    assert set(out) >= {"generated_tests", "instrumented_behavior_tests", "instrumented_perf_tests"}
    behaviour, perf = out["instrumented_behavior_tests"], out["instrumented_perf_tests"]
    assert out["generated_tests"] == behaviour
    assert "func TestMedian_cf0(t *testing.T) {" in behaviour and "Benchmark" not in behaviour
    assert "func TestMedian_cf0p(t *testing.T) {" in perf
    assert problems(behaviour, "1.22.1") == problems(perf, "1.22.1") == []
    assert "go-test" in fake_llm.requests[0].system or "testing" in fake_llm.requests[0].system


async def test_the_alias_golang_is_served(
    plugin_engine_client: Any, fake_llm: FakeLLM, language_samples: LanguageSamples, sample_requests: dict[str, Any]
) -> None:
    fake_llm.reply(language_samples.improved[0])
    body = {**sample_requests["/ai/optimize"], "language": "golang", "n_candidates": 1}
    status, out = await call(plugin_engine_client, "/ai/optimize", body, key=API_KEY)
    assert status == 200 and len(out["optimizations"]) == 1, out


def test_plugins_list_shows_go() -> None:
    result = CliRunner().invoke(main, ["plugins", "list", "--json"], env={"CODEFLASH_ENGINE_PLUGINS": "go"})
    assert result.exit_code == 0, result.output
    [go] = json.loads(result.output)
    assert go["name"] == "go" and go["distribution"] == "codeflash-engine-go" and go["languages"] == ["go"]
    assert go["hooks"] == [
        "apply_diff",
        "build_prompt",
        "postprocess_candidates",
        "postprocess_tests",
        "register_languages",
        "validate",
    ]
    assert go["error"] is None
