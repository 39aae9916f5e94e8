"""The command line: --version and `plugins list` (table and JSON)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from syrupy.assertion import SnapshotAssertion

from codeflash_engine import __version__
from codeflash_engine.cli import main


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_plugins_list_json(snapshot: SnapshotAssertion) -> None:
    result = CliRunner().invoke(main, ["plugins", "list", "--json"], env={"CODEFLASH_ENGINE_PLUGINS": None})
    assert result.exit_code == 0, result.output
    listing = json.loads(result.output)
    assert [p["name"] for p in listing] == ["go", "java", "js_ts", "python"]
    assert listing == snapshot


def test_plugins_list_table() -> None:
    result = CliRunner().invoke(main, ["plugins", "list", "--all"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["NAME", "DISTRIBUTION", "VERSION"]
    assert any(line.startswith("python ") and "codeflash-engine-python" in line for line in lines)
    assert any("codeflash_engine.plugins.builtin" in line for line in lines)
