"""Every request field reaches the model, or is on the engine's documented ignore list (issue 22).

Each endpoint is called through the whole engine (the route, its schema, the pipeline's context
building, the language plugin's templates) with every field of its schema set to a unique marker;
the prompts the fake LLM receives must hold each text marker. A boolean or number field counts as
reaching the model when flipping it changes the prompt. A field the test does not cover, and that
is not on :data:`codeflash_engine.pipelines.unprompted.NOT_IN_PROMPTS`, fails the test: a field the
client starts sending must be given to the model or listed with the reason it is not.
"""

from __future__ import annotations

import re
import typing
from typing import Any

import attrs
import pytest
from pydantic import BaseModel

from codeflash_engine.http import schemas
from codeflash_engine.pipelines.unprompted import NOT_IN_PROMPTS
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM

TRACE = "746ac121-3c5f-4953-9f5d-0a2a4aa8d41c"


def m(field: str) -> str:
    """The marker of a field: a token no template or plugin writes by itself."""
    return "mk" + field.replace(".", "_").replace("[]", "") + "q"


def code(field: str, path: str = "pkg/sorter.py", *, fenced: bool = True) -> str:
    """Python code holding the field's marker (as a string constant: it survives any parse)."""
    body = f'def sort_list(xs):\n    tag = "{m(field)}"\n    return sorted(xs), tag'
    return f"```python:{path}\n{body}\n```" if fenced else body


@attrs.frozen
class Lang:
    """How a tree-sitter language writes the Python cases' code, paths, names and versions."""

    name: str
    path: str
    util_path: str
    comment: str
    values: dict[str, str]
    old_version: str
    module_path: str
    #: fields that reach this language's prompts although NOT_IN_PROMPTS lists them
    prompted: tuple[str, ...] = ()

    def code(self, field: str, path: str | None = None, *, fenced: bool = True) -> str:
        path = path or self.path
        name = path.rsplit("/", 1)[-1].split(".")[0]
        if self.name == "java":
            body = (
                f"package com.acme;\n\npublic final class {name} {{\n"
                f'    public static int sortList(int[] xs) {{\n        String tag = "{m(field)}";\n'
                "        return xs.length + tag.length();\n    }\n}"
            )
        else:
            body = (
                f"export class {name} {{\n  static sortList(xs) {{\n"
                f'    const tag = "{m(field)}";\n    return xs.length + tag.length;\n  }}\n}}'
            )
        return f"```{self.name}:{path}\n{body}\n```" if fenced else body


JAVA = Lang(
    "java",
    "src/main/java/com/acme/Sorter.java",
    "src/main/java/com/acme/Util.java",
    "//",
    {"python": "java", "3.12.1": "21", "pytest": "junit5", "unittest": "testng"},
    "11",
    "com.acme.",
)
JAVASCRIPT = Lang(
    "javascript",
    "src/sorter.js",
    "src/util.js",
    "//",
    {"python": "javascript", "3.12.1": "20.11.1", "pytest": "jest", "unittest": "vitest"},
    "18.19.0",
    "../src/",
    prompted=("module_system",),
)
LANGS = {"java": JAVA, "javascript": JAVASCRIPT}

_PY_BLOCK = re.compile(r"```python:([^\n]+)\n.*?\n```", re.DOTALL)
_PY_FLAT = re.compile(r'def sort_list\(xs\):\n    tag = "(\w+)"\n    return sorted\(xs\), tag')


def as_lang(case: tuple[Any, dict[str, Any], dict[str, Any]], lang: Lang) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """A Python case rewritten for ``lang``: the same markers in its code, its names and versions."""
    schema, body, flips = case

    def convert(value: Any) -> Any:
        if isinstance(value, str):
            value = _PY_BLOCK.sub(
                lambda b: lang.code(
                    _PY_FLAT.search(b.group(0)).group(1)[2:-1],  # type: ignore[union-attr]
                    lang.path if "util" not in b.group(1) else lang.util_path,
                ),
                value,
            )
            value = _PY_FLAT.sub(lambda f: lang.code(f.group(1)[2:-1], fenced=False), value)
            value = value.replace("# file: pkg/sorter.py", f"{lang.comment} file: {lang.path}")
            return lang.values.get(value, value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    out = convert(body)
    out_flips = {
        k: ({kk: convert(vv) for kk, vv in v.items()} if isinstance(v, dict) else convert(v)) for k, v in flips.items()
    }
    for k, v in list(out_flips.items()):
        if v == "3.10.4":
            out_flips[k] = lang.old_version
    if "module_path" in out:
        out["module_path"] = lang.module_path + m("module_path")
        out["test_module_path"] = "tests." + m("test_module_path")
        out["function_to_optimize"]["function_name"] = "sortList"
        out["class_name"] = out.get("class_name") and "Sorter"
        if "qualified_name" in out:
            out["qualified_name"] = "Sorter.sortList"
    if "module_system" in out and lang.prompted:
        out["module_system"] = "esm"
        out_flips["module_system"] = "commonjs"
    return schema, out, out_flips


PROFILE = "# Timer unit: 1e-09 s\n## Function: sort_list\n## Total time: 0.0374 s\n"


def profile(field: str) -> str:
    return (
        f"{PROFILE}| Hits | Time | Per Hit | % Time | Line Contents |\n|---:|---:|---:|---:|:---|\n"
        f'| 4950 | 31000000 | 6262 | 83.0 | tag = "{m(field)}" |\n'
    )


def fto(prefix: str) -> dict[str, Any]:
    return {
        "function_name": "sort_list",
        "file_path": f"/tmp/project/pkg/{m(prefix + '.file_path')}/sorter.py",
        "parents": [{"name": "Sorter", "type": m(prefix + ".parents.type")}],
        "starting_line": 4,
        "ending_line": 9,
        "starting_col": 4,
        "ending_col": 1,
        "is_async": False,
        "is_method": True,
        "language": "python",
        "doc_start_line": 5,
    }


def coverage(prefix: str) -> dict[str, Any]:
    return {
        "coverage_percentage": 61.5,
        "threshold_percentage": 60.0,
        "function_start_line": 7,
        "main_function": {
            "name": "sort_list",
            "coverage": 61.5,
            "executed_lines": [7, 8],
            "unexecuted_lines": [9],
            "executed_branches": [[8, 9]],
            "unexecuted_branches": [[8, 10]],
        },
        "dependent_function": {
            "name": m(prefix + ".dependent_function"),
            "coverage": 50.0,
            "executed_lines": [],
            "unexecuted_lines": [3],
        },
    }


COMMON = {"trace_id": TRACE, "codeflash_version": m("codeflash_version"), "call_sequence": 3}

#: endpoint -> (schema, body with markers, {field path: other value} for fields without text; the
#: other value may be {path: value, ...} when other fields must change with it)
CASES: dict[str, tuple[Any, dict[str, Any], dict[str, Any]]] = {
    "/ai/optimize": (
        schemas.OptimizeRequest,
        {
            **COMMON,
            "source_code": code("source_code"),
            "dependency_code": code("dependency_code", "pkg/util.py"),
            "language": "python",
            "language_version": "3.12.1",
            "experiment_metadata": {"id": m("experiment_metadata.id"), "group": "experiment"},
            "current_username": m("current_username"),
            "repo_owner": m("repo_owner"),
            "repo_name": m("repo_name"),
            "is_async": False,
            "n_candidates": 2,
            "is_numerical_code": False,
            "rerun_trace_id": m("rerun_trace_id"),
            "module_system": m("module_system"),
        },
        {"is_async": True, "is_numerical_code": True, "language_version": "3.10.4"},
    ),
    "/ai/optimize-line-profiler": (
        schemas.LineProfilerRequest,
        {
            **COMMON,
            "source_code": code("source_code"),
            "dependency_code": code("dependency_code", "pkg/util.py"),
            "language": "python",
            "language_version": "3.12.1",
            "experiment_metadata": None,
            "n_candidates": 2,
            "line_profiler_results": profile("line_profiler_results"),
            "is_numerical_code": False,
            "rerun_trace_id": None,
            "module_system": m("module_system"),
        },
        {"is_numerical_code": True, "language_version": "3.10.4"},
    ),
    "/ai/refinement": (
        schemas.RefinementItem,
        {
            **COMMON,
            "optimization_id": m("optimization_id"),
            "original_source_code": code("original_source_code"),
            "read_only_dependency_code": code("read_only_dependency_code", "pkg/util.py"),
            "original_line_profiler_results": profile("original_line_profiler_results"),
            "original_code_runtime": m("original_code_runtime"),
            "optimized_source_code": code("optimized_source_code"),
            "optimized_explanation": m("optimized_explanation"),
            "optimized_line_profiler_results": profile("optimized_line_profiler_results"),
            "optimized_code_runtime": m("optimized_code_runtime"),
            "speedup": m("speedup"),
            "function_references": m("function_references"),
            "language": "python",
            "language_version": "3.12.1",
            "rerun_trace_id": None,
            "experiment_metadata": None,
            "additional_context_files": {"pkg/extra.py": m("additional_context_files")},
        },
        {"language_version": "3.10.4"},
    ),
    "/ai/code_repair": (
        schemas.CodeRepairRequest,
        {
            "trace_id": TRACE,
            "optimization_id": m("optimization_id"),
            "original_source_code": code("original_source_code"),
            "modified_source_code": code("modified_source_code"),
            "test_diffs": [
                {
                    "scope": m("test_diffs.scope"),
                    "original_pass": True,
                    "candidate_pass": False,
                    "original_value": m("test_diffs.original_value"),
                    "candidate_value": m("test_diffs.candidate_value"),
                    "test_src_code": m("test_diffs.test_src_code"),
                    "candidate_pytest_error": m("test_diffs.candidate_pytest_error"),
                    "original_pytest_error": m("test_diffs.original_pytest_error"),
                }
            ],
            "language": "python",
            "language_version": "3.12.1",
            "rerun_trace_id": None,
        },
        {"test_diffs.original_pass": False, "test_diffs.candidate_pass": True, "language_version": "3.10.4"},
    ),
    "/ai/adaptive_optimize": (
        schemas.AdaptiveRequest,
        {
            "trace_id": TRACE,
            "original_source_code": code("original_source_code"),
            "candidates": [
                {
                    "optimization_id": m("candidates.optimization_id"),
                    "source_code": code("candidates.source_code"),
                    "explanation": m("candidates.explanation"),
                    "source": m("candidates.source"),
                    "speedup": m("candidates.speedup"),
                }
            ],
        },
        {},
    ),
    "/ai/testgen": (
        schemas.TestgenRequest,
        {
            **COMMON,
            "source_code_being_tested": code("source_code_being_tested"),
            "function_to_optimize": fto("function_to_optimize"),
            "helper_function_names": [m("helper_function_names")],
            "module_path": "pkg." + m("module_path"),
            "test_module_path": "tests." + m("test_module_path"),
            "test_framework": "pytest",
            "test_timeout": 17,
            "test_index": 0,
            "language": "python",
            "language_version": "3.12.1",
            "rerun_trace_id": None,
            "experiment_metadata": None,
            "is_async": False,
            "is_numerical_code": False,
            "class_name": "Sorter",
            "qualified_name": "Sorter.sort_list",
            "module_system": m("module_system"),
        },
        {
            "is_async": True,
            "is_numerical_code": True,
            "test_index": 1,
            "test_timeout": 29,
            "test_framework": "unittest",
            "language_version": "3.10.4",
            "class_name": "Other",
            "qualified_name": "Other.sort_list",
            # the request's own class_name, qualified_name and is_async win when given
            "function_to_optimize.function_name": {"function_to_optimize.function_name": "sort_them"},
            "function_to_optimize.parents.name": {"function_to_optimize.parents.name": "Holder", "class_name": None},
            "function_to_optimize.is_async": {"function_to_optimize.is_async": True, "is_async": None},
        },
    ),
    "/ai/testgen_review": (
        schemas.TestgenReviewRequest,
        {
            **COMMON,
            "tests": [
                {
                    "test_source": m("tests.test_source"),
                    "test_index": 0,
                    "failed_test_functions": [m("tests.failed_test_functions")],
                    "failure_messages": {m("tests.failed_test_functions"): m("tests.failure_messages")},
                }
            ],
            "function_source_code": code("function_source_code", fenced=False),
            "function_name": m("function_name"),
            "language": "python",
            "language_version": "3.12.1",
            "rerun_trace_id": None,
            "experiment_metadata": None,
            "coverage_summary": m("coverage_summary"),
            "coverage_details": coverage("coverage_details"),
        },
        {"tests.test_index": 1, "language_version": "3.10.4"},
    ),
    "/ai/testgen_repair": (
        schemas.TestgenRepairRequest,
        {
            **COMMON,
            "test_source": m("test_source"),
            "functions_to_repair": [
                {"function_name": m("functions_to_repair.function_name"), "reason": m("functions_to_repair.reason")}
            ],
            "function_source_code": code("function_source_code", fenced=False),
            "module_source_code": "import os\n\n" + code("module_source_code", fenced=False),
            "function_to_optimize": fto("function_to_optimize"),
            "helper_function_names": [m("helper_function_names")],
            "module_path": "pkg." + m("module_path"),
            "test_module_path": "tests." + m("test_module_path"),
            "test_framework": "pytest",
            "test_timeout": 17,
            "language": "python",
            "language_version": "3.12.1",
            "rerun_trace_id": None,
            "experiment_metadata": None,
            "module_system": m("module_system"),
            "coverage_details": coverage("coverage_details"),
            "previous_repair_errors": {m("functions_to_repair.function_name"): m("previous_repair_errors")},
        },
        {
            "test_timeout": 29,
            "test_framework": "unittest",
            "language_version": "3.10.4",
            "function_to_optimize.function_name": "sort_them",
            "function_to_optimize.parents.name": "Holder",
            "function_to_optimize.is_async": True,
        },
    ),
    "/ai/rank": (
        schemas.RankRequest,
        {
            "trace_id": TRACE,
            "diffs": [
                f"--- a\n+++ b\n@@ -1 +1 @@\n-x\n+{m('diffs')}0\n",
                f"--- a\n+++ b\n@@ -1 +1 @@\n-x\n+{m('diffs')}1\n",
            ],
            "optimization_ids": [m("optimization_ids") + "0", m("optimization_ids") + "1"],
            "speedups": [3.25, 1.5],
            "function_references": m("function_references"),
        },
        {"speedups": [1.25, 7.5]},
    ),
    "/ai/explain": (
        schemas.ExplainRequest,
        {
            **COMMON,
            "source_code": "# file: pkg/sorter.py\n" + code("source_code", fenced=False),
            "optimized_code": "# file: pkg/sorter.py\n" + code("optimized_code", fenced=False),
            "dependency_code": code("dependency_code", "pkg/util.py"),
            "original_line_profiler_results": profile("original_line_profiler_results"),
            "optimized_line_profiler_results": profile("optimized_line_profiler_results"),
            "original_code_runtime": m("original_code_runtime"),
            "optimized_code_runtime": m("optimized_code_runtime"),
            "speedup": m("speedup"),
            "annotated_tests": m("annotated_tests"),
            "optimization_id": m("optimization_id"),
            "original_explanation": m("original_explanation"),
            "original_throughput": m("original_throughput"),
            "optimized_throughput": m("optimized_throughput"),
            "throughput_improvement": m("throughput_improvement"),
            "original_concurrency_ratio": m("original_concurrency_ratio"),
            "optimized_concurrency_ratio": m("optimized_concurrency_ratio"),
            "concurrency_improvement": m("concurrency_improvement"),
            "function_references": m("function_references"),
            "acceptance_reason": m("acceptance_reason"),
            "rerun_trace_id": None,
            "experiment_metadata": None,
        },
        {},
    ),
    "/ai/optimization_review": (
        schemas.OptimizationReviewRequest,
        {
            **COMMON,
            "original_code": code("original_code", fenced=False),
            "optimized_code": code("optimized_code", fenced=False),
            "explanation": m("explanation"),
            "existing_tests": m("existing_tests"),
            "generated_tests": m("generated_tests"),
            "coverage_message": m("coverage_message"),
            "replay_tests": m("replay_tests"),
            "speedup": m("speedup"),
            "loop_count": 987_653,  # a number: flipped
            "benchmark_details": [{"name": m("benchmark_details")}],
            "optimized_runtime": m("optimized_runtime"),
            "original_runtime": m("original_runtime"),
            "calling_fn_details": m("calling_fn_details"),
            "language": "python",
            "language_version": "3.12.1",
            "rerun_trace_id": None,
            "experiment_metadata": None,
        },
        {"language_version": "3.10.4", "loop_count": 12},
    ),
    "/ai/rewrite_jit": (
        schemas.RewriteJitRequest,
        {
            "trace_id": TRACE,
            "source_code": code("source_code"),
            "dependency_code": code("dependency_code", "pkg/util.py"),
            "python_version": m("python_version"),
            "current_username": m("current_username"),
            "repo_owner": m("repo_owner"),
            "repo_name": m("repo_name"),
            "n_candidates": 1,
        },
        {},
    ),
    "/ai/workflow-gen": (
        schemas.WorkflowGenRequest,
        {
            # a file not about installing or testing is named, not shown
            "repo_files": {"pyproject.toml": m("repo_files"), f"docs/{m('repo_files.path')}.md": "notes"},
            "directory_structure": {m("directory_structure"): {}},
            "codeflash_config": {
                "module_root": m("codeflash_config.module_root"),
                "tests_root": m("codeflash_config.tests_root"),
                "benchmark_mode": False,
            },
            "trace_id": TRACE,
        },
        {"codeflash_config.benchmark_mode": True},
    ),
}


def leaf_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted paths of every field of ``model``, nested models (and lists of them) opened."""
    out: list[str] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        nested = _model_in(info.annotation)
        if nested is None:
            out.append(path)
        else:
            out += leaf_fields(nested, path + ".")
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``body`` with the field at ``path`` (through lists: their first item) set."""
    import copy

    out = copy.deepcopy(body)
    node: Any = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[part]
        if isinstance(node, list):
            node = node[0]
    node[parts[-1]] = value
    return out


def _get(body: dict[str, Any], path: str) -> Any:
    node: Any = body
    for part in path.split("."):
        if isinstance(node, list):
            node = node[0] if node else None
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _text_markers(value: Any) -> list[str]:
    """The markers a field's value holds (strings anywhere inside it)."""
    import re

    return sorted(set(re.findall(r"mk\w+?q", repr(value))))


async def prompts_for(client: EngineClient, fake: FakeLLM, path: str, body: Any) -> str:
    fake.requests.clear()
    await call(client, path, [body] if path == "/ai/refinement" else body)
    assert fake.requests, f"{path}: no LLM call was made"
    return "\n".join(r.text for r in fake.requests)


#: endpoints whose prompts only Python gets (the JIT rewrite, the workflow generator)
PYTHON_ONLY = ("/ai/rewrite_jit", "/ai/workflow-gen")


@pytest.mark.parametrize("language", ["python", "java", "javascript"])
@pytest.mark.parametrize("path", list(CASES))
async def test_every_field_reaches_the_prompt_or_is_listed(
    path: str, language: str, engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    if language != "python" and path in PYTHON_ONLY:
        pytest.skip("Python only")
    schema, body, flips = CASES[path] if language == "python" else as_lang(CASES[path], LANGS[language])
    prompted = LANGS[language].prompted if language in LANGS else ()
    schema.model_validate(body)  # the body is one the engine accepts
    text = await prompts_for(engine_client, fake_llm, path, body)
    missing: list[str] = []
    for field in leaf_fields(schema):
        if field in NOT_IN_PROMPTS and field not in prompted:
            continue
        value = _get(body, field)
        markers = _text_markers(value)
        if markers:
            missing += [f"{field} ({marker})" for marker in markers if marker not in text]
        elif field in flips:
            flip = flips[field] if isinstance(flips[field], dict) else {field: flips[field]}
            changed = body
            for name, value in flip.items():
                changed = _set(changed, name, value)
            other = await prompts_for(engine_client, fake_llm, path, changed)
            if other == text:
                missing.append(f"{field} (flipping it to {flips[field]!r} changed nothing)")
        else:
            missing.append(f"{field} (not covered by this test: give it a marker or a flip, or list it)")
    assert not missing, f"{path}: fields that never reach the model: {missing}"


def test_the_ignore_list_gives_a_reason_for_each_field() -> None:
    every = {f for schema, _, _ in CASES.values() for f in leaf_fields(schema)}
    for field, reason in NOT_IN_PROMPTS.items():
        assert field in every, f"{field} is listed but no request has it"
        assert len(reason) > 20, field
