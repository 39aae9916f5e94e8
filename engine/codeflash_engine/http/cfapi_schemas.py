"""Request schemas of the CLI's second service (``/cfapi/...``), as codeflash 0.20.6 sends them.

Field names are the client's own (camelCase for the pull-request routes, snake_case elsewhere).
Unknown fields are ignored, so a newer client that sends more still works; every string has a
bound, so no request can make the engine store or send more than it documents.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, StringConstraints

MiB = 1024 * 1024

#: a GitHub owner or repository name (GitHub allows letters, digits, '-', '_' and '.')
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]


def _check_branch(name: str) -> str:
    if ".." in name or "//" in name or name.startswith("/") or name.endswith(("/", ".", ".lock")):
        raise ValueError("not a usable git branch name")
    return name


#: a git branch name (a safe subset of what git allows: no '..', no spaces, no control characters)
Branch = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9._/+-]+$"),
    AfterValidator(_check_branch),
]
TraceId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
#: a repository path of a changed file
FilePath = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
#: a whole source file
FileText = Annotated[str, StringConstraints(max_length=8 * MiB)]
#: prose and test sources the pull request's body shows
Text = Annotated[str, StringConstraints(max_length=2 * MiB)]
Short = Annotated[str, StringConstraints(max_length=1000)]
PrNumber = Annotated[int, Field(ge=1, le=2**31 - 1)]


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MarkAsSuccessRequest(_Loose):
    """``POST /cfapi/mark-as-success``: the outcome of one function's optimization."""

    trace_id: TraceId
    is_optimization_found: bool


class FileDiffContent(_Loose):
    """A changed file: its contents before and after the optimization."""

    oldContent: FileText
    newContent: FileText


class PrCommentFields(_Loose):
    """What the pull request's body shows (the client's ``PrComment.to_json()``)."""

    optimization_explanation: Text = ""
    best_runtime: Short = ""
    original_runtime: Short = ""
    function_name: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    file_path: FilePath
    speedup_x: Short = ""
    speedup_pct: Short = ""
    loop_count: int | None = None
    #: test kind (e.g. "🌀 Generated Regression Tests") -> {"passed": n, "failed": m}
    report_table: Annotated[dict[Short, dict[Short, int]], Field(max_length=50)] = Field(default_factory=dict)
    benchmark_details: Annotated[list[dict[str, Any]], Field(max_length=100)] | None = None
    original_async_throughput: int | None = None
    best_async_throughput: int | None = None


class _OptimizationPayload(_Loose):
    """The fields create-pr, suggest-pr-changes and create-staging share."""

    diffContents: Annotated[dict[FilePath, FileDiffContent], Field(min_length=1, max_length=100)]
    prCommentFields: PrCommentFields
    existingTests: Text = ""
    generatedTests: Text = ""
    traceId: TraceId
    coverage_message: Text = ""
    replayTests: Text = ""
    concolicTests: Text = ""
    optimizationReview: Short = ""
    originalLineProfiler: Text | None = None
    optimizedLineProfiler: Text | None = None


class CreatePrRequest(_OptimizationPayload):
    """``POST /cfapi/create-pr``: open a pull request against ``baseBranch`` with the new contents."""

    owner: Name
    repo: Name
    baseBranch: Branch


class SuggestPrChangesRequest(_OptimizationPayload):
    """``POST /cfapi/suggest-pr-changes``: the CLI ran on pull request ``pullNumber``."""

    owner: Name
    repo: Name
    pullNumber: PrNumber


class CreateStagingRequest(_OptimizationPayload):
    """``POST /cfapi/create-staging``: keep the optimization for review instead of a pull request."""

    baseBranch: Annotated[str, StringConstraints(max_length=255)] = ""


class CodeContext(_Loose):
    """One function the CLI is about to optimize in a pull request."""

    file_path: FilePath
    function_name: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    code_hash: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class IsAlreadyOptimizedRequest(_Loose):
    """``POST /cfapi/is-already-optimized``."""

    owner: Name
    repo: Name
    pr_number: PrNumber
    code_contexts: Annotated[list[CodeContext], Field(max_length=1000)]


class AddCodeHashRequest(_Loose):
    """``POST /cfapi/add-code-hash``."""

    owner: Name
    repo: Name
    pr_number: PrNumber
    code_hash: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class VerifyExistingOptimizationsRequest(_Loose):
    """``POST /cfapi/verify-existing-optimizations``."""

    pr_number: PrNumber
    repo_owner: Name
    repo_name: Name


class SendCompletionEmailRequest(_Loose):
    """``POST /cfapi/send-completion-email`` (after ``codeflash --all``)."""

    owner: Name
    repo: Name


class SetupGithubActionsRequest(_Loose):
    """``POST /cfapi/setup-github-actions``: a pull request adding the optimization workflow."""

    owner: Name
    repo: Name
    baseBranch: Branch
    workflowContent: Annotated[str, StringConstraints(min_length=1, max_length=MiB)]


# --- answers -----------------------------------------------------------------------------------


class PlainText(RootModel[str]):
    """A text/plain answer: ``true``/``false`` (is-github-app-installed), a pull request number (create-pr)."""


class CliUserResponse(BaseModel):
    """``GET /cfapi/cli-get-user``: the key's user, and the oldest CLI version served."""

    userId: str
    min_version: str


class MarkAsSuccessResponse(BaseModel):
    trace_id: str
    optimization_found: bool


class SuggestPrChangesResponse(BaseModel):
    """``kind``: ``review`` (suggestions on the pull request) or ``dependent_pull_request``."""

    kind: str
    pull_number: int
    url: str
    suggestions: int


class SetupGithubActionsResponse(BaseModel):
    success: bool
    pr_url: str
    pr_number: int


class CreateStagingResponse(BaseModel):
    trace_id: str
    staged: bool


class IsAlreadyOptimizedResponse(BaseModel):
    """``[file_path, function_name]`` of each context already optimized in the pull request."""

    already_optimized_tuples: list[list[str]]


class AddCodeHashResponse(BaseModel):
    stored: bool


class VerifyExistingOptimizationsResponse(RootModel[dict[str, list[str]]]):
    """File path -> names of the functions already optimized in the pull request."""


class SendCompletionEmailResponse(BaseModel):
    sent: bool
    detail: str
