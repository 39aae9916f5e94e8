"""The operator commands' edges, through click's CliRunner (what the mutation runs of
commands/keys.py, plans.py, apply_patch.py and connect.py found untested).

- ``keys``: what ``create`` says it made (organization by id, plan, quota, expiry), the options it
  requires, shows defaults for and refuses (a negative quota, an expiry that is now), a store's
  refusal and an unreachable database said once, a database still starting waited for, the
  listing's expired keys and JSON layout, the date a rotated key works until.
- ``plans`` and ``orgs``: what they say and list (models, quotas, plan, privacy, GitHub org),
  an empty listing said on stderr, the ids and GitHub org ids they refuse (below 1).
- ``apply-patch``: a file named by a shorter path is found only when it is the one match outside
  hidden and vendored folders (and within the walk's cap), the root must exist, a file's mode is
  kept, a plugin that fails to judge accepts, a removal that is no regular file is refused, a
  failed restore is said on stderr, the help shows the syntax check's default.
- ``connect``: what is forwarded (method, path, query, body up to 64 MiB, the headers passed, the
  developer's key or else the CLI's) and what is not (other paths, redirects followed), a refused
  key logged, a remote hanging up said by its reason, what the start-up check says for each
  answer, the command's ports and defaults, and a run that checks, listens on both ports and
  stops on a signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import re
import socket
import stat
import sys
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import ClientSession, ClientTimeout, web
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner, Result
from db_support import fetch, run_cli, run_sync

from codeflash_engine.cli import main
from codeflash_engine.commands.apply_patch import apply_patch
from codeflash_engine.commands.connect import ConnectError, Remote, check_remote, check_url
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.plugins.manager import PluginHost


def _key_ids(dsn: str) -> list[int]:
    return [int(k["id"]) for k in json.loads(run_cli(["keys", "list", "--json"], dsn).stdout)]


# --- keys -------------------------------------------------------------------------------------


def test_keys_create_says_the_organization_plan_quota_and_expiry_it_set(emptied_db: str) -> None:
    assert run_cli(["plans", "set", "team"], emptied_db).exit_code == 0
    org = run_cli(["orgs", "create", "acme"], emptied_db)
    assert org.exit_code == 0, org.output
    org_id = org.stdout.strip()
    options = ["--org", f" {org_id} ", "--plan", "team", "--tier", "pro", "--quota", "25", "--period", "week"]
    made = run_cli(["keys", "create", "--user", "alice", *options, "--expires", "30d"], emptied_db)
    assert made.exit_code == 0, made.output
    assert re.search(
        r"for user alice, tier pro, organization acme, plan team, quota 25 optimizations per week, "
        r"expires \d{4}-\d\d-\d\d \d\d:\d\d UTC\.",
        made.stderr,
    ), made.stderr
    listed = json.loads(run_cli(["keys", "list", "--json"], emptied_db).stdout)
    assert [(k["organization"], k["plan"], k["tier"]) for k in listed] == [("acme", "team", "pro")]


def test_keys_create_says_nothing_of_what_it_did_not_set(emptied_db: str) -> None:
    made = run_cli(["keys", "create", "--user", "bob"], emptied_db)
    assert made.exit_code == 0, made.output
    assert re.search(r"Created key \d+ \(cf-…\S{6}\) for user bob, tier free\.\n", made.stderr), made.stderr


def test_keys_create_takes_a_quota_of_zero_and_refuses_a_negative_one(emptied_db: str) -> None:
    zero = run_cli(["keys", "create", "--user", "carol", "--quota", "0"], emptied_db)
    assert zero.exit_code == 0, zero.output
    assert "quota 0 optimizations per month" in zero.stderr
    rows = run_sync(lambda: fetch(emptied_db, "SELECT optimizations_limit, period FROM subscriptions"))
    assert [tuple(r) for r in rows] == [(0, "month")]
    negative = run_cli(["keys", "create", "--user", "carol", "--quota", "-1"], emptied_db)
    assert negative.exit_code == 2 and "--quota" in negative.output


def test_keys_create_needs_a_user_and_an_expiry_after_now(emptied_db: str) -> None:
    missing = run_cli(["keys", "create"], emptied_db)
    assert missing.exit_code == 2 and "Missing option '--user'" in missing.output
    now = run_cli(["keys", "create", "--user", "dan", "--expires", "0"], emptied_db)
    assert now.exit_code == 2 and "is not in the future" in now.output
    assert _key_ids(emptied_db) == []


def test_keys_help_shows_the_defaults() -> None:
    create = CliRunner().invoke(main, ["keys", "create", "--help"])
    assert create.exit_code == 0
    assert "[default: free]" in create.output and "[default: month]" in create.output
    rotate = CliRunner().invoke(main, ["keys", "rotate", "--help"])
    assert rotate.exit_code == 0 and "[default: 24h]" in rotate.output


def test_keys_a_store_refusal_is_an_error_message(emptied_db: str) -> None:
    refused = run_cli(["keys", "create", "--user", "erin", "--plan", "gold"], emptied_db)
    assert refused.exit_code == 1 and "Error: no plan is named 'gold'" in refused.output
    assert "Traceback" not in refused.output


def test_keys_an_unreachable_database_is_said_once() -> None:
    result = CliRunner().invoke(main, ["keys", "list"], env={"DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/nothing"})
    assert result.exit_code == 1
    assert result.output.count("cannot reach the database") == 1, result.output
    assert "postgresql://u@127.0.0.1:1/nothing: " in result.output


class DroppingProxy:
    """A TCP proxy to the database that closes its first ``drop`` connections at once, as a
    server that is still starting does, and forwards the others."""

    def __init__(self, dsn: str, drop: int) -> None:
        self.drop = drop
        parts = urllib.parse.urlsplit(dsn)
        assert parts.hostname is not None and parts.port is not None
        self.target = (parts.hostname, parts.port)
        self.server = socket.create_server(("127.0.0.1", 0))
        port = self.server.getsockname()[1]
        self.dsn = urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{port}"))
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.accepted += 1
            if self.accepted <= self.drop:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.close()


@contextlib.contextmanager
def starting_database(dsn: str, drop: int) -> Iterator[DroppingProxy]:
    proxy = DroppingProxy(dsn, drop)
    try:
        yield proxy
    finally:
        proxy.close()


def test_keys_a_database_still_starting_is_waited_for_about_a_second(emptied_db: str) -> None:
    with starting_database(emptied_db, drop=1) as proxy:
        result = run_cli(["keys", "list"], proxy.dsn)
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == "no keys"
    assert proxy.accepted >= 2  # refused once, reached 0.25 s later
    # the command tries every 0.25 s for a second: at most 5 tries, the last one at 1 s
    with starting_database(emptied_db, drop=5) as proxy:
        result = run_cli(["keys", "list"], proxy.dsn)
    assert result.exit_code == 1 and "cannot reach the database" in result.output
    assert proxy.accepted <= 5


def test_keys_list_says_which_keys_have_expired(emptied_db: str) -> None:
    for user in ("old", "new"):
        assert run_cli(["keys", "create", "--user", user, "--expires", "2w"], emptied_db).exit_code == 0
    first, _ = _key_ids(emptied_db)

    async def expire() -> None:
        async with PostgresStore(emptied_db, migrate=False, pool_max=1, prune_interval=0) as store:
            await store.expire_key(first, dt.datetime(2001, 2, 3, 4, 5, tzinfo=dt.UTC))

    run_sync(expire)
    table = run_cli(["keys", "list"], emptied_db).stdout.splitlines()
    assert table[0].split() == ["ID", "USER", "ORGANIZATION", "TIER", "KEY", "CREATED", "STATUS"]
    assert table[1].endswith("expired 2001-02-03 04:05")
    assert re.search(r"  expires \d{4}-\d\d-\d\d \d\d:\d\d$", table[2]), table[2]
    listing = run_cli(["keys", "list", "--json"], emptied_db).stdout
    assert listing.startswith('[\n  {\n    "id": ')  # indented by two


def test_keys_rotate_says_until_when_the_old_key_works(emptied_db: str) -> None:
    old = run_cli(["keys", "create", "--user", "frank"], emptied_db).stdout.strip()
    before = dt.datetime.now(dt.UTC)
    rotated = run_cli(["keys", "rotate", old, "--grace", "7d"], emptied_db)
    after = dt.datetime.now(dt.UTC)
    assert rotated.exit_code == 0, rotated.output
    found = re.search(r"works until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", rotated.stderr)
    assert found is not None, rotated.stderr
    until = dt.datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
    week = dt.timedelta(days=7)
    assert (before + week).replace(second=0, microsecond=0) <= until <= after + week


# --- plans and orgs ---------------------------------------------------------------------------


def test_plans_say_the_models_they_use(emptied_db: str) -> None:
    plain = run_cli(["plans", "set", "basic", "--quota", "3"], emptied_db)
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.strip().endswith("per month, models default")
    mixed = run_cli(["plans", "set", "mixed", "--models", "openai:gpt-4.1=1"], emptied_db)
    assert mixed.exit_code == 0, mixed.output
    assert mixed.stdout.strip().endswith("models openai:gpt-4.1=1")


def test_plans_list_shows_quotas_and_unlimited_ones(emptied_db: str) -> None:
    assert run_cli(["plans", "set", "basic", "--quota", "3", "--budget", "2.5"], emptied_db).exit_code == 0
    table = [line.split() for line in run_cli(["plans", "list"], emptied_db).stdout.splitlines()]
    assert table == [
        ["NAME", "RATE", "LIMIT", "QUOTA", "BUDGET", "USD", "PERIOD", "MODELS"],
        ["basic", "env", "3", "2.5", "month", "default"],
        ["default", "env", "-", "-", "month", "default"],
    ]
    assert run_cli(["plans", "list", "--json"], emptied_db).stdout.startswith('[\n  {\n    "name": ')


def test_orgs_list_says_when_there_are_none(emptied_db: str) -> None:
    empty = run_cli(["orgs", "list"], emptied_db)
    assert empty.exit_code == 0 and empty.stdout == "" and empty.stderr == "no organizations\n"


def test_orgs_list_shows_plan_privacy_and_github_org(emptied_db: str) -> None:
    assert run_cli(["plans", "set", "team"], emptied_db).exit_code == 0
    plain = run_cli(["orgs", "create", "plain"], emptied_db)
    assert plain.exit_code == 0 and "Created organization plain, plan default." in plain.stderr
    made = run_cli(["orgs", "create", "acme", "--plan", "team", "--privacy", "--github-org-id", "1"], emptied_db)
    assert made.exit_code == 0, made.output
    assert "Created organization acme, plan team." in made.stderr
    table = [line.split()[:5] for line in run_cli(["orgs", "list"], emptied_db).stdout.splitlines()]
    assert table == [
        ["ID", "NAME", "PLAN", "PRIVACY", "GITHUB"],
        ["1", "plain", "-", "off", "-"],
        ["2", "acme", "team", "on", "1"],
    ]
    assert run_cli(["orgs", "list", "--json"], emptied_db).stdout.startswith('[\n  {\n    "id": 1,')


def test_orgs_ids_start_at_one(emptied_db: str) -> None:
    assert run_cli(["orgs", "create", "x", "--github-org-id", "0"], emptied_db).exit_code == 2
    assert run_cli(["orgs", "create", "x"], emptied_db).stdout.strip() == "1"
    assert run_cli(["orgs", "set", "0", "--privacy"], emptied_db).exit_code == 2
    changed = run_cli(["orgs", "set", "1", "--privacy"], emptied_db)  # the plan left alone
    assert changed.exit_code == 0, changed.output
    assert changed.stdout.strip() == "organization 1 (x): plan default, privacy mode on"


# --- apply-patch (no database) ----------------------------------------------------------------

#: the module itself (the package's ``apply_patch`` attribute is the command)
APPLY_PATCH = sys.modules[apply_patch.callback.__module__]


def _edit(path: str, old: str, new: str) -> str:
    return f"{path}\n<<<<<<< SEARCH\n{old}=======\n{new}>>>>>>> REPLACE\n"


def _apply(root: Path, patch: str, *args: str) -> Result:
    return CliRunner().invoke(apply_patch, ["-", "--root", str(root), *args], input=patch)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_apply_patch_finds_a_shorter_path_outside_hidden_and_vendored_folders(tmp_path: Path) -> None:
    copies = {"node_modules/pkg/c.py": "Y = 1\n", ".hidden/pkg/c.py": "Y = 1\n", "pkg/c.py": "Y = 1\n"}
    root = _tree(tmp_path, copies)
    result = _apply(root, _edit("c.py", "Y = 1\n", "Y = 2\n"))
    assert result.exit_code == 0, result.output
    assert (root / "pkg/c.py").read_text() == "Y = 2\n"
    assert (root / "node_modules/pkg/c.py").read_text() == (root / ".hidden/pkg/c.py").read_text() == "Y = 1\n"


def test_apply_patch_does_not_guess_between_two_files_of_a_shorter_path(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"pkg/a/geo.py": "X = 1\n", "pkg/b/geo.py": "X = 1\n"})
    result = _apply(root, _edit("geo.py", "X = 1\n", "X = 2\n"))
    assert result.exit_code == 1 and "no file was changed" in result.output
    assert (root / "pkg/a/geo.py").read_text() == (root / "pkg/b/geo.py").read_text() == "X = 1\n"


def test_apply_patch_stops_looking_for_a_shorter_path_past_the_walks_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the top folder's two files already pass a cap of one: the deeper file is not looked for
    root = _tree(tmp_path, {"a.txt": "a\n", "b.txt": "b\n", "deep/pkg/geo.py": "X = 1\n"})
    monkeypatch.setattr(APPLY_PATCH, "_WALK_LIMIT", 1)
    capped = _apply(root, _edit("pkg/geo.py", "X = 1\n", "X = 2\n"))
    assert capped.exit_code == 1 and (root / "deep/pkg/geo.py").read_text() == "X = 1\n"
    monkeypatch.setattr(APPLY_PATCH, "_WALK_LIMIT", 2)
    found = _apply(root, _edit("pkg/geo.py", "X = 1\n", "X = 2\n"))
    assert found.exit_code == 0, found.output
    assert (root / "deep/pkg/geo.py").read_text() == "X = 2\n"


def test_apply_patch_needs_an_existing_root(tmp_path: Path) -> None:
    result = _apply(tmp_path / "missing", _edit("pkg/new.py", "", "X = 1\n"))
    assert result.exit_code == 2 and "does not exist" in result.output
    assert not (tmp_path / "missing").exists()


def test_apply_patch_keeps_a_files_mode(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"run.py": "X = 1\n", "data.py": "D = 1\n"})
    (root / "run.py").chmod(0o755)
    (root / "data.py").chmod(0o640)
    patch = _edit("run.py", "X = 1\n", "X = 2\n") + _edit("data.py", "D = 1\n", "D = 2\n")
    result = _apply(root, patch)
    assert result.exit_code == 0, result.output
    assert (root / "run.py").read_text() == "X = 2\n"
    assert stat.S_IMODE((root / "run.py").stat().st_mode) == 0o755
    assert stat.S_IMODE((root / "data.py").stat().st_mode) == 0o640


def test_apply_patch_refuses_to_remove_what_is_not_a_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a path read as a file that is a folder by the time it is removed
    folder = tmp_path / "pkg"
    (folder / "inner.py").parent.mkdir()
    (folder / "inner.py").write_text("I = 1\n")
    with pytest.raises(SystemExit) as exited:
        APPLY_PATCH._write_all([], [folder])
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert f"cannot delete {folder}: it is not a regular file" in out and "no file was changed" in out
    assert (folder / "inner.py").read_text() == "I = 1\n"


def test_apply_patch_a_failed_restore_is_said_on_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path, {"a.py": "A = 1\n", "b.py": "B = 1\n"})
    real_replace = os.replace
    replaced: list[str] = []

    def second_fails(src: str, dst: str) -> None:
        replaced.append(dst)
        if len(replaced) == 2:
            raise PermissionError(13, "Permission denied", dst)
        real_replace(src, dst)

    def disk_gone(self: Path, data: bytes) -> int:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", second_fails)
    monkeypatch.setattr(Path, "write_bytes", disk_gone)
    result = _apply(root, _edit("a.py", "A = 1\n", "A = 2\n") + _edit("b.py", "B = 1\n", "B = 2\n"))
    assert result.exit_code == 1
    assert "could not restore" in result.stderr and "could not restore" not in result.stdout
    assert "every change was undone" in result.stdout


def test_apply_patch_help_shows_the_defaults() -> None:
    result = CliRunner().invoke(apply_patch, ["--help"])
    assert result.exit_code == 0 and "[default: syntax-check]" in result.output and "[default: .]" in result.output


#: a quote whose indentation is off: as written the file no longer parses, re-indented it does
UNEVEN_BEFORE = "def f(x):\n    if x:\n        y = 1\n    return y\n"
UNEVEN = _edit("a.py", "def f(x):\n  if x:\n    y = 1\n", "def g(x):\n    if x:\n    y = 2\n")
UNEVEN_PARSED = "def g(x):\n    if x:\n        y = 2\n    return y\n"
UNEVEN_AS_WRITTEN = "def g(x):\n    if x:\n    y = 2\n    return y\n"


def test_apply_patch_checks_syntax_by_default_where_a_plugin_parses(tmp_path: Path) -> None:
    # a new text file in the same patch: no plugin judges it, it does not stand in the way
    patch = UNEVEN + _edit("notes.txt", "", "hello\n")
    checked = _tree(tmp_path / "checked", {"a.py": UNEVEN_BEFORE})
    result = _apply(checked, patch)
    assert result.exit_code == 0, result.output
    assert (checked / "a.py").read_text() == UNEVEN_PARSED and (checked / "notes.txt").read_text() == "hello\n"
    unchecked = _tree(tmp_path / "unchecked", {"a.py": UNEVEN_BEFORE})
    result = _apply(unchecked, patch, "--no-syntax-check")
    assert result.exit_code == 0, result.output
    assert (unchecked / "a.py").read_text() == UNEVEN_AS_WRITTEN


def test_apply_patch_a_plugin_failing_on_a_file_accepts_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_call = PluginHost.call

    def fails_on_one_file(self: PluginHost, hook: str, *args: object, **kwargs: object) -> object:
        if "RAISE" in str(kwargs.get("code", "")):
            raise RuntimeError("plugin bug")
        return real_call(self, hook, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PluginHost, "call", fails_on_one_file)
    root = _tree(tmp_path, {"a.py": UNEVEN_BEFORE})
    result = _apply(root, UNEVEN + _edit("b.py", "", "X = 'RAISE'\n"))
    assert result.exit_code == 0, result.output
    assert (root / "a.py").read_text() == UNEVEN_PARSED and (root / "b.py").read_text() == "X = 'RAISE'\n"


def test_apply_patch_needs_a_patch_file_and_a_root_folder(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"a.py": "A = 1\n"})
    assert CliRunner().invoke(apply_patch, [str(root / "missing.txt"), "--root", str(root)]).exit_code == 2
    assert CliRunner().invoke(apply_patch, [str(root), "--root", str(root)]).exit_code == 2
    as_root = _apply(root / "a.py", _edit("a.py", "A = 1\n", "A = 2\n"))
    assert as_root.exit_code == 2 and "is a file" in as_root.output


def test_apply_patch_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"a.py": "A = 1\n"})
    (root / "blob.py").write_bytes(b"\xff\xfe\x00bad")
    result = _apply(root, _edit("blob.py", "bad", "good") + _edit("a.py", "A = 1\n", "A = 2\n"))
    assert result.exit_code == 1 and "cannot read blob.py: it is not UTF-8 text" in result.output
    assert (root / "a.py").read_text() == "A = 1\n"


def test_apply_patch_counts_changed_lines_in_a_repetitive_file(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"big.py": "x = 1\n" + "pass\n" * 250})
    result = _apply(root, _edit("big.py", "x = 1\n", "x = 2\n"))
    assert result.exit_code == 0, result.output
    assert "M big.py  (+1 -1)" in result.output


def test_apply_patch_a_temporary_file_that_cannot_be_made_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path, {"a.py": "A = 1\n"})

    def disk_full(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(APPLY_PATCH.tempfile, "mkstemp", disk_full)
    result = _apply(root, _edit("a.py", "A = 1\n", "A = 2\n"))
    assert result.exit_code == 1
    assert "cannot write: [Errno 28] No space left on device; no file was changed" in result.output
    assert (root / "a.py").read_text() == "A = 1\n"


def test_apply_patch_says_why_a_target_cannot_be_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path, {"a.py": "A = 1\n"})
    under_a_file = "*** Begin Patch\n*** Add File: a.py/inner.py\n+X = 1\n*** End Patch\n"
    result = _apply(root, under_a_file)
    assert result.exit_code == 1 and f"{root / 'a.py'} is not a directory" in result.output
    # only the nearest existing folder must be writable, not the ones above it
    real_access = os.access
    locked = {root / "locked", tmp_path.parent}
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) not in locked and real_access(path, mode))
    (root / "locked").mkdir()
    denied = _apply(root, _edit("locked/new.py", "", "X = 1\n"))
    assert denied.exit_code == 1 and f"{root / 'locked'} is not writable" in denied.output
    allowed = _apply(root, _edit("fresh/new.py", "", "X = 1\n"))
    assert allowed.exit_code == 0, allowed.output
    assert (root / "fresh/new.py").read_text() == "X = 1\n"


def test_apply_patch_a_file_removed_meanwhile_is_no_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path, {"a.py": "A = 1\n", "b.py": "B = 1\n"})
    real_replace = os.replace

    def and_b_goes(src: str, dst: str) -> None:
        real_replace(src, dst)
        (root / "b.py").unlink()  # someone else removed it

    monkeypatch.setattr(os, "replace", and_b_goes)
    patch = "*** Begin Patch\n*** Update File: a.py\n@@\n-A = 1\n+A = 2\n*** Delete File: b.py\n*** End Patch\n"
    result = _apply(root, patch)
    assert result.exit_code == 0, result.output
    assert (root / "a.py").read_text() == "A = 2\n" and not (root / "b.py").exists()


def test_apply_patch_undoing_a_new_file_already_gone_is_quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path, {"a.py": "A = 1\n"})
    real_replace = os.replace
    replaced: list[str] = []

    def new_file_vanishes_then_fail(src: str, dst: str) -> None:
        replaced.append(dst)
        if len(replaced) == 2:
            raise PermissionError(13, "Permission denied", dst)
        real_replace(src, dst)
        Path(dst).unlink()

    monkeypatch.setattr(os, "replace", new_file_vanishes_then_fail)
    result = _apply(root, _edit("new.py", "", "N = 1\n") + _edit("a.py", "A = 1\n", "A = 2\n"))
    assert result.exit_code == 1 and "every change was undone" in result.output
    assert Path(replaced[0]).name == "new.py"
    assert "could not restore" not in result.output and "could not restore" not in result.stderr
    assert (root / "a.py").read_text() == "A = 1\n"


# --- connect (no database) --------------------------------------------------------------------

#: the module itself (the package's ``connect`` attribute may be the command)
CONNECT = sys.modules[Remote.__module__]
Client = TestClient[web.Request, web.Application]
MakeClient = Callable[[web.Application], Awaitable[Client]]


def _url(client: Client) -> str:
    server = client.server
    assert isinstance(server, TestServer)
    return str(server.make_url("")).rstrip("/")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _echo(request: web.Request) -> web.StreamResponse:
    """The remote engine: says what it was sent; /moved redirects, /status/N answers N."""
    body = await request.read()
    if request.path == "/ai/moved":
        raise web.HTTPFound("/ai/elsewhere")
    status = int(request.path.rpartition("/")[2]) if request.path.startswith("/ai/status/") else 200
    return web.json_response(
        {
            "method": request.method,
            "path_qs": request.path_qs,
            "size": len(body),
            "headers": {k.lower(): v for k, v in request.headers.items()},
        },
        status=status,
        headers={"X-Remote": "yes"},
    )


@pytest.fixture
async def remote_engine(aiohttp_client: MakeClient) -> Client:
    app = web.Application(client_max_size=2**27)
    app.router.add_route("*", "/{tail:.*}", _echo)
    return await aiohttp_client(app)


async def test_connect_forwards_what_the_cli_sent_and_what_the_engine_answered(
    remote_engine: Client, aiohttp_client: MakeClient
) -> None:
    local = await aiohttp_client(CONNECT.create_connect_app(Remote(_url(remote_engine) + "/", "cf-dev")))
    sent = {"Authorization": "Bearer cf-cli", "X-Request-ID": "r-1", "cli_version": "0.9", "X-Other": "no"}
    resp = await local.put("/ai/x?a=1", data=b"payload", headers=sent)
    assert resp.status == 200 and resp.headers["X-Remote"] == "yes"
    seen = await resp.json()
    assert (seen["method"], seen["path_qs"], seen["size"]) == ("PUT", "/ai/x?a=1", 7)
    assert seen["headers"]["authorization"] == "Bearer cf-dev"  # the developer's key, not the CLI's
    assert seen["headers"]["x-request-id"] == "r-1" and seen["headers"]["cli_version"] == "0.9"
    assert "x-other" not in seen["headers"]
    assert seen["headers"]["x-forwarded-by"].startswith("codeflash-engine-connect/")
    for path in ("/ai", "/cfapi", "/healthcheck", "/cfapi/cli-get-user"):
        assert (await local.get(path)).status == 200, path
    for path in ("/aim", "/cfapix/y", "/"):
        refused = await local.get(path)
        assert refused.status == 404 and "/ai and /cfapi only" in (await refused.json())["error"], path
    moved = await local.get("/ai/moved", allow_redirects=False)
    assert moved.status == 302 and moved.headers["Location"] == "/ai/elsewhere"  # the CLI's to follow


async def test_connect_without_a_key_passes_the_clis_own(remote_engine: Client, aiohttp_client: MakeClient) -> None:
    local = await aiohttp_client(CONNECT.create_connect_app(Remote(_url(remote_engine), None)))
    seen = await (await local.get("/ai/x", headers={"Authorization": "Bearer cf-cli"})).json()
    assert seen["headers"]["authorization"] == "Bearer cf-cli"
    bare = await (await local.get("/ai/x")).json()
    assert "authorization" not in bare["headers"] and bare["size"] == 0


async def test_connect_forwards_bodies_up_to_64_mib(remote_engine: Client, aiohttp_client: MakeClient) -> None:
    local = await aiohttp_client(CONNECT.create_connect_app(Remote(_url(remote_engine), "cf-dev")))
    most = 64 * 1024 * 1024
    resp = await local.post("/ai/big", data=b"x" * most)
    assert resp.status == 200 and (await resp.json())["size"] == most
    assert (await local.post("/ai/big", data=b"x" * (most + 1))).status == 413


async def test_connect_logs_a_refused_key_only(
    remote_engine: Client, aiohttp_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    local = await aiohttp_client(CONNECT.create_connect_app(Remote(_url(remote_engine), "cf-dev")))
    with caplog.at_level(logging.WARNING, logger=CONNECT.__name__):
        for status in (401, 403, 402, 404):
            assert (await local.get(f"/ai/status/{status}")).status == status
    refused = [r.getMessage() for r in caplog.records]
    assert refused == [
        "the remote engine refused the key on /ai/status/401 (401)",
        "the remote engine refused the key on /ai/status/403 (403)",
    ]


@pytest.fixture
def hanging_up_port() -> Iterator[int]:
    """A port whose server reads each request and closes the connection without an answer."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.settimeout(5)
                request = b""
                while b"\r\n\r\n" not in request and (chunk := conn.recv(65536)):
                    request += chunk
                conn.shutdown(socket.SHUT_WR)  # a clean end of stream, no reset

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield int(server.getsockname()[1])
    finally:
        server.close()


async def test_connect_a_remote_hanging_up_is_said_by_its_reason(
    hanging_up_port: int, aiohttp_client: MakeClient
) -> None:
    remote = Remote(f"http://127.0.0.1:{hanging_up_port}", "cf-dev")
    local = await aiohttp_client(CONNECT.create_connect_app(remote))
    resp = await local.get("/ai/x")
    assert resp.status == 502
    assert "is unreachable (Server disconnected); check the URL" in (await resp.json())["error"]
    with pytest.raises(ConnectError, match=r": Server disconnected \(check the URL"):
        await check_remote(remote)


def _answering(status: int, body: str, content_type: str = "application/json") -> web.Application:
    async def who(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body, content_type=content_type)

    app = web.Application()
    app.router.add_get("/cfapi/cli-get-user", who)
    return app


async def test_connect_check_says_what_the_remote_answered(aiohttp_client: MakeClient) -> None:
    async def check(status: int, body: str, content_type: str = "application/json") -> str:
        remote = await aiohttp_client(_answering(status, body, content_type))
        with pytest.raises(ConnectError) as refused:
            await check_remote(Remote(_url(remote), "cf-dev"))
        return str(refused.value)

    long = "e" * 300
    assert f"refused your API key (401: {'e' * 200}); check" in await check(401, long, "text/plain")
    assert "refused your API key (403: nope); check" in await check(403, '{"error": "nope"}')
    assert "answered 404 for /cfapi/cli-get-user" in await check(404, "{}")
    message = await check(500, long, "text/plain")
    assert message.endswith(f"answered 500: {'e' * 200}")
    assert (await check(500, '{"userId": "u", "error": "down"}')).endswith("answered 500: down")
    assert (await check(200, "not json", "text/plain")).endswith("answered 200: not json")
    assert (await check(200, '{"id": 1}')).endswith('answered 200: {"id": 1}')


async def test_connect_run_checks_listens_and_stops_on_a_signal(
    aiohttp_client: MakeClient,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    who = await aiohttp_client(_answering(200, '{"userId": "u-7"}'))
    loop = asyncio.get_running_loop()
    handlers: list[Callable[[], object]] = []
    listening = asyncio.Event()

    def on_signal(signum: int, callback: Callable[[], object]) -> None:
        handlers.append(callback)
        listening.set()

    monkeypatch.setattr(loop, "add_signal_handler", on_signal)
    ai, cfapi = _free_port(), _free_port()
    remote = Remote(_url(who), "cf-dev")
    task = asyncio.create_task(CONNECT.run_connect(remote, "127.0.0.1", (ai, cfapi)))
    await asyncio.wait_for(listening.wait(), 5)
    async with ClientSession() as session:
        for port in (ai, cfapi):
            async with session.get(f"http://127.0.0.1:{port}/cfapi/cli-get-user") as resp:
                assert resp.status == 200 and (await resp.json())["userId"] == "u-7"
    assert len(handlers) == 2  # SIGINT and SIGTERM: connect's own, none of aiohttp's
    handlers[0]()
    await asyncio.wait_for(task, 5)
    err = capsys.readouterr().err
    assert f"connect: {remote.url} accepts your key (user u-7)\n" in err
    assert (
        f"connect: forwarding http://127.0.0.1:{ai}/ai and http://127.0.0.1:{cfapi}/cfapi to {remote.url}; "
        "run the CLI with CODEFLASH_AIS_SERVER=local CODEFLASH_CFAPI_SERVER=local\n"
    ) in err
    with socket.socket() as probe:  # stopped: nothing listens any more
        assert probe.connect_ex(("127.0.0.1", ai)) != 0
    # unchecked, on one port: no check said, one address
    handlers.clear()
    listening.clear()
    task = asyncio.create_task(CONNECT.run_connect(remote, "127.0.0.1", (ai,), check=False))
    await asyncio.wait_for(listening.wait(), 5)
    handlers[1]()
    await asyncio.wait_for(task, 5)
    assert capsys.readouterr().err == (
        f"connect: forwarding http://127.0.0.1:{ai}/ai to {remote.url}; "
        "run the CLI with CODEFLASH_AIS_SERVER=local CODEFLASH_CFAPI_SERVER=local\n"
    )


def test_connect_command_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[Remote, str, tuple[int, ...], bool]] = []

    async def fake_run(remote: Remote, host: str, ports: tuple[int, ...], *, check: bool = True) -> None:
        calls.append((remote, host, ports, check))

    monkeypatch.setattr(CONNECT, "run_connect", fake_run)
    monkeypatch.delenv("CODEFLASH_API_KEY", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["connect", "https://e.example/", "--timeout", "1"]).exit_code == 0
    remote, host, ports, check = calls[-1]
    assert (remote.url, remote.key, remote.timeout, host, ports, check) == (
        "https://e.example",
        None,
        1.0,
        "127.0.0.1",
        (8000, 3001),
        True,
    )
    args = ["connect", "https://e.example", "--cfapi-port", "0", "--port", "1"]
    ok = runner.invoke(main, args, env={"CODEFLASH_API_KEY": "cf-env"})
    assert ok.exit_code == 0, ok.output
    assert (calls[-1][0].key, calls[-1][0].timeout, calls[-1][2]) == ("cf-env", 330.0, (1,))
    ok = runner.invoke(main, ["connect", "https://e.example", "--port", "65535", "--no-check", "--key", "cf-k"])
    assert ok.exit_code == 0, ok.output
    assert calls[-1][2:] == ((65535, 3001), False) and calls[-1][0].key == "cf-k"
    assert runner.invoke(main, ["connect", "https://e.example", "--cfapi-port", "65535"]).exit_code == 0
    for bad in (
        ["--port", "0"],
        ["--port", "65536"],
        ["--cfapi-port", "65536"],
        ["--cfapi-port", "-1"],
        ["--timeout", "0.5"],
        ["--ca-file", str(tmp_path / "no.pem")],
        ["--ca-file", str(tmp_path)],
    ):
        assert runner.invoke(main, ["connect", "https://e.example", *bad]).exit_code == 2, bad
    helped = " ".join(runner.invoke(main, ["connect", "--help"]).output.split())
    for default in ("[default: 127.0.0.1]", "[default: 8000;", "[default: 3001;", "[default: 330.0;"):
        assert default in helped, default

    async def refused(remote: Remote, host: str, ports: tuple[int, ...], *, check: bool = True) -> None:
        raise ConnectError("the key was refused")

    monkeypatch.setattr(CONNECT, "run_connect", refused)
    failed = runner.invoke(main, ["connect", "https://e.example"])
    assert failed.exit_code == 1 and failed.stdout == ""
    assert failed.stderr == "codeflash-engine connect: the key was refused\n"
    assert runner.invoke(main, ["connect", "http://engine.example.com"]).exit_code == 1


async def test_connect_a_closed_port_is_said_by_the_systems_reason(aiohttp_client: MakeClient) -> None:
    port = _free_port()
    local = await aiohttp_client(CONNECT.create_connect_app(Remote(f"http://127.0.0.1:{port}", "cf-dev", timeout=5)))
    resp = await local.get("/ai/x")
    assert resp.status == 502
    assert f"is unreachable (Connect call failed ('127.0.0.1', {port})); check the URL" in (await resp.json())["error"]
    # the forwarding session: the remote's time for a whole request, 10 s to connect
    assert local.app[CONNECT.SESSION].timeout == ClientTimeout(total=5, connect=10.0)


def test_connect_urls_an_engine_can_have() -> None:
    assert check_url("http://localhost:8000/") == "http://localhost:8000"
    assert check_url("http://[::1]:9000") == "http://[::1]:9000"
    for url in ("https://", "ftp://engine.example.com", "http://10.0.0.1", "http://localhost.example.com"):
        with pytest.raises(ConnectError):
            check_url(url)


def test_connect_certificates_that_cannot_be_read_are_said(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    for ca_file in (tmp_path / "missing.pem", garbage):
        with pytest.raises(ConnectError, match="cannot read the certificates in"):
            Remote("https://e.example", "cf-dev", ca_file=str(ca_file)).connector()


async def test_connect_a_port_in_use_is_said() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = int(taken.getsockname()[1])
        with pytest.raises(ConnectError, match=rf"cannot listen on 127\.0\.0\.1:{port}: "):
            await CONNECT.run_connect(Remote("https://e.example", "cf-dev"), "127.0.0.1", (port,), check=False)


def test_connect_keeps_the_key_out_of_the_remotes_repr() -> None:
    remote = Remote("https://e.example", "cf-secret-key")
    assert "cf-secret-key" not in repr(remote) and "https://e.example" in repr(remote)
