"""/cfapi at the HTTP level: the same keys and rate limit as /ai, JSON errors naming the field,
JSON 404 for unknown routes, and pull requests through a GitHub App instead of a token."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import SecretStr

from codeflash_engine.app import create_app
from codeflash_engine.http.state import ENGINE
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import AUTH
from codeflash_engine.testing.fake_github import FakeGitHub

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[[web.Application], Awaitable[Client]]

PR_BODY = {
    "owner": "acme",
    "repo": "shop",
    "baseBranch": "main",
    "diffContents": {
        "pkg/sorter.py": {"oldContent": "def f():\n    return 1\n", "newContent": "def f():\n    return 2\n"}
    },
    "prCommentFields": {"function_name": "f", "file_path": "pkg/sorter.py", "speedup_pct": "50%", "speedup_x": "1.50x"},
    "traceId": "trace-http",
}


async def test_a_key_is_required_and_a_refused_key_answers_403(engine_client: Client) -> None:
    resp = await engine_client.get("/cfapi/cli-get-user")
    assert resp.status == 401 and "missing API key" in (await resp.json())["error"]
    resp = await engine_client.get("/cfapi/cli-get-user", headers={"Authorization": "Bearer cf-" + "u" * 43})
    assert resp.status == 403 and "not recognised" in (await resp.json())["error"]
    resp = await engine_client.get("/cfapi/cli-get-user", headers={"Authorization": "Basic abc"})
    assert resp.status == 403 and "malformed" in (await resp.json())["error"]


async def test_cfapi_requests_do_not_spend_the_plans_request_limit(
    aiohttp_client: MakeClient, engine_settings: Settings
) -> None:
    """Like /ai/log_features, cfapi routes call no LLM: the plan's rate limit counts LLM-backed
    requests only (issue 17), so a CLI's bookkeeping calls never cost it a function."""
    client = await aiohttp_client(create_app(engine_settings.model_copy(update={"rate_limit_max": 3})))
    statuses = [(await client.get("/cfapi/cli-get-user", headers=AUTH)).status for _ in range(6)]
    assert statuses == [200] * 6
    resp = await client.get("/cfapi/cli-get-user", headers={"Authorization": "Bearer cf-" + "z" * 43})
    assert resp.status == 403 and "error" in await resp.json()  # a refused key: the CLI's "invalid key"


async def test_unknown_routes_and_bad_input_are_json_errors(engine_client: Client) -> None:
    resp = await engine_client.post("/cfapi/no-such-thing", json={}, headers=AUTH)
    assert resp.status == 404 and (await resp.json()) == {"error": "no such endpoint: POST /cfapi/no-such-thing"}
    resp = await engine_client.get("/cfapi/mark-as-success", headers=AUTH)
    assert resp.status == 405 and "use POST" in (await resp.json())["error"]
    resp = await engine_client.post("/cfapi/mark-as-success", json={"trace_id": "t"}, headers=AUTH)
    assert resp.status == 422 and "field 'is_optimization_found' is required" in (await resp.json())["error"]
    resp = await engine_client.post("/cfapi/mark-as-success", data=b"{not json", headers=AUTH)
    assert resp.status == 400 and "not valid JSON" in (await resp.json())["error"]
    resp = await engine_client.post("/cfapi/create-pr", json={**PR_BODY, "baseBranch": "../x"}, headers=AUTH)
    assert resp.status == 422 and "baseBranch" in (await resp.json())["error"]
    resp = await engine_client.get("/cfapi/is-github-app-installed?owner=acme", headers=AUTH)
    assert resp.status == 422 and "'repo' is required" in (await resp.json())["error"]
    unchanged = {**PR_BODY, "diffContents": {"a.py": {"oldContent": "x", "newContent": "x"}}}
    resp = await engine_client.post("/cfapi/create-staging", json=unchanged, headers=AUTH)
    assert resp.status == 200  # staging keeps whatever it is sent


@pytest.fixture
async def app_github(app_key: tuple[str, str]) -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub(token="ghp_not-used-by-the-app", app_id="4242", app_public_key=app_key[1]) as github:
        github.add_repository("acme", "shop", {"pkg/sorter.py": "def f():\n    return 1\n"}, installation=77)
        github.add_repository("acme", "elsewhere", installation=None)
        github.add_repository("acme", "readonly", installation=78).app_permissions["contents"] = "read"
        yield github


async def test_pull_requests_through_a_github_app(
    aiohttp_client: MakeClient,
    engine_settings: Settings,
    app_github: FakeGitHub,
    app_key: tuple[str, str],
) -> None:
    settings = engine_settings.model_copy(
        update={
            "codeflash_engine_github_app_id": "4242",
            "codeflash_engine_github_app_private_key": SecretStr(app_key[0]),
            "codeflash_engine_github_api_url": app_github.url,
        }
    )
    client = await aiohttp_client(create_app(settings))
    installed = await client.get("/cfapi/is-github-app-installed?owner=acme&repo=shop", headers=AUTH)
    assert await installed.text() == "true"
    elsewhere = await client.get("/cfapi/is-github-app-installed?owner=acme&repo=elsewhere", headers=AUTH)
    assert await elsewhere.text() == "false"
    readonly = await client.get("/cfapi/is-github-app-installed?owner=acme&repo=readonly", headers=AUTH)
    assert await readonly.text() == "false"  # installed without write access to the contents
    resp = await client.post("/cfapi/create-pr", json=PR_BODY, headers=AUTH)
    assert resp.status == 200, await resp.text()
    [pull] = app_github.pulls("acme", "shop")
    assert await resp.text() == str(pull.number)
    assert app_github.files_at("acme", "shop", pull.head)["pkg/sorter.py"].endswith("return 2\n")
    # the writes used an installation token, obtained with the App's JWT
    writes = [c for c in app_github.calls if c.method == "POST" and "/repos/" in c.path]
    assert writes and all(c.authorization.split()[1] in app_github.installation_tokens for c in writes)
    resp = await client.post("/cfapi/create-pr", json={**PR_BODY, "repo": "elsewhere"}, headers=AUTH)
    assert resp.status == 404 and "not found on GitHub" in (await resp.json())["error"]


async def test_github_refusals_are_json_errors(aiohttp_client: MakeClient, engine_settings: Settings) -> None:
    async with FakeGitHub(token="ghp_right") as github:
        github.add_repository("acme", "shop", {"pkg/sorter.py": "def f():\n    return 1\n"})
        wrong = engine_settings.model_copy(
            update={
                "codeflash_engine_github_token": SecretStr("ghp_wrong"),
                "codeflash_engine_github_api_url": github.url,
            }
        )
        client = await aiohttp_client(create_app(wrong))
        resp = await client.post("/cfapi/create-pr", json=PR_BODY, headers=AUTH)
        assert resp.status == 403 and "refused the engine's credentials" in (await resp.json())["error"]
        right = wrong.model_copy(update={"codeflash_engine_github_token": SecretStr("ghp_right")})
        client = await aiohttp_client(create_app(right))
        resp = await client.post("/cfapi/create-pr", json={**PR_BODY, "baseBranch": "no-such-branch"}, headers=AUTH)
        assert resp.status == 404 and "branch 'no-such-branch'" in (await resp.json())["error"]
    app = create_app(right)
    client = await aiohttp_client(app)  # GitHub gone
    resp = await client.post("/cfapi/create-pr", json=PR_BODY, headers=AUTH)
    assert resp.status == 502 and "cannot reach GitHub" in (await resp.json())["error"]
    engine = app[ENGINE]
    for _ in range(100):  # the failure is kept in optimization_errors, like an /ai one
        found = (await engine.store.records_for_trace(PR_BODY["traceId"])).errors
        if found:
            break
        await asyncio.sleep(0.02)
    assert found and "/cfapi/create-pr" in found[0].message


async def test_an_executable_file_stays_executable(aiohttp_client: MakeClient, engine_settings: Settings) -> None:
    async with FakeGitHub(token="ghp_modes") as github:
        files = {"pkg/sorter.py": "def f():\n    return 1\n", "bin/run.py": "#!/usr/bin/env python\nprint(1)\n"}
        github.add_repository("acme", "shop", files, modes={"bin/run.py": "100755"})
        settings = engine_settings.model_copy(
            update={
                "codeflash_engine_github_token": SecretStr("ghp_modes"),
                "codeflash_engine_github_api_url": github.url,
            }
        )
        client = await aiohttp_client(create_app(settings))
        body = {
            **PR_BODY,
            "diffContents": {
                **PR_BODY["diffContents"],  # type: ignore[dict-item]
                "bin/run.py": {"oldContent": files["bin/run.py"], "newContent": "#!/usr/bin/env python\nprint(2)\n"},
                "pkg/new.py": {"oldContent": "", "newContent": "X = 1\n"},
            },
        }
        resp = await client.post("/cfapi/create-pr", json=body, headers=AUTH)
        assert resp.status == 200, await resp.text()
        [pull] = github.pulls("acme", "shop")
        assert github.mode_at("acme", "shop", pull.head, "bin/run.py") == "100755"
        assert github.mode_at("acme", "shop", pull.head, "pkg/sorter.py") == "100644"
        assert github.files_at("acme", "shop", pull.head)["pkg/new.py"] == "X = 1\n"


async def slow_github_client(aiohttp_client: MakeClient, engine_settings: Settings, github: FakeGitHub) -> Client:
    """An engine opening pull requests on ``github`` with the token ``ghp_slow``."""
    settings = engine_settings.model_copy(
        update={"codeflash_engine_github_token": SecretStr("ghp_slow"), "codeflash_engine_github_api_url": github.url}
    )
    return await aiohttp_client(create_app(settings))


async def test_a_slow_github_ends_inside_the_clis_timeout(
    aiohttp_client: MakeClient, engine_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codeflash_engine.http.routes import cfapi

    monkeypatch.setattr(cfapi, "GITHUB_DEADLINE", 0.5)
    async with FakeGitHub(token="ghp_slow", latency=0.2) as github:
        github.add_repository("acme", "shop", {"pkg/sorter.py": "def f():\n    return 1\n"})
        client = await slow_github_client(aiohttp_client, engine_settings, github)
        resp = await client.post("/cfapi/create-pr", json=PR_BODY, headers=AUTH)
        assert resp.status == 502 and "GitHub did not finish within 0.5 s" in (await resp.json())["error"]


async def test_a_slow_github_answers_is_installed_false_inside_the_clis_timeout(
    aiohttp_client: MakeClient, engine_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codeflash_engine.http.routes import cfapi

    monkeypatch.setattr(cfapi, "GITHUB_DEADLINE", 0.3)
    async with FakeGitHub(token="ghp_slow", latency=0.5) as github:
        github.add_repository("acme", "shop", {"pkg/sorter.py": "def f():\n    return 1\n"})
        client = await slow_github_client(aiohttp_client, engine_settings, github)
        started = time.monotonic()
        resp = await client.get("/cfapi/is-github-app-installed?owner=acme&repo=shop", headers=AUTH)
        assert resp.status == 200 and await resp.text() == "false"
        assert time.monotonic() - started < 0.45
        monkeypatch.setattr(cfapi, "GITHUB_DEADLINE", 5.0)
        resp = await client.get("/cfapi/is-github-app-installed?owner=acme&repo=shop", headers=AUTH)
        assert await resp.text() == "true"  # slow, not refused
