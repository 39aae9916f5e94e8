"""The kit from real distributions in a fresh virtual environment (the core installed as a wheel
from this repository, not editable):

- `codeflash-engine plugins new` (the template shipped inside the core wheel) gives a plugin that
  installs, shows in `plugins list`, and passes its own conformance suite;
- plugins/go installs, shows in `plugins list`, passes its tests and the conformance suite there;
- uninstalling codeflash-engine-go makes the engine answer Go requests with the clear 422.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from codeflash_engine.testing.ports import ENGINE_LISTENING, port_from_output

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GO = ROOT / "plugins" / "go"
KEY = "cf-" + "g" * 43
TEST_TOOLS = ("pytest>=8.3,<9", "pytest-asyncio>=0.24", "jsonschema>=4.20", "syrupy>=4.8")


def run(*args: str | Path, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEFLASH_ENGINE_", "PYTEST_"))}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, check=check, capture_output=True, text=True, timeout=900
    )


class Venv:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.bin = path / "bin"

    def pip(self, *args: str | Path) -> None:
        run(self.bin / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", *args)

    def engine(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return run(self.bin / "codeflash-engine", *args, check=False)

    def listing(self) -> dict[str, dict[str, Any]]:
        result = self.engine("plugins", "list", "--json")
        assert result.returncode == 0, result.stderr
        return {p["name"]: p for p in json.loads(result.stdout)}

    def pytest(self, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
        return run(self.bin / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, cwd=cwd, check=False)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A fresh environment: the core (wheel built from this repository), plugins/go, the test tools."""
    path = tmp_path_factory.mktemp("kitvenv") / "env"
    run(sys.executable, "-m", "venv", path)
    env = Venv(path)
    env.pip(ROOT, GO, *TEST_TOOLS)
    return env


def test_a_new_plugin_from_the_template_installs_and_passes_its_conformance_suite(venv: Venv, tmp_path: Path) -> None:
    made = venv.engine(
        "plugins", "new", "kotlin", "-o", tmp_path, "--folder", "codeflash-engine-kotlin", "--extension", ".kt"
    )
    assert made.returncode == 0, made.stderr
    project = tmp_path / "codeflash-engine-kotlin"
    assert (project / "pyproject.toml").is_file() and (project / "codeflash_engine_kotlin" / "plugin.py").is_file()
    assert "__pycache__/" in (project / ".gitignore").read_text()  # shipped in the wheel, renamed
    assert (project / "tests" / "conftest.py").read_text().rstrip().endswith("codeflash_engine_conformance = SAMPLES")
    venv.pip(project)
    try:
        kotlin = venv.listing()["kotlin"]
        assert kotlin["distribution"] == "codeflash-engine-kotlin" and kotlin["languages"] == ["kotlin"]
        assert kotlin["error"] is None
        result = venv.pytest("-rs", cwd=project)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        summary = result.stdout.strip().splitlines()[-1]
        assert "failed" not in summary and "error" not in summary, summary
        assert int(summary.split(" passed")[0].split()[-1]) >= 45, summary
        suite = venv.pytest("-k", "conftest.py", "--co", cwd=project)
        assert "tests/conftest.py::test_validate_reports_line_and_column[kotlin]" in suite.stdout
    finally:
        run(venv.bin / "python", "-m", "pip", "uninstall", "-y", "-q", "codeflash-engine-kotlin")


def test_the_go_plugin_is_listed_and_passes_its_tests_in_a_fresh_environment(venv: Venv) -> None:
    go = venv.listing()["go"]
    assert go["distribution"] == "codeflash-engine-go" and go["languages"] == ["go"] and go["error"] is None
    assert "apply_diff" in go["hooks"] and "postprocess_tests" in go["hooks"]
    result = venv.pytest("-c", GO / "pyproject.toml", "--rootdir", GO, GO / "tests", cwd=GO)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "failed" not in result.stdout.strip().splitlines()[-1]


@contextlib.contextmanager
def serving(venv: Venv) -> Iterator[Callable[[str, dict[str, Any] | None], tuple[int, Any]]]:
    """The venv's engine on a port it binds itself (no LLM is reached); yields post(path, body) -> (status, json)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEFLASH_ENGINE_")}
    env.pop("DATABASE_URL", None)
    env.update(
        CODEFLASH_ENGINE_PORT="0",
        CODEFLASH_ENGINE_LOG_LEVEL="INFO",
        CODEFLASH_ENGINE_API_KEYS=KEY,
        OPENAI_API_KEY="sk-unused",
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
        CODEFLASH_ENGINE_MODELS="openai:gpt-4.1=1",
    )
    log = tempfile.NamedTemporaryFile(prefix="kit-engine-", suffix=".log", delete=False)  # noqa: SIM115
    serve = [str(venv.bin / "codeflash-engine"), "serve"]
    proc = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        port = port_from_output(Path(log.name), ENGINE_LISTENING, proc)
    except RuntimeError:
        proc.kill()
        proc.wait(30)
        raise

    def post(path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                post("/healthcheck", None)
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the engine did not start") from None
                time.sleep(0.2)
        yield post
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        os.unlink(log.name)


def test_uninstalling_go_gives_the_clear_422(venv: Venv) -> None:
    body = {
        "source_code": "```go:stats/sum.go\npackage stats\n\nfunc Sum(xs []int) int {\n\treturn 0\n}\n```",
        "dependency_code": "",
        "trace_id": "5e0d1f6c-3b1e-4c36-9a57-6f3f0f2b7a10",
        "language": "go",
        "language_version": "1.22.1",
        "n_candidates": 2,
    }
    run(venv.bin / "python", "-m", "pip", "uninstall", "-y", "-q", "codeflash-engine-go")
    try:
        assert "go" not in venv.listing()
        with serving(venv) as post:
            status, health = post("/healthcheck", None)
            assert status == 200 and "go" not in health["languages"]
            status, answer = post("/ai/optimize", body)
        assert status == 422, answer
        assert answer["error"].startswith("language 'go' is not supported by this engine")
        assert "install the plugin that provides it" in answer["error"]
    finally:
        venv.pip(GO)
