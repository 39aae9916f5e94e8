"""The /cfapi request schemas at their edges, and who may call /cfapi (what the mutation runs of
http/cfapi_schemas.py and http/cfapi_guard.py found untested).

Schemas: every documented bound accepts exactly its size and refuses one more (owner and
repository names, branch names and the git rules they follow, trace ids, paths, file contents,
prose, pull-request numbers, the counts of files, table rows, benchmark details and code
contexts). The bounds are written out as numbers: a changed constant must fail a test.

Guard: which paths are /cfapi, a refused key answering 403 where a missing one answers 401 (and
a store that is down 503), the caller's identity and privacy mode on the request, and cfapi calls
not counted on the plan's rate limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from cfapi_support import CfapiClient
from pydantic import BaseModel, ValidationError

from codeflash_engine.app import create_app
from codeflash_engine.http.cfapi_schemas import (
    AddCodeHashRequest,
    CreatePrRequest,
    CreateStagingRequest,
    IsAlreadyOptimizedRequest,
    MarkAsSuccessRequest,
    SetupGithubActionsRequest,
    SuggestPrChangesRequest,
    VerifyExistingOptimizationsRequest,
)
from codeflash_engine.http.guards import STORE
from codeflash_engine.infra.db.types import StoreUnavailable
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import AUTH

MIB = 1024 * 1024
MakeClient = Callable[[web.Application], Awaitable[CfapiClient]]


def pr(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "owner": "acme",
        "repo": "shop",
        "baseBranch": "main",
        "diffContents": {"pkg/sorter.py": {"oldContent": "a", "newContent": "b"}},
        "prCommentFields": {"function_name": "sort_list", "file_path": "pkg/sorter.py"},
        "traceId": "trace-s",
    }
    body.update(changes)
    return body


def comment(**changes: Any) -> dict[str, Any]:
    return pr(prCommentFields={"function_name": "sort_list", "file_path": "pkg/sorter.py", **changes})


def _refused(model: type[BaseModel], body: dict[str, Any]) -> list[tuple[int | str, ...]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return [tuple(e["loc"]) for e in caught.value.errors()]


def _accepted(model: type[BaseModel], body: dict[str, Any]) -> dict[str, Any]:
    return model.model_validate(body).model_dump()


# --- names and branches --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "A-z_0.9", "n" * 100])
def test_an_owner_or_repository_name_is_accepted(name: str) -> None:
    assert _accepted(CreatePrRequest, pr(owner=name, repo=name))["owner"] == name
    assert _accepted(VerifyExistingOptimizationsRequest, {"pr_number": 1, "repo_owner": name, "repo_name": name})


@pytest.mark.parametrize("name", ["", "n" * 101, "a b", "a/b", "é"])
def test_an_owner_or_repository_name_is_refused(name: str) -> None:
    assert _refused(CreatePrRequest, pr(owner=name)) == [("owner",)]
    assert _refused(CreatePrRequest, pr(repo=name)) == [("repo",)]


@pytest.mark.parametrize("branch", ["main", "b", "feat/x.y", "release/1.2+build", "a.lock.b", "b" * 255])
def test_a_usable_branch_name_is_accepted(branch: str) -> None:
    assert _accepted(CreatePrRequest, pr(baseBranch=branch))["baseBranch"] == branch
    body = {"owner": "acme", "repo": "shop", "baseBranch": branch, "workflowContent": "on: push"}
    assert _accepted(SetupGithubActionsRequest, body)["baseBranch"] == branch


@pytest.mark.parametrize(
    "branch",
    ["", "b" * 256, "a..b", "a//b", "/main", "main/", "main.", "main.lock", "a b", "a~1", "a:b", "a\\b"],
)
def test_an_unusable_branch_name_is_refused(branch: str) -> None:
    assert _refused(CreatePrRequest, pr(baseBranch=branch)) == [("baseBranch",)]


def test_a_staging_branch_is_free_text_of_at_most_255_characters() -> None:
    assert _accepted(CreateStagingRequest, pr(baseBranch=""))["baseBranch"] == ""
    assert _accepted(CreateStagingRequest, pr(baseBranch="b" * 255))["baseBranch"] == "b" * 255
    assert _refused(CreateStagingRequest, pr(baseBranch="b" * 256)) == [("baseBranch",)]


# --- ids, paths and texts --------------------------------------------------------------------------


def test_a_trace_id_has_one_to_two_hundred_characters() -> None:
    for trace in ("t", "t" * 200):
        assert _accepted(MarkAsSuccessRequest, {"trace_id": trace, "is_optimization_found": True})["trace_id"] == trace
        assert _accepted(CreatePrRequest, pr(traceId=trace))["traceId"] == trace
    for trace in ("", "t" * 201):
        assert _refused(MarkAsSuccessRequest, {"trace_id": trace, "is_optimization_found": True}) == [("trace_id",)]
        assert _refused(CreatePrRequest, pr(traceId=trace)) == [("traceId",)]


def test_a_file_path_has_one_to_a_thousand_characters() -> None:
    for path in ("p", "p" * 1000):
        assert _accepted(CreatePrRequest, comment(file_path=path))["prCommentFields"]["file_path"] == path
        diff = {path: {"oldContent": "", "newContent": ""}}
        assert list(_accepted(CreatePrRequest, pr(diffContents=diff))["diffContents"]) == [path]
    for path in ("", "p" * 1001):
        assert _refused(CreatePrRequest, comment(file_path=path)) == [("prCommentFields", "file_path")]
        assert _refused(CreatePrRequest, pr(diffContents={path: {"oldContent": "", "newContent": ""}}))


def test_a_function_name_has_one_to_a_thousand_characters() -> None:
    for name in ("f", "f" * 1000):
        assert _accepted(CreatePrRequest, comment(function_name=name))["prCommentFields"]["function_name"] == name
    for name in ("", "f" * 1001):
        assert _refused(CreatePrRequest, comment(function_name=name)) == [("prCommentFields", "function_name")]


def test_a_file_content_holds_eight_mib() -> None:
    content = "x" * (8 * MIB)
    diff = {"pkg/sorter.py": {"oldContent": content, "newContent": ""}}
    assert _accepted(CreatePrRequest, pr(diffContents=diff))["diffContents"]["pkg/sorter.py"]["oldContent"] == content
    diff = {"pkg/sorter.py": {"oldContent": "", "newContent": content + "x"}}
    assert _refused(CreatePrRequest, pr(diffContents=diff)) == [("diffContents", "pkg/sorter.py", "newContent")]


@pytest.mark.parametrize("field", ["existingTests", "generatedTests", "coverage_message", "originalLineProfiler"])
def test_prose_and_test_sources_hold_two_mib(field: str) -> None:
    assert _accepted(SuggestPrChangesRequest, pr(pullNumber=1, **{field: "x" * (2 * MIB)}))[field] == "x" * (2 * MIB)
    assert _refused(SuggestPrChangesRequest, pr(pullNumber=1, **{field: "x" * (2 * MIB + 1)})) == [(field,)]


def test_the_explanation_holds_two_mib() -> None:
    explanation = "x" * (2 * MIB)
    fields = _accepted(CreatePrRequest, comment(optimization_explanation=explanation))["prCommentFields"]
    assert fields["optimization_explanation"] == explanation
    error = _refused(CreatePrRequest, comment(optimization_explanation=explanation + "x"))
    assert error == [("prCommentFields", "optimization_explanation")]


@pytest.mark.parametrize("field", ["best_runtime", "speedup_x", "speedup_pct"])
def test_short_fields_hold_a_thousand_characters(field: str) -> None:
    assert _accepted(CreatePrRequest, comment(**{field: "1" * 1000}))["prCommentFields"][field] == "1" * 1000
    assert _refused(CreatePrRequest, comment(**{field: "1" * 1001})) == [("prCommentFields", field)]
    assert _refused(CreatePrRequest, pr(optimizationReview="r" * 1001)) == [("optimizationReview",)]


def test_a_workflow_has_one_character_to_one_mib() -> None:
    body = {"owner": "acme", "repo": "shop", "baseBranch": "main"}
    for content in ("o", "o" * MIB):
        assert _accepted(SetupGithubActionsRequest, {**body, "workflowContent": content})["workflowContent"] == content
    for content in ("", "o" * (MIB + 1)):
        assert _refused(SetupGithubActionsRequest, {**body, "workflowContent": content}) == [("workflowContent",)]


def test_a_code_hash_has_one_to_two_hundred_characters() -> None:
    body = {"owner": "acme", "repo": "shop", "pr_number": 1}
    context = {"file_path": "a.py", "function_name": "f"}
    for code_hash in ("h", "h" * 200):
        assert _accepted(AddCodeHashRequest, {**body, "code_hash": code_hash})["code_hash"] == code_hash
        contexts = [{**context, "code_hash": code_hash}]
        assert _accepted(IsAlreadyOptimizedRequest, {**body, "code_contexts": contexts})["code_contexts"] == contexts
    for code_hash in ("", "h" * 201):
        assert _refused(AddCodeHashRequest, {**body, "code_hash": code_hash}) == [("code_hash",)]
        error = _refused(IsAlreadyOptimizedRequest, {**body, "code_contexts": [{**context, "code_hash": code_hash}]})
        assert error == [("code_contexts", 0, "code_hash")]


# --- numbers and counts ------------------------------------------------------------------------


@pytest.mark.parametrize("number", [1, 2**31 - 1])
def test_a_pull_request_number_is_a_positive_32_bit_integer(number: int) -> None:
    assert _accepted(SuggestPrChangesRequest, pr(pullNumber=number))["pullNumber"] == number
    body = {"owner": "acme", "repo": "shop", "pr_number": number, "code_hash": "h"}
    assert _accepted(AddCodeHashRequest, body)["pr_number"] == number


@pytest.mark.parametrize("number", [0, -1, 2**31])
def test_a_pull_request_number_out_of_range_is_refused(number: int) -> None:
    assert _refused(SuggestPrChangesRequest, pr(pullNumber=number)) == [("pullNumber",)]


def test_a_payload_changes_one_to_a_hundred_files() -> None:
    files = {f"f{i}.py": {"oldContent": "", "newContent": ""} for i in range(100)}
    assert len(_accepted(CreatePrRequest, pr(diffContents=files))["diffContents"]) == 100
    assert _refused(CreatePrRequest, pr(diffContents={**files, "one_more.py": files["f0.py"]})) == [("diffContents",)]
    assert _refused(CreatePrRequest, pr(diffContents={})) == [("diffContents",)]


def test_the_report_table_has_at_most_fifty_rows() -> None:
    table = {f"kind {i}": {"passed": i, "failed": 0} for i in range(50)}
    assert _accepted(CreatePrRequest, comment(report_table=table))["prCommentFields"]["report_table"] == table
    error = _refused(CreatePrRequest, comment(report_table={**table, "one more": {"passed": 1}}))
    assert error == [("prCommentFields", "report_table")]


def test_benchmark_details_have_at_most_a_hundred_entries() -> None:
    details = [{"benchmark_name": f"b{i}"} for i in range(100)]
    assert _accepted(CreatePrRequest, comment(benchmark_details=details))["prCommentFields"]["benchmark_details"]
    error = _refused(CreatePrRequest, comment(benchmark_details=[*details, {"benchmark_name": "b100"}]))
    assert error == [("prCommentFields", "benchmark_details")]


def test_at_most_a_thousand_code_contexts() -> None:
    body = {"owner": "acme", "repo": "shop", "pr_number": 7}
    contexts = [{"file_path": "a.py", "function_name": f"f{i}", "code_hash": "h"} for i in range(1000)]
    assert len(_accepted(IsAlreadyOptimizedRequest, {**body, "code_contexts": contexts})["code_contexts"]) == 1000
    error = _refused(IsAlreadyOptimizedRequest, {**body, "code_contexts": [*contexts, contexts[0]]})
    assert error == [("code_contexts",)]


# --- the guard -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/cfapi", "/cfapi/", "/cfapi/cli-get-user", "/cfapi/no-such-route"])
async def test_cfapi_paths_need_a_key(cfapi_client: CfapiClient, path: str) -> None:
    resp = await cfapi_client.get(path)
    assert resp.status == 401, path
    assert "missing API key" in (await resp.json())["error"]
    assert resp.headers["WWW-Authenticate"] == 'Bearer realm="codeflash-engine"'


@pytest.mark.parametrize("path", ["/cfapix", "/cfapi-get-user", "/healthcheck"])
async def test_other_paths_pass_the_cfapi_guard(cfapi_client: CfapiClient, path: str) -> None:
    """A path that only starts with the letters of /cfapi is not /cfapi: no key asked for."""
    assert (await cfapi_client.get(path)).status in {200, 404}


@pytest.mark.parametrize(
    ("authorization", "message"),
    [("Bearer cf-" + "u" * 43, "API key not recognised"), ("Basic abc", "malformed")],
)
async def test_a_refused_key_answers_403_with_the_reason(
    cfapi_client: CfapiClient, authorization: str, message: str
) -> None:
    """The CLI reads 403 as an invalid key; the reason stays the guard's own."""
    resp = await cfapi_client.get("/cfapi/cli-get-user", headers={"Authorization": authorization})
    assert resp.status == 403
    assert message in (await resp.json())["error"]


async def test_a_revoked_key_answers_403_saying_so(cfapi_client: CfapiClient) -> None:
    store = cfapi_client.app[STORE]
    new = await store.create_key("mallory")
    await store.revoke_key(key_hash=new.info.key_hash)
    resp = await cfapi_client.get("/cfapi/cli-get-user", headers={"Authorization": f"Bearer {new.key}"})
    assert resp.status == 403
    assert "revoked" in (await resp.json())["error"]


async def test_a_store_that_is_down_answers_503_not_403(
    cfapi_client: CfapiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a refused key becomes 403: the database being down stays a 503 (retry), with a key."""

    async def down(*args: object, **kwargs: object) -> None:
        raise StoreUnavailable("the database is unavailable")

    monkeypatch.setattr(cfapi_client.app[STORE], "admit", down)
    resp = await cfapi_client.get("/cfapi/cli-get-user", headers=AUTH)
    assert resp.status == 503
    assert (await resp.json())["error"] == "the database is unavailable"


async def test_the_callers_identity_is_on_the_request(cfapi_client: CfapiClient) -> None:
    new = await cfapi_client.app[STORE].create_key("mallory")
    resp = await cfapi_client.get("/cfapi/cli-get-user", headers={"Authorization": f"Bearer {new.key}"})
    assert resp.status == 200
    assert (await resp.json())["userId"] == "mallory"
    resp = await cfapi_client.get("/cfapi/cli-get-user", headers=AUTH)
    assert (await resp.json())["userId"] == "local"


async def test_privacy_mode_holds_for_a_private_organization_only(cfapi_client: CfapiClient) -> None:
    store = cfapi_client.app[STORE]
    private = await store.create_key(
        "alice", organization_id=(await store.create_organization("p", privacy_mode=True)).id
    )
    public = await store.create_key("bob", organization_id=(await store.create_organization("o")).id)
    resp = await cfapi_client.post(
        "/cfapi/create-staging", json=pr(traceId="t-private"), headers={"Authorization": f"Bearer {private.key}"}
    )
    assert resp.status == 403 and "privacy mode" in (await resp.json())["error"]
    resp = await cfapi_client.post(
        "/cfapi/create-staging", json=pr(traceId="t-public"), headers={"Authorization": f"Bearer {public.key}"}
    )
    assert resp.status == 200, await resp.text()


async def test_cfapi_requests_are_not_counted_on_the_rate_limit(
    aiohttp_client: MakeClient, engine_settings: Settings
) -> None:
    """No cfapi route calls an LLM: a plan allowing 2 requests still serves 5 cfapi calls, and
    then its first /ai request."""
    client = await aiohttp_client(create_app(engine_settings.model_copy(update={"rate_limit_max": 2})))
    statuses = [(await client.get("/cfapi/cli-get-user", headers=AUTH)).status for _ in range(5)]
    assert statuses == [200] * 5
    resp = await client.post("/ai/optimize", json={}, headers=AUTH)
    assert resp.status == 422, await resp.text()  # past the rate limit: the body is what is wrong
