"""Generated-test cleaning on realistic raw answers: imports, module systems, redefinitions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from codeflash_engine.plugins import types
from codeflash_engine.plugins.types import CodeFile
from codeflash_engine_js_ts import plugin

CASES = Path(__file__).resolve().parent / "testgen"


def load(name: str) -> types.TestsRequest:
    folder = CASES / name
    meta = json.loads((folder / "request.json").read_text())
    sources = tuple(CodeFile(path, (folder / rel).read_text()) for path, rel in meta.pop("source_files").items())
    return types.TestsRequest(
        answer=(folder / "answer.md").read_text(),
        source_code=sources,
        language_version="20.11.1",
        test_module_path="tests/generated",
        test_timeout=15,
        **meta,
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
    request = types.TestsRequest(
        language="javascript",
        language_version=None,
        answer="```javascript\ndescribe('x', () => {\n```",
        source_code=(),
        function_name="f",
        qualified_name="f",
        class_name=None,
        module_path="./f",
        test_module_path="t",
        test_framework="jest",
        test_timeout=15,
    )
    with pytest.raises(ValueError, match="does not parse"):
        plugin.postprocess_tests(request)


def test_foreign_language_is_left_to_others() -> None:
    request = types.TestsRequest(
        language="java",
        language_version=None,
        answer="",
        source_code=(),
        function_name="f",
        qualified_name="f",
        class_name=None,
        module_path="a.B",
        test_module_path="t",
        test_framework="junit5",
        test_timeout=15,
    )
    assert plugin.postprocess_tests(request) is None
