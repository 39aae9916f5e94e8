"""Fixtures for the cfapi tests: the fake GitHub, an engine wired to it, and the published CLI's
own cfapi client (run in the CLI's virtual environment) pointed at that engine."""

from __future__ import annotations

import asyncio
import json
import os
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cfapi_support import CfapiClient, ClientRun
from pydantic import SecretStr

from codeflash_engine.app import create_app
from codeflash_engine.settings import Settings
from codeflash_engine.testing import cli_venv
from codeflash_engine.testing.engine import API_KEY
from codeflash_engine.testing.fake_github import FakeGitHub

GH_TOKEN = "ghp_" + "t" * 36
ROOT = Path(__file__).resolve().parents[2]

#: run before every client script: the client's cfapi base URL becomes the engine under test
#: (its ``local`` mode is fixed to localhost:3001, which tests must not need)
PRELUDE = """
import json, os, sys
from codeflash.api import cfapi
_urls = cfapi.BaseUrls(cfapi_base_url=os.environ["ENGINE_URL"], cfwebapp_base_url=os.environ["ENGINE_URL"])
cfapi.get_cfapi_base_urls = lambda: _urls
def emit(name, value):
    print("RESULT " + json.dumps([name, value]), flush=True)
"""


@pytest.fixture
async def fake_github() -> AsyncIterator[FakeGitHub]:
    """A fake GitHub accepting :data:`GH_TOKEN`, with the repository ``acme/shop``."""
    async with FakeGitHub(token=GH_TOKEN) as github:
        github.add_repository("acme", "shop", {"pkg/sorter.py": "def sort_list(xs):\n    return xs\n"})
        yield github


@pytest.fixture
def cfapi_settings(engine_settings: Settings, fake_github: FakeGitHub) -> Settings:
    """The test engine's settings, with GitHub credentials for the fake."""
    return engine_settings.model_copy(
        update={
            "codeflash_engine_github_token": SecretStr(GH_TOKEN),
            "codeflash_engine_github_api_url": fake_github.url,
        }
    )


@pytest.fixture
async def cfapi_client(
    aiohttp_client: Callable[[web.Application], Awaitable[CfapiClient]], cfapi_settings: Settings
) -> CfapiClient:
    """A test client of the whole engine, able to open pull requests on the fake GitHub."""
    return await aiohttp_client(create_app(cfapi_settings))


@pytest.fixture
def cli_python() -> Path:
    """The Python of the published CLI's virtual environment (``CODEFLASH_CLI_PYTHON``)."""
    return cli_venv.cli_python(ROOT / ".venv-cli" / "bin" / "python")


@pytest.fixture
def run_client(cli_python: Path, tmp_path: Path) -> ClientRun:
    """``await run_client(server, *scripts, env=..., cwd=...)``: run the scripts with the CLI's own
    cfapi module aimed at ``server``; returns what the script passed to ``emit(name, value)``."""

    async def run(
        server: TestServer, *scripts: str, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> dict[str, Any]:
        code = PRELUDE + "".join(textwrap.dedent(script) for script in scripts)
        full_env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path / "home"),
            "ENGINE_URL": str(server.make_url("")).rstrip("/"),
            "CODEFLASH_API_KEY": API_KEY,
            "CODEFLASH_DISABLE_TELEMETRY": "1",
            **(env or {}),
        }
        proc = await asyncio.create_subprocess_exec(
            str(cli_python),
            "-c",
            code,
            cwd=str(cwd or tmp_path),
            env=full_env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
        text = out.decode(errors="replace")
        assert proc.returncode == 0, text
        results = {}
        for line in text.splitlines():
            if line.startswith("RESULT "):
                name, value = json.loads(line.removeprefix("RESULT "))
                results[name] = value
        return results

    return run


@pytest.fixture(scope="session")
def app_key() -> tuple[str, str]:
    """A GitHub App's RSA private key (PEM) and its public key (one per test session: making one is slow)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public
