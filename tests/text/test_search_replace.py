"""SEARCH/REPLACE blocks: markers, file names, the matching ladder, errors, CRLF."""

from __future__ import annotations

import ast

import pytest

from codeflash_engine.text.edits import apply_edit, detect_format
from codeflash_engine.text.search_replace import ELISION_FUZZ, parse_search_replace

GEO = """import math


class Vec:
    def __init__(self, xs):
        self.xs = list(xs)

    def length(self):
        total = 0
        for x in self.xs:
            total += x * x
        return math.sqrt(total)

    def label(self):
        return "vector"
"""

UTIL = "SCALE = 3\n\n\ndef norm(v):\n    return v.length() * SCALE\n"
FILES = {"pkg/geo.py": GEO, "pkg/util.py": UTIL}

LENGTH_SEARCH = (
    "    def length(self):\n        total = 0\n        for x in self.xs:\n"
    "            total += x * x\n        return math.sqrt(total)"
)
LENGTH_REPLACE = "    def length(self):\n        return math.hypot(*self.xs)"
FAST_GEO = GEO.replace(LENGTH_SEARCH, LENGTH_REPLACE)


def block(
    search: str, replace: str, *, path: str | None = "pkg/geo.py", left: str = "<", right: str = ">", n: int = 7
) -> str:
    head = f"{path}\n" if path else ""
    return f"{head}```python\n{left * n} SEARCH\n{search}\n{'=' * n}\n{replace}\n{right * n} REPLACE\n```\n"


def test_basic_block_with_file_name_before_the_fence() -> None:
    result = apply_edit(FILES, "Here is the change.\n\n" + block(LENGTH_SEARCH, LENGTH_REPLACE))
    assert result.ok, result.errors
    assert result.files == {"pkg/geo.py": FAST_GEO}
    assert result.fuzz == 0
    assert result.format == "search_replace"
    assert [(b.index, b.path, b.level, b.line) for b in result.blocks] == [(1, "pkg/geo.py", "exact", 8)]


def test_both_arrow_directions_and_marker_lengths() -> None:
    for left, right in (("<", ">"), (">", "<")):
        for n in (5, 7, 9):
            result = apply_edit(FILES, block(LENGTH_SEARCH, LENGTH_REPLACE, left=left, right=right, n=n))
            assert result.files == {"pkg/geo.py": FAST_GEO}, (left, n)
    assert detect_format(block(LENGTH_SEARCH, LENGTH_REPLACE, n=4)) is None
    assert detect_format(block(LENGTH_SEARCH, LENGTH_REPLACE, n=10)) is None
    assert detect_format("<<<<<<< SEARCH>\nx\n=======\ny\n>>>>>>> REPLACE<") == "search_replace"


def test_file_name_inside_the_fence_or_in_its_info_string() -> None:
    inside = f"```python\npkg/geo.py\n<<<<<<< SEARCH\n{LENGTH_SEARCH}\n=======\n{LENGTH_REPLACE}\n>>>>>>> REPLACE\n```"
    info = f"```python:pkg/geo.py\n<<<<<<< SEARCH\n{LENGTH_SEARCH}\n=======\n{LENGTH_REPLACE}\n>>>>>>> REPLACE\n```"
    decorated = "**`pkg/geo.py`**:\n" + block(LENGTH_SEARCH, LENGTH_REPLACE, path=None)
    for edit in (inside, info, decorated):
        assert apply_edit(FILES, edit).files == {"pkg/geo.py": FAST_GEO}


def test_several_blocks_and_files_and_the_file_carries_over() -> None:
    edit = (
        block(LENGTH_SEARCH, LENGTH_REPLACE)
        + '<<<<<<< SEARCH\n        return "vector"\n=======\n        return "vec"\n>>>>>>> REPLACE\n'
        + block("SCALE = 3", "SCALE = 4", path="pkg/util.py")
    )
    result = apply_edit(FILES, edit)
    assert result.ok, result.errors
    assert result.files == {
        "pkg/geo.py": FAST_GEO.replace('"vector"', '"vec"'),
        "pkg/util.py": UTIL.replace("SCALE = 3", "SCALE = 4"),
    }
    assert [b.path for b in result.blocks] == ["pkg/geo.py", "pkg/geo.py", "pkg/util.py"]


def test_blocks_apply_in_order_each_on_the_result_of_the_previous() -> None:
    edit = block("SCALE = 3", "SCALE = 4", path="pkg/util.py") + block("SCALE = 4", "SCALE = 5", path="pkg/util.py")
    assert apply_edit(FILES, edit).files == {"pkg/util.py": UTIL.replace("SCALE = 3", "SCALE = 5")}


def test_a_block_naming_no_file() -> None:
    edit = block("SCALE = 3", "SCALE = 4", path=None)
    assert apply_edit({"pkg/util.py": UTIL}, edit).files == {"pkg/util.py": UTIL.replace("3", "4")}
    assert apply_edit(FILES, edit, default_path="pkg/util.py").ok
    result = apply_edit(FILES, edit)
    assert not result.ok
    assert "names no file" in result.errors[0]


def test_file_names_are_matched_loosely() -> None:
    assert apply_edit(FILES, block("SCALE = 3", "SCALE = 4", path="util.py")).files == {
        "pkg/util.py": UTIL.replace("3", "4")
    }
    assert apply_edit(FILES, block("SCALE = 3", "SCALE = 4", path="./pkg\\util.py")).ok


def test_unknown_file_is_an_error() -> None:
    result = apply_edit(FILES, block("x", "y", path="pkg/other.py"))
    assert not result.ok
    assert "pkg/other.py" in result.errors[0] and "no such file" in result.errors[0]


def test_empty_search_creates_or_appends() -> None:
    result = apply_edit(
        FILES, block("", "def helper():\n    return 1", path="pkg/new.py").replace("SEARCH\n\n", "SEARCH\n")
    )
    assert result.files == {"pkg/new.py": "def helper():\n    return 1\n"}
    assert result.blocks[0].action == "create"
    result = apply_edit(FILES, "pkg/util.py\n<<<<<<< SEARCH\n=======\nX = 1\n>>>>>>> REPLACE\n")
    assert result.files == {"pkg/util.py": UTIL + "X = 1\n"}
    assert result.blocks[0].action == "append"


def test_trailing_whitespace_level() -> None:
    search = "\n".join(line + "  " for line in LENGTH_SEARCH.split("\n"))
    result = apply_edit(FILES, block(search, LENGTH_REPLACE))
    assert result.files == {"pkg/geo.py": FAST_GEO}
    assert result.blocks[0].level == "trailing whitespace" and result.fuzz == 1


def test_indentation_shift_reindents_the_replacement() -> None:
    dedented = "\n".join(line[4:] for line in LENGTH_SEARCH.split("\n"))
    replacement = "def length(self):\n    return math.hypot(*self.xs)"
    result = apply_edit(FILES, block(dedented, replacement))
    assert result.files == {"pkg/geo.py": FAST_GEO}
    assert result.blocks[0].level == "indentation" and result.fuzz == 10
    # More indented than the file works too.
    deeper = "\n".join("    " + line for line in LENGTH_SEARCH.split("\n"))
    result = apply_edit(FILES, block(deeper, "\n".join("    " + x for x in LENGTH_REPLACE.split("\n"))))
    assert result.files == {"pkg/geo.py": FAST_GEO}


def test_tab_indented_search_against_space_indented_file() -> None:
    tabbed = "\n".join(line.replace("    ", "\t") for line in LENGTH_SEARCH.split("\n"))
    tab_replace = "\tdef length(self):\n\t\treturn math.hypot(*self.xs)"
    result = apply_edit(FILES, block(tabbed, tab_replace))
    assert result.ok
    assert result.blocks[0].level == "surrounding whitespace"
    assert "    def length(self):" in result.files["pkg/geo.py"]


def test_surrounding_whitespace_level_keeps_file_lines() -> None:
    messy = "def length(self):\n  total = 0\n  for x in self.xs:\n      total += x * x\n  return math.sqrt(total)"
    edit = block(messy, messy.replace("total = 0", "total = 0.0"))
    result = apply_edit(FILES, edit)
    assert result.ok
    assert result.blocks[0].level == "surrounding whitespace" and result.fuzz == 100
    # The quote is off unevenly: the kept lines are the file's, the changed one is taken as
    # written (issue 20) ...
    assert result.files["pkg/geo.py"] == GEO.replace("        total = 0\n", "  total = 0.0\n")

    # ... and a caller whose parser refuses that gets it moved by its quote's offset.
    def parses(path: str, text: str) -> bool:
        try:
            ast.parse(text)
        except SyntaxError:
            return False
        return True

    result = apply_edit(FILES, edit, accept=parses)
    assert result.files["pkg/geo.py"] == GEO.replace("        total = 0\n", "        total = 0.0\n")


def test_unicode_punctuation_level() -> None:
    search = "    def label(self):\n        return \u201cvector\u201d"
    replace = "    def label(self):\n        return \u201cvec\u201d"
    result = apply_edit(FILES, block(search, replace))
    assert result.ok
    assert result.blocks[0].level == "unicode punctuation" and result.fuzz == 1000
    # The unchanged line is the file's own; the changed one is as the LLM wrote it.
    assert "    def label(self):\n        return \u201cvec\u201d\n" in result.files["pkg/geo.py"]
    nbsp = "x\u00a0=\u00a01"
    assert apply_edit({"a.py": "x = 1\n"}, block(nbsp, "x = 2", path="a.py")).files == {"a.py": "x = 2\n"}


def test_spurious_blank_lines_around_search_are_ignored() -> None:
    result = apply_edit(FILES, block("\n" + LENGTH_SEARCH + "\n\n", LENGTH_REPLACE))
    assert result.files == {"pkg/geo.py": FAST_GEO}


def test_elision() -> None:
    search = "    def length(self):\n        total = 0\n        ...\n        return math.sqrt(total)"
    replace = "    def length(self):\n        total = 0.0\n        ...\n        return math.sqrt(total) * 1.0"
    result = apply_edit(FILES, block(search, replace))
    assert result.ok, result.errors
    assert result.blocks[0].level == "elision" and result.fuzz == ELISION_FUZZ
    expected = GEO.replace("total = 0\n", "total = 0.0\n").replace("sqrt(total)\n", "sqrt(total) * 1.0\n")
    assert result.files == {"pkg/geo.py": expected}
    comment_style = search.replace("        ...", "        # ... existing code ...")
    assert apply_edit(FILES, block(comment_style, replace.replace("        ...", "        # ..."))).ok
    bad = apply_edit(FILES, block(search, "    def length(self):\n        return 0"))
    assert not bad.ok and "'...'" in bad.errors[0]


def test_ambiguous_match_is_an_error_naming_the_block_and_lines() -> None:
    files = {"a.py": "def f():\n    return 1\n\n\ndef g():\n    return 1\n"}
    result = apply_edit(files, block("    return 1", "    return 2", path="a.py"))
    assert not result.ok and result.files == {}
    assert result.errors[0].startswith("block 1 (a.py): the SEARCH text matches 2 places in a.py (lines 2, 6)")
    # Ambiguous at a fuzzy level too.
    result = apply_edit(files, block("return 1", "return 2", path="a.py"))
    assert "matches 2 places" in result.errors[0] and "indentation level" in result.errors[0]


def test_missing_match_says_what_it_did_mean() -> None:
    edit = block(LENGTH_SEARCH.replace("x * x", "x ** 2"), LENGTH_REPLACE)
    result = apply_edit(FILES, block("SCALE = 3", "SCALE = 4", path="pkg/util.py") + edit)
    assert not result.ok
    assert result.files == {}
    assert [b.ok for b in result.blocks] == [True, False]
    (error,) = result.errors
    assert error.startswith("block 2 (pkg/geo.py): the SEARCH text did not match")
    assert "Did you mean these lines (pkg/geo.py, lines 8-12)?" in error
    assert "            total += x * x" in error
    assert "1 of 2 block(s) matched" in result.report()


def test_missing_match_notices_an_edit_already_applied_and_the_wrong_file() -> None:
    result = apply_edit({"pkg/geo.py": FAST_GEO}, block(LENGTH_SEARCH, LENGTH_REPLACE))
    assert "already in pkg/geo.py" in result.errors[0]
    result = apply_edit(FILES, block("SCALE = 3", "SCALE = 4", path="pkg/geo.py"))
    assert "does occur in pkg/util.py" in result.errors[0]


def test_incomplete_block() -> None:
    edit = "pkg/util.py\n<<<<<<< SEARCH\nSCALE = 3\n=======\nSCALE = 4\n"
    result = apply_edit(FILES, edit)
    assert not result.ok and "incomplete" in result.errors[0]
    (parsed,) = parse_search_replace(edit)
    assert not parsed.complete


def test_crlf_files_stay_crlf_and_crlf_edits_are_read() -> None:
    crlf = GEO.replace("\n", "\r\n")
    result = apply_edit({"pkg/geo.py": crlf}, block(LENGTH_SEARCH, LENGTH_REPLACE))
    assert result.files == {"pkg/geo.py": FAST_GEO.replace("\n", "\r\n")}
    edit = block(LENGTH_SEARCH, LENGTH_REPLACE).replace("\n", "\r\n")
    assert apply_edit({"pkg/geo.py": crlf}, edit).files == {"pkg/geo.py": FAST_GEO.replace("\n", "\r\n")}
    assert apply_edit(FILES, edit).files == {"pkg/geo.py": FAST_GEO}


def test_a_no_op_edit_changes_no_file() -> None:
    result = apply_edit(FILES, block("SCALE = 3", "SCALE = 3", path="pkg/util.py"))
    assert result.ok and result.files == {}


def test_no_edit_at_all() -> None:
    result = apply_edit(FILES, "I could not find anything to optimize.")
    assert not result.ok and result.format is None
    assert "no edit found" in result.errors[0]


@pytest.mark.parametrize("text", ["<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE", "*** Begin Patch\n*** End Patch"])
def test_detect_format(text: str) -> None:
    assert detect_format("prose\n" + text) in ("search_replace", "v4a")
