"""The engine's GitHub client (:mod:`codeflash_engine.infra.github`) driven directly against the fake
GitHub: which settings make credentials, the status each GitHub failure becomes, when an
installation token is renewed (on a clock the test moves), the App's and the token's permissions,
what a pull request reads as, binary files left out of its patches, files in new folders, and the
request that opens a pull request."""

from __future__ import annotations

import json
import types
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import gidgethub
import pytest
from aiohttp import web
from pydantic import SecretStr

from codeflash_engine.infra import github as github_module
from codeflash_engine.infra.github import GitHub, GitHubCredentials, GitHubError, PullRequest, _describe
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_github import FakeGitHub, FakeRepo

TOKEN = "ghp_direct"
OLD = "def sort_list(xs):\n    return xs\n"


@pytest.fixture
async def fake() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub(token=TOKEN) as github:
        github.add_repository("acme", "shop", {"pkg/sorter.py": OLD})
        yield github


@pytest.fixture
async def client(fake: FakeGitHub) -> AsyncIterator[GitHub]:
    async with GitHub(GitHubCredentials(fake.url, token=TOKEN)) as github:
        yield github


# --- credentials from the settings -----------------------------------------------------------------


def test_an_app_needs_both_its_id_and_its_key(engine_settings: Settings, app_key: tuple[str, str]) -> None:
    key = SecretStr(app_key[0])
    only_key = engine_settings.model_copy(update={"codeflash_engine_github_app_private_key": key})
    only_id = engine_settings.model_copy(update={"codeflash_engine_github_app_id": "4242"})
    assert GitHubCredentials.from_settings(only_key) is None
    assert GitHubCredentials.from_settings(only_id) is None
    both = only_key.model_copy(
        update={"codeflash_engine_github_app_id": "4242", "codeflash_engine_github_api_url": "https://ghe.example/api/"}
    )
    credentials = GitHubCredentials.from_settings(both)
    assert credentials == GitHubCredentials("https://ghe.example/api", app_id="4242", private_key=app_key[0])


def test_an_app_key_that_is_no_pem_and_no_file_is_a_configuration_error(
    engine_settings: Settings, tmp_path: Path
) -> None:
    settings = engine_settings.model_copy(
        update={
            "codeflash_engine_github_app_id": "4242",
            "codeflash_engine_github_app_private_key": SecretStr(str(tmp_path / "missing.pem")),
        }
    )
    with pytest.raises(GitHubError) as raised:
        GitHubCredentials.from_settings(settings)
    assert raised.value.status == 500 and "neither a PEM key nor a readable file" in raised.value.message


def test_the_credentials_never_show_their_secrets() -> None:
    credentials = GitHubCredentials(
        "https://api.github.com", token="ghp_secret", app_id="4242", private_key="PEM-SECRET"
    )
    assert "ghp_secret" not in repr(credentials) and "PEM-SECRET" not in repr(credentials)
    assert "4242" in repr(credentials)


# --- GitHub's failures, as statuses ----------------------------------------------------------------


def _failing(fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, error: web.HTTPException) -> None:
    """Every request for the repository's pull request answers ``error``."""
    find = fake._repo

    def repo_or_fail(request: web.Request) -> FakeRepo:
        if "/pulls" in request.path:
            raise error
        return find(request)

    monkeypatch.setattr(fake, "_repo", repo_or_fail)


@pytest.mark.parametrize(
    ("error", "status", "said"),
    [
        (web.HTTPNotFound(), 404, "not found on GitHub"),
        (web.HTTPUnauthorized(), 403, "refused the engine's credentials (401"),
        (web.HTTPForbidden(), 403, "refused the engine's credentials (403"),
        (web.HTTPUnprocessableEntity(), 409, "GitHub refused the request"),
        (web.HTTPConflict(), 502, "GitHub answered 409"),
        (web.HTTPServiceUnavailable(), 502, "GitHub answered 503"),
    ],
)
async def test_each_github_failure_becomes_a_status_the_engine_can_answer(
    fake: FakeGitHub,
    client: GitHub,
    monkeypatch: pytest.MonkeyPatch,
    error: web.HTTPException,
    status: int,
    said: str,
) -> None:
    fake.add_branch("acme", "shop", "feature", {"pkg/sorter.py": "X = 1\n"})
    pull = fake.add_pull("acme", "shop", head="feature")
    _failing(fake, monkeypatch, error)
    with pytest.raises(GitHubError) as raised:
        await client.pull_request("acme", "shop", pull.number)
    assert raised.value.status == status and said in raised.value.message
    assert raised.value.message.startswith(f"pull request #{pull.number} of acme/shop: ")


def test_any_other_github_failure_is_a_502() -> None:
    error = _describe(gidgethub.ValidationFailure("signature mismatch"), "a webhook")
    assert (error.status, error.message) == (502, "a webhook: signature mismatch")


async def test_a_github_that_cannot_be_reached_is_a_502() -> None:
    fake = FakeGitHub(token=TOKEN)
    async with fake:
        url = fake.url  # a port nothing listens on once the fake stopped
    async with GitHub(GitHubCredentials(url, token=TOKEN)) as github:
        with pytest.raises(GitHubError) as raised:
            await github.pull_request("acme", "shop", 1)
    assert raised.value.status == 502
    assert raised.value.message.startswith(f"pull request #1 of acme/shop: cannot reach GitHub at {url}: ")


async def test_a_closed_client_says_so(fake: FakeGitHub) -> None:
    github = GitHub(GitHubCredentials(fake.url, token=TOKEN))
    async with github:
        assert await github.can_open_pull_requests("acme", "shop")
    await github.__aexit__(None, None, None)  # a second close is harmless
    with pytest.raises(GitHubError) as raised:
        await github.pull_request("acme", "shop", 1)
    assert (raised.value.status, raised.value.message) == (500, "the GitHub client is not open")


# --- installation tokens, on the test's clock -------------------------------------------------------


class TokensWithoutExpiry(FakeGitHub):
    """A GitHub whose installation tokens come without ``expires_at`` (or with ``expiry`` as it)."""

    expiry: Any = None

    async def _access_token(self, request: web.Request) -> web.Response:
        token = f"ghs_token_{len(self.installation_tokens)}"
        self.installation_tokens.add(token)
        answer = {"token": token} if self.expiry is None else {"token": token, "expires_at": self.expiry}
        return web.json_response(answer, status=201)


def token_requests(github: FakeGitHub) -> int:
    return sum(1 for c in github.calls if c.method == "POST" and c.path.endswith("/access_tokens"))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The GitHub client's clock (``time.time`` as its module sees it): set ``clock[0]``."""
    now = [1000.0]
    monkeypatch.setattr(github_module, "time", types.SimpleNamespace(time=lambda: now[0]))
    return now


def app_client(fake: FakeGitHub, private_key: str) -> GitHub:
    return GitHub(GitHubCredentials(fake.url, app_id="4242", private_key=private_key))


async def test_a_token_without_an_expiry_is_kept_an_hour_less_the_margin(
    app_key: tuple[str, str], clock: list[float]
) -> None:
    fake = TokensWithoutExpiry(app_id="4242", app_public_key=app_key[1])
    async with fake:
        for i, name in enumerate(("early", "due", "late")):
            fake.add_repository("acme", name, installation=70 + i)
        async with app_client(fake, app_key[0]) as github:
            for name in ("early", "due", "late"):
                assert await github.can_open_pull_requests("acme", name)  # a token each, at 1000 s
            assert token_requests(fake) == 3
            renewed = []
            # an hour after 1000 s, less the 300 s margin: renewed from 4300 s on
            for name, now in (("early", 4299.5), ("due", 4300.0), ("late", 4300.5)):
                clock[0] = now
                before = token_requests(fake)
                assert await github.can_open_pull_requests("acme", name)
                renewed.append(token_requests(fake) - before)
            assert renewed == [0, 1, 1]


async def test_an_unreadable_expiry_counts_as_none(app_key: tuple[str, str], clock: list[float]) -> None:
    fake = TokensWithoutExpiry(app_id="4242", app_public_key=app_key[1])
    async with fake:
        fake.expiry = "in an hour"
        fake.add_repository("acme", "shop", installation=77)
        async with app_client(fake, app_key[0]) as github:
            assert await github.can_open_pull_requests("acme", "shop")
            clock[0] = 4299.0
            assert await github.can_open_pull_requests("acme", "shop")
            assert token_requests(fake) == 1


async def test_an_expiry_in_utc_is_read_to_the_second(app_key: tuple[str, str], clock: list[float]) -> None:
    fake = TokensWithoutExpiry(app_id="4242", app_public_key=app_key[1])
    async with fake:
        fake.expiry = "1970-01-01T00:30:00Z"  # 1800 s
        fake.add_repository("acme", "shop", installation=77)
        async with app_client(fake, app_key[0]) as github:
            assert await github.can_open_pull_requests("acme", "shop")
            for now, tokens in ((1499.0, 1), (1500.0, 2)):
                clock[0] = now
                assert await github.can_open_pull_requests("acme", "Shop")  # one token for any case
                assert token_requests(fake) == tokens


# --- permissions -----------------------------------------------------------------------------------


async def test_an_installation_without_permissions_listed_is_trusted(app_key: tuple[str, str]) -> None:
    async with FakeGitHub(app_id="4242", app_public_key=app_key[1]) as fake:
        fake.add_repository("acme", "shop", installation=77)
        fake.repo("acme", "shop").app_permissions = None  # type: ignore[assignment]
        async with app_client(fake, app_key[0]) as github:
            assert await github.can_open_pull_requests("acme", "shop")


@pytest.mark.parametrize(
    ("permissions", "able"),
    [
        ({"admin": False, "maintain": False, "push": True}, True),
        ({"admin": False, "maintain": True, "push": False}, True),
        ({"admin": True, "maintain": False, "push": False}, True),
        ({"admin": False, "maintain": False, "push": False, "pull": True}, False),
        (None, False),
    ],
)
async def test_a_token_can_open_pull_requests_where_it_may_push(
    permissions: dict[str, bool] | None, able: bool
) -> None:
    async def get_repo(request: web.Request) -> web.Response:
        data: dict[str, Any] = {"full_name": "acme/shop"}
        if permissions is not None:
            data["permissions"] = permissions
        return web.json_response(data)

    fake = FakeGitHub(token=TOKEN)
    fake._get_repo = get_repo  # type: ignore[method-assign]
    async with fake, GitHub(GitHubCredentials(fake.url, token=TOKEN)) as github:
        fake.add_repository("acme", "shop")
        assert await github.can_open_pull_requests("acme", "shop") is able


# --- reading a pull request ------------------------------------------------------------------------


async def test_a_pull_request_reads_as_github_describes_it(fake: FakeGitHub, client: GitHub) -> None:
    head = fake.add_branch("acme", "shop", "feature", {"pkg/sorter.py": "X = 1\n"})
    pull = fake.add_pull("acme", "shop", head="feature")
    assert await client.pull_request("acme", "shop", pull.number) == PullRequest(
        number=pull.number,
        url=f"{fake.url}/acme/shop/pull/{pull.number}",
        head_ref="feature",
        head_sha=head,
        base_ref="main",
        head_repo="acme/shop",
    )


async def test_binary_files_are_left_out_of_the_patches() -> None:
    fake = FakeGitHub(token=TOKEN)
    as_github_says = fake._get_pull_files

    async def with_a_binary_file(request: web.Request) -> web.Response:
        answer = await as_github_says(request)
        assert isinstance(answer.body, bytes)
        return web.json_response([*json.loads(answer.body), {"filename": "logo.png", "status": "added"}])

    fake._get_pull_files = with_a_binary_file  # type: ignore[method-assign]
    async with fake, GitHub(GitHubCredentials(fake.url, token=TOKEN)) as github:
        fake.add_repository("acme", "shop", {"pkg/sorter.py": OLD})
        fake.add_branch("acme", "shop", "feature", {"pkg/sorter.py": "X = 1\n"})
        pull = fake.add_pull("acme", "shop", head="feature")
        patches = await github.pull_request_patches("acme", "shop", pull.number)
    assert list(patches) == ["pkg/sorter.py"] and "+X = 1" in patches["pkg/sorter.py"]


# --- writing ---------------------------------------------------------------------------------------


async def test_files_in_new_folders_are_written_as_plain_files(fake: FakeGitHub, client: GitHub) -> None:
    fake.add_repository("acme", "tools", {"run.sh": "echo 1\n", "bin/x": "x\n"}, modes={"run.sh": "100755"})
    # a new file named like an executable one higher up is no executable
    files = {
        "new/deep/run.sh": "echo 2\n",
        "bin/new/run.sh": "echo 3\n",
        "pkg/run.sh": "echo 4\n",
        "run.sh": "echo 5\n",
    }
    sha = await client.commit_files("acme", "tools", base="main", branch="b1", files=files, message="m")
    assert fake.commit_of("acme", "tools", "b1").sha == sha
    assert fake.files_at("acme", "tools", "b1")["new/deep/run.sh"] == "echo 2\n"
    modes = {path: fake.mode_at("acme", "tools", "b1", path) for path in files}
    assert modes == {
        "new/deep/run.sh": "100644",
        "bin/new/run.sh": "100644",
        "pkg/run.sh": "100644",
        "run.sh": "100755",
    }


async def test_a_commit_sha_as_base_is_used_as_the_parent(fake: FakeGitHub, client: GitHub) -> None:
    main = fake.commit_of("acme", "shop", "main").sha
    await client.commit_files("acme", "shop", base=main, branch="b2", files={"a.py": "A\n"}, message="m")
    assert fake.commit_of("acme", "shop", "b2").parents == [main]
    assert not any("/git/ref/" in c.path for c in fake.calls)  # no branch looked up


async def test_the_pull_request_lets_maintainers_edit_it(fake: FakeGitHub, client: GitHub) -> None:
    await client.commit_files("acme", "shop", base="main", branch="b3", files={"a.py": "A\n"}, message="m")
    pull = await client.open_pull_request("acme", "shop", head="b3", base="main", title="t", body="b")
    assert (pull.head_ref, pull.base_ref, pull.url) == ("b3", "main", f"{fake.url}/acme/shop/pull/{pull.number}")
    [opened] = [c for c in fake.calls if c.method == "POST" and c.path.endswith("/pulls")]
    assert opened.body == {"title": "t", "head": "b3", "base": "main", "body": "b", "maintainer_can_modify": True}
