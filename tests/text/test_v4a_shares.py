"""V4A patches: cases the mutation run of another share of text/v4a.py found untested (a hunk of
added lines under a scope line, a delete's report, blank lines inside and between operations,
a line changed in place under uneven indentation)."""

from __future__ import annotations

from codeflash_engine.text.v4a import apply_v4a, parse_v4a


def patch(*body: str) -> str:
    return "*** Begin Patch\n" + "\n".join(body) + "\n*** End Patch\n"


def test_added_lines_under_a_scope_line_go_right_after_it() -> None:
    files = {"m.py": "x = 1\n\n\nclass A:\n    pass\n"}
    result = apply_v4a(files, patch("*** Update File: m.py", "@@ class A:", "+    k = 2"))
    assert result.ok, result.errors
    assert result.files["m.py"] == "x = 1\n\n\nclass A:\n    k = 2\n    pass\n"


def test_a_delete_is_reported_as_done() -> None:
    result = apply_v4a({"a.py": "a = 1\n", "b.py": "b = 2\n"}, patch("*** Delete File: b.py"))
    assert result.ok and result.files == {} and result.deleted == ("b.py",)
    assert [(b.action, b.ok) for b in result.blocks] == [("delete", True)]


def test_an_added_file_keeps_its_inner_blank_lines_and_drops_the_trailing_ones() -> None:
    [op] = parse_v4a(patch("*** Add File: n.py", "+a = 1", "", "+b = 2", "", ""))
    assert op.content == ("a = 1", "", "b = 2")


def test_operations_separated_by_blank_lines_are_all_read() -> None:
    ops = parse_v4a(patch("*** Delete File: a.py", "", "", "*** Delete File: b.py", "", "*** Add File: c.py", "+c"))
    assert [(op.kind, op.path) for op in ops] == [("delete", "a.py"), ("delete", "b.py"), ("add", "c.py")]


def test_a_line_changed_in_place_keeps_the_indentation_of_the_line_it_replaces() -> None:
    """The quote's indentation is off by a different amount on each line (the context not at
    all, the replaced line by two spaces). Read in the quote's frame (``reading="shifted"``, what
    the edit layer retries when the file does not parse as written), the new line takes the
    offset of the line it replaces, not of the line before it."""
    files = {"m.py": "def f(x):\n    if x:\n        return 1\n    return 2\n"}
    edit = patch("*** Update File: m.py", "     if x:", "-          return 1", "+          return 10")
    result = apply_v4a(files, edit, reading="shifted")
    assert result.ok, result.errors
    assert result.files["m.py"] == "def f(x):\n    if x:\n        return 10\n    return 2\n"
