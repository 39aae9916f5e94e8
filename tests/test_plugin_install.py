"""Real distributions in a real virtual environment: discovery, isolation of a broken plugin,
and uninstalling a language plugin while the core stays untouched."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from codeflash_engine.testing.ports import ENGINE_LISTENING, FAKE_LLM_LISTENING, port_from_output

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
KEY = "cf-" + "k" * 43


def run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload,no-any-return]


class Venv:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.python = path / "bin" / "python"

    def pip(self, *args: str | Path) -> None:
        run(self.python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args)

    def uninstall(self, name: str) -> None:
        run(self.python, "-m", "pip", "uninstall", "-y", "-q", name)

    def engine(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.path / "bin" / "codeflash-engine"), *args], capture_output=True, text=True, timeout=60
        )


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A fresh virtual environment holding the core, the python and the java plugins (not editable)."""
    path = tmp_path_factory.mktemp("venv") / "env"
    run(sys.executable, "-m", "venv", path)
    env = Venv(path)
    env.pip(ROOT, ROOT / "plugins" / "python", ROOT / "plugins" / "java")
    return env


def make_plugin(root: Path, name: str, module_source: str) -> Path:
    """A throwaway third-party plugin distribution: its own pyproject.toml and entry point."""
    project = root / f"cfe-plugin-{name}"
    package = project / f"cfe_plugin_{name}"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text(textwrap.dedent(module_source))
    (project / "pyproject.toml").write_text(
        textwrap.dedent(f"""
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "cfe-plugin-{name}"
        version = "1.2.3"
        dependencies = ["codeflash-engine"]

        [project.entry-points.codeflash_engine]
        {name} = "cfe_plugin_{name}.plugin"

        [tool.hatch.build.targets.wheel]
        packages = ["cfe_plugin_{name}"]
        """)
    )
    return project


TOY = """
from codeflash_engine import LanguageSpec, SyntaxProblem, hookimpl

@hookimpl
def register_languages(register):
    register(LanguageSpec(name="toy", extensions=(".toy",), comment_prefix=";", fence_tags=("toy",)))

@hookimpl
def validate(code):
    return [] if code.startswith("(") else [SyntaxProblem(1, 1, "toy code is an s-expression")]
"""

EXPLOSIVE = """
from codeflash_engine import LanguageSpec, hookimpl

@hookimpl
def register_languages(register):
    register(LanguageSpec(name="boom", extensions=(".boom",), comment_prefix="#", fence_tags=("boom",)))
    raise RuntimeError("register_languages exploded")

@hookimpl
def build_prompt(request):
    raise RuntimeError("build_prompt exploded")

@hookimpl
def validate(code):
    raise RuntimeError("validate exploded")

@hookimpl
def apply_diff(request):
    raise RuntimeError("apply_diff exploded")

@hookimpl
def postprocess_candidates(request):
    raise RuntimeError("postprocess_candidates exploded")

@hookimpl
def postprocess_tests(request):
    raise RuntimeError("postprocess_tests exploded")
"""

BROKEN = """
import a_module_nobody_installed  # raises ModuleNotFoundError at import
"""


Call = Callable[..., tuple[int, dict[str, Any]]]


JAVA_ANSWER = "Cache the length.\n```java:src/A.java\nclass A { int f() { int r = 1; return r; } }\n```"


@contextlib.contextmanager
def serving(venv: Venv) -> Iterator[Call]:
    """Start the venv's engine with a fake LLM behind it, each on a port it binds itself; yields
    (path, body) -> (status, json)."""
    with contextlib.ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="plugin-install-")))
        fake_out = stack.enter_context((logs / "fake.log").open("wb"))
        engine_err = stack.enter_context((logs / "engine.log").open("wb"))
        fake = stack.enter_context(
            subprocess.Popen(
                [sys.executable, "-m", "codeflash_engine.testing.fake_llm", "--port", "0", "--text", JAVA_ANSWER],
                stdout=fake_out,
                stderr=subprocess.DEVNULL,
            )
        )
        stack.callback(fake.terminate)
        llm_port = port_from_output(logs / "fake.log", FAKE_LLM_LISTENING, fake)
        env = {
            **os.environ,
            "CODEFLASH_ENGINE_PORT": "0",
            "CODEFLASH_ENGINE_LOG_LEVEL": "INFO",
            "CODEFLASH_ENGINE_API_KEYS": KEY,
            "OPENAI_API_KEY": "sk-unused",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{llm_port}/v1",
            "CODEFLASH_ENGINE_MODELS": "openai:gpt-4.1=1",
        }
        env.pop("DATABASE_URL", None)
        proc = stack.enter_context(
            subprocess.Popen(
                [str(venv.path / "bin" / "codeflash-engine"), "serve"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=engine_err,
            )
        )
        stack.callback(proc.terminate)
        port = port_from_output(logs / "engine.log", ENGINE_LISTENING, proc)

        def call(path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
            data = None if body is None else json.dumps(body).encode()
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}",
                data=data,
                headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    return resp.status, json.loads(resp.read())
            except urllib.error.HTTPError as exc:
                return exc.code, json.loads(exc.read())

        deadline = time.monotonic() + 60
        while True:
            try:
                call("/healthcheck")
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"engine did not start: {(logs / 'engine.log').read_text()[-3000:]}") from None
                time.sleep(0.2)
        yield call


def test_third_party_plugin_is_discovered_and_called(venv: Venv, tmp_path: Path) -> None:
    venv.pip(make_plugin(tmp_path, "toy", TOY))
    try:
        listing = json.loads(venv.engine("plugins", "list", "--json").stdout)
        toy = next(p for p in listing if p["name"] == "toy")
        assert toy["distribution"] == "cfe-plugin-toy" and toy["version"] == "1.2.3"
        assert toy["languages"] == ["toy"] and toy["hooks"] == ["register_languages", "validate"]
        script = (
            "from codeflash_engine.app import load_plugins\n"
            "from codeflash_engine.settings import Settings\n"
            "host = load_plugins(Settings())\n"
            "print([str(p) for p in host.call('validate', 'toy', language='toy', code='x', language_version=None)])\n"
        )
        out = run(venv.python, "-c", script).stdout
        assert "line 1, column 1: toy code is an s-expression" in out
    finally:
        venv.uninstall("cfe-plugin-toy")


def test_a_plugin_that_fails_to_import_is_reported_and_the_engine_serves(venv: Venv, tmp_path: Path) -> None:
    venv.pip(make_plugin(tmp_path, "broken", BROKEN))
    try:
        result = venv.engine("plugins", "list", "--json")
        assert result.returncode == 1  # a deployment can gate on it
        broken = next(p for p in json.loads(result.stdout) if p["name"] == "broken")
        assert "ModuleNotFoundError" in broken["error"] and "a_module_nobody_installed" in broken["error"]
        table = venv.engine("plugins", "list").stdout
        assert "plugins that failed to load" in table and "broken" in table
        strict = subprocess.run(
            [str(venv.path / "bin" / "codeflash-engine"), "plugins", "list"],
            env={**os.environ, "CODEFLASH_ENGINE_STRICT_PLUGINS": "1"},
            capture_output=True,
            text=True,
        )
        assert strict.returncode != 0 and "broken" in strict.stderr + strict.stdout
        with serving(venv) as call:
            status, health = call("/healthcheck")
        assert status == 200
        assert "broken" in health["plugin_errors"] and "ModuleNotFoundError" in health["plugin_errors"]["broken"]
        assert "python" in health["languages"]
    finally:
        venv.uninstall("cfe-plugin-broken")


PYTHON_REQUEST = {
    "source_code": "```python:m.py\ndef f():\n    return 1\n```",
    "dependency_code": "",
    "trace_id": "t-python",
    "language": "python",
    "language_version": "3.11.7",
    "n_candidates": 2,
}


def test_a_plugin_whose_hooks_all_raise_hurts_only_its_language(venv: Venv, tmp_path: Path) -> None:
    """Installed beside the shipped plugins: its language gets a JSON error naming it, Python is
    served, the health check and `plugins list` name it."""
    venv.pip(make_plugin(tmp_path, "explosive", EXPLOSIVE))
    try:
        listing = venv.engine("plugins", "list")
        assert listing.returncode == 1 and "register_languages exploded" in listing.stdout
        with serving(venv) as call:
            boom = {**PYTHON_REQUEST, "language": "boom", "source_code": "```boom\nx\n```"}
            status, body = call("/ai/optimize", boom)
            assert status == 502 and "'explosive'" in body["error"] and "build_prompt" in body["error"], body
            status, body = call("/ai/optimize", PYTHON_REQUEST)
            assert status == 200 and "optimizations" in body, body
            status, health = call("/healthcheck")
        assert health["status"] == "degraded"
        assert health["plugin_failures"]["explosive"][0]["hook"] == "build_prompt"
        assert "register_languages exploded" in health["plugin_errors"]["explosive"]
    finally:
        venv.uninstall("cfe-plugin-explosive")


JAVA_REQUEST = {
    "source_code": "```java:src/A.java\nclass A { int f() { return 1; } }\n```",
    "dependency_code": "",
    "trace_id": "t-java",
    "language": "java",
    "language_version": "17",
    "n_candidates": 2,
}


def test_uninstalling_java_removes_the_language(venv: Venv) -> None:
    listing = json.loads(venv.engine("plugins", "list", "--json").stdout)
    assert "java" in {p["name"] for p in listing}
    venv.uninstall("codeflash-engine-java")
    try:
        listing = json.loads(venv.engine("plugins", "list", "--json").stdout)
        assert "java" not in {p["name"] for p in listing}
        with serving(venv) as call:
            status, body = call("/healthcheck")
            assert "java" not in body["languages"]
            status, body = call("/ai/optimize", JAVA_REQUEST)
            assert status == 422
            assert "'java' is not supported" in str(body["error"])
    finally:
        venv.pip(ROOT / "plugins" / "java")
    # installing the plugin back, without touching the core, serves java again
    with serving(venv) as call:
        status, body = call("/ai/optimize", JAVA_REQUEST)
    assert status == 200, body
    assert len(body["optimizations"]) == 1 and "int r = 1" in body["optimizations"][0]["source_code"]
