"""Each /cfapi route, called by the published CLI's own cfapi client (codeflash 0.20.6, run in its
virtual environment) against the engine, with the fake GitHub behind it: the request is the
client's, and the assertions are on what the client makes of the answer."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestServer
from cfapi_support import CfapiClient, ClientRun, git_project

from codeflash_engine.http.guards import STORE
from codeflash_engine.testing.fake_github import FakeGitHub

#: a PrComment as the client builds it, and the changed file
MAKE_PR_COMMENT = """
from codeflash.github.PrComment import FileDiffContent, PrComment
from codeflash.models.models import TestResults
comment = PrComment(
    optimization_explanation="sorted() is Timsort, in C: O(n log n) instead of the bubble sort's O(n^2).",
    best_runtime=12_000, original_runtime=1_480_000, function_name="sort_list",
    relative_file_path="pkg/sorter.py", speedup_x="122.33x", speedup_pct="12,233%",
    winning_behavior_test_results=TestResults(), winning_benchmarking_test_results=TestResults(),
)
"""

OLD = "def sort_list(xs):\n    return xs\n"
NEW = "def sort_list(xs):\n    return sorted(xs)\n"


def server_of(client: CfapiClient) -> TestServer:
    server = client.server
    assert isinstance(server, TestServer)
    return server


async def test_cli_get_user_answers_the_keys_user_and_a_min_version(
    cfapi_client: CfapiClient, run_client: ClientRun
) -> None:
    results = await run_client(
        server_of(cfapi_client),
        """
        emit("user", cfapi.get_user_id())
        bad = cfapi.make_cfapi_request("/cli-get-user", "GET", api_key="cf-" + "x" * 43, suppress_errors=True)
        emit("bad_status", bad.status_code)
        cfapi.get_user_id.cache_clear()
        emit("bad_user", cfapi.get_user_id(api_key="cf-" + "x" * 43, suppress_errors=True))
        """,
    )
    assert results == {"user": "local", "bad_status": 403, "bad_user": None}
    resp = await cfapi_client.get("/cfapi/cli-get-user", headers={"Authorization": "Bearer cf-" + "e" * 43})
    assert await resp.json() == {"userId": "local", "min_version": "0.20.6"}


async def test_mark_as_success_is_stored_as_an_optimization_event(
    cfapi_client: CfapiClient, run_client: ClientRun
) -> None:
    results = await run_client(
        server_of(cfapi_client),
        """
        emit("found", cfapi.mark_optimization_success("trace-1", is_optimization_found=True).status_code)
        emit("none", cfapi.mark_optimization_success("trace-2", is_optimization_found=False).status_code)
        """,
    )
    assert results == {"found": 200, "none": 200}
    store = cfapi_client.app[STORE]
    first, second = await store.get_optimization_event("trace-1"), await store.get_optimization_event("trace-2")
    assert first is not None and first.optimization_found and first.user_id == "local"
    assert second is not None and not second.optimization_found


async def test_is_github_app_installed_is_true_only_where_the_engine_can_open_pull_requests(
    cfapi_client: CfapiClient, run_client: ClientRun, fake_github: FakeGitHub
) -> None:
    fake_github.add_repository("acme", "readonly", push=False)
    results = await run_client(
        server_of(cfapi_client),
        """
        for repo in ("shop", "readonly", "missing"):
            emit(repo, cfapi.is_github_app_installed_on_repo("acme", repo, suppress_errors=True))
        """,
    )
    assert results == {"shop": True, "readonly": False, "missing": False}


async def test_create_pr_opens_a_pull_request_and_answers_its_number(
    cfapi_client: CfapiClient, run_client: ClientRun, fake_github: FakeGitHub
) -> None:
    results = await run_client(
        server_of(cfapi_client),
        MAKE_PR_COMMENT,
        f"""
        resp = cfapi.create_pr(
            owner="acme", repo="shop", base_branch="main",
            file_changes={{"pkg/sorter.py": FileDiffContent(oldContent={OLD!r}, newContent={NEW!r})}},
            pr_comment=comment, existing_tests="",
            generated_tests="def test_sorts():\\n    assert sort_list([2, 1]) == [1, 2]\\n",
            trace_id="trace-pr", coverage_message="Coverage: 100.0%", optimization_review="high",
        )
        emit("ok", resp.ok)
        emit("text", resp.text)
        """,
    )
    assert results["ok"] is True
    [pull] = fake_github.pulls("acme", "shop")
    assert results["text"] == str(pull.number)
    assert pull.state == "open" and pull.base == "main" and pull.head.startswith("codeflash/optimize-sort-list-")
    assert fake_github.files_at("acme", "shop", pull.head)["pkg/sorter.py"] == NEW
    assert fake_github.files_at("acme", "shop", "main")["pkg/sorter.py"] == OLD  # the base is untouched
    assert "`sort_list`" in pull.title and "12,233%" in pull.title
    for shown in ("sort_list", "12,233%", "Timsort", "1.48 milliseconds", "assert sort_list([2, 1])", "high"):
        assert shown in pull.body, shown
    assert len(fake_github.commit_of("acme", "shop", pull.head).parents) == 1


async def test_create_pr_without_github_credentials_is_a_clear_error(
    engine_client: CfapiClient, run_client: ClientRun
) -> None:
    results = await run_client(
        server_of(engine_client),
        MAKE_PR_COMMENT,
        f"""
        resp = cfapi.create_pr(
            owner="acme", repo="shop", base_branch="main",
            file_changes={{"pkg/sorter.py": FileDiffContent(oldContent={OLD!r}, newContent={NEW!r})}},
            pr_comment=comment, existing_tests="", generated_tests="", trace_id="t", coverage_message="",
        )
        emit("status", resp.status_code)
        emit("error", resp.json()["error"])
        emit("installed", cfapi.is_github_app_installed_on_repo("acme", "shop", suppress_errors=True))
        """,
    )
    assert results["status"] == 409 and "CODEFLASH_ENGINE_GITHUB_TOKEN" in results["error"]
    assert results["installed"] is False


async def test_suggest_pr_changes_posts_suggestions_when_the_change_is_inside_the_pull_request(
    cfapi_client: CfapiClient, run_client: ClientRun, fake_github: FakeGitHub
) -> None:
    fake_github.add_branch("acme", "shop", "feature", {"pkg/sorter.py": "def sort_list(xs):\n    return list(xs)\n"})
    pull = fake_github.add_pull("acme", "shop", head="feature")
    results = await run_client(
        server_of(cfapi_client),
        MAKE_PR_COMMENT,
        f"""
        resp = cfapi.suggest_changes(
            owner="acme", repo="shop", pr_number={pull.number},
            file_changes={{"pkg/sorter.py": FileDiffContent(oldContent="def sort_list(xs):\\n    return list(xs)\\n",
                                                            newContent={NEW!r})}},
            pr_comment=comment, existing_tests="", generated_tests="", trace_id="trace-s", coverage_message="",
        )
        emit("ok", resp.ok)
        """,
    )
    assert results == {"ok": True}
    [review] = fake_github.reviews("acme", "shop")
    assert review.pull_number == pull.number
    assert review.commit_id == fake_github.commit_of("acme", "shop", "feature").sha
    [comment] = review.comments
    assert comment["path"] == "pkg/sorter.py" and comment["line"] == 2 and comment["side"] == "RIGHT"
    assert comment["body"] == "```suggestion\n    return sorted(xs)\n```"
    assert "sort_list" in review.body
    assert len(fake_github.pulls("acme", "shop")) == 1  # no dependent pull request


async def test_suggest_pr_changes_opens_a_dependent_pull_request_when_suggestions_do_not_fit(
    cfapi_client: CfapiClient, run_client: ClientRun, fake_github: FakeGitHub
) -> None:
    filler = "".join(f"V{i} = {i}\n" for i in range(20))
    fake_github.add_branch("acme", "shop", "main", {"pkg/sorter.py": "def helper():\n    return 0\n" + filler + OLD})
    # the pull request changes only the helper: sort_list, 20 lines below, is outside its diff
    other = "def helper():\n    return 1\n" + filler + OLD
    fake_github.add_branch("acme", "shop", "feature", {"pkg/sorter.py": other, "pkg/x.py": "X = 1\n"})
    pull = fake_github.add_pull("acme", "shop", head="feature")
    new = "def helper():\n    return 1\n" + filler + NEW
    results = await run_client(
        server_of(cfapi_client),
        MAKE_PR_COMMENT,
        f"""
        resp = cfapi.suggest_changes(
            owner="acme", repo="shop", pr_number={pull.number},
            file_changes={{"pkg/sorter.py": FileDiffContent(oldContent={other!r}, newContent={new!r})}},
            pr_comment=comment, existing_tests="", generated_tests="", trace_id="trace-d", coverage_message="",
        )
        emit("ok", resp.ok)
        """,
    )
    assert results == {"ok": True}
    assert fake_github.reviews("acme", "shop") == []
    dependent = fake_github.pulls("acme", "shop")[-1]
    assert dependent.number != pull.number and dependent.base == "feature"
    assert fake_github.files_at("acme", "shop", dependent.head)["pkg/sorter.py"] == new
    assert fake_github.files_at("acme", "shop", dependent.head)["pkg/x.py"] == "X = 1\n"  # on top of the PR


async def test_optimizations_already_made_in_a_pull_request_are_not_made_again(
    cfapi_client: CfapiClient, run_client: ClientRun, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake_github.add_branch("acme", "shop", "feature", {"pkg/sorter.py": "def sort_list(xs):\n    return list(xs)\n"})
    pull = fake_github.add_pull("acme", "shop", head="feature")
    project = git_project(tmp_path / "project")
    script = (
        MAKE_PR_COMMENT,
        f"""
        from codeflash.discovery import functions_to_optimize
        emit("blocked_before", {{k: sorted(v) for k, v in cfapi.get_blocklisted_functions().items()}})
        cfapi.add_code_context_hash("hash-of-sort-list")
        contexts = [
            {{"file_path": "{project}/pkg/sorter.py", "function_name": "sort_list", "code_hash": "hash-of-sort-list"}},
            {{"file_path": "{project}/pkg/other.py", "function_name": "other", "code_hash": "another-hash"}},
        ]
        emit("again", cfapi.is_function_being_optimized_again("acme", "shop", {pull.number}, contexts))
        cfapi.suggest_changes(
            owner="acme", repo="shop", pr_number={pull.number},
            file_changes={{"pkg/sorter.py": FileDiffContent(oldContent="def sort_list(xs):\\n    return list(xs)\\n",
                                                            newContent={NEW!r})}},
            pr_comment=comment, existing_tests="", generated_tests="", trace_id="trace-b", coverage_message="",
        )
        emit("blocked_after", {{k: sorted(v) for k, v in cfapi.get_blocklisted_functions().items()}})
        """,
    )
    results = await run_client(
        server_of(cfapi_client), *script, env={"CODEFLASH_PR_NUMBER": str(pull.number)}, cwd=project
    )
    assert results["blocked_before"] == {}
    assert results["again"] == {"already_optimized_tuples": [[f"{project}/pkg/sorter.py", "sort_list"]]}
    assert results["blocked_after"] == {"sorter.py": ["sort_list"]}


async def test_create_staging_is_stored(cfapi_client: CfapiClient, run_client: ClientRun) -> None:
    results = await run_client(
        server_of(cfapi_client),
        MAKE_PR_COMMENT,
        f"""
        payload = {{
            "baseBranch": "main",
            "diffContents": {{"pkg/sorter.py": FileDiffContent(oldContent={OLD!r}, newContent={NEW!r})}},
            "prCommentFields": comment.to_json(), "existingTests": "", "generatedTests": "", "traceId": "trace-st",
            "coverage_message": "", "replayTests": "", "concolicTests": "", "optimizationReview": "",
            "originalLineProfiler": None, "optimizedLineProfiler": None,
        }}
        emit("status", cfapi.make_cfapi_request("/create-staging", "POST", payload).status_code)
        """,
    )
    assert results == {"status": 200}
    staged = await cfapi_client.app[STORE].get_staging("trace-st")
    assert staged is not None and staged["diffContents"]["pkg/sorter.py"]["newContent"] == NEW


async def test_completion_email_and_github_actions(
    cfapi_client: CfapiClient, run_client: ClientRun, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    project = git_project(tmp_path / "project", "git@github.com:acme/shop.git")
    results = await run_client(
        server_of(cfapi_client),
        """
        resp = cfapi.send_completion_email()
        emit("email", [resp.ok, resp.json()])
        resp = cfapi.setup_github_actions("acme", "shop", "main", "name: Codeflash\\non: pull_request\\n")
        emit("actions", resp.json())
        """,
        cwd=project,
    )
    assert results["email"] == [True, {"sent": False, "detail": "mail is not configured on this engine"}]
    actions = results["actions"]
    assert actions["success"] is True and actions["pr_url"]
    [pull] = fake_github.pulls("acme", "shop")
    assert actions["pr_number"] == pull.number
    assert fake_github.files_at("acme", "shop", pull.head)[".github/workflows/codeflash.yaml"].startswith(
        "name: Codeflash"
    )
