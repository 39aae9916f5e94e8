"""Request bodies with the exact shapes the CLI sends (contract section 3), with invented values."""

from __future__ import annotations

from typing import Any

TRACE = "746ac121-3c5f-4953-9f5d-0a2a4aa8d41c"

SORTER_CODE = (
    "def sort_list(xs):\n"
    "    out = list(xs)\n"
    "    for i in range(len(out)):\n"
    "        for j in range(len(out) - 1 - i):\n"
    "            if out[j] > out[j + 1]:\n"
    "                out[j], out[j + 1] = out[j + 1], out[j]\n"
    "    return out"
)
SORTER_MD = f"```python:pkg/sorter.py\n{SORTER_CODE}\n```"
FAST_CODE = "def sort_list(xs):\n    return sorted(xs)"
FAST_MD = f"```python:pkg/sorter.py\n{FAST_CODE}\n```"
FAST_ANSWER = f"Timsort through sorted() is O(n log n) instead of O(n^2).\n\n{FAST_MD}\n"

TESTS_ANSWER = """Here are the tests.

```python
from pkg.sorter import sort_list


def test_sorts_numbers():
    assert sort_list([3, 1, 2]) == [1, 2, 3]


def test_empty():
    assert sort_list([]) == []
```
"""

FUNCTION_TO_OPTIMIZE = {
    "function_name": "sort_list",
    "file_path": "/tmp/project/pkg/sorter.py",
    "parents": [],
    "starting_line": 1,
    "ending_line": 7,
    "starting_col": 0,
    "ending_col": 14,
    "is_async": False,
    "is_method": False,
    "language": "python",
    "doc_start_line": None,
}


def optimize(**over: Any) -> dict[str, Any]:
    return {
        "source_code": SORTER_MD,
        "dependency_code": "",
        "trace_id": TRACE,
        "language": "python",
        "language_version": "3.11.7",
        "experiment_metadata": None,
        "codeflash_version": "0.20.6",
        "current_username": None,
        "repo_owner": None,
        "repo_name": None,
        "is_async": False,
        "call_sequence": 3,
        "n_candidates": 6,
        "is_numerical_code": False,
        "rerun_trace_id": None,
        **over,
    }


def line_profiler(**over: Any) -> dict[str, Any]:
    return {
        "source_code": SORTER_MD,
        "dependency_code": "",
        "trace_id": TRACE,
        "language": "python",
        "language_version": "3.11.7",
        "experiment_metadata": None,
        "codeflash_version": "0.20.6",
        "call_sequence": 4,
        "is_numerical_code": False,
        "rerun_trace_id": None,
        "n_candidates": 7,
        "line_profiler_results": "# Timer unit: 1e-09 s\n## Function: sort_list\n## Total time: 0.0374 s\n"
        "| Hits | Time | Per Hit | % Time | Line Contents |\n|---:|---:|---:|---:|:---|\n"
        "| 4950 | 2.1e7 | 4242 | 56.2 | if out[j] > out[j + 1]: |",
        **over,
    }


def refinement_item(**over: Any) -> dict[str, Any]:
    return {
        "optimization_id": "5b0c8a2e-6c4f-4a53-9d0e-2f1f7c2d9a11",
        "original_source_code": SORTER_MD,
        "read_only_dependency_code": "",
        "original_line_profiler_results": "",
        "original_code_runtime": "4.05 milliseconds",
        "optimized_source_code": (
            "```python:pkg/sorter.py\ndef sort_list(xs):\n    out = list(xs)\n    out.sort()\n    return out\n```"
        ),
        "optimized_explanation": "Sort in place.",
        "optimized_line_profiler_results": "",
        "optimized_code_runtime": "27.3 microseconds",
        "speedup": "14742%",
        "trace_id": TRACE,
        "function_references": "",
        "call_sequence": 5,
        "language": "python",
        "language_version": "3.11.7",
        "rerun_trace_id": None,
        **over,
    }


def code_repair(**over: Any) -> dict[str, Any]:
    return {
        "optimization_id": "0f6f5c1e-1111-4a53-9d0e-2f1f7c2d9a11",
        "original_source_code": SORTER_MD,
        "modified_source_code": "```python:pkg/sorter.py\ndef sort_list(xs):\n    return sorted(set(xs))\n```",
        "trace_id": TRACE,
        "language": "python",
        "rerun_trace_id": None,
        "test_diffs": [
            {
                "scope": "return_value",
                "original_pass": True,
                "candidate_pass": True,
                "original_value": "[1, 1, 2]",
                "candidate_value": "[1, 2]",
                "test_src_code": "def test_dupes():\n    assert sort_list([1, 2, 1]) == [1, 1, 2]",
                "candidate_pytest_error": None,
                "original_pytest_error": None,
            }
        ],
        **over,
    }


def adaptive(**over: Any) -> dict[str, Any]:
    return {
        "trace_id": TRACE,
        "original_source_code": SORTER_MD,
        "candidates": [
            {
                "optimization_id": "a1",
                "source_code": FAST_MD,
                "explanation": "sorted()",
                "source": "OPTIMIZE",
                "speedup": "Performance gain: 3025%",
            },
            {
                "optimization_id": "a2",
                "source_code": "```python:pkg/sorter.py\ndef sort_list(xs):\n    return sorted(set(xs))\n```",
                "explanation": "dedupe",
                "source": "REFINE",
                "speedup": "Candidate didn't match the behavior of the original code",
            },
        ],
        **over,
    }


def testgen(**over: Any) -> dict[str, Any]:
    return {
        "source_code_being_tested": SORTER_MD,
        "function_to_optimize": FUNCTION_TO_OPTIMIZE,
        "helper_function_names": [],
        "module_path": "pkg.sorter",
        "test_module_path": "tests.test_sort_list__unit_test_0",
        "test_framework": "pytest",
        "test_timeout": 15,
        "trace_id": TRACE,
        "test_index": 0,
        "language": "python",
        "language_version": "3.11.7",
        "codeflash_version": "0.20.6",
        "call_sequence": 1,
        "rerun_trace_id": None,
        "is_async": False,
        "is_numerical_code": False,
        "class_name": None,
        "qualified_name": "sort_list",
        **over,
    }


def testgen_review(**over: Any) -> dict[str, Any]:
    return {
        "tests": [
            {
                "test_source": TESTS_ANSWER,
                "test_index": 0,
                "failed_test_functions": ["test_empty"],
                "failure_messages": {"test_empty": "AssertionError"},
            },
            {
                "test_source": "def test_other():\n    pass\n",
                "test_index": 1,
                "failed_test_functions": [],
                "failure_messages": {},
            },
        ],
        "function_source_code": SORTER_CODE,
        "function_name": "sort_list",
        "trace_id": TRACE,
        "language": "python",
        "language_version": "3.11.7",
        "codeflash_version": "0.20.6",
        "call_sequence": 8,
        "coverage_summary": "87.5%",
        **over,
    }


def testgen_repair(**over: Any) -> dict[str, Any]:
    return {
        "test_source": TESTS_ANSWER,
        "functions_to_repair": [{"function_name": "test_empty", "reason": "weak"}],
        "function_source_code": SORTER_CODE,
        "function_to_optimize": FUNCTION_TO_OPTIMIZE,
        "helper_function_names": [],
        "module_path": "pkg.sorter",
        "test_module_path": "tests.test_sort_list__unit_test_0",
        "test_framework": "pytest",
        "test_timeout": 15,
        "trace_id": TRACE,
        "language": "python",
        "language_version": "3.11.7",
        "codeflash_version": "0.20.6",
        "call_sequence": 9,
        "module_source_code": SORTER_CODE,
        "previous_repair_errors": {},
        **over,
    }


def rank(**over: Any) -> dict[str, Any]:
    return {
        "trace_id": TRACE,
        "diffs": [
            "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n",
            "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+z\n",
            "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+w\n",
        ],
        "optimization_ids": ["o0", "o1", "o2"],
        "speedups": [1.5, 31.25, 2.0],
        "function_references": None,
        **over,
    }


def explain(**over: Any) -> dict[str, Any]:
    return {
        "trace_id": TRACE,
        "source_code": "# file: pkg/sorter.py\n" + SORTER_CODE,
        "optimized_code": "# file: pkg/sorter.py\n" + FAST_CODE,
        "dependency_code": "",
        "original_line_profiler_results": "",
        "optimized_line_profiler_results": "",
        "original_code_runtime": "4.05 milliseconds",
        "optimized_code_runtime": "27.3 microseconds",
        "speedup": "14742%",
        "annotated_tests": "```python\ndef test_a():\n    sort_list([2, 1])  # 2.42μs -> 861ns (181% faster)\n```",
        "optimization_id": "o1",
        "original_explanation": "Use sorted().",
        "original_throughput": None,
        "optimized_throughput": None,
        "throughput_improvement": None,
        "original_concurrency_ratio": None,
        "optimized_concurrency_ratio": None,
        "concurrency_improvement": None,
        "function_references": None,
        "acceptance_reason": "runtime",
        "codeflash_version": "0.20.6",
        "call_sequence": 6,
        **over,
    }


def optimization_review(**over: Any) -> dict[str, Any]:
    return {
        "original_code": SORTER_CODE,
        "optimized_code": FAST_CODE,
        "explanation": "Use sorted().",
        "existing_tests": "",
        "generated_tests": TESTS_ANSWER,
        "trace_id": TRACE,
        "coverage_message": "100.0%",
        "replay_tests": "",
        "speedup": "14742.53%",
        "loop_count": 1000,
        "benchmark_details": None,
        "optimized_runtime": "27.3 microseconds",
        "original_runtime": "4.05 milliseconds",
        "codeflash_version": "0.20.6",
        "calling_fn_details": "",
        "language": "python",
        "language_version": "3.11.7",
        "call_sequence": 7,
        **over,
    }


def log_features(**over: Any) -> dict[str, Any]:
    return {
        "trace_id": TRACE,
        "speedup_ratio": {"o1": 147.4, "o2": None},
        "original_runtime": 4050000,
        "optimized_runtime": {"o1": 27300, "o2": None},
        "is_correct": {"o1": True, "o2": False},
        "optimized_line_profiler_results": {"o1": ""},
        "metadata": {"best_optimization_id": "o1"},
        "optimizations_post": {"o1": FAST_MD},
        "codeflash_version": "0.20.6",
        **over,
    }


def workflow_gen(**over: Any) -> dict[str, Any]:
    return {
        "repo_files": {
            "pyproject.toml": "[project]\nname = 'demo'\n",
            "pkg/sorter.py": SORTER_CODE,
            "requirements.txt": "numpy\n",
        },
        "directory_structure": {"pkg": {"sorter.py": None}, "tests": {}},
        "codeflash_config": {"module_root": "pkg", "tests_root": "tests", "benchmark_mode": False},
        **over,
    }


def rewrite_jit(**over: Any) -> dict[str, Any]:
    return {
        "source_code": SORTER_MD,
        "trace_id": TRACE,
        "dependency_code": "",
        "python_version": "3.11.7",
        "current_username": None,
        "repo_owner": None,
        "repo_name": None,
        **over,
    }
