"""Opening pull requests on GitHub (or GitHub Enterprise) with the operator's credentials.

Built on gidgethub's aiohttp client. Two kinds of credentials:

- a token (``CODEFLASH_ENGINE_GITHUB_TOKEN``): a personal access token or a machine user's;
  it needs contents and pull requests, read and write, on the repositories;
- a GitHub App (``CODEFLASH_ENGINE_GITHUB_APP_ID`` and ``..._PRIVATE_KEY``): for each repository
  the engine finds the App's installation (``GET /repos/{owner}/{repo}/installation``, signed
  with the App's JWT) and works with a short-lived installation token, cached until shortly
  before it expires.

Everything is written through the Git data API: one commit holding every changed file, on a new
branch made from the base branch, then the pull request. Nothing touches the base branch.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import gidgethub
import gidgethub.apps
from gidgethub.aiohttp import GitHubAPI

from codeflash_engine import __version__
from codeflash_engine.settings import Settings

log = logging.getLogger(__name__)

USER_AGENT = f"codeflash-engine/{__version__}"
#: an installation token is renewed this long before it expires
_TOKEN_MARGIN = 300.0


class GitHubError(Exception):
    """A GitHub call failed; ``status`` is what the engine should answer (404, 403, 502, ...)."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@attrs.frozen
class GitHubCredentials:
    """Where GitHub is and how the engine signs in (a token, or an App's id and private key)."""

    api_url: str
    token: str | None = attrs.field(default=None, repr=False)
    app_id: str | None = None
    private_key: str | None = attrs.field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> GitHubCredentials | None:
        """The configured credentials, or None when the operator gave none.

        The App's private key may be the PEM text or the path of a ``.pem`` file.
        """
        api_url = settings.codeflash_engine_github_api_url.rstrip("/")
        if settings.codeflash_engine_github_token is not None:
            return cls(api_url, token=settings.codeflash_engine_github_token.get_secret_value())
        key = settings.codeflash_engine_github_app_private_key
        if settings.codeflash_engine_github_app_id and key is not None:
            pem = key.get_secret_value()
            if "-----BEGIN" not in pem:
                try:
                    pem = Path(pem).expanduser().read_text(encoding="utf-8")
                except OSError as exc:
                    raise GitHubError(
                        f"CODEFLASH_ENGINE_GITHUB_APP_PRIVATE_KEY is neither a PEM key nor a readable file: "
                        f"{exc.strerror}",
                        status=500,
                    ) from None
            return cls(api_url, app_id=settings.codeflash_engine_github_app_id, private_key=pem)
        return None


@attrs.frozen
class PullRequest:
    """A pull request as GitHub reports it."""

    number: int
    url: str
    head_ref: str = ""
    head_sha: str = ""
    base_ref: str = ""
    head_repo: str = ""


@attrs.frozen
class ReviewComment:
    """One line-range comment of a review (a suggestion), on the new side of the diff."""

    path: str
    start_line: int
    line: int
    body: str

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "line": self.line, "side": "RIGHT", "body": self.body}
        if self.start_line < self.line:
            out.update(start_line=self.start_line, start_side="RIGHT")
        return out


def _describe(exc: gidgethub.GitHubException, what: str) -> GitHubError:
    if isinstance(exc, gidgethub.BadRequest):
        status = int(exc.status_code)
        detail = str(exc) or exc.status_code.phrase
        if status == 404:
            return GitHubError(f"{what}: not found on GitHub, or the engine's credentials cannot see it", 404)
        if status in (401, 403):
            return GitHubError(f"{what}: GitHub refused the engine's credentials ({status}: {detail})", 403)
        if status == 422:
            return GitHubError(f"{what}: GitHub refused the request: {detail}", 409)
        return GitHubError(f"{what}: GitHub answered {status}: {detail}", 502)
    if isinstance(exc, gidgethub.HTTPException):
        return GitHubError(f"{what}: GitHub answered {int(exc.status_code)}", 502)
    return GitHubError(f"{what}: {exc}", 502)


class GitHub:
    """The engine's GitHub client: one aiohttp session for the service's lifetime.

    Use :func:`open_github`, or ``async with GitHub(credentials):``.
    """

    def __init__(self, credentials: GitHubCredentials, *, timeout: float = 30.0) -> None:
        self.credentials = credentials
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._installation_tokens: dict[str, tuple[str, float]] = {}  # "owner/repo" -> (token, expires)
        self._installation_permissions: dict[str, dict[str, str]] = {}  # "owner/repo" -> the App's permissions
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> GitHub:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _api(self, *, token: str | None = None, app: bool = False) -> GitHubAPI:
        if self._session is None:
            raise GitHubError("the GitHub client is not open", 500)
        creds = self.credentials
        if app:
            return GitHubAPI(
                self._session, USER_AGENT, app_id=creds.app_id, private_key=creds.private_key, base_url=creds.api_url
            )
        return GitHubAPI(self._session, USER_AGENT, oauth_token=token, base_url=creds.api_url)

    async def _call(self, what: str, coro: Any) -> Any:
        try:
            return await coro
        except gidgethub.GitHubException as exc:
            raise _describe(exc, what) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GitHubError(f"{what}: cannot reach GitHub at {self.credentials.api_url}: {exc!r}", 502) from None

    async def _repo_api(self, owner: str, repo: str) -> GitHubAPI:
        """A client acting on ``owner/repo``: the token's, or the App installation's."""
        if self.credentials.token is not None:
            return self._api(token=self.credentials.token)
        key = f"{owner}/{repo}".lower()
        async with self._lock:
            cached = self._installation_tokens.get(key)
            if cached is not None and cached[1] - _TOKEN_MARGIN > time.time():
                return self._api(token=cached[0])
            app = self._api(app=True)
            where = f"the GitHub App's installation on {owner}/{repo}"
            installation = await self._call(
                where, app.getitem("/repos/{owner}/{repo}/installation", {"owner": owner, "repo": repo})
            )
            assert self.credentials.app_id is not None and self.credentials.private_key is not None
            granted = await self._call(
                where,
                gidgethub.apps.get_installation_access_token(
                    app,
                    installation_id=str(installation["id"]),
                    app_id=self.credentials.app_id,
                    private_key=self.credentials.private_key,
                ),
            )
            permissions = installation.get("permissions")
            if isinstance(permissions, dict):
                self._installation_permissions[key] = {str(k): str(v) for k, v in permissions.items()}
            token = str(granted["token"])
            expires = _parse_time(granted.get("expires_at")) or time.time() + 3600
            self._installation_tokens[key] = (token, expires)
            return self._api(token=token)

    # --- questions ---------------------------------------------------------------------------

    async def can_open_pull_requests(self, owner: str, repo: str) -> bool:
        """Whether the engine's credentials can push branches to and open pull requests on the repository."""
        try:
            gh = await self._repo_api(owner, repo)
            info = await self._call(
                f"{owner}/{repo}", gh.getitem("/repos/{owner}/{repo}", {"owner": owner, "repo": repo})
            )
        except GitHubError as exc:
            log.info("cannot open pull requests on %s/%s: %s", owner, repo, exc.message)
            return False
        if self.credentials.token is None:  # the App is installed there: does it have the permissions?
            granted = self._installation_permissions.get(f"{owner}/{repo}".lower())
            if granted is None:
                return True
            return granted.get("contents") == "write" and granted.get("pull_requests") == "write"
        permissions = info.get("permissions") or {}
        return bool(permissions.get("push") or permissions.get("maintain") or permissions.get("admin"))

    async def pull_request(self, owner: str, repo: str, number: int) -> PullRequest:
        """One pull request: its head branch and commit, and its base branch."""
        gh = await self._repo_api(owner, repo)
        data = await self._call(
            f"pull request #{number} of {owner}/{repo}",
            gh.getitem("/repos/{owner}/{repo}/pulls/{number}", {"owner": owner, "repo": repo, "number": number}),
        )
        head = data.get("head") or {}
        return PullRequest(
            number=int(data["number"]),
            url=str(data.get("html_url", "")),
            head_ref=str(head.get("ref", "")),
            head_sha=str(head.get("sha", "")),
            base_ref=str((data.get("base") or {}).get("ref", "")),
            head_repo=str((head.get("repo") or {}).get("full_name", "")),
        )

    async def pull_request_patches(self, owner: str, repo: str, number: int) -> dict[str, str]:
        """The pull request's diff, file by file (path -> unified-diff hunks; binary files left out)."""
        gh = await self._repo_api(owner, repo)
        out: dict[str, str] = {}
        url = "/repos/{owner}/{repo}/pulls/{number}/files?per_page=100"

        async def collect() -> None:
            async for item in gh.getiter(url, {"owner": owner, "repo": repo, "number": number}):
                if isinstance(item.get("patch"), str):
                    out[str(item["filename"])] = item["patch"]

        await self._call(f"the files of pull request #{number} of {owner}/{repo}", collect())
        return out

    # --- changes -----------------------------------------------------------------------------

    async def commit_files(
        self, owner: str, repo: str, *, base: str, branch: str, files: Mapping[str, str], message: str
    ) -> str:
        """Create ``branch`` from ``base`` (a branch name or a commit sha) with one commit writing ``files``.

        Returns the new commit's sha.
        """
        gh = await self._repo_api(owner, repo)
        where = {"owner": owner, "repo": repo}
        name = f"{owner}/{repo}"
        if len(base) == 40 and all(c in "0123456789abcdef" for c in base):
            parent = base
        else:
            ref = await self._call(
                f"branch {base!r} of {name}",
                gh.getitem("/repos/{owner}/{repo}/git/ref/heads/{+base}", {**where, "base": base}),
            )
            parent = str(ref["object"]["sha"])
        commit = await self._call(
            f"commit {parent} of {name}",
            gh.getitem("/repos/{owner}/{repo}/git/commits/{sha}", {**where, "sha": parent}),
        )
        modes = await self._file_modes(gh, owner, repo, commit["tree"]["sha"], list(files))
        entries = [
            {"path": path, "mode": modes.get(path, "100644"), "type": "blob", "content": text}
            for path, text in files.items()
        ]
        tree = await self._call(
            f"a tree on {name}",
            gh.post(
                "/repos/{owner}/{repo}/git/trees", where, data={"base_tree": commit["tree"]["sha"], "tree": entries}
            ),
        )
        new_commit = await self._call(
            f"a commit on {name}",
            gh.post(
                "/repos/{owner}/{repo}/git/commits",
                where,
                data={"message": message, "tree": tree["sha"], "parents": [parent]},
            ),
        )
        sha = str(new_commit["sha"])
        await self._call(
            f"branch {branch!r} on {name}",
            gh.post("/repos/{owner}/{repo}/git/refs", where, data={"ref": f"refs/heads/{branch}", "sha": sha}),
        )
        return sha

    async def _file_modes(
        self, gh: GitHubAPI, owner: str, repo: str, root: str, paths: Sequence[str]
    ) -> dict[str, str]:
        """The git modes of ``paths`` in tree ``root`` (``100755`` for an executable file), read
        directory by directory; a path not found (a new file) is left out."""
        listings: dict[str, dict[str, dict[str, Any]]] = {}

        async def listing(sha: str) -> dict[str, dict[str, Any]]:
            if sha not in listings:
                data = await self._call(
                    f"tree {sha} of {owner}/{repo}",
                    gh.getitem("/repos/{owner}/{repo}/git/trees/{sha}", {"owner": owner, "repo": repo, "sha": sha}),
                )
                listings[sha] = {str(e["path"]): e for e in data.get("tree", []) if isinstance(e, dict)}
            return listings[sha]

        modes: dict[str, str] = {}
        for path in paths:
            *folders, name = path.split("/")
            current = root
            for folder in folders:
                entry = (await listing(current)).get(folder)
                if entry is None or entry.get("type") != "tree":
                    break
                current = str(entry["sha"])
            else:
                entry = (await listing(current)).get(name)
                if entry is not None and entry.get("type") == "blob":
                    modes[path] = str(entry["mode"])
        return modes

    async def propose(
        self,
        owner: str,
        repo: str,
        *,
        start: str,
        branch: str,
        files: Mapping[str, str],
        message: str,
        into: str,
        title: str,
        body: str,
    ) -> PullRequest:
        """A new ``branch`` from ``start`` with one commit writing ``files``, and its pull request into ``into``.

        When GitHub refuses the pull request (a 4xx: no permission on pull requests, a branch
        protection rule, an invalid base), the branch just pushed is deleted again, so a failed
        attempt leaves nothing behind in the user's repository; a failed delete is logged. On a
        5xx or no answer the pull request may exist all the same, so the branch is kept.
        """
        await self.commit_files(owner, repo, base=start, branch=branch, files=files, message=message)
        try:
            return await self.open_pull_request(owner, repo, head=branch, base=into, title=title, body=body)
        except GitHubError as exc:
            if exc.status < 500:
                await self._delete_branch(owner, repo, branch)
            raise

    async def _delete_branch(self, owner: str, repo: str, branch: str) -> None:
        gh = await self._repo_api(owner, repo)
        try:
            await self._call(
                f"branch {branch!r} of {owner}/{repo}",
                gh.delete(
                    "/repos/{owner}/{repo}/git/refs/heads/{+branch}", {"owner": owner, "repo": repo, "branch": branch}
                ),
            )
        except GitHubError as exc:
            log.warning("could not delete the branch the refused pull request left behind: %s", exc.message)

    async def open_pull_request(
        self, owner: str, repo: str, *, head: str, base: str, title: str, body: str
    ) -> PullRequest:
        """Open a pull request of branch ``head`` into ``base``."""
        gh = await self._repo_api(owner, repo)
        data = await self._call(
            f"a pull request on {owner}/{repo}",
            gh.post(
                "/repos/{owner}/{repo}/pulls",
                {"owner": owner, "repo": repo},
                data={"title": title, "head": head, "base": base, "body": body, "maintainer_can_modify": True},
            ),
        )
        return PullRequest(number=int(data["number"]), url=str(data.get("html_url", "")), head_ref=head, base_ref=base)

    async def post_review(
        self, owner: str, repo: str, number: int, *, commit: str, body: str, comments: Sequence[ReviewComment]
    ) -> str:
        """A review of pull request ``number`` with line comments (suggestions); returns its URL."""
        gh = await self._repo_api(owner, repo)
        data = await self._call(
            f"a review on pull request #{number} of {owner}/{repo}",
            gh.post(
                "/repos/{owner}/{repo}/pulls/{number}/reviews",
                {"owner": owner, "repo": repo, "number": number},
                data={
                    "commit_id": commit,
                    "body": body,
                    "event": "COMMENT",
                    "comments": [c.as_json() for c in comments],
                },
            ),
        )
        return str(data.get("html_url", ""))


def _parse_time(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    with contextlib.suppress(ValueError):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return None


@contextlib.asynccontextmanager
async def open_github(settings: Settings) -> AsyncIterator[GitHub | None]:
    """The engine's GitHub client as configured, or None when no credentials were given."""
    credentials = GitHubCredentials.from_settings(settings)
    if credentials is None:
        yield None
        return
    async with GitHub(credentials, timeout=settings.codeflash_engine_github_timeout) as github:
        log.info(
            "pull requests enabled through %s (%s)",
            credentials.api_url,
            "a token" if credentials.token else f"GitHub App {credentials.app_id}",
        )
        yield github
