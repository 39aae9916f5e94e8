"""``codeflash-engine apply-patch`` through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from codeflash_engine.commands.apply_patch import apply_patch

GEO = "import math\n\n\ndef length(xs):\n    return math.sqrt(sum(x * x for x in xs))\n"
SR = (
    "pkg/geo.py\n```python\n<<<<<<< SEARCH\n    return math.sqrt(sum(x * x for x in xs))\n=======\n"
    "    return math.hypot(*xs)\n>>>>>>> REPLACE\n```\n"
)


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "geo.py").write_text(GEO)
    (tmp_path / "pkg" / "crlf.py").write_bytes(b"a = 1\r\nb = 2\r\n")
    return tmp_path


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(apply_patch, list(args), input=stdin)
    return result.exit_code, result.output


def test_applies_search_replace_and_reports_level_and_fuzz(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "edit.txt").write_text(SR)
    code, out = _run(str(root / "edit.txt"), "--root", str(root))
    assert code == 0, out
    assert "format: search_replace" in out
    assert "ok     block 1  pkg/geo.py  update at line 5  exact (fuzz 0)" in out
    assert "M pkg/geo.py  (+1 -1)" in out
    assert (root / "pkg" / "geo.py").read_text() == GEO.replace("math.sqrt(sum(x * x for x in xs))", "math.hypot(*xs)")


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "edit.txt").write_text(SR)
    code, out = _run(str(root / "edit.txt"), "--root", str(root), "--dry-run")
    assert code == 0 and "dry run: nothing written" in out
    assert (root / "pkg" / "geo.py").read_text() == GEO


def test_any_failing_block_exits_1_and_leaves_every_file_untouched(tmp_path: Path) -> None:
    root = _project(tmp_path)
    bad = SR + "pkg/crlf.py\n<<<<<<< SEARCH\nc = 3\n=======\nc = 4\n>>>>>>> REPLACE\n"
    (root / "edit.txt").write_text(bad)
    code, out = _run(str(root / "edit.txt"), "--root", str(root))
    assert code == 1
    assert "ok     block 1" in out and "FAILED block 2  pkg/crlf.py" in out
    assert "block 2 (pkg/crlf.py): the SEARCH text did not match" in out
    assert "1 block(s) failed, 1 matched; no file was changed." in out
    assert (root / "pkg" / "geo.py").read_text() == GEO


def test_v4a_from_stdin_add_delete_and_crlf(tmp_path: Path) -> None:
    root = _project(tmp_path)
    patch = (
        "*** Begin Patch\n*** Update File: pkg/crlf.py\n@@\n a = 1\n-b = 2\n+b = 3\n"
        "*** Add File: pkg/new/helper.py\n+X = 1\n*** Delete File: pkg/geo.py\n*** End Patch\n"
    )
    code, out = _run("-", "--root", str(root), stdin=patch)
    assert code == 0, out
    assert "format: v4a" in out and "A pkg/new/helper.py" in out and "D pkg/geo.py" in out
    assert (root / "pkg" / "crlf.py").read_bytes() == b"a = 1\r\nb = 3\r\n"
    assert (root / "pkg" / "new" / "helper.py").read_text() == "X = 1\n"
    assert not (root / "pkg" / "geo.py").exists()


def test_a_shorter_path_is_found_under_the_root(tmp_path: Path) -> None:
    root = _project(tmp_path)
    code, out = _run("-", "--root", str(root), stdin=SR.replace("pkg/geo.py", "geo.py", 1))
    assert code == 0, out
    assert "math.hypot" in (root / "pkg" / "geo.py").read_text()


def test_paths_outside_the_root_are_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    edit = "../outside.py\n<<<<<<< SEARCH\n=======\nX = 1\n>>>>>>> REPLACE\n"
    code, out = _run("-", "--root", str(root), stdin=edit)
    assert code == 1 and "refusing" in out
    assert not (tmp_path.parent / "outside.py").exists()


def test_no_edit_in_the_file(tmp_path: Path) -> None:
    root = _project(tmp_path)
    code, out = _run("-", "--root", str(root), stdin="nothing to see")
    assert code == 1 and "no edit found" in out
