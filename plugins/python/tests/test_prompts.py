"""Every Python prompt, rendered with a realistic context, as a snapshot."""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from codeflash_engine.http import schemas
from codeflash_engine.plugins.types import Prompt, PromptRequest, Task
from codeflash_engine.testing.plugin_kit.requests import prompt_request
from codeflash_engine_python.plugin import build_prompt
from codeflash_engine_python.prompting import PROMPTS

SOURCE = "```python:pkg/sorter.py\ndef sort_list(xs):\n    return sorted(xs)\n```"
ORIGINAL = (
    "```python:pkg/sorter.py\ndef sort_list(xs):\n    out = list(xs)\n    for i in range(len(out)):\n"
    "        for j in range(len(out) - 1 - i):\n            if out[j] > out[j + 1]:\n"
    "                out[j], out[j + 1] = out[j + 1], out[j]\n    return out\n```"
)
DEPENDENCY = "```python:pkg/config.py\nLIMIT = 1000\n```"
PROFILE = (
    "# Timer unit: 1e-09 s\n## Function: sort_list\n## Total time: 0.0374 s\n"
    "| Hits | Time | Per Hit | % Time | Line Contents |\n|---:|---:|---:|---:|:---|\n"
    "| 1 | 2000 | 2000 | 0.1 | out = list(xs) |\n| 4950 | 3.1e+07 | 6262 | 83.0 | if out[j] > out[j + 1]: |\n"
)
FUNCTION = {
    "function_name": "sort_list",
    "file_path": "/home/dev/proj/pkg/sorter.py",
    "parents": [],
    "starting_line": 1,
    "ending_line": 7,
    "is_async": False,
    "is_method": False,
    "language": "python",
}
TEST_SOURCE = (
    "from pkg.sorter import sort_list\n\n\ndef test_basic():\n    assert sort_list([2, 1]) == [1, 2]\n\n\n"
    "def test_empty():\n    sort_list([])\n"
)
VEC_LENGTH = "    def length(self):\n        return norm(self.x, self.y)\n"
VEC_MODULE = (
    "from pkg.util import norm\n\n\nclass Vec:\n    def __init__(self, x, y):\n        self.x = x\n"
    "        self.y = y\n\n" + VEC_LENGTH
)
VEC_TESTS = (
    "import unittest\n\nfrom pkg.geo import Vec\n\n\nclass TestVecLength(unittest.TestCase):\n"
    "    def test_three_four(self):\n        self.assertEqual(Vec(3, 4).length(), 5.0)\n\n"
    "    def test_zero(self):\n        Vec(0, 0).length()\n"
)

CONTEXTS: dict[Task, dict[str, Any]] = {
    Task.OPTIMIZE: {
        "source_code": ORIGINAL,
        "dependency_code": DEPENDENCY,
        "is_async": False,
        "is_numerical_code": False,
        "n_candidates": 6,
    },
    Task.OPTIMIZE_LINE_PROFILER: {
        "source_code": ORIGINAL,
        "dependency_code": "",
        "line_profiler_results": PROFILE,
        "is_numerical_code": True,
        "n_candidates": 7,
    },
    Task.REFINE: {
        "original_source_code": ORIGINAL,
        "read_only_dependency_code": DEPENDENCY,
        "original_line_profiler_results": PROFILE,
        "original_code_runtime": "4.05 milliseconds",
        "optimized_source_code": SOURCE,
        "optimized_explanation": "Use Timsort via sorted().",
        "optimized_line_profiler_results": "",
        "optimized_code_runtime": "27.3 microseconds",
        "speedup": "14742%",
        "function_references": "```python:pkg/report.py\nrows = sort_list(values)\n```",
    },
    Task.REPAIR: {
        "original_source_code": ORIGINAL,
        "modified_source_code": "```python:pkg/sorter.py\ndef sort_list(xs):\n    xs.sort()\n    return xs\n```",
        "test_diffs": [
            {
                "scope": "return_value",
                "original_pass": True,
                "candidate_pass": True,
                "original_value": "(([3, 1, 2],), {}, [1, 2, 3])",
                "candidate_value": "(([1, 2, 3],), {}, [1, 2, 3])",
                "test_src_code": "def test_basic():\n    assert sort_list([3, 1, 2]) == [1, 2, 3]",
                "candidate_pytest_error": None,
                "original_pytest_error": None,
            },
            {
                "scope": "did_pass",
                "original_pass": True,
                "candidate_pass": False,
                "original_value": "True",
                "candidate_value": "False",
                "test_src_code": "def test_tuple():\n    assert sort_list((2, 1)) == [1, 2]",
                "candidate_pytest_error": "AttributeError: 'tuple' object has no attribute 'sort'",
                "original_pytest_error": None,
            },
        ],
    },
    Task.ADAPTIVE: {
        "original_source_code": ORIGINAL,
        "candidates": [
            {
                "optimization_id": "a1",
                "source_code": SOURCE,
                "explanation": "Use sorted().",
                "source": "OPTIMIZE",
                "speedup": "Performance gain: 3025%",
            },
            {
                "optimization_id": "b2",
                "source_code": "```python:pkg/sorter.py\ndef sort_list(xs):\n    xs.sort()\n    return xs\n```",
                "explanation": "Sort in place.",
                "source": "REFINE",
                "speedup": "Candidate didn't match the behavior of the original code",
            },
        ],
    },
    Task.TESTGEN: {
        "source_code_being_tested": ORIGINAL,
        "function_to_optimize": FUNCTION,
        "helper_function_names": [],
        "module_path": "pkg.sorter",
        "test_module_path": "tests.test_sort_list__unit_test_0",
        "test_framework": "pytest",
        "test_timeout": 15,
        "test_index": 1,
        "is_async": False,
        "is_numerical_code": False,
        "class_name": None,
        "qualified_name": "sort_list",
    },
    Task.TESTGEN_REVIEW: {
        "tests": [
            {
                "test_source": TEST_SOURCE,
                "test_index": 0,
                "failed_test_functions": ["test_basic"],
                "failure_messages": {"test_basic": "AssertionError: assert [2, 1] == [1, 2]"},
            }
        ],
        "function_source_code": ORIGINAL.split("\n", 1)[1].rsplit("\n", 1)[0],
        "function_name": "sort_list",
        "coverage_summary": "87.5%",
        "coverage_details": {
            "coverage_percentage": 75.0,
            "threshold_percentage": 60.0,
            "function_start_line": 1,
            "main_function": {
                "name": "sort_list",
                "coverage": 75.0,
                "executed_lines": [1, 2, 3, 4, 7],
                "unexecuted_lines": [5, 6],
                "executed_branches": [[4, 5]],
                "unexecuted_branches": [[5, 4]],
            },
        },
    },
    Task.TESTGEN_REPAIR: {  # one coherent sample: a method, its module and its unittest tests
        "test_source": VEC_TESTS,
        "functions_to_repair": [{"function_name": "test_zero", "reason": "asserts nothing"}],
        "function_source_code": VEC_LENGTH,
        "module_source_code": VEC_MODULE,
        "function_to_optimize": {
            **FUNCTION,
            "function_name": "length",
            "file_path": "/home/dev/proj/pkg/geo.py",
            "starting_line": 9,
            "ending_line": 10,
            "is_method": True,
            "parents": [{"name": "Vec", "type": "ClassDef"}],
        },
        "helper_function_names": ["pkg.util.norm"],
        "module_path": "pkg.geo",
        "test_module_path": "tests.test_length__unit_test_0",
        "test_framework": "unittest",
        "test_timeout": 15,
        "previous_repair_errors": {"test_zero": "AssertionError: 0.0 != 1.0"},
        "coverage_details": None,
        "class_name": "Vec",
        "qualified_name": "Vec.length",
    },
    Task.RANK: {
        "diffs": ["--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n", "--- a\n+++ b\n@@ -1,2 +1 @@\n-x\n-z\n+y\n"],
        "optimization_ids": ["a1", "b2"],
        "speedups": [31.25, 29.5],
        "function_references": None,
    },
    Task.EXPLAIN: {
        "source_code": "# file: pkg/sorter.py\ndef sort_list(xs):\n    out = list(xs)\n    return out",
        "optimized_code": "# file: pkg/sorter.py\ndef sort_list(xs):\n    return sorted(xs)",
        "dependency_code": "",
        "original_line_profiler_results": PROFILE,
        "optimized_line_profiler_results": "",
        "original_code_runtime": "4.05 milliseconds",
        "optimized_code_runtime": "27.3 microseconds",
        "speedup": "14742%",
        "annotated_tests": "```\ndef test_basic():\n    assert sort_list([2, 1]) == [1, 2]  # 2.42μs -> 861ns\n```",
        "optimization_id": "a1",
        "original_explanation": "Use sorted().",
        "original_throughput": None,
        "optimized_throughput": None,
        "throughput_improvement": None,
        "original_concurrency_ratio": None,
        "optimized_concurrency_ratio": None,
        "concurrency_improvement": None,
        "function_references": None,
        "acceptance_reason": "runtime",
    },
    Task.REVIEW: {
        "original_code": "def sort_list(xs):\n    out = list(xs)\n    return out\n",
        "optimized_code": "def sort_list(xs):\n    return sorted(xs)\n",
        "explanation": "Timsort instead of bubble sort.",
        "existing_tests": "| test | time |\n|---|---|\n| test_sort | 1ms |",
        "generated_tests": "```python\ndef test_basic():\n    assert sort_list([2, 1]) == [1, 2]\n```",
        "coverage_message": "100.0%",
        "replay_tests": "",
        "speedup": "14742.53%",
        "loop_count": 1200,
        "benchmark_details": None,
        "optimized_runtime": "27.3 microseconds",
        "original_runtime": "4.05 milliseconds",
        "calling_fn_details": "",
    },
    Task.JIT: {
        "source_code": "```python:pkg/num.py\nimport numpy as np\ndef total(a):\n    s = 0.0\n    for x in a:\n"
        "        s += x * x\n    return s\n```",
        "dependency_code": "",
        "python_version": "3.11.7",
    },
    Task.WORKFLOW: {
        "repo_files": {"pyproject.toml": "[project]\nname = 'proj'\n[tool.uv]\n", "uv.lock": "version = 1\n"},
        "directory_structure": {"pkg": {"sorter.py": None}, "tests": {}},
        "codeflash_config": {"module_root": "pkg", "tests_root": "tests", "benchmark_mode": False},
    },
}


#: the schema each task's request body is validated with (as the HTTP layer does)
SCHEMAS = {
    Task.OPTIMIZE: schemas.OptimizeRequest,
    Task.OPTIMIZE_LINE_PROFILER: schemas.LineProfilerRequest,
    Task.REFINE: schemas.RefinementItem,
    Task.REPAIR: schemas.CodeRepairRequest,
    Task.ADAPTIVE: schemas.AdaptiveRequest,
    Task.TESTGEN: schemas.TestgenRequest,
    Task.TESTGEN_REVIEW: schemas.TestgenReviewRequest,
    Task.TESTGEN_REPAIR: schemas.TestgenRepairRequest,
    Task.RANK: schemas.RankRequest,
    Task.EXPLAIN: schemas.ExplainRequest,
    Task.REVIEW: schemas.OptimizationReviewRequest,
    Task.JIT: schemas.RewriteJitRequest,
    Task.WORKFLOW: schemas.WorkflowGenRequest,
}


def request_for(task: Task, body: dict[str, Any], version: str | None = "3.11.7") -> PromptRequest:
    """The PromptRequest the engine builds from ``body`` (a request body, not a hand-made context)."""
    full = {"trace_id": "t-1", "optimization_id": "a1", **body}
    dumped = SCHEMAS[task].model_validate(full).model_dump(exclude_unset=not body)
    return prompt_request(task, dumped, language="python", language_version=version, fence_tag="python")


def render(task: Task, body: dict[str, Any], version: str | None = "3.11.7") -> Prompt:
    return build_prompt(request_for(task, body, version))


def as_text(prompt: Prompt) -> str:
    cached, rest = prompt.user[: prompt.cache_prefix_chars], prompt.user[prompt.cache_prefix_chars :]
    return f"=== system\n{prompt.system}\n=== user (cached prefix)\n{cached}\n=== user (rest)\n{rest}"


def test_every_task_has_python_templates() -> None:
    for task in Task:
        assert (PROMPTS / f"{task.value}.system.j2").is_file()
        assert (PROMPTS / f"{task.value}.user.j2").is_file()


@pytest.mark.parametrize("version", ["3.10.4", "3.12.1"])
@pytest.mark.parametrize("task", list(Task), ids=lambda t: t.value)
def test_rendered_prompt(task: Task, version: str, snapshot: SnapshotAssertion) -> None:
    """Goldens from request bodies only (the schema drops anything a client does not send)."""
    prompt = render(task, CONTEXTS[task], version)
    assert "<<<cache-break>>>" not in prompt.user
    assert prompt.cache_prefix_chars > 0 or task is Task.RANK  # a ranking has no stable part
    assert "Undefined" not in prompt.system + prompt.user
    assert as_text(prompt) == snapshot


@pytest.mark.parametrize("task", list(Task), ids=lambda t: t.value)
def test_renders_with_an_empty_context(task: Task) -> None:
    """Missing fields leave their sentence out or say what is missing: never an empty name."""
    prompt = build_prompt(PromptRequest(task=task, language="python"))
    assert prompt.system and prompt.user
    text = (prompt.system + "\n" + prompt.user).replace("```", "")
    assert "``" not in text, text
    assert "None" not in text.replace("None`", "").replace("`None", ""), text


def test_the_cached_prefix_holds_the_code_and_not_the_profile() -> None:
    prompt = render(Task.OPTIMIZE_LINE_PROFILER, CONTEXTS[Task.OPTIMIZE_LINE_PROFILER])
    prefix = prompt.user[: prompt.cache_prefix_chars]
    assert ORIGINAL in prefix
    assert PROFILE.strip() not in prefix and PROFILE.strip() in prompt.user


def test_runtime_context_reaches_the_prompt() -> None:
    prompt = render(Task.OPTIMIZE, {**CONTEXTS[Task.OPTIMIZE], "is_async": True, "is_numerical_code": True}, "3.9.18")
    assert "Python 3.9.18" in prompt.user
    assert "coroutine" in prompt.user and "numpy" in prompt.user


def test_async_method_testgen_prompt() -> None:
    context = {**CONTEXTS[Task.TESTGEN], "is_async": True, "class_name": "Client", "qualified_name": "Client.fetch"}
    prompt = render(Task.TESTGEN, context)
    assert "from pkg.sorter import Client" in prompt.user
    assert "@pytest.mark.asyncio" in prompt.user
    assert "obj.fetch(...)" in prompt.user
    assert "plain `def test_...`" not in prompt.user  # one instruction, not two that contradict


def test_the_3_11_prompt_does_not_ask_for_lookup_hoisting() -> None:
    old = render(Task.OPTIMIZE, CONTEXTS[Task.OPTIMIZE], "3.10.4").system
    new = render(Task.OPTIMIZE, CONTEXTS[Task.OPTIMIZE], "3.12.1").system
    assert "attribute lookups and global lookups" in old and "PEP 659" not in old
    assert "attribute lookups and global lookups" not in new and "PEP 659" in new
    assert "at least 10% faster" in new and "`set()`" in new


def test_the_optimize_prompt_names_the_function_the_request_does_not_name() -> None:
    """/ai/optimize sends no function name: the plugin names the one its postprocessing targets."""
    body = {k: v for k, v in CONTEXTS[Task.OPTIMIZE].items() if k != "function_name"}
    prompt = render(Task.OPTIMIZE, body)
    assert prompt.user.startswith("Optimize `sort_list`")
