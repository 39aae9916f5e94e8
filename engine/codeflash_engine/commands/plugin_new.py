"""``codeflash-engine plugins new NAME``: start a language plugin from the kit's template.

Copies the template shipped inside the engine (``codeflash_engine/testing/plugin_kit/template``)
to ``OUTPUT_DIR/FOLDER`` (``FOLDER`` defaults to ``NAME``), renaming as it goes: ``*.tmpl`` files
lose the suffix and get their placeholders filled in (plugin name, package, distribution,
language, extension, comment prefix, title, engine version); ``__DOT__`` in a file name becomes
a dot (``.gitignore``: wheels and tools skip dotfiles in package data); other files (the prompt
templates) are copied as they are.
"""

from __future__ import annotations

import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import attrs
import click

from codeflash_engine import __version__

TEMPLATE_PACKAGE = "codeflash_engine.testing.plugin_kit"
TEMPLATE_FOLDER = "template"
SUFFIX = ".tmpl"
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@attrs.frozen
class PluginNames:
    """Every name the template needs, derived from the plugin's name."""

    plugin: str
    language: str
    extension: str
    comment_prefix: str
    title: str

    @property
    def package(self) -> str:
        return f"codeflash_engine_{self.plugin}"

    @property
    def distribution(self) -> str:
        return f"codeflash-engine-{self.plugin.replace('_', '-')}"

    def placeholders(self) -> dict[str, str]:
        major_minor = ".".join(__version__.split(".")[:2])
        return {
            "__PLUGIN__": self.plugin,
            "__PACKAGE__": self.package,
            "__DISTRIBUTION__": self.distribution,
            "__LANGUAGE__": self.language,
            "__EXTENSION__": self.extension,
            "__COMMENT__": self.comment_prefix,
            "__TITLE__": self.title,
            "__ENGINE_VERSION__": major_minor,
            "__DOT__": ".",
        }

    def fill(self, text: str) -> str:
        for token, value in self.placeholders().items():
            text = text.replace(token, value)
        return text


def template_root() -> Traversable:
    """The template folder, inside the installed engine (works from a wheel)."""
    return files(TEMPLATE_PACKAGE).joinpath(TEMPLATE_FOLDER)


def render_template(names: PluginNames, destination: Path) -> list[Path]:
    """Write the filled-in template under ``destination``; the files written, sorted."""
    written: list[Path] = []

    def walk(node: Traversable, target: Path) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name == "__pycache__":
                continue
            name = names.fill(child.name)
            if child.is_dir():
                walk(child, target / name)
                continue
            target.mkdir(parents=True, exist_ok=True)
            if name.endswith(SUFFIX):
                path = target / name[: -len(SUFFIX)]
                path.write_text(names.fill(child.read_text(encoding="utf-8")), encoding="utf-8")
            else:
                path = target / name
                path.write_bytes(child.read_bytes())
            written.append(path)

    walk(template_root(), destination)
    return sorted(written)


@click.command("new")
@click.argument("name")
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder in which the plugin's folder NAME is created.",
)
@click.option(
    "--folder",
    default=None,
    help="Name of the folder created in OUTPUT_DIR, e.g. codeflash-engine-rust [default: NAME].",
)
@click.option("--language", default=None, help="The language's canonical name, as requests send it [default: NAME].")
@click.option("--extension", default=None, help="Source file extension [default: .NAME].")
@click.option("--comment-prefix", default="//", show_default=True, help="What starts a line comment.")
@click.option("--title", default=None, help="The language's display name [default: NAME capitalised].")
@click.option("--force", is_flag=True, help="Write into an existing, non-empty folder.")
def plugin_new(
    name: str,
    output_dir: Path,
    folder: str | None,
    language: str | None,
    extension: str | None,
    comment_prefix: str,
    title: str | None,
    force: bool,
) -> None:
    """Create a language plugin NAME from the template.

    The new folder holds a pyproject.toml with the entry point, the hook module, prompts, tests
    whose conftest turns codeflash-engine's conformance suite on, and a README. NAME is a
    lower-case identifier (letters, digits, underscores), e.g. "go" or "kotlin".
    """
    if not NAME.match(name):
        raise click.BadParameter("lower-case letters, digits and underscores, from a letter", param_hint="NAME")
    language = language or name
    if not NAME.match(language):
        raise click.BadParameter("use lower-case letters, digits and underscores", param_hint="--language")
    extension = extension or f".{name}"
    if not extension.startswith("."):
        extension = "." + extension
    names = PluginNames(
        plugin=name,
        language=language,
        extension=extension,
        comment_prefix=comment_prefix,
        title=title or name.capitalize(),
    )
    if folder is not None and (not folder.strip() or "/" in folder or "\\" in folder or folder in (".", "..")):
        raise click.BadParameter("a folder name, not a path", param_hint="--folder")
    destination = output_dir / (folder or name)
    if destination.exists() and any(destination.iterdir()) and not force:
        raise click.ClickException(f"{destination} exists and is not empty (use --force to write into it)")
    written = render_template(names, destination)
    click.echo(f"created {names.distribution} in {destination} ({len(written)} files):")
    for path in written:
        click.echo(f"  {path.relative_to(destination)}")
    click.echo(
        "\nnext:\n"
        f"  cd {destination}\n"
        "  pip install -e '.[test]'\n"
        "  pytest                  # your tests and the conformance suite\n"
        "  codeflash-engine plugins list"
    )
