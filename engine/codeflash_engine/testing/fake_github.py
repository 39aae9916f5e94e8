"""A fake GitHub REST API on loopback: the endpoints the engine uses to open pull requests.

Like :mod:`codeflash_engine.testing.fake_llm`, an aiohttp server on a free loopback port that the
engine reaches over HTTP through its real client (gidgethub), never a mock. Repositories live in
memory: a branch is a ref to a commit, a commit a flat tree (path -> text). It records every
request, and what the engine created (branches, commits, pull requests, reviews), for assertions.

Endpoints: ``GET /repos/{o}/{r}``, ``GET /repos/{o}/{r}/installation``,
``POST /app/installations/{id}/access_tokens``, ``GET /repos/{o}/{r}/git/ref/{ref}``,
``GET /repos/{o}/{r}/git/commits/{sha}``, ``POST /repos/{o}/{r}/git/trees``,
``POST /repos/{o}/{r}/git/commits``, ``POST /repos/{o}/{r}/git/refs``,
``POST /repos/{o}/{r}/pulls``, ``GET /repos/{o}/{r}/pulls/{n}``, ``GET /repos/{o}/{r}/pulls/{n}/files``,
``POST /repos/{o}/{r}/pulls/{n}/reviews``.

```python
async with FakeGitHub(token="ghp_test") as github:
    github.add_repository("acme", "shop", {"pkg/a.py": "def f(): ..."})
    # engine: CODEFLASH_ENGINE_GITHUB_API_URL=github.url, CODEFLASH_ENGINE_GITHUB_TOKEN=ghp_test
    ...
    pr = github.pulls("acme", "shop")[0]
    assert "def f" in github.files_at("acme", "shop", pr.head)["pkg/a.py"]
```

Standalone: ``python -m codeflash_engine.testing.fake_github --port 8300 --token T --repo acme/shop``.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import hashlib
import json
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
import jwt
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _sha(kind: str, payload: Any) -> str:
    return hashlib.sha1(f"{kind}:{json.dumps(payload, sort_keys=True)}".encode()).hexdigest()


@attrs.define
class FakeCommit:
    sha: str
    tree: str
    parents: list[str]
    message: str


@attrs.define
class FakePull:
    """A pull request held by the fake: ``head`` and ``base`` are branch names."""

    number: int
    title: str
    body: str
    head: str
    base: str
    state: str = "open"


@attrs.define
class FakeReview:
    pull_number: int
    commit_id: str
    body: str
    comments: list[dict[str, Any]]


@attrs.define
class FakeRepo:
    owner: str
    name: str
    trees: dict[str, dict[str, str]] = attrs.field(factory=dict)
    #: git modes other than 100644, per tree: tree sha -> path -> mode (e.g. 100755)
    modes: dict[str, dict[str, str]] = attrs.field(factory=dict)
    commits: dict[str, FakeCommit] = attrs.field(factory=dict)
    refs: dict[str, str] = attrs.field(factory=dict)  # "heads/main" -> commit sha
    pulls: list[FakePull] = attrs.field(factory=list)
    reviews: list[FakeReview] = attrs.field(factory=list)
    push: bool = True
    #: False: opening a pull request is refused (a token with contents but not pull requests)
    pull_requests: bool = True
    installation: int | None = None
    #: the App's permissions on the repository, as GitHub reports them for its installation
    app_permissions: dict[str, str] = attrs.field(
        factory=lambda: {"contents": "write", "pull_requests": "write", "metadata": "read"}
    )

    def put_tree(self, files: Mapping[str, str], modes: Mapping[str, str] | None = None) -> str:
        kept = {path: mode for path, mode in (modes or {}).items() if mode != "100644" and path in files}
        sha = _sha("tree", [dict(files), kept])
        self.trees[sha] = dict(files)
        self.modes[sha] = kept
        return sha

    def listing(self, sha: str) -> list[dict[str, Any]]:
        """One directory of a tree, as ``GET /git/trees/{sha}`` lists it (``sha`` is ``<tree>`` or
        ``<tree>:<folder>`` for a folder: the fake keeps trees flat)."""
        root, _, folder = sha.partition(":")
        files, modes = self.trees[root], self.modes.get(root, {})
        prefix = folder + "/" if folder else ""
        entries: dict[str, dict[str, Any]] = {}
        for path in sorted(files):
            if not path.startswith(prefix):
                continue
            name, slash, _ = path[len(prefix) :].partition("/")
            if slash:
                entries.setdefault(
                    name, {"path": name, "mode": "040000", "type": "tree", "sha": f"{root}:{prefix}{name}"}
                )
            else:
                entries[name] = {
                    "path": name,
                    "mode": modes.get(path, "100644"),
                    "type": "blob",
                    "sha": _sha("blob", files[path]),
                }
        if folder and not entries:
            raise KeyError(sha)
        return list(entries.values())

    def put_commit(self, tree: str, parents: list[str], message: str) -> str:
        sha = _sha("commit", [tree, parents, message, time.time_ns()])
        self.commits[sha] = FakeCommit(sha, tree, parents, message)
        return sha


@attrs.frozen
class RecordedCall:
    method: str
    path: str
    body: Any
    authorization: str


class FakeGitHub:
    """The fake server. ``token``: the token it accepts (None: any); ``app_id`` and
    ``app_public_key``: a GitHub App whose JWTs it accepts (checked with PyJWT); ``latency``:
    seconds each answer waits."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        app_id: str | None = None,
        app_public_key: str | None = None,
        latency: float = 0.0,
    ) -> None:
        self.host = host
        #: seconds every answer waits (a slow GitHub)
        self.latency = latency
        self.port = port
        self.token = token
        self.app_id = app_id
        self.app_public_key = app_public_key
        self.repos: dict[tuple[str, str], FakeRepo] = {}
        self.calls: list[RecordedCall] = []
        self.installation_tokens: set[str] = set()
        self._runner: web.AppRunner | None = None
        self._next_number = 1

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> FakeGitHub:
        """Listen on ``host:port`` (port 0: a free one, then in :attr:`port`)."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeGitHub:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The API's base URL (``CODEFLASH_ENGINE_GITHUB_API_URL``)."""
        return f"http://{self.host}:{self.port}"

    # --- seeding and inspection --------------------------------------------------------------------

    def add_repository(
        self,
        owner: str,
        name: str,
        files: Mapping[str, str] | None = None,
        *,
        branch: str = "main",
        push: bool = True,
        installation: int | None = None,
        modes: Mapping[str, str] | None = None,
    ) -> FakeRepo:
        """A repository whose ``branch`` holds ``files`` in one commit. ``push``: whether the token
        may write; ``installation``: the id of the App's installation on it (None: not installed)."""
        repo = FakeRepo(owner, name, push=push, installation=installation)
        tree = repo.put_tree(files or {}, modes)
        repo.refs[f"heads/{branch}"] = repo.put_commit(tree, [], "initial")
        self.repos[(owner.lower(), name.lower())] = repo
        return repo

    def add_branch(self, owner: str, name: str, branch: str, files: Mapping[str, str], *, base: str = "main") -> str:
        """A branch on top of ``base`` whose tree is ``base``'s with ``files`` written; its commit sha."""
        repo = self.repo(owner, name)
        parent = repo.refs[f"heads/{base}"]
        tree = repo.put_tree({**repo.trees[repo.commits[parent].tree], **files})
        sha = repo.put_commit(tree, [parent], f"change on {branch}")
        repo.refs[f"heads/{branch}"] = sha
        return sha

    def add_pull(self, owner: str, name: str, *, head: str, base: str = "main", title: str = "a change") -> FakePull:
        """An open pull request of branch ``head`` into ``base``."""
        pull = FakePull(self._next_number, title, "", head, base)
        self._next_number += 1
        self.repo(owner, name).pulls.append(pull)
        return pull

    def repo(self, owner: str, name: str) -> FakeRepo:
        return self.repos[(owner.lower(), name.lower())]

    def pulls(self, owner: str, name: str) -> list[FakePull]:
        """The repository's pull requests, oldest first."""
        return list(self.repo(owner, name).pulls)

    def reviews(self, owner: str, name: str) -> list[FakeReview]:
        return list(self.repo(owner, name).reviews)

    def files_at(self, owner: str, name: str, branch: str) -> dict[str, str]:
        """The files of a branch's head commit."""
        repo = self.repo(owner, name)
        return dict(repo.trees[repo.commits[repo.refs[f"heads/{branch}"]].tree])

    def mode_at(self, owner: str, name: str, branch: str, path: str) -> str:
        """The git mode of a file on a branch (100644 or 100755)."""
        repo = self.repo(owner, name)
        return repo.modes.get(repo.commits[repo.refs[f"heads/{branch}"]].tree, {}).get(path, "100644")

    def commit_of(self, owner: str, name: str, branch: str) -> FakeCommit:
        repo = self.repo(owner, name)
        return repo.commits[repo.refs[f"heads/{branch}"]]

    # --- the HTTP API ------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_get("/repos/{owner}/{repo}", self._get_repo)
        r.add_get("/repos/{owner}/{repo}/installation", self._get_installation)
        r.add_post("/app/installations/{id}/access_tokens", self._access_token)
        r.add_get("/repos/{owner}/{repo}/git/ref/{ref:.+}", self._get_ref)
        r.add_get("/repos/{owner}/{repo}/git/commits/{sha}", self._get_commit)
        r.add_get("/repos/{owner}/{repo}/git/trees/{sha}", self._get_tree)
        r.add_post("/repos/{owner}/{repo}/git/trees", self._post_tree)
        r.add_post("/repos/{owner}/{repo}/git/commits", self._post_commit)
        r.add_post("/repos/{owner}/{repo}/git/refs", self._post_ref)
        r.add_delete("/repos/{owner}/{repo}/git/refs/{ref:.+}", self._delete_ref)
        r.add_post("/repos/{owner}/{repo}/pulls", self._post_pull)
        r.add_get("/repos/{owner}/{repo}/pulls/{number}", self._get_pull)
        r.add_get("/repos/{owner}/{repo}/pulls/{number}/files", self._get_pull_files)
        r.add_post("/repos/{owner}/{repo}/pulls/{number}/reviews", self._post_review)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return _error(400, "Problems parsing JSON")
        authorization = request.headers.get("Authorization", "")
        self.calls.append(RecordedCall(request.method, request.path, body, authorization))
        request["json"] = body
        if self.latency:
            await asyncio.sleep(self.latency)
        scheme, _, credential = authorization.partition(" ")
        if request.path.startswith("/app/") or request.path.endswith("/installation"):
            if scheme.lower() != "bearer" or not self._valid_jwt(credential):
                return _error(401, "A JSON web token could not be decoded")
        elif not self._valid_token(credential):
            return _error(401, "Bad credentials")
        try:
            return await handler(request)
        except KeyError:
            return _error(404, "Not Found")

    def _valid_token(self, credential: str) -> bool:
        return credential in self.installation_tokens or self.token is None or credential == self.token

    def _valid_jwt(self, token: str) -> bool:
        if self.app_id is None or self.app_public_key is None:
            return False
        try:
            claims = jwt.decode(token, self.app_public_key, algorithms=["RS256"])
        except jwt.PyJWTError:
            return False
        return str(claims.get("iss")) == self.app_id

    def _repo(self, request: web.Request) -> FakeRepo:
        return self.repo(request.match_info["owner"], request.match_info["repo"])

    def _pull_json(self, repo: FakeRepo, pull: FakePull) -> dict[str, Any]:
        full = f"{repo.owner}/{repo.name}"
        return {
            "number": pull.number,
            "state": pull.state,
            "title": pull.title,
            "body": pull.body,
            "html_url": f"{self.url}/{full}/pull/{pull.number}",
            "head": {"ref": pull.head, "sha": repo.refs.get(f"heads/{pull.head}", ""), "repo": {"full_name": full}},
            "base": {"ref": pull.base, "sha": repo.refs.get(f"heads/{pull.base}", ""), "repo": {"full_name": full}},
        }

    async def _get_repo(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        return web.json_response(
            {
                "full_name": f"{repo.owner}/{repo.name}",
                "default_branch": "main",
                "permissions": {"admin": False, "maintain": False, "push": repo.push, "pull": True},
            }
        )

    async def _get_installation(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        if repo.installation is None:
            return _error(404, "Not Found")
        return web.json_response({"id": repo.installation, "app_id": self.app_id, "permissions": repo.app_permissions})

    async def _access_token(self, request: web.Request) -> web.Response:
        token = f"ghs_{hashlib.sha1(str(time.time_ns()).encode()).hexdigest()[:36]}"
        self.installation_tokens.add(token)
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        return web.json_response({"token": token, "expires_at": expires}, status=201)

    async def _get_ref(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        ref = request.match_info["ref"]
        sha = repo.refs[ref]
        return web.json_response({"ref": f"refs/{ref}", "object": {"sha": sha, "type": "commit"}})

    async def _get_commit(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        commit = repo.commits[request.match_info["sha"]]
        return web.json_response(
            {
                "sha": commit.sha,
                "message": commit.message,
                "tree": {"sha": commit.tree},
                "parents": [{"sha": p} for p in commit.parents],
            }
        )

    async def _get_tree(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        sha = request.match_info["sha"]
        return web.json_response({"sha": sha, "tree": repo.listing(sha), "truncated": False})

    async def _post_tree(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        data = request["json"] or {}
        base = data.get("base_tree")
        files = dict(repo.trees[base]) if base else {}
        modes = dict(repo.modes.get(base, {})) if base else {}
        for entry in data.get("tree", []):
            if entry.get("type") != "blob" or not isinstance(entry.get("content"), str):
                return _error(422, "only blob entries with content are supported by the fake")
            if entry.get("mode") not in ("100644", "100755"):
                return _error(422, f"tree.mode {entry.get('mode')!r} is not a file mode")
            files[entry["path"]] = entry["content"]
            modes[entry["path"]] = entry["mode"]
        return web.json_response({"sha": repo.put_tree(files, modes)}, status=201)

    async def _post_commit(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        data = request["json"] or {}
        if data.get("tree") not in repo.trees or any(p not in repo.commits for p in data.get("parents", [])):
            return _error(422, "Tree or parent SHA does not exist")
        sha = repo.put_commit(data["tree"], list(data.get("parents", [])), str(data.get("message", "")))
        return web.json_response({"sha": sha}, status=201)

    async def _post_ref(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        if not repo.push:
            return _error(403, "Resource not accessible by personal access token")
        data = request["json"] or {}
        ref = str(data.get("ref", ""))
        if not ref.startswith("refs/") or data.get("sha") not in repo.commits:
            return _error(422, "Reference update failed")
        if ref.removeprefix("refs/") in repo.refs:
            return _error(422, "Reference already exists")
        repo.refs[ref.removeprefix("refs/")] = data["sha"]
        return web.json_response({"ref": ref, "object": {"sha": data["sha"]}}, status=201)

    async def _delete_ref(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        if not repo.push:
            return _error(403, "Resource not accessible by personal access token")
        if request.match_info["ref"] not in repo.refs:
            return _error(422, "Reference does not exist")
        del repo.refs[request.match_info["ref"]]
        return web.Response(status=204)

    async def _post_pull(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        if not repo.pull_requests:
            return _error(403, "Resource not accessible by integration")
        data = request["json"] or {}
        head, base = str(data.get("head", "")), str(data.get("base", ""))
        if f"heads/{head}" not in repo.refs or f"heads/{base}" not in repo.refs:
            return _error(422, "Validation Failed", [{"resource": "PullRequest", "field": "head", "code": "invalid"}])
        pull = FakePull(self._next_number, str(data.get("title", "")), str(data.get("body") or ""), head, base)
        self._next_number += 1
        repo.pulls.append(pull)
        return web.json_response(self._pull_json(repo, pull), status=201)

    def _pull(self, request: web.Request) -> tuple[FakeRepo, FakePull]:
        repo = self._repo(request)
        number = int(request.match_info["number"])
        for pull in repo.pulls:
            if pull.number == number:
                return repo, pull
        raise KeyError(number)

    async def _get_pull(self, request: web.Request) -> web.Response:
        repo, pull = self._pull(request)
        return web.json_response(self._pull_json(repo, pull))

    async def _get_pull_files(self, request: web.Request) -> web.Response:
        repo, pull = self._pull(request)
        base = repo.trees[repo.commits[repo.refs[f"heads/{pull.base}"]].tree]
        head = repo.trees[repo.commits[repo.refs[f"heads/{pull.head}"]].tree]
        files = []
        for path in sorted(set(base) | set(head)):
            old, new = base.get(path, ""), head.get(path, "")
            if old == new:
                continue
            lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=3)
            patch = "\n".join(line for line in lines if not line.startswith(("---", "+++")))
            status = "added" if path not in base else "removed" if path not in head else "modified"
            files.append({"filename": path, "status": status, "patch": patch})
        return web.json_response(files)

    async def _post_review(self, request: web.Request) -> web.Response:
        repo, pull = self._pull(request)
        data = request["json"] or {}
        review = FakeReview(
            pull.number, str(data.get("commit_id", "")), str(data.get("body", "")), data.get("comments", [])
        )
        repo.reviews.append(review)
        number = len(repo.reviews)
        url = f"{self.url}/{repo.owner}/{repo.name}/pull/{pull.number}#pullrequestreview-{number}"
        return web.json_response({"id": number, "html_url": url, "state": "COMMENTED"})


def _error(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> web.Response:
    body: dict[str, Any] = {"message": message, "documentation_url": "https://docs.github.com/rest"}
    if errors:
        body["errors"] = errors
    return web.json_response(body, status=status)


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeGitHub(host=args.host, port=args.port, token=args.token)
    for full in args.repo:
        owner, _, name = full.partition("/")
        fake.add_repository(owner, name)
    await fake.start()
    print(f"fake GitHub on {fake.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m codeflash_engine.testing.fake_github``: serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8300)
    parser.add_argument("--token", default=None, help="the token it accepts (default: any)")
    parser.add_argument("--repo", action="append", default=[], help="owner/name of an empty repository (repeatable)")
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":  # pragma: no cover
    main()
