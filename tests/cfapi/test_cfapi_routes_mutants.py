"""The /cfapi routes where the other cfapi tests do not look: a trace of another user refused, a
privacy-mode organization refused staging, the branch names the engine makes, what it records of
each pull request it touches, the CLI's file paths matched to the repository's, the statuses the
OpenAPI document promises, an unusable App key said at start, and its own GitHub client failing."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cfapi_support import CfapiClient
from pydantic import SecretStr

from codeflash_engine.app import create_app
from codeflash_engine.errors import EngineError
from codeflash_engine.http.guards import STORE
from codeflash_engine.http.routes import cfapi
from codeflash_engine.infra.db.cfapi_types import PullRequestRecord
from codeflash_engine.infra.db.memory import MemoryStore
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import AUTH
from codeflash_engine.testing.fake_github import FakeGitHub

MakeClient = Callable[[web.Application], Awaitable[CfapiClient]]

OLD = "def sort_list(xs):\n    return xs\n"  # pkg/sorter.py on main, as the fake_github fixture seeds it
NEW = "def sort_list(xs):\n    return sorted(xs)\n"


def payload(function_name: str = "sort_list", trace: str = "trace-m", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "owner": "acme",
        "repo": "shop",
        "baseBranch": "main",
        "diffContents": {"pkg/sorter.py": {"oldContent": OLD, "newContent": NEW}},
        "prCommentFields": {
            "function_name": function_name,
            "file_path": "pkg/sorter.py",
            "speedup_pct": "50%",
            "benchmark_details": None,
        },
        "traceId": trace,
    }
    body.update(changes)
    return body


def records(client: CfapiClient) -> list[PullRequestRecord]:
    store = client.app[STORE]
    assert isinstance(store, MemoryStore)
    return list(store._cfapi.pulls)


async def other_users_auth(client: CfapiClient, user: str = "mallory", **fields: Any) -> dict[str, str]:
    new = await client.app[STORE].create_key(user, **fields)
    return {"Authorization": f"Bearer {new.key}"}


# --- another user's trace, privacy mode ------------------------------------------------------------


async def test_a_trace_of_another_user_is_refused(cfapi_client: CfapiClient) -> None:
    body = {"trace_id": "t-owned", "is_optimization_found": True}
    assert (await cfapi_client.post("/cfapi/mark-as-success", json=body, headers=AUTH)).status == 200
    mallory = await other_users_auth(cfapi_client)
    resp = await cfapi_client.post("/cfapi/mark-as-success", json=body, headers=mallory)
    assert resp.status == 403 and "belongs to another user" in (await resp.json())["error"]

    staged = payload(trace="t-staged")
    assert (await cfapi_client.post("/cfapi/create-staging", json=staged, headers=AUTH)).status == 200
    resp = await cfapi_client.post("/cfapi/create-staging", json=staged, headers=mallory)
    assert resp.status == 403 and "belongs to another user" in (await resp.json())["error"]
    staging = await cfapi_client.app[STORE].get_staging("t-staged")
    assert staging is not None and staging["traceId"] == "t-staged"


async def test_privacy_mode_refuses_staging_and_keeps_nothing(cfapi_client: CfapiClient) -> None:
    store = cfapi_client.app[STORE]
    org = await store.create_organization("secret", privacy_mode=True)
    private = await other_users_auth(cfapi_client, "alice", organization_id=org.id)
    resp = await cfapi_client.post("/cfapi/create-staging", json=payload(trace="t-private"), headers=private)
    assert resp.status == 403 and "privacy mode" in (await resp.json())["error"]
    assert await store.get_staging("t-private") is None


# --- branch names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function_name", "slug"),
    [
        ("Sorter.sort_list", "sorter-sort-list"),
        ("__init__", "init"),
        ("__", "function"),
        ("F" * 80, "f" * 60),
    ],
)
async def test_the_branch_is_named_after_the_function(
    cfapi_client: CfapiClient, fake_github: FakeGitHub, function_name: str, slug: str
) -> None:
    resp = await cfapi_client.post("/cfapi/create-pr", json=payload(function_name), headers=AUTH)
    assert resp.status == 200, await resp.text()
    [pull] = fake_github.pulls("acme", "shop")
    match = re.fullmatch(r"codeflash/optimize-(.+)-([0-9a-f]+)", pull.head)
    assert match is not None and match.group(1) == slug
    assert len(match.group(2)) == 8  # four random bytes


# --- what is recorded of each pull request ---------------------------------------------------------


async def test_each_pull_request_touched_is_recorded_with_its_kind_and_trace(
    cfapi_client: CfapiClient, fake_github: FakeGitHub
) -> None:
    resp = await cfapi_client.post("/cfapi/create-pr", json=payload(trace="t-create"), headers=AUTH)
    created = int(await resp.text())
    feature = "def sort_list(xs):\n    return list(xs)\n"
    fake_github.add_branch("acme", "shop", "feature", {"pkg/sorter.py": feature})
    pull = fake_github.add_pull("acme", "shop", head="feature")
    suggest = payload(trace="t-suggest", pullNumber=pull.number)
    suggest["diffContents"] = {"pkg/sorter.py": {"oldContent": feature, "newContent": NEW}}
    review = await (await cfapi_client.post("/cfapi/suggest-pr-changes", json=suggest, headers=AUTH)).json()
    actions = {"owner": "acme", "repo": "shop", "baseBranch": "main", "workflowContent": "on: pull_request\n"}
    setup = await (await cfapi_client.post("/cfapi/setup-github-actions", json=actions, headers=AUTH)).json()
    url = f"{fake_github.url}/acme/shop/pull/"
    assert records(cfapi_client) == [
        PullRequestRecord(
            "local", "create", "acme", "shop", created, created, f"{url}{created}", "t-create", "sort_list",
            "pkg/sorter.py",
        ),
        PullRequestRecord(
            "local", "suggest", "acme", "shop", pull.number, None, review["url"], "t-suggest", "sort_list",
            "pkg/sorter.py",
        ),
        PullRequestRecord(
            "local", "actions", "acme", "shop", setup["pr_number"], setup["pr_number"], setup["pr_url"],
        ),
    ]  # fmt: skip


async def test_a_dependent_pull_request_is_recorded_for_the_one_it_depends_on(
    cfapi_client: CfapiClient, fake_github: FakeGitHub
) -> None:
    filler = "".join(f"V{i} = {i}\n" for i in range(20))
    fake_github.add_branch("acme", "shop", "main", {"pkg/sorter.py": "def helper():\n    return 0\n" + filler + OLD})
    old = "def helper():\n    return 1\n" + filler + OLD
    fake_github.add_branch("acme", "shop", "feature", {"pkg/sorter.py": old})
    pull = fake_github.add_pull("acme", "shop", head="feature")
    body = payload(trace="t-dep", pullNumber=pull.number)
    body["diffContents"] = {"pkg/sorter.py": {"oldContent": old, "newContent": old.replace(OLD, NEW)}}
    answer = await (await cfapi_client.post("/cfapi/suggest-pr-changes", json=body, headers=AUTH)).json()
    assert answer["kind"] == "dependent_pull_request"
    [record] = records(cfapi_client)
    assert record == PullRequestRecord(
        "local", "dependent", "acme", "shop", pull.number, answer["pull_number"], answer["url"], "t-dep",
        "sort_list", "pkg/sorter.py",
    )  # fmt: skip


async def test_unchanged_files_the_cli_sends_along_are_not_suggested(
    cfapi_client: CfapiClient, fake_github: FakeGitHub
) -> None:
    feature = "def sort_list(xs):\n    return list(xs)\n"
    fake_github.add_branch("acme", "shop", "feature", {"pkg/sorter.py": feature, "pkg/same.py": "S = 1\n"})
    pull = fake_github.add_pull("acme", "shop", head="feature")
    body = payload(pullNumber=pull.number)
    body["diffContents"] = {
        "pkg/same.py": {"oldContent": "S = 1\n", "newContent": "S = 1\n"},
        "pkg/sorter.py": {"oldContent": feature, "newContent": NEW},
    }
    answer = await (await cfapi_client.post("/cfapi/suggest-pr-changes", json=body, headers=AUTH)).json()
    assert answer["kind"] == "review" and answer["suggestions"] == 1
    [review] = fake_github.reviews("acme", "shop")
    assert [c["path"] for c in review.comments] == ["pkg/sorter.py"]


# --- the CLI's paths against the repository's ------------------------------------------------------


async def test_the_clis_paths_match_the_repository_path_of_an_optimized_function(cfapi_client: CfapiClient) -> None:
    await cfapi_client.post("/cfapi/create-pr", json=payload(), headers=AUTH)
    [record] = records(cfapi_client)
    number = record.target_number
    contexts = [
        {"file_path": path, "function_name": "sort_list", "code_hash": f"hash-{i}"}
        for i, path in enumerate(
            [
                "pkg/sorter.py",  # relative, as the repository names it
                "C:\\work\\shop\\pkg\\sorter.py",  # a Windows path
                "/home/dev/shop/pkg/sorter.py",
                "/home/dev/shop/xpkg/sorter.py",  # another file whose name ends the same
                "pkg/sorter.pyi",
            ]
        )
    ]
    resp = await cfapi_client.post(
        "/cfapi/is-already-optimized",
        json={"owner": "acme", "repo": "shop", "pr_number": number, "code_contexts": contexts},
        headers=AUTH,
    )
    assert (await resp.json())["already_optimized_tuples"] == [
        ["pkg/sorter.py", "sort_list"],
        ["C:\\work\\shop\\pkg\\sorter.py", "sort_list"],
        ["/home/dev/shop/pkg/sorter.py", "sort_list"],
    ]


async def test_a_repository_path_given_with_a_leading_slash_or_backslashes_still_matches(
    cfapi_client: CfapiClient,
) -> None:
    for path in ("/pkg/sorter.py", "pkg\\sorter.py"):
        body = payload(trace=f"t-{path}", prCommentFields={"function_name": "sort_list", "file_path": path})
        assert (await cfapi_client.post("/cfapi/create-pr", json=body, headers=AUTH)).status == 200
    for record in records(cfapi_client):
        context = {"file_path": "/home/dev/shop/pkg/sorter.py", "function_name": "sort_list", "code_hash": "h"}
        resp = await cfapi_client.post(
            "/cfapi/is-already-optimized",
            json={"owner": "acme", "repo": "shop", "pr_number": record.target_number, "code_contexts": [context]},
            headers=AUTH,
        )
        assert (await resp.json())["already_optimized_tuples"] == [["/home/dev/shop/pkg/sorter.py", "sort_list"]]


async def test_a_code_hash_seen_in_the_pull_request_is_enough(cfapi_client: CfapiClient) -> None:
    where = {"owner": "acme", "repo": "shop", "pr_number": 7}
    resp = await cfapi_client.post("/cfapi/add-code-hash", json={**where, "code_hash": "seen"}, headers=AUTH)
    assert await resp.json() == {"stored": True}
    contexts = [
        {"file_path": "a.py", "function_name": "f", "code_hash": "seen"},
        {"file_path": "a.py", "function_name": "g", "code_hash": "unseen"},
    ]
    resp = await cfapi_client.post(
        "/cfapi/is-already-optimized", json={**where, "code_contexts": contexts}, headers=AUTH
    )
    assert await resp.json() == {"already_optimized_tuples": [["a.py", "f"]]}
    resp = await cfapi_client.post(
        "/cfapi/is-already-optimized", json={**where, "pr_number": 8, "code_contexts": contexts}, headers=AUTH
    )
    assert await resp.json() == {"already_optimized_tuples": []}


# --- the OpenAPI document ---------------------------------------------------------------------------


async def test_every_cfapi_route_documents_the_statuses_it_may_answer(cfapi_client: CfapiClient) -> None:
    doc = await (await cfapi_client.get("/openapi.json")).json()
    routes = {
        (path, method): op
        for path, ops in doc["paths"].items()
        if path.startswith("/cfapi/")
        for method, op in ops.items()
    }
    assert len(routes) == 11
    for (path, method), operation in routes.items():
        assert sorted(operation["responses"]) == [
            "200", "400", "401", "403", "404", "409", "413", "422", "429", "500", "502", "503",
        ], (path, method)  # fmt: skip
    create = routes[("/cfapi/create-pr", "post")]["responses"]["200"]["content"]
    assert list(create) == ["text/plain"]
    user = routes[("/cfapi/cli-get-user", "get")]["responses"]["200"]["content"]
    assert list(user) == ["application/json"]


# --- the engine's GitHub client ---------------------------------------------------------------------


async def test_an_unreadable_app_key_fails_the_start_with_a_clear_error(
    aiohttp_client: MakeClient, engine_settings: Settings, tmp_path: Path
) -> None:
    settings = engine_settings.model_copy(
        update={
            "codeflash_engine_github_app_id": "4242",
            "codeflash_engine_github_app_private_key": SecretStr(str(tmp_path / "missing.pem")),
        }
    )
    with pytest.raises(EngineError) as raised:
        await aiohttp_client(create_app(settings))
    assert raised.value.status == 500 and "neither a PEM key nor a readable file" in raised.value.message


async def test_the_engines_own_github_client_failing_is_a_502(cfapi_client: CfapiClient) -> None:
    github = cfapi_client.app[cfapi.GITHUB]
    assert github is not None
    await github.__aexit__(None, None, None)  # closed under the route: a failure of the engine's side
    resp = await cfapi_client.post("/cfapi/create-pr", json=payload(), headers=AUTH)
    assert resp.status == 502 and "the GitHub client is not open" in (await resp.json())["error"]


# --- without GitHub credentials or mail -------------------------------------------------------------


async def test_without_github_credentials_nothing_can_be_opened(engine_client: CfapiClient) -> None:
    resp = await engine_client.post("/cfapi/create-pr", json=payload(), headers=AUTH)
    assert resp.status == 409 and "CODEFLASH_ENGINE_GITHUB_TOKEN" in (await resp.json())["error"]
    resp = await engine_client.get("/cfapi/is-github-app-installed?owner=acme&repo=shop", headers=AUTH)
    assert resp.status == 200 and await resp.text() == "false"


async def test_without_mail_the_completion_is_recorded_unsent(engine_client: CfapiClient) -> None:
    resp = await engine_client.post(
        "/cfapi/send-completion-email", json={"owner": "acme", "repo": "shop"}, headers=AUTH
    )
    assert await resp.json() == {"sent": False, "detail": "mail is not configured on this engine"}
    store = engine_client.app[STORE]
    assert isinstance(store, MemoryStore)
    assert store._cfapi.emails == [("local", "acme", "shop", False)]


async def test_a_name_github_would_not_take_is_refused_before_asking_it(
    cfapi_client: CfapiClient, fake_github: FakeGitHub
) -> None:
    for query in ("owner=acme&repo=sh%20op", "owner=ac/me&repo=shop", "owner=&repo=shop", f"owner={'a' * 101}&repo=s"):
        resp = await cfapi_client.get(f"/cfapi/is-github-app-installed?{query}", headers=AUTH)
        assert resp.status == 422 and "not a GitHub owner or repository name" in (await resp.json())["error"], query
    assert fake_github.calls == []


async def test_the_workflow_goes_on_a_branch_of_its_own(cfapi_client: CfapiClient, fake_github: FakeGitHub) -> None:
    actions = {"owner": "acme", "repo": "shop", "baseBranch": "main", "workflowContent": "on: pull_request\n"}
    resp = await cfapi_client.post("/cfapi/setup-github-actions", json=actions, headers=AUTH)
    assert resp.status == 200, await resp.text()
    [pull] = fake_github.pulls("acme", "shop")
    assert re.fullmatch(r"codeflash/setup-github-actions-[0-9a-f]{8}", pull.head)
    assert pull.title == "⚡️ Add the Codeflash optimization workflow"
    assert fake_github.commit_of("acme", "shop", pull.head).message == "Add the Codeflash optimization workflow"
