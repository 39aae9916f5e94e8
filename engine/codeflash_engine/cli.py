"""The ``codeflash-engine`` command line: serve, plugins, and operator tools."""

from __future__ import annotations

import json
import sys

import click
import pydantic

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
@click.option(
    "--cfapi-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port of the CLI's second service, cfapi (0: off) "
    "[env CODEFLASH_ENGINE_CFAPI_PORT; default 3001 with --port 8000].",
)
def serve(host: str | None, port: int | None, workers: int, cfapi_port: int | None) -> None:
    """Start the HTTP service (the AI service, and cfapi on its own port)."""
    from codeflash_engine.serve import run

    try:
        settings = Settings()
    except pydantic.ValidationError as exc:  # e.g. a CODEFLASH_ENGINE_ADMIN_TOKEN shorter than 32 characters
        errors = exc.errors(include_input=False)
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in errors)
        raise click.ClickException(f"the configuration is refused: {problems}") from None
    if cfapi_port is not None:
        settings = settings.model_copy(update={"codeflash_engine_cfapi_port": cfapi_port})
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
@click.option(
    "--server",
    metavar="URL",
    default=None,
    help="Also show the run-time failures of a running engine (its /healthcheck), e.g. http://127.0.0.1:8000.",
)
def plugins_list(as_json: bool, include_builtin: bool, server: str | None) -> None:
    """List installed plugins: versions, languages, hooks, load errors, run-time failures.

    Exits with status 1 when a plugin failed to load (or, with --server, failed recently at run
    time), so a deployment can gate on it.
    """
    from codeflash_engine.app import load_plugins

    host = load_plugins(Settings())
    infos = host.plugins(include_builtin=include_builtin)
    failures = _server_failures(server) if server else {}
    if as_json:
        listing = [i.as_dict() | {"failures": failures.get(i.name, [])} for i in infos]
        click.echo(json.dumps(listing, indent=2))
    else:
        rows = [("NAME", "DISTRIBUTION", "VERSION", "LANGUAGES", "HOOKS")]
        for i in infos:
            languages, hooks = ", ".join(i.languages) or "-", ", ".join(i.hooks) or "-"
            rows.append((i.name, i.distribution or "-", i.version or "-", languages, hooks))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        for r in rows:
            click.echo("  ".join(r[c].ljust(widths[c]) for c in range(4)) + "  " + r[4])
        errors = host.errors()
        if errors:
            click.echo("\nplugins that failed to load:")
            for name, error in errors.items():
                click.echo(f"  {name}: {error}")
        if failures:
            click.echo(f"\nrecent run-time failures at {server}:")
            for name, found in failures.items():
                for f in found:
                    click.echo(f"  {name}.{f['hook']} ({f.get('language') or '-'}): {f['error']}")
    if host.errors() or failures:
        sys.exit(1)


@plugins.command("hooks")
def plugins_hooks() -> None:
    """Print the hook reference (Plugin API v1) as markdown, from the hookspecs' docstrings."""
    from codeflash_engine.plugins.hookspecs import reference_markdown

    click.echo(reference_markdown(), nl=False)


def _server_failures(url: str) -> dict[str, list[dict[str, object]]]:
    """The ``plugin_failures`` of a running engine's health check (exits 2 when it cannot be read)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url.rstrip("/") + "/healthcheck", timeout=10) as resp:
            health = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        click.echo(f"cannot read {url}/healthcheck: {exc}", err=True)
        sys.exit(2)
    found = health.get("plugin_failures") or {}
    return found if isinstance(found, dict) else {}


def _add_commands() -> None:
    from codeflash_engine.commands.apply_patch import apply_patch
    from codeflash_engine.commands.connect import connect
    from codeflash_engine.commands.db import db
    from codeflash_engine.commands.keys import keys
    from codeflash_engine.commands.plans import orgs, plans
    from codeflash_engine.commands.plugin_new import plugin_new
    from codeflash_engine.commands.usage import usage

    for command in (apply_patch, connect, db, keys, orgs, plans, usage):
        main.add_command(command)
    plugins.add_command(plugin_new)


_add_commands()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
