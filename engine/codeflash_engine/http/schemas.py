"""Request and response schemas of the /ai endpoints (pydantic, HTTP boundary only).

Field names and meanings follow the Codeflash client contract. Unknown request fields are
ignored (the client adds fields over time); fields the client may send as null accept null.
"""

from __future__ import annotations

import json
import keyword
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

#: characters of one text field (code, profiles, test sources): a request's code is a function and
#: its context, not a repository. At 1 MiB, reading the markdown takes the event loop ~8 ms, and a
#: plugin's thread holds the GIL at most ~35 ms at a time (freeing a tree-sitter tree of it)
MAX_TEXT = 1024 * 1024

# Bounds on every list a caller sends (issue 16): a list that becomes LLM calls, or prompt text,
# or work per item, has a documented bound; a longer one is a 422 naming the field and the bound.
#: items of one /ai/refinement body (each costs REFINEMENTS_PER_ITEM LLM calls; the CLI sends one)
MAX_REFINEMENT_ITEMS = 8
#: candidates of an /ai/adaptive_optimize chain (all go into one prompt)
MAX_ADAPTIVE_CANDIDATES = 16
#: test differences of one /ai/code_repair
MAX_TEST_DIFFS = 64
#: generated test files judged by one /ai/testgen_review
MAX_REVIEWED_TESTS = 32
#: test functions rewritten by one /ai/testgen_repair
MAX_FUNCTIONS_TO_REPAIR = 64
#: candidates ranked by one /ai/rank (diffs, optimization_ids, speedups)
MAX_RANKED = 32
#: entries of the other lists and maps of a request (helper names, parents, context files, ...)
MAX_ENTRIES = 256
#: files of one /ai/workflow-gen (only install and test files are read; the rest are names): a
#: hundred times what the client sends (its install files, README and workflows, each cut at 8 KB
#: and so far below MAX_TEXT), and each file costs the event loop a little
MAX_REPO_FILES = 2_000
#: JSON size of each /ai/log_features field (what is stored per trace)
MAX_FEATURE_FIELD_BYTES = 256 * 1024


class Request(BaseModel):
    """Base of every request body: unknown fields ignored, text fields at most MAX_TEXT characters."""

    model_config = ConfigDict(extra="ignore", str_max_length=MAX_TEXT)
    __test__ = False  # names like TestgenRequest are not pytest test classes


class Item(BaseModel):
    """Base of the objects inside a request body: the same rules as :class:`Request`."""

    model_config = ConfigDict(extra="ignore", str_max_length=MAX_TEXT)


class Response(BaseModel):
    """Base of every response body."""

    model_config = ConfigDict(extra="forbid")
    __test__ = False


class ExperimentMetadata(Item):
    id: str | None = None
    group: str | None = None


class _Common(Request):
    trace_id: str = Field(min_length=1, max_length=200)
    codeflash_version: str | None = None
    call_sequence: int | None = None
    rerun_trace_id: str | None = None
    experiment_metadata: ExperimentMetadata | None = None


class OptimizeRequest(_Common):
    source_code: str
    dependency_code: str | None = ""
    language: str = "python"
    language_version: str | None = None
    current_username: str | None = None
    repo_owner: str | None = None
    repo_name: str | None = None
    is_async: bool = False
    n_candidates: int = Field(default=5, ge=0)
    is_numerical_code: bool | None = None
    module_system: str | None = None


class LineProfilerRequest(_Common):
    source_code: str
    dependency_code: str | None = ""
    language: str = "python"
    language_version: str | None = None
    n_candidates: int = Field(default=6, ge=0)
    line_profiler_results: str
    is_numerical_code: bool | None = None
    module_system: str | None = None


class RefinementItem(_Common):
    optimization_id: str = Field(min_length=1)
    original_source_code: str
    read_only_dependency_code: str | None = ""
    original_line_profiler_results: str | None = ""
    original_code_runtime: str | int | None = None
    optimized_source_code: str
    optimized_explanation: str | None = ""
    optimized_line_profiler_results: str | None = ""
    optimized_code_runtime: str | int | None = None
    speedup: str | float | None = None
    function_references: str | None = None
    language: str = "python"
    language_version: str | None = None
    additional_context_files: dict[str, str] | None = Field(default=None, max_length=MAX_ENTRIES)


REFINEMENT_BODY: TypeAdapter[list[RefinementItem]] = TypeAdapter(
    Annotated[list[RefinementItem], Field(max_length=MAX_REFINEMENT_ITEMS)]
)


class TestDiff(Item):
    scope: str
    original_pass: bool | None = None
    candidate_pass: bool | None = None
    original_value: str | None = None
    candidate_value: str | None = None
    test_src_code: str | None = None
    candidate_pytest_error: str | None = None
    original_pytest_error: str | None = None


class CodeRepairRequest(Request):
    trace_id: str = Field(min_length=1, max_length=200)
    optimization_id: str = Field(min_length=1)
    original_source_code: str
    modified_source_code: str
    test_diffs: list[TestDiff] = Field(default_factory=list, max_length=MAX_TEST_DIFFS)
    language: str = "python"
    language_version: str | None = None
    rerun_trace_id: str | None = None


class AdaptiveCandidate(Item):
    optimization_id: str
    source_code: str
    explanation: str | None = ""
    source: str | None = None
    speedup: str | None = None


class AdaptiveRequest(Request):
    trace_id: str = Field(min_length=1, max_length=200)
    original_source_code: str
    candidates: list[AdaptiveCandidate] = Field(min_length=1, max_length=MAX_ADAPTIVE_CANDIDATES)


class FunctionParent(Item):
    name: str
    type: str | None = None


class FunctionToOptimize(Item):
    function_name: str
    file_path: str | None = None
    parents: list[FunctionParent] = Field(default_factory=list, max_length=MAX_ENTRIES)
    starting_line: int | None = None
    ending_line: int | None = None
    starting_col: int | None = None
    ending_col: int | None = None
    is_async: bool = False
    is_method: bool | None = None
    language: str | None = None
    doc_start_line: int | None = None


PYTHON_NAMES = frozenset({"python", "python3", "py"})


def is_dotted_module(value: str) -> bool:
    """Whether ``value`` is a dotted module name (``pkg.sorter``): identifiers, no keyword."""
    parts = value.split(".")
    return all(part.isidentifier() and not keyword.iskeyword(part) for part in parts)


class _TestsFor(_Common):
    """Fields shared by the requests that produce test files (testgen, testgen_repair)."""

    function_to_optimize: FunctionToOptimize
    helper_function_names: list[str] = Field(default_factory=list, max_length=MAX_ENTRIES)
    module_path: str
    test_module_path: str
    test_framework: str
    test_timeout: int = Field(default=15, ge=1)
    language: str = "python"
    language_version: str | None = None
    module_system: str | None = None

    @model_validator(mode="after")
    def _python_names(self) -> _TestsFor:
        """Python tests import and call the code by name: modules must be dotted module names, the
        function, its classes and its qualified name Python identifiers (else 422, not tests that
        cannot import or call it)."""
        if self.language.strip().lower() not in PYTHON_NAMES:
            return self
        fto = self.function_to_optimize
        names: list[tuple[str, str | None]] = [
            ("module_path", self.module_path),
            ("test_module_path", self.test_module_path),
            ("function_to_optimize.function_name", fto.function_name),
            *((f"function_to_optimize.parents.{i}.name", p.name) for i, p in enumerate(fto.parents)),
            ("qualified_name", getattr(self, "qualified_name", None)),
            ("class_name", getattr(self, "class_name", None)),
        ]
        for field, value in names:
            if value is not None and not is_dotted_module(value):
                what = "a dotted Python module name such as 'pkg.sorter'" if "module" in field else "a Python name"
                raise ValueError(f"field '{field}' must be {what} (got {value[:100]!r})")
        return self


class TestgenRequest(_TestsFor):
    source_code_being_tested: str
    test_index: int = 0
    is_async: bool | None = None
    is_numerical_code: bool | None = None
    class_name: str | None = None
    qualified_name: str | None = None


class TestgenResponse(Response):
    generated_tests: str
    instrumented_behavior_tests: str
    instrumented_perf_tests: str
    raw_generated_tests: str | None = None


class ReviewedTest(Item):
    test_source: str
    test_index: int
    failed_test_functions: list[str] = Field(default_factory=list, max_length=MAX_ENTRIES)
    failure_messages: dict[str, str] = Field(default_factory=dict, max_length=MAX_ENTRIES)


class TestgenReviewRequest(_Common):
    tests: list[ReviewedTest] = Field(max_length=MAX_REVIEWED_TESTS)
    function_source_code: str
    function_name: str
    language: str = "python"
    language_version: str | None = None
    coverage_summary: str | None = None
    coverage_details: dict[str, Any] | None = None


class FunctionToRepair(BaseModel):
    model_config = ConfigDict(extra="forbid")
    function_name: str
    reason: str = ""


class FunctionToRepairRequest(Item):
    """A ``functions_to_repair[]`` item as the client sends it (unknown keys ignored, as everywhere)."""

    function_name: str
    reason: str = ""


class TestReview(Response):
    test_index: int
    functions: list[FunctionToRepair]


class TestgenReviewResponse(Response):
    reviews: list[TestReview]


class TestgenRepairRequest(_TestsFor):
    test_source: str
    functions_to_repair: list[FunctionToRepairRequest] = Field(max_length=MAX_FUNCTIONS_TO_REPAIR)
    function_source_code: str
    module_source_code: str | None = ""
    coverage_details: dict[str, Any] | None = None
    previous_repair_errors: dict[str, str] | None = Field(default=None, max_length=MAX_ENTRIES)


class TestgenRepairResponse(Response):
    generated_tests: str
    instrumented_behavior_tests: str
    instrumented_perf_tests: str


class RankRequest(Request):
    trace_id: str = Field(min_length=1, max_length=200)
    diffs: list[str] = Field(min_length=1, max_length=MAX_RANKED)
    optimization_ids: list[str] = Field(min_length=1, max_length=MAX_RANKED)
    speedups: list[float | None] = Field(min_length=1, max_length=MAX_RANKED)
    function_references: str | None = None


class RankResponse(Response):
    ranking: list[int]


class ExplainRequest(_Common):
    source_code: str
    optimized_code: str
    dependency_code: str | None = ""
    original_line_profiler_results: str | None = ""
    optimized_line_profiler_results: str | None = ""
    original_code_runtime: str | None = None
    optimized_code_runtime: str | None = None
    speedup: str | None = None
    annotated_tests: str | None = ""
    optimization_id: str | None = None
    original_explanation: str | None = ""
    original_throughput: str | None = None
    optimized_throughput: str | None = None
    throughput_improvement: str | None = None
    original_concurrency_ratio: str | None = None
    optimized_concurrency_ratio: str | None = None
    concurrency_improvement: str | None = None
    function_references: str | None = None
    acceptance_reason: str | None = None


class ExplainResponse(Response):
    explanation: str


class OptimizationReviewRequest(_Common):
    original_code: str
    optimized_code: str
    explanation: str | None = ""
    existing_tests: str | None = ""
    generated_tests: str | None = ""
    coverage_message: str | None = None
    replay_tests: str | None = ""
    speedup: str | None = None
    loop_count: int | None = None
    benchmark_details: list[Any] | None = Field(default=None, max_length=MAX_ENTRIES)
    optimized_runtime: str | None = None
    original_runtime: str | None = None
    calling_fn_details: str | None = ""
    language: str = "python"
    language_version: str | None = None


class OptimizationReviewResponse(Response):
    review: Literal["high", "medium", "low", ""]
    review_explanation: str = ""


#: fields of /ai/log_features without a column of their own kept at most (in ``extra``)
MAX_EXTRA_FEATURES = 32


class LogFeaturesRequest(Request):
    """The client's end-of-function telemetry: each field at most MAX_FEATURE_FIELD_BYTES of JSON.

    Fields it does not name are kept too (stored in ``extra``), at most MAX_EXTRA_FEATURES of them.
    """

    model_config = ConfigDict(extra="allow", str_max_length=MAX_TEXT)

    trace_id: str = Field(min_length=1, max_length=200)
    speedup_ratio: dict[str, float | None] | None = None
    original_runtime: int | float | None = None
    optimized_runtime: dict[str, int | float | None] | None = None
    is_correct: dict[str, bool | None] | None = None
    optimized_line_profiler_results: dict[str, str | None] | None = None
    metadata: dict[str, Any] | None = None
    optimizations_post: dict[str, str | None] | None = None
    codeflash_version: str | None = Field(default=None, max_length=200)

    @field_validator("*")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, int | float | bool):
            size = len(json.dumps(value, default=str))
            if size > MAX_FEATURE_FIELD_BYTES:
                raise ValueError(f"{size} bytes of JSON; at most {MAX_FEATURE_FIELD_BYTES} are accepted per field")
        return value

    @model_validator(mode="after")
    def _bounded_extra(self) -> LogFeaturesRequest:
        extra = self.model_extra or {}
        if len(extra) > MAX_EXTRA_FEATURES:
            raise ValueError(f"{len(extra)} unknown fields; at most {MAX_EXTRA_FEATURES} are kept")
        for name, value in extra.items():
            if len(name) > 200:
                raise ValueError(f"field name '{name[:40]}...' is longer than 200 characters")
            size = len(json.dumps(value, default=str))
            if size > MAX_FEATURE_FIELD_BYTES:
                raise ValueError(
                    f"field '{name}' has {size} bytes of JSON; at most {MAX_FEATURE_FIELD_BYTES} are accepted per field"
                )
        return self


class LogFeaturesResponse(Response):
    pass


class WorkflowConfig(Item):
    module_root: str | None = None
    tests_root: str | None = None
    benchmark_mode: bool | None = None


class WorkflowGenRequest(Request):
    repo_files: dict[str, str] = Field(default_factory=dict, max_length=MAX_REPO_FILES)
    directory_structure: dict[str, Any] = Field(default_factory=dict)
    codeflash_config: WorkflowConfig | None = None
    trace_id: str | None = None


class WorkflowGenResponse(Response):
    workflow_steps: str


class RewriteJitRequest(Request):
    source_code: str
    trace_id: str = Field(min_length=1, max_length=200)
    dependency_code: str | None = ""
    python_version: str | None = None
    current_username: str | None = None
    repo_owner: str | None = None
    repo_name: str | None = None
    n_candidates: int = Field(default=3, ge=0)


class Candidate(Response):
    source_code: str
    explanation: str
    optimization_id: str
    parent_id: str | None = None
    model: str | None = None


class OptimizeResponse(Response):
    optimizations: list[Candidate]


class RefinementResponse(Response):
    refinements: list[Candidate]


class ErrorResponse(Response):
    error: str
