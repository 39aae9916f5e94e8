"""V4A patches: cases the mutation runs of two other shares of text/v4a.py found untested (a hunk
of added lines under a scope line, a delete's report, blank lines inside and between operations,
a line changed in place under uneven indentation; stacked scope lines, the operations after a
failing one, the patch rendered for an empty file; a scope line without a space after ``@@``, hunks
out of file order after the first line, the blocks after a move, two lines changed in place after
a kept one, each read in the quote's frame; an end-of-file hunk overlapping the hunk before it, a hunk's
defaults, the numbering of the blocks after an added file, a line added after a run's last ``-``
line read in the quote's frame)."""

from __future__ import annotations

from codeflash_engine.text.v4a import Hunk, apply_v4a, parse_v4a, render_v4a


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


TWO_CLASSES = "class A:\n    def f(self):\n        return 1\n\n\nclass B:\n    def f(self):\n        return 1\n"


def test_stacked_scope_lines_open_one_hunk() -> None:
    """``@@ class B:`` then ``@@ def f(self):`` with no line between them narrow one hunk: it is
    parsed, applied and reported as one block, and only B's method changes."""
    removed, added = ("-", "        return 1"), ("+", "        return 2")
    edit = patch("*** Update File: m.py", "@@ class B:", "@@     def f(self):", "".join(removed), "".join(added))
    [op] = parse_v4a(edit)
    assert op.hunks == (Hunk(("class B:", "def f(self):"), (removed, added), False, 3),)
    result = apply_v4a({"m.py": TWO_CLASSES}, edit)
    assert result.ok, result.errors
    changed_b = "class B:\n    def f(self):\n        return 2\n"
    assert result.files["m.py"] == TWO_CLASSES[: TWO_CLASSES.index("class B")] + changed_b
    assert [(report.index, report.action, report.line) for report in result.blocks] == [(1, "update", 8)]


def test_an_update_that_fails_does_not_hide_the_operations_after_it() -> None:
    """A hunk that matches nothing fails its update; the delete after it is still checked and
    reported, so the model hears which operations need resending (nothing is written)."""
    edit = patch("*** Update File: a.py", "@@", "-a = 5", "+a = 6", "*** Delete File: b.py")
    result = apply_v4a({"a.py": "a = 1\n", "b.py": "b = 2\n"}, edit)
    assert not result.ok and len(result.errors) == 1 and result.files == {} and result.deleted == ()
    assert [(report.index, report.action, report.ok) for report in result.blocks] == [
        (1, "update", False),
        (2, "delete", True),
    ]


def test_a_move_onto_an_existing_file_does_not_hide_the_operations_after_it() -> None:
    """A move onto a file that exists fails; the delete after it is still checked and reported."""
    edit = patch("*** Update File: a.py", "*** Move to: b.py", "@@", "-a = 1", "+a = 2", "*** Delete File: c.py")
    result = apply_v4a({"a.py": "a = 1\n", "b.py": "b = 2\n", "c.py": "c = 3\n"}, edit)
    assert not result.ok and result.errors == ("block 2 (Move to b.py): the file already exists.",)
    assert [(report.action, report.ok) for report in result.blocks] == [
        ("update", True),
        ("move", False),
        ("delete", True),
    ]


def test_the_patch_filling_an_empty_file_has_no_end_of_file_marker() -> None:
    """An empty file has no last line for a hunk to end at: its one hunk is only added lines,
    without ``*** End of File``, and it applies."""
    rendered = render_v4a({"e.py": ("", "x = 1\n")})
    assert rendered == "*** Begin Patch\n*** Update File: e.py\n@@\n+x = 1\n*** End Patch\n"
    assert apply_v4a({"e.py": ""}, rendered).files == {"e.py": "x = 1\n"}


def test_a_scope_line_without_a_space_after_the_at_signs_names_its_scope() -> None:
    """``@@class B:`` is read as ``@@ class B:``: only B's method changes."""
    edit = patch("*** Update File: m.py", "@@class B:", "@@     def f(self):", "-        return 1", "+        return 2")
    result = apply_v4a({"m.py": TWO_CLASSES}, edit)
    assert result.ok, result.errors
    assert result.files["m.py"].endswith("class B:\n    def f(self):\n        return 2\n")


def test_a_hunk_quoting_the_first_line_after_a_hunk_that_changed_it_is_out_of_order() -> None:
    """The second hunk quotes line 1 after the first hunk changed it: the error says the hunks
    are out of file order, not that the lines are missing."""
    edit = patch("*** Update File: m.py", "@@", "-a = 1", "+a = 10", "@@", "-a = 1", "+a = 11")
    result = apply_v4a({"m.py": "a = 1\nb = 2\nc = 3\n"}, edit)
    assert not result.ok
    assert result.errors[0].startswith(
        "block 2 (m.py, hunk 2): its lines occur at line 1 of m.py, before the previous hunk"
    )


def test_the_blocks_after_a_move_are_numbered_on_from_it() -> None:
    """A move is one block, after its hunk: the delete after it is the third block."""
    edit = patch("*** Update File: a.py", "*** Move to: b.py", "@@", "-a = 1", "+a = 2", "*** Delete File: c.py")
    result = apply_v4a({"a.py": "a = 1\n", "c.py": "c = 3\n"}, edit)
    assert result.ok, result.errors
    assert [(report.index, report.action) for report in result.blocks] == [(1, "update"), (2, "move"), (3, "delete")]


def test_lines_changed_in_place_after_a_kept_line_each_take_the_offset_of_the_line_they_replace() -> None:
    """In the quote's frame (``reading="shifted"``), a run that keeps its first line and changes
    the next two line for line moves each changed line by the offset of the quoted line it
    replaces (+2 for the first, -2 for the second), not both by the first one's."""
    files = {"m.py": "def f(x):\n    if x:\n        a = 1\n        return a\n    return 2\n"}
    edit = patch(
        "*** Update File: m.py",
        " def f(x):",
        "-    if x:",
        "-      a = 1",
        "-          return a",
        "+    if x:",
        "+      a = 10",
        "+          return a + 1",
    )
    result = apply_v4a(files, edit, reading="shifted")
    assert result.ok, result.errors
    assert result.files["m.py"] == "def f(x):\n    if x:\n        a = 10\n        return a + 1\n    return 2\n"


def test_an_end_of_file_hunk_overlapping_the_hunk_before_it_is_refused() -> None:
    """The second hunk's lines are the file's last two, but the first hunk already changed the
    first of them: they occur only before the previous hunk's end, which is an error, not a
    second edit of the same line."""
    files = {"m.py": "a = 1\nb = 2\nc = 3\nd = 4\n"}
    edit = patch("*** Update File: m.py", "@@", " b = 2", "-c = 3", "+c = 30", "@@", " c = 3", "-d = 4", "+d = 40")
    result = apply_v4a(files, edit.replace("+d = 40", "+d = 40\n*** End of File"))
    assert not result.ok
    assert "before the previous hunk" in result.errors[0], result.errors


def test_a_hunk_is_not_at_the_end_of_the_file_unless_marked() -> None:
    """A parsed hunk without ``*** End of File`` equals the one built with the defaults."""
    (op,) = parse_v4a(patch("*** Update File: m.py", "@@ def f():", "-    x = 1", "+    x = 2"))
    assert op.hunks == (Hunk(("def f():",), (("-", "    x = 1"), ("+", "    x = 2")), line=3),)


def test_the_blocks_after_an_added_file_are_numbered_on() -> None:
    """An added file is block 1 and the update after it block 2, in its report and its error."""
    edit = patch("*** Add File: n.py", "+n = 1", "*** Update File: m.py", "@@", "-zzz", "+yyy")
    result = apply_v4a({"m.py": "x = 1\n"}, edit)
    assert [(b.index, b.action, b.ok) for b in result.blocks] == [(1, "add", True), (2, "update", False)]
    assert result.errors[0].startswith("block 2 "), result.errors


def test_a_line_added_after_a_changed_one_is_shifted_like_the_line_it_follows() -> None:
    """The context is off unevenly (by 0, 2 and 4 columns); read in the quote's frame, a line
    added after the last ``-`` line of a run takes that line's shift (+2), not the next one's."""
    files = {"m.py": "p = 0\n  a = 1\n        c = 3\n"}
    edit = patch("*** Update File: m.py", "@@", " p = 0", "-a = 1", "+a = 1", "+b = 2", "     c = 3")
    result = apply_v4a(files, edit, reading="shifted")
    assert result.ok, result.errors
    assert result.files["m.py"] == "p = 0\n  a = 1\n  b = 2\n        c = 3\n"
