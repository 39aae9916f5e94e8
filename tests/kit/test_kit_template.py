"""`codeflash-engine plugins new`: the files it writes, the names it fills in, the checks on its
arguments, and (in-process, fast) the generated plugin passing its own conformance suite. The
same from a real install is in test_kit_install.py."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from codeflash_engine.cli import main
from codeflash_engine.commands.plugin_new import PluginNames, template_root

pytest_plugins = ["pytester"]

EXPECTED = [
    ".gitignore",
    "README.md",
    "codeflash_engine_kotlin/__init__.py",
    "codeflash_engine_kotlin/candidates.py",
    "codeflash_engine_kotlin/plugin.py",
    "codeflash_engine_kotlin/prompts/README.md",
    "codeflash_engine_kotlin/prompts/_guidance.j2",
    "codeflash_engine_kotlin/prompts/optimize.system.j2",
    "codeflash_engine_kotlin/py.typed",
    "codeflash_engine_kotlin/syntax.py",
    "codeflash_engine_kotlin/testgen.py",
    "pyproject.toml",
    "tests/conftest.py",
    "tests/test_kotlin_plugin.py",
]


def generate(tmp_path: Path, *args: str) -> Path:
    result = CliRunner().invoke(main, ["plugins", "new", "kotlin", "-o", str(tmp_path), *args])
    assert result.exit_code == 0, result.output
    return tmp_path / "kotlin"


def test_the_template_is_copied_and_renamed(tmp_path: Path) -> None:
    project = generate(tmp_path, "--extension", "kt", "--title", "Kotlin")
    written = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    assert written == EXPECTED
    pyproject = (project / "pyproject.toml").read_text()
    assert 'name = "codeflash-engine-kotlin"' in pyproject
    assert '[project.entry-points.codeflash_engine]\nkotlin = "codeflash_engine_kotlin.plugin"' in pyproject
    plugin = (project / "codeflash_engine_kotlin" / "plugin.py").read_text()
    assert 'name="kotlin"' in plugin and 'extensions=(".kt",)' in plugin and 'comment_prefix="//"' in plugin
    conftest = (project / "tests" / "conftest.py").read_text()
    assert conftest.rstrip().endswith("codeflash_engine_conformance = SAMPLES")
    assert '"src/stats.kt"' in conftest and 'plugin="kotlin"' in conftest
    for path in project.rglob("*"):
        if path.is_file():
            assert not re.search(r"__[A-Z_]+__", path.read_text()), path
    prompt = (project / "codeflash_engine_kotlin" / "prompts" / "optimize.system.j2").read_text()
    source = template_root().joinpath("__PACKAGE__", "prompts", "optimize.system.j2").read_text()
    assert prompt == source  # prompt templates are copied as they are
    assert prompt.splitlines()[1] == '{% extends "core/optimize.system.j2" %}'  # blocks, not copies
    assert '"pytest>=8.3,<9"' in pyproject


def test_the_folder_can_be_named_for_the_distribution(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["plugins", "new", "rust", "-o", str(tmp_path), "--folder", "codeflash-engine-rust"]
    )
    assert result.exit_code == 0, result.output
    project = tmp_path / "codeflash-engine-rust"
    assert (project / "codeflash_engine_rust" / "plugin.py").is_file() and (project / ".gitignore").is_file()
    assert not (tmp_path / "rust").exists()
    refused = CliRunner().invoke(main, ["plugins", "new", "rust", "-o", str(tmp_path), "--folder", "../elsewhere"])
    assert refused.exit_code != 0 and "not a path" in refused.output


def test_names_and_refusals(tmp_path: Path) -> None:
    names = PluginNames(plugin="my_lang", language="my_lang", extension=".ml", comment_prefix="#", title="My")
    assert names.package == "codeflash_engine_my_lang" and names.distribution == "codeflash-engine-my-lang"
    runner = CliRunner()
    bad = runner.invoke(main, ["plugins", "new", "My-Lang", "-o", str(tmp_path)])
    assert bad.exit_code != 0 and "lower-case letters" in bad.output
    generate(tmp_path)
    again = runner.invoke(main, ["plugins", "new", "kotlin", "-o", str(tmp_path)])
    assert again.exit_code != 0 and "exists and is not empty" in again.output
    assert runner.invoke(main, ["plugins", "new", "kotlin", "-o", str(tmp_path), "--force"]).exit_code == 0


def test_the_generated_plugin_passes_its_own_conformance_suite(pytester: pytest.Pytester, tmp_path: Path) -> None:
    project = generate(tmp_path)
    shutil.copytree(project, pytester.path, dirs_exist_ok=True)
    # not installed here (see test_kit_install.py for that): test the plugin module in-process
    conftest = pytester.path / "tests" / "conftest.py"
    conftest.write_text(
        conftest.read_text().replace('plugin="kotlin",', 'plugin=__import__("codeflash_engine_kotlin.plugin").plugin,')
    )
    pytester.syspathinsert(pytester.path)
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "tests")
    outcome = result.parseoutcomes()
    assert outcome.get("failed", 0) == 0 and outcome.get("errors", 0) == 0, result.stdout.str()[-3000:]
    assert outcome["passed"] >= 45
