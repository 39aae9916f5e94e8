"""The per-block report of an applied edit (:mod:`codeflash_engine.text.report`): each block's line
(state, index, path, action, where it matched, level and fuzz), the failure summary quoted back to
the LLM, the success summary, and ``ok``; pinned exactly, both through ``apply_edit`` and directly."""

from __future__ import annotations

from codeflash_engine.text.edits import apply_edit
from codeflash_engine.text.report import BlockReport, EditResult


def test_a_block_line_names_everything_that_is_known() -> None:
    full = BlockReport(2, "pkg/geo.py", "update", True, level="indentation", fuzz=10, line=14)
    assert full.describe() == "ok     block 2  pkg/geo.py  update at line 14  indentation (fuzz 10)"
    failed = BlockReport(3, "a.py", "update", False, message="no match")
    assert failed.describe() == "FAILED block 3  a.py  update"
    # the defaults: no level, no fuzz, no line, no message
    bare = BlockReport(1, None, "delete", True)
    assert (bare.level, bare.fuzz, bare.line, bare.message) == (None, 0, None, "")
    assert bare.describe() == "ok     block 1  -  delete"
    # a match on the first line and at level exact with no fuzz are still said
    first = BlockReport(1, "b.py", "update", True, level="exact", line=1)
    assert first.describe() == "ok     block 1  b.py  update at line 1  exact (fuzz 0)"
    assert BlockReport(1, "b.py", "update", True, line=0).describe() == "ok     block 1  b.py  update at line 0"


def test_the_summary_of_a_failed_edit_counts_the_blocks_that_matched() -> None:
    blocks = (
        BlockReport(1, "a.py", "update", True, level="exact", line=3),
        BlockReport(2, "b.py", "update", False),
        BlockReport(3, "c.py", "update", True, level="exact", line=1),
    )
    result = EditResult({}, errors=("block 2 (b.py): no match",), blocks=blocks, format="search_replace")
    assert not result.ok
    assert result.report() == "\n".join(
        [
            "ok     block 1  a.py  update at line 3  exact (fuzz 0)",
            "FAILED block 2  b.py  update",
            "ok     block 3  c.py  update at line 1  exact (fuzz 0)",
            "",
            "block 2 (b.py): no match",
            "",
            "1 error(s); 2 of 3 block(s) matched. "
            "No file was changed: fix the failing blocks and send the whole edit again.",
        ]
    )
    none_matched = EditResult({}, errors=("e1", "e2"), blocks=(BlockReport(1, "a", "update", False),) * 2)
    assert none_matched.report().split("\n")[-1].startswith("2 error(s); 0 of 2 block(s) matched. ")


def test_the_summary_of_a_successful_edit_counts_files_deletions_and_fuzz() -> None:
    result = EditResult(
        {"a.py": "x", "b.py": "y"},
        fuzz=7,
        deleted=("old.py",),
        blocks=(BlockReport(1, "a.py", "update", True, level="indentation", fuzz=7, line=2),),
    )
    assert result.ok
    assert result.report() == (
        "ok     block 1  a.py  update at line 2  indentation (fuzz 7)\n2 file(s) written, 1 deleted, total fuzz 7."
    )
    assert result.report().count("\n") == 1  # no blank line, no error summary
    empty = EditResult({})
    assert (empty.fuzz, empty.errors, empty.deleted, empty.blocks, empty.format) == (0, (), (), (), None)
    assert empty.ok and empty.report() == "0 file(s) written, 0 deleted, total fuzz 0."


def test_the_report_of_a_real_edit() -> None:
    files = {"a.py": "x = 1\ny = 2\n"}
    good = apply_edit(files, "a.py\n<<<<<<< SEARCH\ny = 2\n=======\ny = 3\n>>>>>>> REPLACE\n")
    assert good.ok and good.files == {"a.py": "x = 1\ny = 3\n"}
    assert (
        good.report()
        == "ok     block 1  a.py  update at line 2  exact (fuzz 0)\n1 file(s) written, 0 deleted, total fuzz 0."
    )
    bad = apply_edit(files, "a.py\n<<<<<<< SEARCH\nz = 9\n=======\nz = 3\n>>>>>>> REPLACE\n")
    assert not bad.ok and bad.files == {}
    lines = bad.report().split("\n")
    assert lines[0] == "FAILED block 1  a.py  update"
    assert lines[1] == "" and lines[2].startswith("block 1 (a.py): the SEARCH text did not match")
    assert lines[-2] == ""
    assert lines[-1].startswith("1 error(s); 0 of 1 block(s) matched.")
