"""docs/plugins.md renders the hook reference from the hookspecs' docstrings (one statement of the
contract), and the hookspecs list every hook the engine calls, in call order."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from codeflash_engine.cli import main
from codeflash_engine.plugins import hookspecs
from codeflash_engine.plugins.manager import LANGUAGE_HOOKS

DOCS = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"


def test_the_docs_embed_the_reference_as_the_docstrings_state_it() -> None:
    text = DOCS.read_text()
    embedded = text.split("<!-- hooks:begin -->\n", 1)[1].split("<!-- hooks:end -->", 1)[0]
    assert embedded == hookspecs.reference_markdown(), (
        "docs/plugins.md is out of date: paste `codeflash-engine plugins hooks` between the hooks markers"
    )


def test_the_reference_covers_every_hook_once_in_module_order() -> None:
    names = [h.__name__ for h in hookspecs.HOOKS]
    declared = [n for n in vars(hookspecs) if n in set(names)]
    assert names == declared
    assert sorted(names) == sorted(["register_languages", *LANGUAGE_HOOKS])
    printed = CliRunner().invoke(main, ["plugins", "hooks"])
    assert printed.exit_code == 0 and printed.output == hookspecs.reference_markdown()
    for number, name in enumerate(names, start=1):
        assert f"### {number}. `{name}(" in printed.output
