"""The ``codeflash-engine`` command line: serve, plugins, and operator tools."""

from __future__ import annotations

import json
import sys

import click

from codeflash_engine import __version__
from codeflash_engine.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="codeflash-engine")
def main() -> None:
    """codeflash-engine: the AI service behind the Codeflash CLI."""


@main.command()
@click.option("--host", default=None, help="Interface to bind [env CODEFLASH_ENGINE_HOST, default 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [env CODEFLASH_ENGINE_PORT, default 8000].")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes sharing the port."
)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Start the HTTP service."""
    from codeflash_engine.serve import run

    settings = Settings()
    run(
        settings,
        host=host or settings.codeflash_engine_host,
        port=settings.codeflash_engine_port if port is None else port,
        workers=workers,
    )


@main.group()
def plugins() -> None:
    """Inspect language plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--all", "include_builtin", is_flag=True, help="Include the engine's builtin implementations.")
def plugins_list(as_json: bool, include_builtin: bool) -> None:
    """List installed plugins: versions, languages, hooks, load errors."""
    from codeflash_engine.app import load_plugins

    host = load_plugins(Settings())
    infos = host.plugins(include_builtin=include_builtin)
    if as_json:
        click.echo(json.dumps([i.as_dict() for i in infos], indent=2))
        return
    rows = [("NAME", "DISTRIBUTION", "VERSION", "LANGUAGES", "HOOKS")]
    for i in infos:
        rows.append(
            (i.name, i.distribution or "-", i.version or "-", ", ".join(i.languages) or "-", ", ".join(i.hooks) or "-")
        )
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    for r in rows:
        click.echo("  ".join(r[c].ljust(widths[c]) for c in range(4)) + "  " + r[4])
    errors = host.errors()
    if errors:
        click.echo("\nplugins that failed to load:", err=False)
        for name, error in errors.items():
            click.echo(f"  {name}: {error}")


def _add_commands() -> None:
    from codeflash_engine.commands.apply_patch import apply_patch
    from codeflash_engine.commands.db import db
    from codeflash_engine.commands.keys import keys
    from codeflash_engine.commands.plugin_new import plugin_new
    from codeflash_engine.commands.usage import usage

    for command in (apply_patch, db, keys, usage):
        main.add_command(command)
    plugins.add_command(plugin_new)


_add_commands()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
