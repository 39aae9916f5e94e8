"""The README's two commands install every language plugin the repository ships.

``./scripts/serve`` is how a self-hoster starts the engine: a plugin it leaves out is a language
the published CLI sends and the engine refuses. Both scripts are read as text; the plugins are the
folders of ``plugins/`` that hold a distribution.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shipped_plugins() -> dict[str, str]:
    """Folder under plugins/ -> the import name of its package, for each distribution there."""
    out: dict[str, str] = {}
    for pyproject in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text())["project"]
        entry = project["entry-points"]["codeflash_engine"]
        (target,) = entry.values()
        out[pyproject.parent.name] = target.split(".")[0].split(":")[0]
    return out


def installed_editables(script: str) -> set[str]:
    """The plugin folders a script installs with ``pip install -e plugins/<folder>``."""
    return set(re.findall(r"-e plugins/([\w-]+)", (ROOT / "scripts" / script).read_text()))


def test_the_repository_ships_the_four_language_plugins() -> None:
    assert set(shipped_plugins()) == {"python", "java", "js_ts", "go"}


@pytest.mark.parametrize("script", ["serve", "test"])
def test_each_command_installs_every_plugin(script: str) -> None:
    assert installed_editables(script) == set(shipped_plugins())


def test_serve_installs_again_when_any_plugin_is_missing_from_the_environment() -> None:
    """An environment made before a plugin was added gets it at the next start."""
    text = (ROOT / "scripts" / "serve").read_text()
    check = re.search(r'-c \\?\s*"import ([^"]+)"', text)
    assert check is not None, "scripts/serve no longer checks that the plugins import"
    imported = {name.strip() for name in check.group(1).split(",")}
    assert imported == set(shipped_plugins().values())
