"""``codeflash-engine apply-patch``: replay an LLM edit (SEARCH/REPLACE, V4A or unified diff) on a directory.

Operators use it to replay a patch that failed in production: it detects the format, applies it
to the files under ``--root`` with the same matching ladder the engine uses, prints one line per
block with the matching level and fuzz, and writes nothing unless every block applied. Like the
engine's language plugins, it reads an edit quoted with uneven indentation the way that leaves a
file parseable when the default reading does not (the installed plugins' ``validate`` hooks
judge; ``--no-syntax-check`` turns that off).
"""

from __future__ import annotations

import contextlib
import difflib
import os
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

import click

from codeflash_engine.text.edits import Accept, apply_edit, detect_format, edit_paths

__all__ = ["apply_patch"]

_SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages", "dist", "build", "target"})
_WALK_LIMIT = 50_000


def _inside(root: Path, rel: str) -> Path | None:
    """The absolute path of ``rel`` under ``root``, or None when it is absolute or escapes root."""
    if not rel or rel.startswith("/") or Path(rel).is_absolute() or Path(rel).drive:
        return None
    target = (root / rel).resolve()
    try:
        target.relative_to(root)
    except ValueError:
        return None
    return target


def _find_by_suffix(root: Path, rel: str) -> str | None:
    """The only file under ``root`` whose relative path ends with ``/rel`` (hidden and vendored
    directories skipped), for patches that name a file by a shorter path."""
    hits: list[str] = []
    seen = 0
    suffix = "/" + rel.lstrip("/")
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS]
        for name in filenames:
            seen += 1
            full = os.path.join(dirpath, name)
            posix = Path(os.path.relpath(full, root)).as_posix()
            if ("/" + posix).endswith(suffix):
                hits.append(posix)
                if len(hits) > 1:
                    return None
        if seen > _WALK_LIMIT:
            break
    return hits[0] if hits else None


def _read(path: Path) -> str:
    with path.open("r", encoding="utf-8", newline="") as f:
        return f.read()


def _stat(before: str | None, after: str) -> str:
    old = (before or "").splitlines()
    new = after.splitlines()
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return f"+{added} -{removed}"


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        click.echo(line)
    sys.exit(1)


@click.command("apply-patch")
@click.argument("patch", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=str))
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory the patch's paths are relative to.",
)
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option(
    "--syntax-check/--no-syntax-check",
    default=True,
    show_default=True,
    help="Prefer the reading of uneven indentation that leaves the files parseable (installed plugins judge).",
)
def apply_patch(patch: str, root: Path, dry_run: bool, syntax_check: bool) -> None:
    """Apply PATCH (SEARCH/REPLACE blocks, a V4A patch or a unified diff; - reads stdin) under --root.

    Prints one line per block with the matching level and fuzz used, then the files changed.
    Exits 1 with the failure report, leaving every file untouched, when any block fails.
    """
    text = sys.stdin.read() if patch == "-" else _read(Path(patch))
    root = root.resolve()
    fmt = detect_format(text)
    if fmt is None:
        _fail(
            [
                f"{patch}: no edit found: expected SEARCH/REPLACE blocks, a V4A patch "
                "('*** Begin Patch' ... '*** End Patch') or a unified diff."
            ]
        )
    files: dict[str, str] = {}
    for rel in edit_paths(text):
        target = _inside(root, rel)
        if target is None:
            _fail([f"refusing {rel!r}: paths must be relative and stay inside {root}"])
        real = rel
        if not target.is_file():
            found = _find_by_suffix(root, rel)
            if found is None:
                continue
            real, target = found, root / found
        try:
            files[real] = _read(target)
        except UnicodeDecodeError:
            _fail([f"cannot read {real}: it is not UTF-8 text"])
    result = apply_edit(files, text, accept=_plugins_parse() if syntax_check else None)
    click.echo(f"format: {fmt}")
    for block in result.blocks:
        click.echo(block.describe())
    if not result.ok:
        lines = ["", *result.errors, ""]
        good = sum(b.ok for b in result.blocks)
        lines.append(f"{len(result.errors)} block(s) failed, {good} matched; no file was changed.")
        _fail(lines)
    writes: list[tuple[Path, str]] = []
    for rel, new in result.files.items():
        target = _inside(root, rel)
        if target is None:
            _fail([f"refusing to write {rel!r}: paths must be relative and stay inside {root}"])
        writes.append((target, new))
        mark = "M" if rel in files else "A"
        click.echo(f"{mark} {rel}  ({_stat(files.get(rel), new)})")
    removals: list[Path] = []
    for rel in result.deleted:
        target = _inside(root, rel)
        if target is None:  # pragma: no cover - deleted paths come from files read under root
            _fail([f"refusing to delete {rel!r}: outside {root}"])
        removals.append(target)
        click.echo(f"D {rel}")
    click.echo(f"total fuzz {result.fuzz}")
    if dry_run:
        click.echo("dry run: nothing written")
        return
    _write_all(writes, removals)


def _plugins_parse() -> Accept:
    """``accept(path, text)``: False when a plugin owning the file's language finds a syntax
    problem in ``text`` (files of other languages, and a plugin that fails, are accepted). The
    plugins are loaded on the first call."""
    from codeflash_engine.plugins.manager import PluginHost
    from codeflash_engine.plugins.registry import LanguageRegistry

    loaded: list[tuple[PluginHost, LanguageRegistry]] = []

    def accept(path: str, text: str) -> bool:
        if not loaded:
            host = PluginHost()
            host.load()
            loaded.append((host, LanguageRegistry(host)))
        host, registry = loaded[0]
        spec = registry.by_extension(path)
        if spec is None:
            return True
        try:
            problems = host.call("validate", spec.name, code=text, language_version=None)
        except Exception:
            return True
        return not problems

    return accept


def _write_all(writes: list[tuple[Path, str]], removals: list[Path]) -> None:
    """Check every target, stage every new content in a temporary sibling, then replace the files.

    Nothing changes unless everything can: a target that is a directory (or anything but a
    regular file), a parent that is a file, a temporary file that cannot be written, or a
    replacement that fails rolls back what was done (files restored, directories created removed)
    and leaves no temporary file behind.
    """
    problems = _check_targets(writes, removals)
    if problems:
        _fail([*problems, "no file was changed"])
    created: list[Path] = []
    staged: list[tuple[Path, str]] = []
    try:
        for target, text in writes:
            created += _make_parents(target.parent)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            staged.append((target, tmp))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            if target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o7777)
    except OSError as e:
        _undo([], staged, created)
        _fail([f"cannot write: {e}; no file was changed"])
    originals = {target: target.read_bytes() if target.is_file() else None for target, _ in writes}
    originals.update({target: target.read_bytes() for target in removals if target.is_file()})
    done: list[Path] = []
    try:
        for target, tmp in staged:
            os.replace(tmp, target)
            done.append(target)
        for target in removals:
            target.unlink(missing_ok=True)
            done.append(target)
    except OSError as e:
        _undo([(t, originals.get(t)) for t in done], staged, created)
        _fail([f"cannot write: {e}; every change was undone"])


def _check_targets(writes: list[tuple[Path, str]], removals: list[Path]) -> list[str]:
    """Why some target cannot be written or removed (empty: every one can)."""
    problems: list[str] = []
    for target, _ in writes:
        if target.exists() and not target.is_file():
            problems.append(f"cannot write {target}: it exists and is not a regular file")
        for parent in target.parents:
            if parent.exists():
                if not parent.is_dir():
                    problems.append(f"cannot write {target}: {parent} is not a directory")
                elif not os.access(parent, os.W_OK):
                    problems.append(f"cannot write {target}: {parent} is not writable")
                break
        if target.exists() and not os.access(target, os.W_OK):
            problems.append(f"cannot write {target}: it is not writable")
    for target in removals:
        if target.exists() and not target.is_file():
            problems.append(f"cannot delete {target}: it is not a regular file")
    return problems


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the ones created, outermost first."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    missing.reverse()
    for path in missing:
        path.mkdir()
    return missing


def _undo(done: list[tuple[Path, bytes | None]], staged: list[tuple[Path, str]], created: list[Path]) -> None:
    """Put replaced files back (None: the file was new), drop temporary files and new directories."""
    for target, original in reversed(done):
        try:
            if original is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(original)
        except OSError as e:  # pragma: no cover - the disk failed twice in a row
            click.echo(f"could not restore {target}: {e}", err=True)
    for _, tmp in staged:
        Path(tmp).unlink(missing_ok=True)
    for folder in reversed(created):
        with contextlib.suppress(OSError):
            folder.rmdir()
