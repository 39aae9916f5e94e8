"""Generated-test cleaning on realistic raw answers: imports, module systems, redefinitions."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest
from syrupy.assertion import SnapshotAssertion

from codeflash_engine import Answer, CodeFile, Target, TestsRequest
from codeflash_engine_js_ts import plugin

CASES = Path(__file__).resolve().parent / "testgen"


def load(name: str) -> TestsRequest:
    folder = CASES / name
    meta = json.loads((folder / "request.json").read_text())
    sources = tuple(CodeFile(path, (folder / rel).read_text()) for path, rel in meta.pop("source_files").items())
    return TestsRequest(
        answer=Answer((folder / "answer.md").read_text(), finish_reason="stop"),
        source_code=sources,
        language=meta["language"],
        language_version="20.11.1",
        target=Target.parse(meta["qualified_name"], path=sources[0].path),
        module_path=meta["module_path"],
        test_module_path="tests/generated",
        test_framework=meta["test_framework"],
        test_timeout=15,
        module_system=meta["module_system"],
    )


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_cleaned_test(name: str, snapshot: SnapshotAssertion) -> None:
    request = load(name)
    tests = plugin.postprocess_tests(request)
    assert tests is not None
    assert tests.generated == snapshot
    assert tests.instrumented_behavior == tests.instrumented_perf == tests.generated
    assert plugin.validate(request.language, tests.generated, None) == []


def test_unparseable_answer_is_a_value_error() -> None:
    request = TestsRequest(
        language="javascript",
        language_version=None,
        answer=Answer("```javascript\ndescribe('x', () => {\n```"),
        source_code=(),
        target=Target.parse("f"),
        module_path="./f",
        test_module_path="t",
        test_framework="jest",
        test_timeout=15,
    )
    with pytest.raises(ValueError, match="does not parse"):
        plugin.postprocess_tests(request)


def test_cut_off_answer_is_a_value_error() -> None:
    request = load(sorted(p.name for p in CASES.iterdir() if p.is_dir())[0])
    with pytest.raises(ValueError, match="cut off by the token limit"):
        plugin.postprocess_tests(attrs.evolve(request, answer=attrs.evolve(request.answer, finish_reason="length")))
