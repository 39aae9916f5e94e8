"""The pull-request routes of /cfapi in detail, at the HTTP level with the client's field names:
what lands on GitHub (base branch, commit, title, body sections, review comments) and what the
CLI is answered, with the fake GitHub behind the engine."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cfapi_support import CfapiClient
from pydantic import SecretStr

from codeflash_engine.app import create_app
from codeflash_engine.http.routes import cfapi
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import AUTH
from codeflash_engine.testing.fake_github import FakeGitHub, FakePull, FakeRepo

MakeClient = Callable[[web.Application], Awaitable[CfapiClient]]

OLD = "def sort_list(xs):\n    return xs\n"  # pkg/sorter.py on main, as the fake_github fixture seeds it
NEW = "def sort_list(xs):\n    return sorted(xs)\n"
TABLE_HEAD = "| Test File::Test Function | Original ⏱️ | Optimized ⏱️ | Speedup |\n|:--|:--|:--|:--|\n"
EXISTING = TABLE_HEAD + "| `test_a` | 1ms | 2us | 499x ✅ |\n"  # the CLI's tables of test runtimes
REPLAY = TABLE_HEAD + "| `replay_1` | 3ms | 4us | 749x ✅ |\n"
CONCOLIC = TABLE_HEAD + "| `concolic_1` | 5ms | 6us | 832x ✅ |\n"
PROFILE_BEFORE = "Timer unit: 1e-09 s\nTotal time: 0.0374 s\n"
PROFILE_AFTER = "Timer unit: 1e-09 s\nTotal time: 0.0001 s\n"
GENERATED = "def test_sorts():\n    assert sort_list([2, 1]) == [1, 2]\n"


def comment_fields(**changes: Any) -> dict[str, Any]:
    """``prCommentFields`` as the client's ``PrComment.to_json()`` makes them."""
    fields: dict[str, Any] = {
        "optimization_explanation": "sorted() is Timsort, in C: O(n log n) instead of O(n^2).",
        "best_runtime": "12.0 microseconds",
        "original_runtime": "1.48 milliseconds",
        "function_name": "sort_list",
        "file_path": "pkg/sorter.py",
        "speedup_x": "122.33x",
        "speedup_pct": "12,233%",
        "loop_count": 412,
        "report_table": {"🌀 Generated Regression Tests": {"passed": 5, "failed": 0}},
        "benchmark_details": None,
    }
    fields.update(changes)
    return fields


def pr_payload(*, diff: dict[str, tuple[str, str]] | None = None, **changes: Any) -> dict[str, Any]:
    """A create-pr body (suggest-pr-changes: pass ``pullNumber`` and drop ``baseBranch``)."""
    files = diff if diff is not None else {"pkg/sorter.py": (OLD, NEW)}
    body: dict[str, Any] = {
        "owner": "acme",
        "repo": "shop",
        "baseBranch": "main",
        "diffContents": {path: {"oldContent": old, "newContent": new} for path, (old, new) in files.items()},
        "prCommentFields": comment_fields(),
        "existingTests": "",
        "generatedTests": "",
        "traceId": "trace-routes",
        "coverage_message": "",
        "replayTests": "",
        "concolicTests": "",
        "optimizationReview": "",
        "originalLineProfiler": None,
        "optimizedLineProfiler": None,
    }
    body.update(changes)
    return body


def suggest_payload(number: int, diff: dict[str, tuple[str, str]], **changes: Any) -> dict[str, Any]:
    body = pr_payload(diff=diff, pullNumber=number, **changes)
    del body["baseBranch"]
    return body


def sections(body: str) -> dict[str, str]:
    """The folded sections of a pull request body: summary -> content."""
    found = re.findall(r"<details>\n<summary>(.+?)</summary>\n\n(.*?)\n\n</details>", body, flags=re.DOTALL)
    return dict(found)


async def create_pr(client: CfapiClient, body: dict[str, Any]) -> int:
    resp = await client.post("/cfapi/create-pr", json=body, headers=AUTH)
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "text/plain"
    return int(await resp.text())


async def optimized_in(client: CfapiClient, number: int) -> Any:
    body = {"pr_number": number, "repo_owner": "acme", "repo_name": "shop"}
    resp = await client.post("/cfapi/verify-existing-optimizations", json=body, headers=AUTH)
    assert resp.status == 200, await resp.text()
    return await resp.json()


# --- create-pr -----------------------------------------------------------------------------------


async def test_create_pr_targets_the_clients_base_branch_and_shows_everything_it_sent(
    cfapi_client: CfapiClient, fake_github: FakeGitHub
) -> None:
    develop = fake_github.add_branch("acme", "shop", "develop", {"pkg/only_on_develop.py": "D = 1\n"})
    benchmark = {
        "benchmark_name": "bench_sort",
        "test_function": "test_sort_big",
        "original_timing": "3.20 milliseconds",
        "expected_new_timing": "40.1 microseconds",
        "speedup_percent": 7880.05,
    }
    fields = comment_fields(
        report_table={
            "🌀 Generated Regression Tests": {"passed": 5, "failed": 0},
            "⚙️ Existing Unit Tests": {"passed": 0, "failed": 2},
            "⏪ Replay Tests": {"passed": 0, "failed": 0},
        },
        benchmark_details=[benchmark],
        original_async_throughput=1200,
        best_async_throughput=4800,
    )
    body = pr_payload(
        baseBranch="develop",
        prCommentFields=fields,
        existingTests=EXISTING,
        generatedTests=GENERATED,
        replayTests=REPLAY,
        concolicTests=CONCOLIC,
        coverage_message="Coverage: 91.3%",
        optimizationReview="high",
        originalLineProfiler=PROFILE_BEFORE,
        optimizedLineProfiler=PROFILE_AFTER,
        traceId="trace-full",
    )
    number = await create_pr(cfapi_client, body)
    [pull] = fake_github.pulls("acme", "shop")
    assert pull.number == number and pull.base == "develop"
    head = fake_github.commit_of("acme", "shop", pull.head)
    assert head.parents == [develop]  # branched from the base the CLI named, not from main
    files = fake_github.files_at("acme", "shop", pull.head)
    assert files["pkg/sorter.py"] == NEW and files["pkg/only_on_develop.py"] == "D = 1\n"
    assert head.message.splitlines()[0] == "⚡️ Speed up sort_list by 12,233% (122.33x)"
    assert pull.title == "⚡️ Speed up `sort_list` by 12,233% (122.33x) in `pkg/sorter.py`"
    for shown in (
        "### ⚡️ `sort_list` in `pkg/sorter.py` is 12,233% (122.33x) faster",
        "**Runtime:** 1.48 milliseconds → 12.0 microseconds (best of 412 runs)",
        "**Throughput:** 1,200 → 4,800 operations",
        "#### 📝 Explanation\n\nsorted() is Timsort, in C: O(n log n) instead of O(n^2).",
        "| 🌀 Generated Regression Tests | 5 | 0 |",
        "| ⚙️ Existing Unit Tests | 0 | 2 |",
        "**Coverage:** Coverage: 91.3%",
        "| `bench_sort::test_sort_big` | 3.20 milliseconds | 40.1 microseconds | 7880.05% |",
        "rates this optimization **high**",
        "trace `trace-full`",
    ):
        assert shown in pull.body, shown
    assert "Replay Tests |" not in pull.body  # a kind of test that did not run is not a row
    assert sections(pull.body) == {
        "🌀 Generated regression tests": "```python\n" + GENERATED.strip() + "\n```",
        "⚙️ Existing unit tests": EXISTING.strip(),  # the CLI's tables are shown as tables
        "⏪ Replay tests": REPLAY.strip(),
        "🔎 Concolic coverage tests": CONCOLIC.strip(),
        "📈 Line profile before": PROFILE_BEFORE.strip(),
        "📈 Line profile after": PROFILE_AFTER.strip(),
    }


async def test_a_long_base_branch_name_is_a_branch_not_a_commit(
    cfapi_client: CfapiClient, fake_github: FakeGitHub
) -> None:
    branch = "feature/make-the-sorter-faster-for-lists"
    assert len(branch) == 40  # as long as a commit sha
    fake_github.add_branch("acme", "shop", branch, {"pkg/x.py": "X = 1\n"})
    await create_pr(cfapi_client, pr_payload(baseBranch=branch))
    [pull] = fake_github.pulls("acme", "shop")
    assert pull.base == branch and fake_github.files_at("acme", "shop", pull.head)["pkg/x.py"] == "X = 1\n"


async def test_the_same_function_twice_gets_two_pull_requests_on_their_own_branches(
    cfapi_client: CfapiClient, fake_github: FakeGitHub
) -> None:
    first = await create_pr(cfapi_client, pr_payload())
    second = await create_pr(cfapi_client, pr_payload(traceId="trace-again"))
    pulls = fake_github.pulls("acme", "shop")
    assert [p.number for p in pulls] == [first, second]
    assert pulls[0].head != pulls[1].head
    assert all(p.head.startswith("codeflash/optimize-sort-list-") for p in pulls)


async def test_create_pr_with_nothing_changed_opens_nothing(cfapi_client: CfapiClient, fake_github: FakeGitHub) -> None:
    resp = await cfapi_client.post(
        "/cfapi/create-pr", json=pr_payload(diff={"pkg/sorter.py": (OLD, OLD)}), headers=AUTH
    )
    assert resp.status == 422 and "no file changes" in (await resp.json())["error"]
    assert fake_github.pulls("acme", "shop") == []
    assert list(fake_github.repo("acme", "shop").refs) == ["heads/main"]


async def test_a_function_optimized_by_an_engine_pull_request_is_not_optimized_again_in_it(
    cfapi_client: CfapiClient,
) -> None:
    """When the CLI later runs on the pull request the engine opened, it skips that function."""
    number = await create_pr(cfapi_client, pr_payload())
    assert await optimized_in(cfapi_client, number) == {"pkg/sorter.py": ["sort_list"]}
    contexts = [
        {"file_path": "/home/dev/shop/pkg/sorter.py", "function_name": "sort_list", "code_hash": "new-hash-1"},
        {"file_path": "/home/dev/shop/otherpkg/sorter.py", "function_name": "sort_list", "code_hash": "new-hash-2"},
        {"file_path": "/home/dev/shop/pkg/sorter.py", "function_name": "merge", "code_hash": "new-hash-3"},
    ]
    resp = await cfapi_client.post(
        "/cfapi/is-already-optimized",
        json={"owner": "acme", "repo": "shop", "pr_number": number, "code_contexts": contexts},
        headers=AUTH,
    )
    assert await resp.json() == {"already_optimized_tuples": [["/home/dev/shop/pkg/sorter.py", "sort_list"]]}


# --- suggest-pr-changes --------------------------------------------------------------------------


FEATURE = (
    "def sort_list(xs):\n    out = list(xs)\n    out.sort()\n    return out\n\n\ndef first(xs):\n    return xs[0]\n"
)
FASTER = "def sort_list(xs):\n    return sorted(xs)\n\n\ndef first(xs):\n    return next(iter(xs))\n"


async def test_suggestions_are_a_comment_review_with_one_comment_per_changed_range(
    cfapi_client: CfapiClient, fake_github: FakeGitHub
) -> None:
    fake_github.add_branch("acme", "shop", "feature", {"pkg/sorter.py": FEATURE})
    pull = fake_github.add_pull("acme", "shop", head="feature")
    resp = await cfapi_client.post(
        "/cfapi/suggest-pr-changes",
        json=suggest_payload(pull.number, {"pkg/sorter.py": (FEATURE, FASTER)}),
        headers=AUTH,
    )
    assert resp.status == 200, await resp.text()
    [review] = fake_github.reviews("acme", "shop")
    assert await resp.json() == {
        "kind": "review",
        "pull_number": pull.number,
        "url": f"{fake_github.url}/acme/shop/pull/{pull.number}#pullrequestreview-1",
        "suggestions": 2,
    }
    assert review.comments == [
        {  # lines 2-4 become one line: a multi-line suggestion
            "path": "pkg/sorter.py",
            "line": 4,
            "side": "RIGHT",
            "start_line": 2,
            "start_side": "RIGHT",
            "body": "```suggestion\n    return sorted(xs)\n```",
        },
        {"path": "pkg/sorter.py", "line": 8, "side": "RIGHT", "body": "```suggestion\n    return next(iter(xs))\n```"},
    ]
    [posted] = [c for c in fake_github.calls if c.method == "POST" and c.path.endswith("/reviews")]
    assert posted.body["event"] == "COMMENT"  # suggestions, neither an approval nor a change request
    assert "**Runtime:** 1.48 milliseconds → 12.0 microseconds (best of 412 runs)" in review.body  # the full report
    assert fake_github.files_at("acme", "shop", "feature")["pkg/sorter.py"] == FEATURE  # nothing pushed
    assert len(fake_github.pulls("acme", "shop")) == 1


async def test_a_file_the_pull_request_adds_can_take_suggestions(
    cfapi_client: CfapiClient, fake_github: FakeGitHub
) -> None:
    added = "def double(xs):\n    return [x * 2 for x in xs]\n"
    fake_github.add_branch("acme", "shop", "feature", {"pkg/fast.py": added})
    pull = fake_github.add_pull("acme", "shop", head="feature")
    faster = "def double(xs):\n    return [x + x for x in xs]\n"
    resp = await cfapi_client.post(
        "/cfapi/suggest-pr-changes", json=suggest_payload(pull.number, {"pkg/fast.py": (added, faster)}), headers=AUTH
    )
    assert (await resp.json())["kind"] == "review"
    [review] = fake_github.reviews("acme", "shop")
    assert [(c["path"], c["line"]) for c in review.comments] == [("pkg/fast.py", 2)]


async def _pull_changing_only_a_helper(fake_github: FakeGitHub) -> tuple[int, str, str]:
    """A pull request whose diff is far from sort_list: the engine's change cannot be a suggestion."""
    filler = "".join(f"V{i} = {i}\n" for i in range(20))
    fake_github.add_branch("acme", "shop", "main", {"pkg/sorter.py": "def helper():\n    return 0\n" + filler + OLD})
    other = "def helper():\n    return 1\n" + filler + OLD
    fake_github.add_branch("acme", "shop", "feature", {"pkg/sorter.py": other})
    pull = fake_github.add_pull("acme", "shop", head="feature")
    return pull.number, other, "def helper():\n    return 1\n" + filler + NEW


async def test_a_dependent_pull_request_is_answered_and_counts_for_the_original_one(
    cfapi_client: CfapiClient, fake_github: FakeGitHub
) -> None:
    number, old, new = await _pull_changing_only_a_helper(fake_github)
    resp = await cfapi_client.post(
        "/cfapi/suggest-pr-changes", json=suggest_payload(number, {"pkg/sorter.py": (old, new)}), headers=AUTH
    )
    assert resp.status == 200, await resp.text()
    dependent = fake_github.pulls("acme", "shop")[-1]
    assert dependent.number != number and dependent.base == "feature"
    assert await resp.json() == {
        "kind": "dependent_pull_request",
        "pull_number": dependent.number,
        "url": f"{fake_github.url}/acme/shop/pull/{dependent.number}",
        "suggestions": 0,
    }
    # the CLI, run again on the original pull request, skips the function
    assert await optimized_in(cfapi_client, number) == {"pkg/sorter.py": ["sort_list"]}


async def test_a_pull_request_from_a_fork_gets_no_dependent_pull_request(
    cfapi_client: CfapiClient, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, old, new = await _pull_changing_only_a_helper(fake_github)
    as_github_says = fake_github._pull_json

    def from_a_fork(repo: FakeRepo, pull: FakePull) -> dict[str, Any]:
        data = as_github_says(repo, pull)
        data["head"]["repo"] = {"full_name": "someone/shop"}
        return data

    monkeypatch.setattr(fake_github, "_pull_json", from_a_fork)
    refs_before = dict(fake_github.repo("acme", "shop").refs)
    resp = await cfapi_client.post(
        "/cfapi/suggest-pr-changes", json=suggest_payload(number, {"pkg/sorter.py": (old, new)}), headers=AUTH
    )
    assert resp.status == 409
    assert "comes from the fork someone/shop" in (await resp.json())["error"]
    assert [p.number for p in fake_github.pulls("acme", "shop")] == [number]
    assert fake_github.repo("acme", "shop").refs == refs_before  # no branch pushed either


# --- setup-github-actions, mark-as-success, create-staging -----------------------------------------


async def test_setup_github_actions_targets_the_clients_base_branch(
    cfapi_client: CfapiClient, fake_github: FakeGitHub
) -> None:
    develop = fake_github.add_branch("acme", "shop", "develop", {"pkg/only_on_develop.py": "D = 1\n"})
    workflow = "name: Codeflash\non: pull_request\n"
    resp = await cfapi_client.post(
        "/cfapi/setup-github-actions",
        json={"owner": "acme", "repo": "shop", "baseBranch": "develop", "workflowContent": workflow},
        headers=AUTH,
    )
    assert resp.status == 200, await resp.text()
    [pull] = fake_github.pulls("acme", "shop")
    assert await resp.json() == {
        "success": True,
        "pr_url": f"{fake_github.url}/acme/shop/pull/{pull.number}",
        "pr_number": pull.number,
    }
    assert pull.base == "develop" and fake_github.commit_of("acme", "shop", pull.head).parents == [develop]
    assert fake_github.files_at("acme", "shop", pull.head)[".github/workflows/codeflash.yaml"] == workflow


async def test_mark_as_success_and_create_staging_answer_what_they_kept(cfapi_client: CfapiClient) -> None:
    for found in (True, False):
        resp = await cfapi_client.post(
            "/cfapi/mark-as-success", json={"trace_id": f"t-{found}", "is_optimization_found": found}, headers=AUTH
        )
        assert await resp.json() == {"trace_id": f"t-{found}", "optimization_found": found}
    staging = pr_payload(traceId="trace-staged")
    del staging["owner"], staging["repo"]
    resp = await cfapi_client.post("/cfapi/create-staging", json=staging, headers=AUTH)
    assert await resp.json() == {"trace_id": "trace-staged", "staged": True}


async def test_repository_names_with_dots_are_github_names(cfapi_client: CfapiClient, fake_github: FakeGitHub) -> None:
    fake_github.add_repository("acme", "shop.js", {"src/a.js": "export const a = 1;\n"})
    resp = await cfapi_client.get("/cfapi/is-github-app-installed?owner=acme&repo=shop.js", headers=AUTH)
    assert resp.status == 200 and await resp.text() == "true"


# --- GitHub's refusals and failures ----------------------------------------------------------------


async def test_a_repository_the_token_cannot_write_is_a_403(cfapi_client: CfapiClient, fake_github: FakeGitHub) -> None:
    fake_github.add_repository("acme", "readonly", {"pkg/sorter.py": OLD}, push=False)
    resp = await cfapi_client.post("/cfapi/create-pr", json=pr_payload(repo="readonly"), headers=AUTH)
    assert resp.status == 403 and "refused the engine's credentials" in (await resp.json())["error"]
    assert fake_github.pulls("acme", "readonly") == []


def _failing_pulls(fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, error: web.HTTPException) -> None:
    """Make the fake answer ``error`` to every pull request it is asked to open."""
    find = fake_github._repo

    def repo_or_fail(request: web.Request) -> FakeRepo:
        if request.method == "POST" and request.path.endswith("/pulls"):
            raise error
        return find(request)

    monkeypatch.setattr(fake_github, "_repo", repo_or_fail)


async def test_a_change_github_refuses_is_a_409_saying_why(
    cfapi_client: CfapiClient, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors = [{"resource": "PullRequest", "message": "A pull request already exists"}]
    refusal = json.dumps({"message": "Validation Failed", "errors": errors})
    _failing_pulls(fake_github, monkeypatch, web.HTTPUnprocessableEntity(text=refusal, content_type="application/json"))
    resp = await cfapi_client.post("/cfapi/create-pr", json=pr_payload(), headers=AUTH)
    assert resp.status == 409
    error = (await resp.json())["error"]
    assert "GitHub refused the request" in error and "A pull request already exists" in error


async def test_github_failing_is_a_502(
    cfapi_client: CfapiClient, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_pulls(fake_github, monkeypatch, web.HTTPServiceUnavailable(text="unicorn"))
    resp = await cfapi_client.post("/cfapi/create-pr", json=pr_payload(), headers=AUTH)
    assert resp.status == 502 and "GitHub answered 503" in (await resp.json())["error"]
    # GitHub may have opened the pull request all the same: its branch is not deleted under it
    [branch] = [ref for ref in fake_github.repo("acme", "shop").refs if ref != "heads/main"]
    assert branch.startswith("heads/codeflash/")


async def test_a_refused_pull_request_leaves_no_branch_behind(
    cfapi_client: CfapiClient, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusal = json.dumps({"message": "Validation Failed", "errors": [{"message": "base is protected"}]})
    _failing_pulls(fake_github, monkeypatch, web.HTTPUnprocessableEntity(text=refusal, content_type="application/json"))
    resp = await cfapi_client.post("/cfapi/create-pr", json=pr_payload(), headers=AUTH)
    assert resp.status == 409 and "base is protected" in (await resp.json())["error"]
    assert list(fake_github.repo("acme", "shop").refs) == ["heads/main"]
    [delete] = [call for call in fake_github.calls if call.method == "DELETE"]
    assert delete.path.startswith("/repos/acme/shop/git/refs/heads/codeflash/")


@pytest.mark.parametrize("route", ["create-pr", "setup-github-actions", "suggest-pr-changes"])
async def test_a_token_that_cannot_open_pull_requests_leaves_no_branch_behind(
    cfapi_client: CfapiClient, fake_github: FakeGitHub, route: str
) -> None:
    repo = fake_github.add_repository("acme", "nopr", {"pkg/sorter.py": OLD})
    body: dict[str, Any]
    if route == "suggest-pr-changes":  # a change outside the pull request's diff: a dependent pull request
        fake_github.add_branch("acme", "nopr", "feature", {"pkg/other.py": "X = 1\n"})
        number = fake_github.add_pull("acme", "nopr", head="feature").number
        body = suggest_payload(number, {"pkg/sorter.py": (OLD, NEW)}, repo="nopr")
    elif route == "create-pr":
        body = pr_payload(repo="nopr")
    else:
        body = {"owner": "acme", "repo": "nopr", "baseBranch": "main", "workflowContent": "name: Codeflash\n"}
    before = dict(repo.refs)
    repo.pull_requests = False
    resp = await cfapi_client.post(f"/cfapi/{route}", json=body, headers=AUTH)
    assert resp.status == 403, await resp.text()
    assert "refused the engine's credentials" in (await resp.json())["error"]
    assert repo.refs == before


async def test_a_branch_github_will_not_delete_does_not_hide_why_the_pull_request_failed(
    cfapi_client: CfapiClient,
    fake_github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_github.repo("acme", "shop").pull_requests = False
    find = fake_github._repo

    def repo_or_refuse_deletes(request: web.Request) -> FakeRepo:
        if request.method == "DELETE":
            raise web.HTTPUnprocessableEntity(text='{"message": "Reference cannot be deleted"}')
        return find(request)

    monkeypatch.setattr(fake_github, "_repo", repo_or_refuse_deletes)
    resp = await cfapi_client.post("/cfapi/create-pr", json=pr_payload(), headers=AUTH)
    assert resp.status == 403 and "refused the engine's credentials" in (await resp.json())["error"]
    assert "could not delete the branch" in caplog.text


async def test_each_github_call_is_bounded_by_the_configured_timeout(
    aiohttp_client: MakeClient, cfapi_settings: Settings, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cfapi, "GITHUB_DEADLINE", 10.0)
    fake_github.latency = 0.6
    client = await aiohttp_client(
        create_app(cfapi_settings.model_copy(update={"codeflash_engine_github_timeout": 0.2}))
    )
    resp = await client.post("/cfapi/create-pr", json=pr_payload(), headers=AUTH)
    assert resp.status == 502 and "cannot reach GitHub" in (await resp.json())["error"]


def test_the_github_deadline_ends_before_the_clis_cfapi_timeout() -> None:
    """The CLI waits 60 s for a cfapi answer and a timeout crashes its run: the engine must answer first."""
    assert cfapi.GITHUB_DEADLINE < 60


async def test_nested_executable_files_keep_their_mode(cfapi_client: CfapiClient, fake_github: FakeGitHub) -> None:
    script = "#!/bin/sh\necho 1\n"
    files = {"tools/bin/run.sh": script, "tools/lib.py": "L = 1\n"}
    fake_github.add_repository("acme", "tools", files, modes={"tools/bin/run.sh": "100755"})
    diff = {"tools/bin/run.sh": (script, "#!/bin/sh\necho 2\n"), "tools/lib.py": ("L = 1\n", "L = 2\n")}
    await create_pr(cfapi_client, pr_payload(repo="tools", diff=diff))
    [pull] = fake_github.pulls("acme", "tools")
    assert fake_github.mode_at("acme", "tools", pull.head, "tools/bin/run.sh") == "100755"
    assert fake_github.mode_at("acme", "tools", pull.head, "tools/lib.py") == "100644"


# --- through a GitHub App --------------------------------------------------------------------------


class ShortLivedTokens(FakeGitHub):
    """A GitHub whose installation tokens expire a minute after they are made."""

    async def _access_token(self, request: web.Request) -> web.Response:
        token = f"ghs_short_lived_{len(self.installation_tokens)}"
        self.installation_tokens.add(token)
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 60))
        return web.json_response({"token": token, "expires_at": expires}, status=201)


def app_settings(settings: Settings, github: FakeGitHub, private_key: str) -> Settings:
    return settings.model_copy(
        update={
            "codeflash_engine_github_token": None,
            "codeflash_engine_github_app_id": "4242",
            "codeflash_engine_github_app_private_key": SecretStr(private_key),
            "codeflash_engine_github_api_url": github.url,
        }
    )


def token_requests(github: FakeGitHub) -> int:
    return sum(1 for c in github.calls if c.method == "POST" and c.path.endswith("/access_tokens"))


async def test_the_apps_key_may_be_a_file_and_its_permissions_are_checked(
    aiohttp_client: MakeClient,
    engine_settings: Settings,
    app_key: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "app.pem").write_text(app_key[0], encoding="utf-8")
    async with FakeGitHub(app_id="4242", app_public_key=app_key[1]) as github:
        github.add_repository("acme", "shop", {"pkg/sorter.py": OLD}, installation=77)
        github.add_repository("acme", "ReadOnly", installation=78).app_permissions["contents"] = "read"
        github.add_repository("acme", "noprs", installation=79).app_permissions["pull_requests"] = "read"
        client = await aiohttp_client(create_app(app_settings(engine_settings, github, "~/app.pem")))
        answers = {}
        for owner, repo in (("acme", "shop"), ("Acme", "ReadOnly"), ("acme", "noprs")):
            resp = await client.get(f"/cfapi/is-github-app-installed?owner={owner}&repo={repo}", headers=AUTH)
            answers[repo] = await resp.text()
        assert answers == {"shop": "true", "ReadOnly": "false", "noprs": "false"}


async def test_an_installation_token_is_reused_until_it_is_about_to_expire(
    aiohttp_client: MakeClient, engine_settings: Settings, app_key: tuple[str, str]
) -> None:
    for fake, expected in ((FakeGitHub, 1), (ShortLivedTokens, None)):
        async with fake(app_id="4242", app_public_key=app_key[1]) as github:
            github.add_repository("acme", "shop", {"pkg/sorter.py": OLD}, installation=77)
            client = await aiohttp_client(create_app(app_settings(engine_settings, github, app_key[0])))
            await create_pr(client, pr_payload())
            await create_pr(client, pr_payload(traceId="trace-2"))
            if expected is not None:  # an hour-long token serves both pull requests
                assert token_requests(github) == expected
            else:  # a token within minutes of its expiry is renewed
                assert token_requests(github) >= 2
