"""Sample requests for every task, built from a plugin's :class:`LanguageSamples`.

- :func:`sample_requests`: the JSON bodies the Codeflash CLI (0.20.6) sends to each ``/ai``
  endpoint, with the plugin's code in them (contract section 3; values invented);
- :func:`prompt_requests`: for each task, the :class:`PromptRequest` the engine builds from such a
  body (the request's fields as the HTTP layer reads them, plus what the pipeline adds);
- :func:`llm_answers`: a plausible model answer for each endpoint, to script the fake LLM.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from codeflash_engine.http import schemas
from codeflash_engine.plugins.types import CodeFile, PromptRequest, Target, Task
from codeflash_engine.testing.plugin_kit.samples import LanguageSamples
from codeflash_engine.text.markdown import CodeBlock, parse_markdown, write_markdown

TRACE_ID = "0d9d3c4e-8f51-4b8e-9a57-3c1f0f2b7a10"
CLIENT_VERSION = "0.20.6"

#: the endpoints whose answers depend on the language plugin (rank, log_features and workflow-gen
#: do not: their answers are indices, nothing, or YAML; rank's prompt is checked by build-prompt)
LANGUAGE_ENDPOINTS = (
    "/ai/optimize",
    "/ai/optimize-line-profiler",
    "/ai/refinement",
    "/ai/code_repair",
    "/ai/adaptive_optimize",
    "/ai/testgen",
    "/ai/testgen_review",
    "/ai/testgen_repair",
    "/ai/explain",
    "/ai/optimization_review",
)


def markdown(samples: LanguageSamples, files: tuple[CodeFile, ...] | None = None) -> str:
    """Files as the client writes them: one ```` ```<language>:<path> ```` block per file."""
    chosen = samples.original if files is None else files
    return write_markdown([CodeBlock(language=samples.language, path=f.path, code=f.code.strip()) for f in chosen])


def flat(samples: LanguageSamples, files: tuple[CodeFile, ...], comment_prefix: str) -> str:
    """The "flat" form of explain: ``<comment> file: <path>`` then the code, per file."""
    return "\n".join(f"{comment_prefix} file: {f.path}\n{f.code.strip()}" for f in files)


def improved_files(samples: LanguageSamples) -> tuple[CodeFile, ...]:
    """The files of the first improved answer that has fenced code for a known path, else the original."""
    known = {f.path for f in samples.original}
    for answer in samples.improved:
        blocks = [b for b in parse_markdown(answer) if b.path in known]
        if blocks:
            return tuple(CodeFile(path=b.path, code=b.code) for b in blocks)
    return samples.original


def function_to_optimize(samples: LanguageSamples) -> dict[str, Any]:
    """The client's description of the target (contract 3.6)."""
    lines = samples.original[0].code.splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if samples.function_name in line), 1)
    parents = [{"name": samples.class_name, "type": "ClassDef"}] if samples.class_name else []
    return {
        "function_name": samples.function_name,
        "file_path": f"/tmp/project/{samples.target_path}",
        "parents": parents,
        "starting_line": start,
        "ending_line": len(lines),
        "starting_col": 0,
        "ending_col": 1,
        "is_async": False,
        "is_method": bool(parents),
        "language": samples.language,
        "doc_start_line": None,
    }


def sample_requests(samples: LanguageSamples, *, comment_prefix: str = "#") -> dict[str, Any]:
    """Endpoint path -> the body the client sends for the samples' code (every /ai endpoint).

    ``comment_prefix`` is the language's line comment (from its LanguageSpec), used by the
    flat code form of ``/ai/explain``.
    """
    lang = samples.language
    version = samples.language_version
    original = markdown(samples)
    better = improved_files(samples)
    better_md = markdown(samples, better)
    code = samples.original[0].code.strip()
    better_code = better[0].code.strip()
    tests_md = f"```{lang}\n{tests_code(samples)}\n```"
    testgen = {
        "source_code_being_tested": original,
        "function_to_optimize": function_to_optimize(samples),
        "helper_function_names": [],
        "module_path": samples.module_path,
        "test_module_path": samples.test_module_path,
        "test_framework": samples.test_framework,
        "test_timeout": 15,
        "trace_id": TRACE_ID,
        "test_index": 0,
        "language": lang,
        "language_version": version,
        "codeflash_version": CLIENT_VERSION,
        "call_sequence": 1,
        "rerun_trace_id": None,
        "is_async": False,
        "is_numerical_code": False,
        "class_name": samples.class_name,
        "qualified_name": samples.target,
        **samples.testgen_fields,
    }
    return {
        "/ai/optimize": {
            "source_code": original,
            "dependency_code": "",
            "trace_id": TRACE_ID,
            "language": lang,
            "language_version": version,
            "experiment_metadata": None,
            "codeflash_version": CLIENT_VERSION,
            "current_username": None,
            "repo_owner": None,
            "repo_name": None,
            "is_async": False,
            "call_sequence": 3,
            "n_candidates": 3,
            "is_numerical_code": False,
            "rerun_trace_id": None,
        },
        "/ai/optimize-line-profiler": {
            "source_code": original,
            "dependency_code": "",
            "trace_id": TRACE_ID,
            "language": lang,
            "language_version": version,
            "experiment_metadata": None,
            "codeflash_version": CLIENT_VERSION,
            "call_sequence": 4,
            "is_numerical_code": False,
            "rerun_trace_id": None,
            "n_candidates": 2,
            "line_profiler_results": (
                f"# Timer unit: 1e-09 s\n## Function: {samples.function_name}\n## Total time: 0.0374 s\n"
                "| Hits | Time | Per Hit | % Time | Line Contents |\n|---:|---:|---:|---:|:---|\n"
                f"| 4950 | 2.1e7 | 4242 | 56.2 | {_busiest_line(code)} |"
            ),
        },
        "/ai/refinement": [
            {
                "optimization_id": "5b0c8a2e-6c4f-4a53-9d0e-2f1f7c2d9a11",
                "original_source_code": original,
                "read_only_dependency_code": "",
                "original_line_profiler_results": "",
                "original_code_runtime": "4.05 milliseconds",
                "optimized_source_code": better_md,
                "optimized_explanation": "A faster algorithm.",
                "optimized_line_profiler_results": "",
                "optimized_code_runtime": "27.3 microseconds",
                "speedup": "14742%",
                "trace_id": TRACE_ID,
                "function_references": "",
                "call_sequence": 5,
                "language": lang,
                "language_version": version,
                "rerun_trace_id": None,
            }
        ],
        "/ai/code_repair": {
            "optimization_id": "0f6f5c1e-1111-4a53-9d0e-2f1f7c2d9a11",
            "original_source_code": original,
            "modified_source_code": better_md,
            "trace_id": TRACE_ID,
            "language": lang,
            "rerun_trace_id": None,
            "test_diffs": [
                {
                    "scope": "return_value",
                    "original_pass": True,
                    "candidate_pass": False,
                    "original_value": "3",
                    "candidate_value": "4",
                    "test_src_code": tests_code(samples),
                    "candidate_pytest_error": "expected 3, got 4",
                    "original_pytest_error": None,
                }
            ],
        },
        "/ai/adaptive_optimize": {
            "trace_id": TRACE_ID,
            "original_source_code": original,
            "candidates": [
                {
                    "optimization_id": "a1",
                    "source_code": better_md,
                    "explanation": "A faster algorithm.",
                    "source": "OPTIMIZE",
                    "speedup": "Performance gain: 3025%",
                },
                {
                    "optimization_id": "a2",
                    "source_code": better_md,
                    "explanation": "The same, refined.",
                    "source": "REFINE",
                    "speedup": "Candidate didn't match the behavior of the original code",
                },
            ],
        },
        "/ai/testgen": testgen,
        "/ai/testgen_review": {
            "tests": [
                {
                    "test_source": tests_md,
                    "test_index": 0,
                    "failed_test_functions": [],
                    "failure_messages": {},
                },
            ],
            "function_source_code": code,
            "function_name": samples.function_name,
            "trace_id": TRACE_ID,
            "language": lang,
            "language_version": version,
            "codeflash_version": CLIENT_VERSION,
            "call_sequence": 8,
            "coverage_summary": "87.5%",
        },
        "/ai/testgen_repair": {
            **{k: v for k, v in testgen.items() if k not in _NOT_IN_REPAIR},
            "test_source": tests_code(samples),
            "functions_to_repair": [{"function_name": "test_sample", "reason": "asserts nothing"}],
            "function_source_code": code,
            "module_source_code": code,
            "previous_repair_errors": {},
            "call_sequence": 9,
        },
        "/ai/rank": {
            "trace_id": TRACE_ID,
            "diffs": [_diff(samples, code, better_code), _diff(samples, code, code + "\n")],
            "optimization_ids": ["o0", "o1"],
            "speedups": [31.25, 1.5],
            "function_references": None,
        },
        "/ai/explain": {
            "trace_id": TRACE_ID,
            "source_code": flat(samples, samples.original, comment_prefix),
            "optimized_code": flat(samples, better, comment_prefix),
            "dependency_code": "",
            "original_line_profiler_results": "",
            "optimized_line_profiler_results": "",
            "original_code_runtime": "4.05 milliseconds",
            "optimized_code_runtime": "27.3 microseconds",
            "speedup": "14742%",
            "annotated_tests": tests_md,
            "optimization_id": "o1",
            "original_explanation": "A faster algorithm.",
            "original_throughput": None,
            "optimized_throughput": None,
            "throughput_improvement": None,
            "original_concurrency_ratio": None,
            "optimized_concurrency_ratio": None,
            "concurrency_improvement": None,
            "function_references": None,
            "acceptance_reason": "runtime",
            "codeflash_version": CLIENT_VERSION,
            "call_sequence": 6,
        },
        "/ai/optimization_review": {
            "original_code": code,
            "optimized_code": better_code,
            "explanation": "A faster algorithm.",
            "existing_tests": "",
            "generated_tests": tests_md,
            "trace_id": TRACE_ID,
            "coverage_message": "100.0%",
            "replay_tests": "",
            "speedup": "14742.53%",
            "loop_count": 1000,
            "benchmark_details": None,
            "optimized_runtime": "27.3 microseconds",
            "original_runtime": "4.05 milliseconds",
            "codeflash_version": CLIENT_VERSION,
            "calling_fn_details": "",
            "language": lang,
            "language_version": version,
            "call_sequence": 7,
        },
        "/ai/log_features": {
            "trace_id": TRACE_ID,
            "speedup_ratio": {"o1": 147.4},
            "original_runtime": 4050000,
            "optimized_runtime": {"o1": 27300},
            "is_correct": {"o1": True},
            "optimized_line_profiler_results": {"o1": ""},
            "metadata": {"best_optimization_id": "o1"},
            "optimizations_post": {"o1": better_md},
            "codeflash_version": CLIENT_VERSION,
        },
        "/ai/workflow-gen": {
            "repo_files": {f.path or "main": f.code for f in samples.original},
            "directory_structure": {},
            "codeflash_config": {"module_root": ".", "tests_root": "tests", "benchmark_mode": False},
        },
    }


_NOT_IN_REPAIR = ("source_code_being_tested", "test_index", "qualified_name")


def tests_code(samples: LanguageSamples) -> str:
    """The code of the samples' raw test answer (its first fenced block, else the whole answer)."""
    blocks = parse_markdown(samples.test_answer)
    if not blocks:
        from codeflash_engine.text.markdown import extract_code_blocks

        blocks = extract_code_blocks(
            samples.test_answer, language_tags=(samples.language,), default_language=samples.language
        )
    return blocks[0].code.strip() if blocks else samples.test_answer.strip()


def _busiest_line(code: str) -> str:
    lines = [line.strip() for line in code.splitlines() if line.strip()]
    return max(lines, key=len).replace("|", "\\|") if lines else ""


def _diff(samples: LanguageSamples, before: str, after: str) -> str:
    import difflib

    path = samples.target_path
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    # a last line without a newline is marked as diff and git do (else the next line is glued to it)
    return "".join(line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n" for line in lines)


# ------------------------------------------------------------------------------ prompt contexts

#: task -> (endpoint whose body feeds it, schema the HTTP layer validates it with)
_TASK_SOURCES: dict[Task, tuple[str, Any]] = {
    Task.OPTIMIZE: ("/ai/optimize", schemas.OptimizeRequest),
    Task.OPTIMIZE_LINE_PROFILER: ("/ai/optimize-line-profiler", schemas.LineProfilerRequest),
    Task.REFINE: ("/ai/refinement", schemas.RefinementItem),
    Task.REPAIR: ("/ai/code_repair", schemas.CodeRepairRequest),
    Task.ADAPTIVE: ("/ai/adaptive_optimize", schemas.AdaptiveRequest),
    Task.TESTGEN: ("/ai/testgen", schemas.TestgenRequest),
    Task.TESTGEN_REVIEW: ("/ai/testgen_review", schemas.TestgenReviewRequest),
    Task.TESTGEN_REPAIR: ("/ai/testgen_repair", schemas.TestgenRepairRequest),
    Task.RANK: ("/ai/rank", schemas.RankRequest),
    Task.EXPLAIN: ("/ai/explain", schemas.ExplainRequest),
    Task.REVIEW: ("/ai/optimization_review", schemas.OptimizationReviewRequest),
    Task.JIT: ("/ai/optimize", schemas.OptimizeRequest),
    Task.WORKFLOW: ("/ai/workflow-gen", schemas.WorkflowGenRequest),
}

#: tasks the engine only ever runs for Python (the JIT rewrite and the workflow generator)
PYTHON_ONLY_TASKS = frozenset({Task.JIT, Task.WORKFLOW})


def tasks_for(language: str) -> list[Task]:
    """The tasks the engine may ask a prompt for in ``language``."""
    return [t for t in Task if language == "python" or t not in PYTHON_ONLY_TASKS]


def prompt_requests(
    samples: LanguageSamples, *, comment_prefix: str = "#", nulls: bool = False
) -> dict[Task, PromptRequest]:
    """Task -> the PromptRequest the engine builds for the samples' request of that task.

    Built from the request bodies (:func:`sample_requests`) with the engine's own pieces: the
    HTTP schema, :func:`prompt_fields`, the code parsed from the body's markdown and the target
    where the request names it (testgen: ``function_to_optimize``; line profiler: its
    ``## Function:`` header; otherwise None, left for the plugin to infer). With ``nulls=True``
    every optional field is null (the client sends nulls freely) and the language version is
    unknown: templates must still render.
    """
    bodies = sample_requests(samples, comment_prefix=comment_prefix)
    out: dict[Task, PromptRequest] = {}
    for task in tasks_for(samples.language):
        endpoint, schema = _TASK_SOURCES[task]
        body = bodies[endpoint]
        if isinstance(body, list):
            body = body[0]
        if nulls:
            body = _nulled(body, schema)
        dumped: dict[str, Any] = schema.model_validate(body).model_dump()
        version = None if nulls else samples.language_version
        out[task] = prompt_request(task, dumped, language=samples.language, language_version=version)
    return out


def prompt_request(
    task: Task, body: Mapping[str, Any], *, language: str, language_version: str | None, fence_tag: str = ""
) -> PromptRequest:
    """The PromptRequest the engine builds for ``task`` from a validated request ``body`` (its
    ``model_dump()``), with the engine's own pieces (see :func:`prompt_requests`)."""
    from codeflash_engine.pipelines.common import profiled_target, prompt_fields
    from codeflash_engine.pipelines.testgen import target_of

    fields = prompt_fields(body)
    code_field = next((k for k in _CODE_FIELDS if body.get(k)), None)
    code = str(body[code_field]) if code_field else ""
    target: Target | None = None
    is_async = bool(body.get("is_async"))
    if task in (Task.TESTGEN, Task.TESTGEN_REPAIR):
        tests_target = target_of(body["function_to_optimize"], body, code)
        target, is_async = tests_target.target, tests_target.is_async
    elif task is Task.TESTGEN_REVIEW and str(body.get("function_name") or "").strip("."):
        target = Target.parse(str(body["function_name"]))
    elif task is Task.OPTIMIZE_LINE_PROFILER:
        target = profiled_target(body.get("line_profiler_results"))
    if task is Task.WORKFLOW:
        fields["file_names"] = sorted(fields.get("repo_files") or {})
    return PromptRequest(
        task=task,
        language=language,
        language_version=language_version,
        fence_tag=fence_tag or language,
        original=_files(code),
        target=target,
        is_async=is_async,
        fields=fields,
    )


#: the body field that holds a task's read-writable code, most specific first
_CODE_FIELDS = (
    "source_code_being_tested",
    "module_source_code",
    "function_source_code",
    "original_source_code",
    "source_code",
)


def _files(markdown_text: str) -> tuple[CodeFile, ...]:
    blocks = parse_markdown(markdown_text)
    return tuple(CodeFile(path=b.path, code=b.code) for b in blocks)


def _nulled(body: Mapping[str, Any], schema: Any) -> dict[str, Any]:
    fields = schema.model_fields
    out = dict(body)
    for name, info in fields.items():
        if name in out and not info.is_required() and info.default is None:
            out[name] = None
    return out


# ------------------------------------------------------------------------------ model answers


def llm_answers(samples: LanguageSamples) -> dict[str, str]:
    """Endpoint path -> a model answer the engine can turn into a 200 for that endpoint."""
    candidate = samples.improved[0]
    return {
        "/ai/optimize": candidate,
        "/ai/optimize-line-profiler": candidate,
        "/ai/refinement": candidate,
        "/ai/code_repair": candidate,
        "/ai/adaptive_optimize": candidate,
        "/ai/testgen": samples.test_answer,
        "/ai/testgen_repair": samples.test_answer,
        "/ai/testgen_review": '{"reviews": [{"test_index": 0, "functions": []}]}',
        "/ai/rank": '{"ranking": [0, 1]}',
        "/ai/explain": "<explanation>The new code does less work per element.</explanation>",
        "/ai/optimization_review": "<review>high</review><explanation>Clear and well tested.</explanation>",
        "/ai/log_features": "",
        "/ai/workflow-gen": "```yaml\n- run: echo test\n```",
    }
