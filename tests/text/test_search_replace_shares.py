"""SEARCH/REPLACE blocks: cases the mutation run of another share of text/search_replace.py
found untested (pieces of an elided block: where a later piece matches, what an empty piece may
hold, the line reported; the file name of a block after an incomplete one)."""

from __future__ import annotations

from codeflash_engine.text.edits import apply_edit
from codeflash_engine.text.search_replace import parse_search_replace

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
