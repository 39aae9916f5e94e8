"""Prompts for Java: every task renders, and realistic ones are snapshotted."""

from __future__ import annotations

from typing import Any

import pytest
from java_cases import CASES
from syrupy.assertion import SnapshotAssertion

from codeflash_engine import CodeFile, Prompt, PromptRequest, Target, Task
from codeflash_engine.testing.plugin_kit.reference import JAVA
from codeflash_engine.testing.plugin_kit.requests import prompt_requests
from codeflash_engine.text.markdown import parse_markdown
from codeflash_engine_java import plugin
from codeflash_engine_java.prompts import SPECIALISED, major_version

STATS_PATH = "src/main/java/com/acme/util/Stats.java"
STATS = (CASES / "stats" / "files" / STATS_PATH).read_text()


def md(path: str, code: str) -> str:
    return f"```java:{path}\n{code.strip()}\n```"


CODE_FIELDS = ("source_code_being_tested", "function_source_code", "original_source_code", "source_code")


def render(task: Task, fields: dict[str, Any], version: str | None = "17", target: str | None = None) -> Prompt:
    """The prompt for hand-written ``fields``, with the original files and target the engine would give."""
    code = next((str(fields[k]) for k in CODE_FIELDS if fields.get(k)), "")
    request = PromptRequest(
        task=task,
        language="java",
        language_version=version,
        fence_tag="java",
        original=tuple(CodeFile(b.path, b.code) for b in parse_markdown(code)),
        target=Target.parse(target) if target else None,
        fields=fields,
    )
    prompt = plugin.build_prompt(request)
    assert prompt is not None
    return prompt


def shown(prompt: Prompt) -> str:
    cached = prompt.user[: prompt.cache_prefix_chars]
    rest = prompt.user[prompt.cache_prefix_chars :]
    return f"=== system\n{prompt.system}\n=== user (cached prefix)\n{cached}\n=== user (rest)\n{rest}"


REALISTIC: dict[str, tuple[Task, str | None, dict[str, Any], str | None]] = {
    "optimize_java17": (Task.OPTIMIZE, "17", {"source_code": md(STATS_PATH, STATS), "dependency_code": ""}, None),
    "testgen_junit5": (
        Task.TESTGEN,
        "21",
        {
            "source_code_being_tested": md(STATS_PATH, STATS),
            "qualified_name": "Stats.median",
            "class_name": "Stats",
            "module_path": "com.acme.util.Stats",
            "test_module_path": "com.acme.util.StatsMedianTest",
            "test_framework": "junit5",
            "test_timeout": 15,
            "helper_function_names": [],
            "function_to_optimize": {"function_name": "median", "parents": [{"name": "Stats", "type": "ClassDef"}]},
        },
        "Stats.median",
    ),
    "testgen_repair_testng_java8": (
        Task.TESTGEN_REPAIR,
        "1.8",
        {
            "test_source": "package com.acme.util;\n\npublic class StatsSumByTest {\n}\n",
            "functions_to_repair": [{"function_name": "groupsByKey", "reason": "expected and actual are swapped"}],
            "function_source_code": STATS,
            "module_path": "com.acme.util.Stats",
            "test_framework": "testng",
            "test_timeout": 15,
            "previous_repair_errors": {"groupsByKey": "expected [6.0] but found [4.0]"},
        },
        None,
    ),
    "adaptive": (
        Task.ADAPTIVE,
        "17",
        {
            "original_source_code": md(STATS_PATH, STATS),
            "candidates": [
                {
                    "optimization_id": "a",
                    "source_code": md(STATS_PATH, "public final class Stats {}"),
                    "explanation": "quickselect",
                    "source": "OPTIMIZE",
                    "speedup": "Performance gain: 212%",
                },
                {
                    "optimization_id": "b",
                    "source_code": md(STATS_PATH, "public final class Stats {}"),
                    "explanation": "primitive arrays",
                    "source": "REFINE",
                    "speedup": "Candidate didn't match the behavior of the original code",
                },
            ],
        },
        None,
    ),
    "explain": (
        Task.EXPLAIN,
        None,
        {
            "source_code": f"// file: {STATS_PATH}\n{STATS}",
            "optimized_code": f"// file: {STATS_PATH}\n{STATS.replace('Collections.sort(copy);', '')}",
            "original_code_runtime": "4.05 milliseconds",
            "optimized_code_runtime": "1.20 milliseconds",
            "speedup": "237%",
            "acceptance_reason": "runtime",
        },
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(REALISTIC))
def test_realistic_prompt(name: str, snapshot: SnapshotAssertion) -> None:
    task, version, fields, target = REALISTIC[name]
    assert shown(render(task, fields, version, target)) == snapshot


def test_optimize_prompt_from_a_real_request_names_the_target(snapshot: SnapshotAssertion) -> None:
    """/ai/optimize names no function: the prompt names the one the cleaner infers from the code."""
    request = prompt_requests(JAVA)[Task.OPTIMIZE]
    assert request.target is None
    prompt = plugin.build_prompt(request)
    assert prompt is not None
    assert "Optimize `Numbers.sumOfSquares` of class `Numbers`" in prompt.user
    assert shown(prompt) == snapshot


@pytest.mark.parametrize("task", sorted(SPECIALISED))
def test_every_task_renders_with_a_sparse_context(task: Task) -> None:
    prompt = render(task, {}, version=None, target="f")
    assert prompt.system and prompt.user
    assert "{{" not in prompt.system + prompt.user
    assert "<<<cache-break>>>" not in prompt.user


def test_answer_formats_the_core_parses_are_kept() -> None:
    assert "<explanation></explanation>" in render(Task.EXPLAIN, {}).system
    assert "<review>high|medium|low</review>" in render(Task.REVIEW, {}).system
    assert '{"reviews": [{"test_index": 0' in render(Task.TESTGEN_REVIEW, {}).system


def test_java_version_bounds_the_features_offered() -> None:
    assert "records" not in render(Task.OPTIMIZE, {}, version="11").system
    assert "records" in render(Task.OPTIMIZE, {}, version="17").system
    assert [major_version(v) for v in ("17", "1.8.0_392", "21.0.2", None, "x")] == [17, 8, 21, None, None]


def test_tasks_left_to_the_core() -> None:
    assert plugin.build_prompt(PromptRequest(Task.RANK, "java", None)) is None


@pytest.mark.parametrize("task", [t for t in Task if t in prompt_requests(JAVA)], ids=lambda t: t.value)
def test_golden_from_the_request_body(task: Task, snapshot: SnapshotAssertion) -> None:
    """Every task's prompt as the engine builds it from the CLI's request body (nothing injected);
    tasks this plugin leaves to the core render through the core templates."""
    from codeflash_engine.plugins.prompting import render_prompt

    request = prompt_requests(JAVA)[task]
    prompt = plugin.build_prompt(request) or render_prompt(request)
    assert "Undefined" not in prompt.system + prompt.user
    assert shown(prompt) == snapshot
