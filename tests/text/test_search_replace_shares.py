"""SEARCH/REPLACE blocks: cases the mutation run of another share of text/search_replace.py
found untested (pieces of an elided block: where a later piece matches, what an empty piece may
hold, the line reported; the file name of a block after an incomplete one; an answer cut off
right after a SEARCH marker, the blocks after a failing one, the report of a created file; a
file named loosely in the fence's info string, the hint naming another file only when it holds
the SEARCH text; a file named exactly taken before one named loosely; rendered blocks in a long
file quoting no stretch of repeated lines; a file name after a block missing its divider, a
SEARCH opening with one blank line the file lacks; an elided block re-indented piece by piece, a
new file created then appended to, a REPLACE marker never read as a file name, search_marker_at's
-1)."""

from __future__ import annotations

from codeflash_engine.text.edits import apply_edit
from codeflash_engine.text.search_replace import parse_search_replace, render_search_replace, search_marker_at

FILE = "def f():\n    a = 1\n    b = 2\n    return a\n\n\ndef g():\n    return a\n"


def block(search: str, replace: str, path: str = "m.py") -> str:
    return f"{path}\n```python\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n```\n"


def test_a_later_piece_of_an_elided_block_replaces_its_first_match_after_the_one_before() -> None:
    result = apply_edit({"m.py": FILE}, block("    a = 1\n...\n    return a", "    a = 10\n...\n    return a + 0"))
    assert result.ok, result.errors
    assert result.files["m.py"] == FILE.replace("a = 1", "a = 10").replace("    return a\n\n", "    return a + 0\n\n")
    assert result.files["m.py"].endswith("def g():\n    return a\n")
    [report] = result.blocks
    assert report.level == "elision" and report.line == 2  # where the first piece starts


def test_an_elided_piece_with_nothing_to_search_may_not_add_lines() -> None:
    result = apply_edit({"m.py": FILE}, block("    a = 1\n...", "    a = 10\n...\n    c = 3"))
    assert not result.ok and "piece 2 between '...' lines has REPLACE lines but no SEARCH lines" in result.errors[0]
    blank = apply_edit({"m.py": FILE}, block("    a = 1\n...", "    a = 10\n...\n"))
    assert blank.ok, blank.errors
    assert blank.files["m.py"] == FILE.replace("a = 1", "a = 10")


def test_the_block_after_an_incomplete_one_does_not_take_its_file_name_from_the_incomplete_block() -> None:
    """The lines after a divider are REPLACE lines until a marker, even one that looks like a
    file name: the next block keeps the file of the one before."""
    incomplete = "m.py\n<<<<<<< SEARCH\na = 1\n=======\na = 2\nother.py\n"
    text = incomplete + "<<<<<<< SEARCH\nb = 2\n=======\nb = 3\n>>>>>>> REPLACE\n"
    first, second = parse_search_replace(text, known_paths=["m.py", "other.py"])
    assert not first.complete and first.replace == ("a = 2", "other.py")
    assert second.complete and second.path == "m.py"


def test_an_answer_cut_off_right_after_a_search_marker_reads_as_one_incomplete_block() -> None:
    """A stream that stops on a SEARCH marker (no newline after it) gives the complete block before
    it and one incomplete block there: no block is read out of the answer's first lines."""
    text = "m.py\n<<<<<<< SEARCH\n    a = 1\n=======\n    a = 10\n>>>>>>> REPLACE\n<<<<<<< SEARCH"
    first, second = parse_search_replace(text, known_paths=["m.py"])
    assert (first.index, first.complete, first.line, first.search) == (1, True, 2, ("    a = 1",))
    assert (second.index, second.complete, second.line, second.search) == (2, False, 7, ())
    result = apply_edit({"m.py": FILE}, text)
    assert not result.ok and len(result.errors) == 1 and result.errors[0].startswith("block 2 (m.py): it is incomplete")


def test_a_block_naming_no_file_does_not_hide_the_blocks_after_it() -> None:
    """With two files and no default, a first block naming no file fails, and the next block,
    which names its file, is still matched and reported as such (nothing is written)."""
    files = {"m.py": FILE, "n.py": "y = 2\n"}
    edit = "<<<<<<< SEARCH\n    a = 1\n=======\n    a = 10\n>>>>>>> REPLACE\n\n" + block("y = 2", "y = 3", "n.py")
    result = apply_edit(files, edit)
    assert not result.ok and result.files == {}
    assert [(report.index, report.path, report.ok) for report in result.blocks] == [(1, None, False), (2, "n.py", True)]
    assert "block 1: it names no file" in result.errors[0]


def test_an_incomplete_block_does_not_hide_the_blocks_after_it() -> None:
    """A block whose REPLACE marker was forgotten fails as incomplete; the block after it is
    still matched, so the model hears that only the first one needs resending."""
    incomplete = "m.py\n<<<<<<< SEARCH\n    a = 1\n=======\n    a = 10\n"
    complete = "<<<<<<< SEARCH\n    b = 2\n=======\n    b = 20\n>>>>>>> REPLACE\n"
    result = apply_edit({"m.py": FILE}, incomplete + complete)
    assert not result.ok and len(result.errors) == 1
    assert [(report.index, report.ok, report.line) for report in result.blocks] == [(1, False, None), (2, True, 3)]


def test_a_new_file_made_by_an_empty_search_is_reported_as_created() -> None:
    """The report line of a block that creates a file says it applied."""
    result = apply_edit({"m.py": FILE}, block("", "x = 1", "new.py"))
    assert result.ok, result.errors
    assert result.files == {"new.py": "x = 1\n"}
    assert result.report().splitlines()[0] == "ok     block 1  new.py  create at line 1  exact (fuzz 0)"


def test_a_file_named_loosely_in_the_fences_info_string_is_matched_to_the_given_file() -> None:
    """``python:geo.py`` names ``pkg/geo.py`` by its base name: the block applies to it."""
    files = {"pkg/geo.py": FILE, "pkg/util.py": "y = 2\n"}
    edit = "```python:geo.py\n<<<<<<< SEARCH\n    a = 1\n=======\n    a = 10\n>>>>>>> REPLACE\n```\n"
    result = apply_edit(files, edit)
    assert result.ok, result.errors
    assert result.files == {"pkg/geo.py": FILE.replace("a = 1", "a = 10")}


def test_the_hint_names_another_file_only_when_that_file_holds_the_search_text() -> None:
    """A SEARCH matching nowhere in its file is pointed at another file only when the other file
    holds it: a file that does not gets no mention."""
    edit = block("    z = 26", "    z = 0")
    elsewhere = apply_edit({"m.py": FILE, "n.py": "def h():\n    z = 26\n"}, edit)
    assert not elsewhere.ok and "The SEARCH text does occur in n.py" in elsewhere.errors[0]
    nowhere = apply_edit({"m.py": FILE, "n.py": "y = 2\n"}, edit)
    assert not nowhere.ok and "does occur in" not in nowhere.errors[0]


def test_rendered_blocks_in_a_long_file_leave_out_the_repeated_lines_between_two_changes() -> None:
    """Over 200 lines difflib would take a line repeated in more than 1 % of them as junk (its
    automatic heuristic) and find no match between two changes separated only by such lines, so
    one block would quote the whole stretch: each change gets its own block of one line."""
    lines = [f"v{i} = {i}" for i in range(120)] + ["first = 1", *["log()"] * 20, "last = 2"]
    before = "\n".join(lines + [f"w{i} = {i}" for i in range(120)]) + "\n"
    after = before.replace("first = 1", "first = 10").replace("last = 2", "last = 20")
    edit = render_search_replace({"m.py": (before, after)})
    assert [b.search for b in parse_search_replace(edit)] == [("first = 1",), ("last = 2",)]
    assert apply_edit({"m.py": before}, edit).files == {"m.py": after}


def test_a_file_named_exactly_is_edited_even_when_another_given_path_names_it_loosely() -> None:
    """``./m.py`` and ``m.py`` both given (the first first): a block whose fence names ``m.py``
    edits ``m.py``, not the first path that normalises to it."""
    edit = "```python:m.py\n<<<<<<< SEARCH\na = 1\n=======\na = 2\n>>>>>>> REPLACE\n```\n"
    result = apply_edit({"./m.py": "a = 1\n", "m.py": "a = 1\n"}, edit)
    assert result.errors == ()
    assert result.files == {"m.py": "a = 2\n"}


def test_a_file_name_right_after_a_block_missing_its_divider_names_the_next_block() -> None:
    """A block cut short by its REPLACE marker (the divider forgotten) is incomplete; the file name
    on the line after that marker names the next block, which does not inherit the first one's."""
    cut = "a.py\n<<<<<<< SEARCH\nx = 1\n>>>>>>> REPLACE\n"
    text = cut + "b.py\n<<<<<<< SEARCH\ny = 1\n=======\ny = 2\n>>>>>>> REPLACE\n"
    first, second = parse_search_replace(text)
    assert (first.path, first.complete, first.search) == ("a.py", False, ("x = 1",))
    assert (second.path, second.complete, second.line) == ("b.py", True, 6)


def test_a_search_opening_with_one_blank_line_the_file_lacks_still_matches() -> None:
    """A SEARCH whose single leading blank line is not in the file matches without it, and so does
    its REPLACE: the block applies exactly, from the line after the blank."""
    text = "def f():\n    a = 1\n    b = 2\n    return a\n"
    result = apply_edit({"m.py": text}, block("\n    a = 1", "\n    a = 10"))
    assert result.errors == ()
    assert result.files == {"m.py": text.replace("a = 1", "a = 10")}
    assert [(report.level, report.line) for report in result.blocks] == [("exact", 2)]


def test_an_elided_block_quoting_lines_without_their_indentation_is_reindented_piece_by_piece() -> None:
    """Each piece of an elided block matched at the indentation level is written at the file's
    indentation, not as quoted."""
    result = apply_edit({"m.py": FILE}, block("a = 1\n...\nreturn a", "a = 10\n...\nreturn a + 0"))
    assert result.errors == ()
    assert result.files["m.py"] == FILE.replace("a = 1", "a = 10").replace("    return a\n\n", "    return a + 0\n\n")


def test_a_new_file_filled_by_later_blocks_is_reported_as_created_then_appended_to() -> None:
    """The second block adding to a file the first created appends; while the new file is still
    empty (the first block wrote no line) adding to it still creates it."""
    two = apply_edit({"m.py": FILE}, block("", "x = 1", "new.py") + block("", "y = 2", "new.py"))
    assert two.files == {"new.py": "x = 1\ny = 2\n"}
    assert [(report.action, report.line) for report in two.blocks] == [("create", 1), ("append", 2)]
    empty = "new.py\n<<<<<<< SEARCH\n=======\n>>>>>>> REPLACE\n"
    filled = apply_edit({"m.py": FILE}, empty + block("", "x = 1", "new.py"))
    assert filled.files == {"new.py": "x = 1\n"}
    assert [(report.action, report.line) for report in filled.blocks] == [("create", 1), ("create", 1)]


def test_the_replace_marker_of_a_block_missing_its_divider_is_not_read_as_a_file_name() -> None:
    """With a file named ``REPLACE`` among the known paths, the marker line ending a block whose
    divider is missing is still no file name: the next block, naming no file, keeps the file of
    the one before."""
    cut = "a.py\n<<<<<<< SEARCH\nx = 1\n>>>>>>> REPLACE\n\n"
    text = cut + "<<<<<<< SEARCH\ny = 1\n=======\ny = 2\n>>>>>>> REPLACE\n"
    first, second = parse_search_replace(text, known_paths=["a.py", "bin/REPLACE"])
    assert (first.path, first.complete) == ("a.py", False)
    assert (second.path, second.complete) == ("a.py", True)


def test_search_marker_at_is_minus_one_for_a_text_without_a_search_marker_line() -> None:
    """-1 when no line is a SEARCH marker, whether the text holds no run of five arrows at all or
    only merge-conflict markers; else the offset of the marker line."""
    assert search_marker_at("Here is the change.") == -1
    assert search_marker_at("<<<<<<< HEAD\nx = 1\n=======\nx = 2\n>>>>>>> main\n") == -1
    assert search_marker_at("m.py\n<<<<<<< SEARCH\n") == 5
