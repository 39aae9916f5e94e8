"""``/cfapi/...``: the CLI's second service, served by the engine (issue 21).

What codeflash 0.20.6 calls there (``CODEFLASH_CFAPI_SERVER=local`` sends it to localhost:3001,
which ``codeflash-engine serve`` also listens on), and what each route answers:

==============================  ===================================================================
``GET cli-get-user``            ``{"userId", "min_version"}`` for the key
``POST mark-as-success``        kept as the trace's optimization event (found or not)
``GET is-github-app-installed`` the text ``true`` when the engine can open pull requests there
``POST create-pr``              a branch, one commit, a pull request; answers its number as text
``POST suggest-pr-changes``     review suggestions on the pull request, else a dependent one
``POST create-staging``         kept for review (no pull request)
``POST is-already-optimized``   the functions whose code was already seen in that pull request
``POST add-code-hash``          remembers a function's code hash for that pull request
``POST verify-existing-...``    functions already optimized in that pull request, by file
``POST send-completion-email``  recorded; mailed when the operator configured mail
``POST setup-github-actions``   a pull request adding the optimization workflow
==============================  ===================================================================

Every route needs a key (:mod:`codeflash_engine.http.cfapi_guard`); unknown routes answer a JSON 404
(the error middleware's). The routes are in the OpenAPI document like the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from pydantic import BaseModel

from codeflash_engine.errors import EngineError
from codeflash_engine.http import cfapi_schemas as s
from codeflash_engine.http.body import parse_body
from codeflash_engine.http.guards import IDENTITY, STORE
from codeflash_engine.http.openapi import ApiRoutes, Endpoint, Handler
from codeflash_engine.http.respond import respond
from codeflash_engine.http.state import SETTINGS
from codeflash_engine.infra.db.cfapi_types import PullRequestKind, PullRequestRecord
from codeflash_engine.infra.db.types import Identity
from codeflash_engine.infra.github import GitHub, GitHubError, PullRequest, ReviewComment, open_github
from codeflash_engine.infra.mail import mail_configured, send_mail
from codeflash_engine.infra.tenancy import privacy_var
from codeflash_engine.text.pull_request import OptimizationReport, pr_body, pr_title, speedup_phrase
from codeflash_engine.text.suggestions import plan_suggestions

log = logging.getLogger(__name__)

#: the engine's GitHub client; None when the operator configured no GitHub credentials
GITHUB: web.AppKey[GitHub | None] = web.AppKey("github")

WORKFLOW_PATH = ".github/workflows/codeflash.yaml"
NO_GITHUB = (
    "this engine cannot open pull requests: its operator has not configured GitHub "
    "(CODEFLASH_ENGINE_GITHUB_TOKEN, or CODEFLASH_ENGINE_GITHUB_APP_ID and CODEFLASH_ENGINE_GITHUB_APP_PRIVATE_KEY); "
    "run the CLI with --no-pr"
)

routes = ApiRoutes()
#: what a cfapi route may answer besides 200 (403: a refused key, or a trace of another user;
#: 409: no GitHub credentials, or GitHub refused the change)
CFAPI_ERRORS = (400, 401, 403, 404, 409, 413, 422, 429, 500, 502, 503)


def _route(
    method: str,
    path: str,
    summary: str,
    request: type[BaseModel] | None,
    response: type[BaseModel],
    media_type: str = "application/json",
) -> Callable[[Handler], Handler]:
    """Register a handler and document it in the OpenAPI document (with the cfapi error statuses)."""

    def register(handler: Handler) -> Handler:
        endpoint = Endpoint(method, path, summary, request, response, errors=CFAPI_ERRORS, media_type=media_type)
        routes.endpoints.append(endpoint)
        routes.route(method, path)(handler)
        return handler

    return register


async def github_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the GitHub client under :data:`GITHUB` (None without credentials)."""
    try:
        async with open_github(app[SETTINGS]) as github:
            app[GITHUB] = github
            yield
    except GitHubError as exc:  # an unreadable App key: a configuration error, said at start
        raise EngineError(exc.message, status=500) from None


def _who(request: web.Request) -> Identity:
    return request[IDENTITY]


def _github(request: web.Request) -> GitHub:
    github = request.app.get(GITHUB)
    if github is None:
        raise EngineError(NO_GITHUB, status=409)
    return github


#: seconds the GitHub calls of one request may take together: inside the CLI's 60 s cfapi timeout
GITHUB_DEADLINE = 50.0


@contextlib.asynccontextmanager
async def _on_github() -> AsyncIterator[None]:
    """GitHub's refusals and failures as JSON errors; all the calls within :data:`GITHUB_DEADLINE`."""
    try:
        async with asyncio.timeout(GITHUB_DEADLINE):
            yield
    except GitHubError as exc:
        raise EngineError(exc.message, status=exc.status if exc.status < 500 else 502) from None
    except TimeoutError:
        raise EngineError(f"GitHub did not finish within {GITHUB_DEADLINE:g} s; try again later", status=502) from None


# --- the user --------------------------------------------------------------------------------


@_route("GET", "/cfapi/cli-get-user", "The key's user id and the oldest CLI version served", None, s.CliUserResponse)
async def cli_get_user(request: web.Request) -> web.Response:
    """The key's user id, and the oldest CLI version this engine serves."""
    min_version = request.app[SETTINGS].codeflash_engine_cli_min_version
    return respond(s.CliUserResponse(userId=_who(request).user_id, min_version=min_version))


@_route(
    "POST",
    "/cfapi/mark-as-success",
    "Keep whether an optimization was found",
    s.MarkAsSuccessRequest,
    s.MarkAsSuccessResponse,
)
async def mark_as_success(request: web.Request) -> web.Response:
    """Keep whether the CLI found an optimization for the trace (when it opens no pull request)."""
    body = await parse_body(request, s.MarkAsSuccessRequest)
    stored = await request.app[STORE].record_optimization_event(
        body.trace_id, _who(request).user_id, found=body.is_optimization_found
    )
    if not stored:
        raise EngineError(f"trace {body.trace_id!r} belongs to another user", status=403)
    return respond(s.MarkAsSuccessResponse(trace_id=body.trace_id, optimization_found=body.is_optimization_found))


# --- pull requests ---------------------------------------------------------------------------


def _query_name(request: web.Request, field: str) -> str:
    value = request.query.get(field)
    if value is None:
        raise EngineError(f"query parameter '{field}' is required", status=422)
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", value):
        raise EngineError(f"query parameter '{field}': not a GitHub owner or repository name", status=422)
    return value


@_route(
    "GET",
    "/cfapi/is-github-app-installed",
    "`true` when the engine can open pull requests on ?owner=&repo=",
    None,
    s.PlainText,
    "text/plain",
)
async def is_github_app_installed(request: web.Request) -> web.Response:
    """``true`` when the engine can open pull requests on ``owner/repo``, else ``false`` (as text)."""
    owner, repo = _query_name(request, "owner"), _query_name(request, "repo")
    github = request.app.get(GITHUB)
    able = False
    if github is not None:
        try:  # the App's token and the repository: up to three calls, inside the CLI's timeout
            async with asyncio.timeout(GITHUB_DEADLINE):
                able = await github.can_open_pull_requests(owner, repo)
        except TimeoutError:
            log.info("GitHub did not say within %g s whether %s/%s takes pull requests", GITHUB_DEADLINE, owner, repo)
    return web.Response(text="true" if able else "false", content_type="text/plain")


def _report(body: s.CreatePrRequest | s.SuggestPrChangesRequest | s.CreateStagingRequest) -> OptimizationReport:
    fields = body.prCommentFields
    return OptimizationReport(
        function_name=fields.function_name,
        file_path=fields.file_path,
        explanation=fields.optimization_explanation,
        original_runtime=fields.original_runtime,
        best_runtime=fields.best_runtime,
        speedup_x=fields.speedup_x,
        speedup_pct=fields.speedup_pct,
        loop_count=fields.loop_count,
        report_table=fields.report_table,
        benchmark_details=fields.benchmark_details or (),
        existing_tests=body.existingTests,
        generated_tests=body.generatedTests,
        replay_tests=body.replayTests,
        concolic_tests=body.concolicTests,
        coverage_message=body.coverage_message,
        review=body.optimizationReview,
        original_line_profiler=body.originalLineProfiler,
        optimized_line_profiler=body.optimizedLineProfiler,
        original_async_throughput=fields.original_async_throughput,
        best_async_throughput=fields.best_async_throughput,
        trace_id=body.traceId,
    )


def _changed_files(body: s.CreatePrRequest | s.SuggestPrChangesRequest) -> dict[str, str]:
    changed = {path: diff.newContent for path, diff in body.diffContents.items() if diff.newContent != diff.oldContent}
    if not changed:
        raise EngineError("field 'diffContents': no file changes (every newContent equals its oldContent)", status=422)
    return changed


def _branch_name(function_name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", function_name).strip("-").lower()[:60] or "function"
    return f"codeflash/optimize-{slug}-{secrets.token_hex(4)}"


def _commit_message(report: OptimizationReport) -> str:
    return f"⚡️ Speed up {report.function_name} by {speedup_phrase(report)}\n\nOptimized by codeflash-engine."


async def _record(request: web.Request, record: PullRequestRecord) -> None:
    await request.app[STORE].record_pull_request(record)


def _pr_record(
    request: web.Request,
    kind: PullRequestKind,
    owner: str,
    repo: str,
    target: int,
    report: OptimizationReport | None,
    *,
    number: int | None = None,
    url: str | None = None,
) -> PullRequestRecord:
    return PullRequestRecord(
        user_id=_who(request).user_id,
        kind=kind,
        owner=owner,
        repo=repo,
        target_number=target,
        number=number,
        url=url,
        trace_id=report.trace_id if report else None,
        function_name=report.function_name if report else None,
        file_path=report.file_path if report else None,
    )


async def _propose_optimization(
    github: GitHub,
    owner: str,
    repo: str,
    report: OptimizationReport,
    files: dict[str, str],
    *,
    start: str,
    into: str | None = None,
) -> PullRequest:
    """The optimization's own branch from ``start`` with its commit, and its pull request into
    ``into`` (default: ``start``, a branch name)."""
    return await github.propose(
        owner,
        repo,
        start=start,
        branch=_branch_name(report.function_name),
        files=files,
        message=_commit_message(report),
        into=into or start,
        title=pr_title(report),
        body=pr_body(report),
    )


@_route(
    "POST", "/cfapi/create-pr", "Open a pull request; answers its number", s.CreatePrRequest, s.PlainText, "text/plain"
)
async def create_pr(request: web.Request) -> web.Response:
    """A branch from ``baseBranch`` with one commit of the new contents, and its pull request.

    Answers the pull request's number as text (the client prints it and builds the link).
    """
    body = await parse_body(request, s.CreatePrRequest)
    github = _github(request)
    report = _report(body)
    files = _changed_files(body)
    async with _on_github():
        pr = await _propose_optimization(github, body.owner, body.repo, report, files, start=body.baseBranch)
    await _record(
        request, _pr_record(request, "create", body.owner, body.repo, pr.number, report, number=pr.number, url=pr.url)
    )
    log.info("opened pull request #%d on %s/%s", pr.number, body.owner, body.repo, extra={"pr_url": pr.url})
    return web.Response(text=str(pr.number), content_type="text/plain")


@_route(
    "POST",
    "/cfapi/suggest-pr-changes",
    "Suggest the change on a pull request (or open a dependent one)",
    s.SuggestPrChangesRequest,
    s.SuggestPrChangesResponse,
)
async def suggest_pr_changes(request: web.Request) -> web.Response:
    """Review suggestions on pull request ``pullNumber`` when the change fits its diff, else a
    dependent pull request (a branch from its head, into its head branch)."""
    body = await parse_body(request, s.SuggestPrChangesRequest)
    github = _github(request)
    report = _report(body)
    files = _changed_files(body)
    owner, repo, number = body.owner, body.repo, body.pullNumber
    async with _on_github():
        pr = await github.pull_request(owner, repo, number)
        patches = await github.pull_request_patches(owner, repo, number)
        changes = {path: (d.oldContent, d.newContent) for path, d in body.diffContents.items() if path in files}
        planned = plan_suggestions(changes, patches)
        if planned:
            comments = [ReviewComment(p.path, p.start, p.end, p.comment_body()) for p in planned]
            url = await github.post_review(
                owner, repo, number, commit=pr.head_sha, body=pr_body(report), comments=comments
            )
            await _record(request, _pr_record(request, "suggest", owner, repo, number, report, url=url))
            return respond(
                s.SuggestPrChangesResponse(kind="review", pull_number=number, url=url, suggestions=len(comments))
            )
        if pr.head_repo and pr.head_repo.lower() != f"{owner}/{repo}".lower():
            raise EngineError(
                f"pull request #{number} comes from the fork {pr.head_repo}: its changes do not fit review "
                "suggestions, and the engine cannot open a pull request into a fork's branch",
                status=409,
            )
        dependent = await _propose_optimization(github, owner, repo, report, files, start=pr.head_sha, into=pr.head_ref)
    await _record(
        request,
        _pr_record(request, "dependent", owner, repo, number, report, number=dependent.number, url=dependent.url),
    )
    return respond(
        s.SuggestPrChangesResponse(
            kind="dependent_pull_request", pull_number=dependent.number, url=dependent.url, suggestions=0
        )
    )


@_route(
    "POST",
    "/cfapi/setup-github-actions",
    "Open a pull request adding the optimization workflow",
    s.SetupGithubActionsRequest,
    s.SetupGithubActionsResponse,
)
async def setup_github_actions(request: web.Request) -> web.Response:
    """A pull request adding the CLI's optimization workflow to ``.github/workflows/codeflash.yaml``."""
    body = await parse_body(request, s.SetupGithubActionsRequest)
    github = _github(request)
    branch = f"codeflash/setup-github-actions-{secrets.token_hex(4)}"
    async with _on_github():
        pr = await github.propose(
            body.owner,
            body.repo,
            start=body.baseBranch,
            branch=branch,
            files={WORKFLOW_PATH: body.workflowContent},
            message="Add the Codeflash optimization workflow",
            into=body.baseBranch,
            title="⚡️ Add the Codeflash optimization workflow",
            body=(
                f"This adds `{WORKFLOW_PATH}`: on every pull request, the Codeflash CLI looks for faster "
                "versions of the changed functions and suggests them.\n\nIt needs the repository secret "
                "`CODEFLASH_API_KEY` (a key issued by your codeflash-engine).\n"
            ),
        )
    await _record(
        request, _pr_record(request, "actions", body.owner, body.repo, pr.number, None, number=pr.number, url=pr.url)
    )
    return respond(s.SetupGithubActionsResponse(success=True, pr_url=pr.url, pr_number=pr.number))


@_route(
    "POST", "/cfapi/create-staging", "Keep an optimization for review", s.CreateStagingRequest, s.CreateStagingResponse
)
async def create_staging(request: web.Request) -> web.Response:
    """Keep an optimization for review instead of opening a pull request."""
    body = await parse_body(request, s.CreateStagingRequest)
    if privacy_var.get():
        raise EngineError(
            "this organization is in privacy mode: a staged optimization would keep its code here; "
            "open a pull request instead (--no-pr to skip both)",
            status=403,
        )
    stored = await request.app[STORE].save_staging(body.traceId, _who(request).user_id, body.model_dump(mode="json"))
    if not stored:
        raise EngineError(f"trace {body.traceId!r} belongs to another user", status=403)
    return respond(s.CreateStagingResponse(trace_id=body.traceId, staged=True))


# --- optimizations already made in a pull request ---------------------------------------------


def _same_file(path: str, known: str) -> bool:
    """Whether the CLI's path (often absolute) names the repository path ``known``."""
    a, b = path.replace("\\", "/"), known.replace("\\", "/").lstrip("/")
    return a == b or a.endswith("/" + b)


@_route(
    "POST",
    "/cfapi/is-already-optimized",
    "Functions already optimized in a pull request",
    s.IsAlreadyOptimizedRequest,
    s.IsAlreadyOptimizedResponse,
)
async def is_already_optimized(request: web.Request) -> web.Response:
    """The functions of ``code_contexts`` already optimized in the pull request: seen with the same
    code hash, or optimized by a pull request or suggestion of the engine for it."""
    body = await parse_body(request, s.IsAlreadyOptimizedRequest)
    store = request.app[STORE]
    known = await store.known_code_hashes(
        body.owner, body.repo, body.pr_number, [c.code_hash for c in body.code_contexts]
    )
    optimized = await store.optimized_functions(body.owner, body.repo, body.pr_number)
    found = []
    for context in body.code_contexts:
        done_before = any(
            _same_file(context.file_path, path) and context.function_name in names for path, names in optimized.items()
        )
        if context.code_hash in known or done_before:
            found.append([context.file_path, context.function_name])
    return respond(s.IsAlreadyOptimizedResponse(already_optimized_tuples=found))


@_route("POST", "/cfapi/add-code-hash", "Remember a function's code hash", s.AddCodeHashRequest, s.AddCodeHashResponse)
async def add_code_hash(request: web.Request) -> web.Response:
    """Remember that a function with this code hash was optimized in the pull request."""
    body = await parse_body(request, s.AddCodeHashRequest)
    await request.app[STORE].add_code_hash(body.owner, body.repo, body.pr_number, body.code_hash, _who(request).user_id)
    return respond(s.AddCodeHashResponse(stored=True))


@_route(
    "POST",
    "/cfapi/verify-existing-optimizations",
    "Functions already optimized in a pull request, by file",
    s.VerifyExistingOptimizationsRequest,
    s.VerifyExistingOptimizationsResponse,
)
async def verify_existing_optimizations(request: web.Request) -> web.Response:
    """Functions already optimized for the pull request: ``{file path: [function names]}``."""
    body = await parse_body(request, s.VerifyExistingOptimizationsRequest)
    optimized = await request.app[STORE].optimized_functions(body.repo_owner, body.repo_name, body.pr_number)
    return respond(s.VerifyExistingOptimizationsResponse(optimized))


# --- notifications -----------------------------------------------------------------------------


@_route(
    "POST",
    "/cfapi/send-completion-email",
    "Record (and mail) the end of a whole-project run",
    s.SendCompletionEmailRequest,
    s.SendCompletionEmailResponse,
)
async def send_completion_email(request: web.Request) -> web.Response:
    """Recorded; mailed to the key's user when the operator configured mail and knows their address."""
    body = await parse_body(request, s.SendCompletionEmailRequest)
    settings = request.app[SETTINGS]
    store = request.app[STORE]
    user_id = _who(request).user_id
    sent = False
    reason = "mail is not configured on this engine"
    if mail_configured(settings):
        address = await store.user_email(user_id)
        reason = "no email address is known for this user"
        if address:
            try:
                await send_mail(
                    settings,
                    address,
                    f"Codeflash finished optimizing {body.owner}/{body.repo}",
                    f"codeflash --all has finished on {body.owner}/{body.repo}.\n\n"
                    "The optimizations it found are in pull requests on the repository.\n",
                )
                sent, reason = True, "sent"
            except Exception as exc:  # a mail failure must not fail the CLI's run
                log.warning("completion email to user %s failed: %s", user_id, type(exc).__name__)
                reason = "the mail server refused or could not be reached"
    await store.record_completion_email(user_id, body.owner, body.repo, sent=sent)
    return respond(s.SendCompletionEmailResponse(sent=sent, detail=reason))
