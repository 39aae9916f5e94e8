"""Running the published Codeflash CLI against our engine: the project, the fake LLM's script,
the engine on :8000 (its cfapi on :3001), and the CLI run itself.

The CLI's ports are fixed (contract section 1 and 7): the AI service must be on localhost:8000
and cfapi on localhost:3001, so these runs cannot overlap on one machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
from aiohttp import web

from codeflash_engine.testing.fake_llm import FakeLLM, FakeRequest, Fault, Reply
from codeflash_engine.testing.ports import ENGINE_LISTENING

AI_PORT = 8000
CFAPI_PORT = 3001
CLI_VERSION = "0.20.6"


class PortTaken(RuntimeError):
    pass


def ensure_ports_free(*ports: int) -> None:
    """Fail fast with a clear message if a fixed port is taken (instead of hanging later)."""
    for port in ports:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError as exc:
                raise PortTaken(
                    f"port {port} is taken ({exc.strerror}); the Codeflash CLI only talks to localhost:{AI_PORT} "
                    f"and localhost:{CFAPI_PORT}: stop whatever listens there and run the end-to-end tests again"
                ) from None


def build_cli_venv(path: Path) -> Path:
    """A virtual environment with the published CLI and pytest<9 (the CLI's runner breaks on 9)."""
    python = path / "bin" / "python"
    if not (path / "bin" / "codeflash").exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                f"codeflash=={CLI_VERSION}",
                "pytest<9",
            ],
            check=True,
        )
    return path


# --------------------------------------------------------------------------- the sample project
def write_project(root: Path, files: Mapping[str, str], *, module_root: str = "pkg") -> Path:
    """A git project with a ``[tool.codeflash]`` section and the given files (``module_root``: the
    package's directory, ``src/<name>`` for a src layout)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(f"""
        [project]
        name = "sample"
        version = "0.1.0"

        [tool.codeflash]
        module-root = "{module_root}"
        tests-root = "tests"
        test-framework = "pytest"
        formatter-cmds = ["disabled"]
        disable-telemetry = true
        """).lstrip()
    )
    for rel, text in {f"{module_root}/__init__.py": "", "tests/__init__.py": "", **files}.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip())
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run([*git, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(root), "commit", "-q", "-m", "initial"], check=True)
    return root


#: what a JavaScript/TypeScript project needs for the client: Vitest with coverage (the client
#: measures coverage; it cannot with Mocha, and its Jest reporter is missing from the npm package
#: it finds), and the client's npm runtime (installed without its install script, which would
#: install the Python CLI again)
JS_DEV_DEPENDENCIES = {"vitest": "2.1.9", "@vitest/coverage-v8": "2.1.9", "codeflash": "0.9.0"}


class ToolchainMissing(RuntimeError):
    pass


def install_node_modules(root: Path) -> Path:
    """``npm install`` of :data:`JS_DEV_DEPENDENCIES` into ``root`` (once; reused across runs)."""
    if (root / "node_modules" / "vitest").exists():
        return root / "node_modules"
    root.mkdir(parents=True, exist_ok=True)
    package = {"name": "deps", "version": "1.0.0", "private": True, "devDependencies": JS_DEV_DEPENDENCIES}
    (root / "package.json").write_text(json.dumps(package))
    try:
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=root,
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolchainMissing(f"npm install failed: {exc}") from None
    return root / "node_modules"


def write_js_project(root: Path, files: Mapping[str, str], node_modules: Path, *, typescript: bool = False) -> Path:
    """A git ESM project (package.json with a ``codeflash`` section, Vitest) with the given files."""
    root.mkdir(parents=True, exist_ok=True)
    package = {
        "name": "sample-js",
        "version": "1.0.0",
        "type": "module",
        "main": "src/index.js",
        "scripts": {"test": "vitest run"},
        "devDependencies": JS_DEV_DEPENDENCIES,
        "codeflash": {
            "moduleRoot": "src",
            "testsRoot": "tests",
            "test-framework": "vitest",
            "disableTelemetry": True,
            "formatterCmds": ["disabled"],
        },
    }
    (root / "package.json").write_text(json.dumps(package, indent=2) + "\n")
    (root / ".gitignore").write_text("node_modules/\n")
    if typescript:
        options = {"target": "ES2022", "module": "ESNext", "moduleResolution": "Bundler", "strict": True}
        (root / "tsconfig.json").write_text(json.dumps({"compilerOptions": options, "include": ["src", "tests"]}))
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip())
    (root / "tests").mkdir(exist_ok=True)
    (root / "node_modules").symlink_to(node_modules)
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run([*git, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(root), "commit", "-q", "-m", "initial"], check=True)
    return root


# --------------------------------------------------------------------------- the fake LLM's script
TASK_MARKERS: tuple[tuple[str, str], ...] = (
    ("testgen_review", "you review generated"),
    ("testgen_repair", "were flagged"),
    ("testgen", "regression tests"),
    ("explain", "you explain performance"),
    ("review", "how confident"),
    ("rank", "choose the best"),
    ("adaptive", "chain of attempts"),
    ("refine", "already passed every test"),
    ("repair", "behave"),
    ("optimize_line_profiler", "line profile"),
    ("optimize", ""),
)


def task_of(request: FakeRequest) -> str:
    """Which engine task a request to the fake LLM is for, from its system prompt."""
    system = request.system.lower()
    for task, marker in TASK_MARKERS:
        if task in ("repair",) and "optimiz" not in system:
            continue
        if marker in system:
            return task
    return "optimize"


Script = Mapping[str, str | Reply | Fault | Callable[[FakeRequest], str | Reply | Fault]]


def install_script(fake: FakeLLM, script: Script, default: str | Reply | Fault | None = None) -> None:
    """Answer each task with the script's entry (tasks not in the script get ``default``)."""

    def answer(request: FakeRequest) -> Reply | Fault:
        entry = script.get(task_of(request), default)
        if callable(entry):
            entry = entry(request)
        if entry is None:
            return Fault.bad_request(f"no scripted answer for {task_of(request)}")
        return entry if isinstance(entry, Reply | Fault) else Reply(entry)

    fake.add(answer)


# --------------------------------------------------------------------------- small servers
@contextlib.asynccontextmanager
async def serving(app: web.Application, port: int) -> AsyncIterator[None]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield
    finally:
        await runner.cleanup()


# --------------------------------------------------------------------------- a GitHub remote, locally
def github_remote(project: Path, bare: Path, owner: str, repo: str) -> str:
    """Give ``project`` the remote ``origin`` = ``https://github.com/<owner>/<repo>.git``, which git
    rewrites (``url.<bare>.insteadOf``) to the local bare repository ``bare``, and push ``main``
    there: the CLI reads owner and name from the URL and finds its branch pushed, and no byte leaves
    the machine."""
    url = f"https://github.com/{owner}/{repo}.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    git = ["git", "-C", str(project)]
    subprocess.run([*git, "remote", "add", "origin", url], check=True)
    subprocess.run([*git, "config", f"url.{bare}.insteadOf", url], check=True)
    subprocess.run([*git, "push", "-q", "-u", "origin", "main"], check=True)
    return url


def tracked_files(project: Path) -> dict[str, str]:
    """The text of every file git tracks in ``project`` (to seed the fake GitHub's repository)."""
    names = subprocess.run(
        ["git", "-C", str(project), "ls-files"], check=True, capture_output=True, text=True
    ).stdout.split()
    return {name: (project / name).read_text() for name in names}


# --------------------------------------------------------------------------- the engine process
async def wait_for_ports(proc: asyncio.subprocess.Process, log_path: Path, *ports: int, timeout: float = 60) -> None:
    """Wait until ``proc`` accepts connections on every port (fail with its log if it exits)."""
    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                if proc.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the process did not start:\n{log_path.read_text()[-3000:]}") from None
                await asyncio.sleep(0.2)


async def bound_port(proc: asyncio.subprocess.Process, log_path: Path, timeout: float = 60) -> int:
    """The port an engine started with ``--port 0`` bound, read from its log."""
    deadline = time.monotonic() + timeout
    while True:
        found = ENGINE_LISTENING.search(log_path.read_text(errors="replace"))
        if found is not None:
            return int(found.group(1))
        if proc.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the engine did not say where it listens:\n{log_path.read_text()[-3000:]}")
        await asyncio.sleep(0.1)


@attrs.define
class EngineProcess:
    proc: asyncio.subprocess.Process
    log_path: Path
    port: int = AI_PORT

    def cfapi_calls(self) -> list[tuple[str, int]]:
        """The CLI's cfapi calls the engine served: (route, status)."""
        return [
            (str(r["route"]), int(r["status"]))
            for r in self.access_lines()
            if str(r.get("route", "")).startswith("/cfapi/")
        ]

    def access_lines(self) -> list[dict[str, Any]]:
        """The engine's one-line-per-request log records (JSON)."""
        out = []
        for line in self.log_path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if record.get("logger") == "codeflash_engine.access":
                    out.append(record)
        return out


@contextlib.asynccontextmanager
async def engine_process(
    env: Mapping[str, str], log_path: Path, *, port: int = AI_PORT, cfapi_port: int = CFAPI_PORT
) -> AsyncIterator[EngineProcess]:
    """``codeflash-engine serve`` on 127.0.0.1:8000 and its cfapi on :3001 (or the ports given; a
    port 0: one the engine binds itself, in ``.port``; a cfapi port 0: none); waits for them;
    SIGTERM at the end."""
    exe = Path(sys.executable).with_name("codeflash-engine")
    log = log_path.open("w")
    proc = await asyncio.create_subprocess_exec(
        str(exe),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--cfapi-port",
        str(cfapi_port),
        env={**os.environ, **env},
        stdout=log,
        stderr=log,
    )
    try:
        if port == 0:
            port = await bound_port(proc, log_path)
        await wait_for_ports(proc, log_path, *[p for p in (port, cfapi_port) if p])
        yield EngineProcess(proc, log_path, port)
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
        log.close()


@contextlib.asynccontextmanager
async def connect_process(remote_url: str, key: str, log_path: Path) -> AsyncIterator[Path]:
    """``codeflash-engine connect URL`` on localhost:8000 and :3001, for a developer whose engine
    runs elsewhere; waits for both ports; SIGTERM at the end. Yields its log's path."""
    exe = Path(sys.executable).with_name("codeflash-engine")
    log = log_path.open("w")
    proc = await asyncio.create_subprocess_exec(
        str(exe),
        "connect",
        remote_url,
        "--port",
        str(AI_PORT),
        "--cfapi-port",
        str(CFAPI_PORT),
        env={**os.environ, "CODEFLASH_API_KEY": key},
        stdout=log,
        stderr=log,
    )
    try:
        await wait_for_ports(proc, log_path, AI_PORT, CFAPI_PORT)
        yield log_path
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
        log.close()


# --------------------------------------------------------------------------- the CLI run
@attrs.frozen
class CliRun:
    returncode: int
    output: str

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0 and "optimization successful" in _plain(self.output).lower()


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


async def run_cli(
    venv: Path, project: Path, home: Path, api_key: str, *args: str, timeout: float = 600, no_pr: bool = True
) -> CliRun:
    """``codeflash <args> --no-pr -y`` in ``project`` against the local engine and cfapi (without
    ``--no-pr`` when ``no_pr`` is False: the CLI's default mode, opening a pull request)."""
    env = {
        "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "CODEFLASH_AIS_SERVER": "local",
        "CODEFLASH_CFAPI_SERVER": "local",
        "CODEFLASH_API_KEY": api_key,
        "SHELL": "/bin/bash",
        "TERM": "dumb",
        "COLUMNS": "200",
        "LANG": "C.UTF-8",
    }
    home.mkdir(parents=True, exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        str(venv / "bin" / "codeflash"),
        *args,
        *(["--no-pr"] if no_pr else []),
        "-y",
        cwd=str(project),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        out, _ = await proc.communicate()
        return CliRun(-9, _plain(out.decode(errors="replace")) + "\n[killed: timeout]")
    return CliRun(proc.returncode if proc.returncode is not None else -1, _plain(out.decode(errors="replace")))
