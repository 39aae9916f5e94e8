"""Generated-test cleaning on realistic raw answers: package, imports, redefinitions, perf variant."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest
from syrupy.assertion import SnapshotAssertion

from codeflash_engine import Answer, Target, TestsRequest
from codeflash_engine_java import plugin

CASES = Path(__file__).resolve().parent / "testgen"


def load(name: str) -> TestsRequest:
    folder = CASES / name
    meta = json.loads((folder / "request.json").read_text())
    return TestsRequest(
        language="java",
        language_version="17",
        answer=Answer((folder / "answer.md").read_text(), finish_reason="stop"),
        source_code=(),
        target=Target.parse(meta["qualified_name"]),
        module_path=meta["module_path"],
        test_module_path="",
        test_framework=meta["test_framework"],
        test_timeout=15,
    )


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_cleaned_test_and_perf_variant(name: str, snapshot: SnapshotAssertion) -> None:
    tests = plugin.postprocess_tests(load(name))
    assert tests is not None
    assert tests.instrumented_behavior == tests.generated
    assert plugin.validate("java", tests.generated, "17") == []
    assert plugin.validate("java", tests.instrumented_perf, "17") == []
    assert f"// behaviour\n{tests.generated}\n// performance\n{tests.instrumented_perf}" == snapshot


def test_perf_variant_keeps_no_assertion() -> None:
    for name in ("junit5_assertj", "junit4_hamcrest", "testng_soft"):
        perf = plugin.postprocess_tests(load(name))
        assert perf is not None
        body = perf.instrumented_perf.split("class ", 1)[1]
        for word in ("assertEquals(", "assertThat(", "assertThrows(", "fail(", "expectThrows(", "assertTrue("):
            assert word not in body, (name, word)


def test_default_package_drops_the_package_line() -> None:
    request = TestsRequest(
        language="java",
        language_version="17",
        answer=Answer("```java\npackage x.y;\n\nclass FooTest {\n    @Test\n    void t() { Foo.run(); }\n}\n```"),
        source_code=(),
        target=Target.parse("Foo.run"),
        module_path="Foo",
        test_module_path="",
        test_framework="junit5",
        test_timeout=15,
    )
    tests = plugin.postprocess_tests(request)
    assert tests is not None
    assert tests.generated == (
        "import org.junit.jupiter.api.Test;\n\nclass FooTest {\n    @Test\n    void t() { Foo.run(); }\n}\n"
    )


def test_no_code_is_a_value_error() -> None:
    request = load("junit5_assertj")
    with pytest.raises(ValueError, match="no Java code block"):
        plugin.postprocess_tests(attrs.evolve(request, answer=Answer("```python\nx = 1\n```")))


def test_cut_off_answer_is_a_value_error() -> None:
    request = load("junit5_assertj")
    with pytest.raises(ValueError, match="cut off by the token limit"):
        plugin.postprocess_tests(attrs.evolve(request, answer=attrs.evolve(request.answer, finish_reason="length")))
