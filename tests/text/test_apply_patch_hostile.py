"""Issue 16, class 9: apply-patch checks and stages every target before replacing any file, and on
any failure changes nothing and leaves no temporary file (nor a directory it created)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from codeflash_engine.commands.apply_patch import apply_patch

A = "def f():\n    return 1\n"


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text(A)
    (tmp_path / "pkg" / "sub" / "keep.py").write_text("K = 1\n")
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes | None]:
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out[os.path.relpath(os.path.join(dirpath, name), root)] = None
        for name in filenames:
            full = os.path.join(dirpath, name)
            out[os.path.relpath(full, root)] = Path(full).read_bytes()
    return out


def _patch(*extra: str) -> str:
    return (
        "*** Begin Patch\n*** Update File: pkg/a.py\n@@\n def f():\n-    return 1\n+    return 2\n"
        + "".join(extra)
        + ("*** End Patch\n")
    )


@pytest.mark.parametrize(
    "extra",
    [
        "*** Add File: pkg/sub\n+X = 1\n",  # an existing directory
        "*** Add File: pkg/a.py/inner.py\n+X = 1\n",  # a parent that is a file
        "*** Add File: pkg/new/deeper/x.py\n+X = 1\n*** Add File: pkg/sub\n+Y = 2\n",  # new folders, then a directory
    ],
)
def test_a_bad_target_changes_nothing_and_leaves_nothing(tmp_path: Path, extra: str) -> None:
    root = _project(tmp_path)
    before = _snapshot(root)
    result = CliRunner().invoke(apply_patch, ["-", "--root", str(root)], input=_patch(extra))
    assert result.exit_code == 1, result.output
    assert "no file was changed" in result.output
    assert _snapshot(root) == before  # no file changed, no .tmp, no new directory


def test_a_replacement_failing_midway_is_undone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    before = _snapshot(root)
    real_replace = os.replace
    calls = []

    def flaky(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise PermissionError(13, "Permission denied", dst)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    patch = _patch("*** Add File: pkg/new/b.py\n+B = 1\n")
    result = CliRunner().invoke(apply_patch, ["-", "--root", str(root)], input=patch)
    assert result.exit_code == 1, result.output
    assert "undone" in result.output
    assert _snapshot(root) == before


def test_a_good_patch_still_applies(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = CliRunner().invoke(
        apply_patch, ["-", "--root", str(root)], input=_patch("*** Add File: pkg/new/b.py\n+B = 1\n")
    )
    assert result.exit_code == 0, result.output
    assert (root / "pkg" / "a.py").read_text() == "def f():\n    return 2\n"
    assert (root / "pkg" / "new" / "b.py").read_text() == "B = 1\n"
    assert not [p for p in root.rglob("*.tmp")]
