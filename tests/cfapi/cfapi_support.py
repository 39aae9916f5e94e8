"""Helpers of the cfapi tests (a module of its own: test files cannot import a conftest, whose
name every test folder shares)."""

from __future__ import annotations

import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

#: the engine under test, as aiohttp's test client
CfapiClient = TestClient[web.Request, web.Application]
#: runs a script in the published CLI's environment; the values it emitted, by name
ClientRun = Callable[..., Awaitable[dict[str, Any]]]


def git_project(root: Path, remote: str = "https://github.com/acme/shop.git") -> Path:
    """A git repository whose ``origin`` is ``remote`` (the client reads owner and name from it)."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "remote", "add", "origin", remote], check=True)
    return root
