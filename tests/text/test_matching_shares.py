"""The fuzzy line matcher: cases the mutation runs of three other shares of text/matching.py found
untested (a byte-order mark or zero-width space the quote leaves out, a quote re-indented from two
spaces to four, the indentation of an answer whose quote starts with a blank line, the near lines
that place a suggestion; a long replacement keeping the file's often repeated lines, the
whitespace of the file's blank lines, a tab-indented file, a quote too unlike the file for a
suggestion; a quote whose body is two levels deep under a first line at the file's column, a
window exactly as alike as a suggestion must be, the newline join_text ends a text with; a
suggestion whose best start would run past the file's end; a blank kept line casting no vote on
the replacement's frame; the shift of a line kept whose quoted line is blank; a long quote whose
every character is common in it)."""

from __future__ import annotations

from codeflash_engine.text.edits import apply_edit
from codeflash_engine.text.matching import Level, Lines, closest, find, join_text, merge_replacement, split_text


def block(search: str, replace: str, path: str = "m.py", language: str = "python") -> str:
    """One SEARCH/REPLACE block for ``path``, as a model writes it."""
    return f"{path}\n```{language}\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n```\n"


def test_a_quote_without_the_files_byte_order_mark_matches_at_the_punctuation_level() -> None:
    """A file saved with a UTF-8 byte-order mark starts with U+FEFF, which no model copies: the
    quote of its first lines matches once zero-width characters are dropped, and the mark stays."""
    file = "\ufeffimport os\n\n\ndef f():\n    return os.sep\n"
    result = apply_edit({"m.py": file}, block("import os\n\n\ndef f():", "import os\nimport sys\n\n\ndef f():"))
    assert result.ok, result.errors
    assert result.files["m.py"] == "\ufeffimport os\nimport sys\n\n\ndef f():\n    return os.sep\n"
    assert [report.level for report in result.blocks] == ["unicode punctuation"]


def test_a_zero_width_space_in_the_file_does_not_stop_the_match() -> None:
    """Every zero-width character (space, non-joiner, joiner, word joiner, byte-order mark) is
    ignored at the punctuation level, wherever it sits in a line."""
    for mark in "\u200b\u200c\u200d\u2060\ufeff":
        file = ["def f():", f"    x = 1  # caf{mark}e", "    return x"]
        assert find(Lines(file), ["def f():", "    x = 1  # cafe", "    return x"]) == (Level.PUNCTUATION, [0])


def test_a_quote_reindented_from_two_spaces_to_four_is_no_uniform_offset() -> None:
    """A model quoting a two-space JavaScript file in four spaces moves its lines by different
    amounts (the `return` by 4, the brace by 2): that is the whitespace level, not the indentation
    level, even when the brace is shorter than the difference."""
    js = ["function f(x) {", "  if (x) {", "    return x;", "  }", "  return 0;", "}"]
    assert find(Lines(js), ["        return x;", "    }"]) == (Level.WHITESPACE, [2])
    assert find(Lines(js), ["  return x;", "}"]) == (Level.INDENTATION, [2])  # off by 2 throughout


def test_a_replacement_written_at_the_files_indentation_after_a_blank_first_line_stays_as_written() -> None:
    """The model quoted a method without its class indentation, starting with the blank line
    above it, and wrote the replacement at the file's indentation: the kept `def` line says so
    (the blank line says nothing), so the changed line is taken as written, not shifted by 4."""
    file = (
        "class Stats:\n    def mean(self):\n        return sum(self.xs) / len(self.xs)\n\n"
        "    def total(self):\n        return sum(self.xs)\n"
    )
    search = "\ndef total(self):\n    return sum(self.xs)"
    replace = "\n    def total(self):\n        return sum(self.xs, 0)"
    result = apply_edit({"m.py": file}, block(search, replace))
    assert result.ok, result.errors
    assert result.files["m.py"] == file.replace("return sum(self.xs)\n", "return sum(self.xs, 0)\n")


REPORT = [
    "def report(orders, items, tax_rate, rate, fee):",
    "    total = compute_total(orders)",  # the fourth nearest to the quote
    "    print(total)",
    "    total = compute_total(items, tax_rate)",  # the third nearest
    "    print(total)",
    "    total = compute_total(orders, rate)",  # the nearest
    "    print(total)",
    "    total = compute_total(orders, tax_rate, fee)",  # the second nearest
    "    return total",
]


def test_a_quoted_line_without_an_exact_match_votes_for_its_three_nearest_lines() -> None:
    """No file line is the quoted one: its three nearest lines each vote for a window, the fourth
    does not, and among equal votes the earliest window is offered (the third nearest here)."""
    hint = closest(Lines(REPORT), ["    total = compute_total(orders, tax_rate)"])
    assert hint is not None and hint.start == 3, hint
    assert hint.lines == ("    total = compute_total(items, tax_rate)",)


def test_a_long_replacement_keeps_the_files_own_version_of_a_line_it_repeats() -> None:
    """A function of over 200 lines logs a string with curly quotes every twenty lines, and the
    model quoted and rewrote it with ASCII quotes, changing the lines on both sides of one log
    call: every log call it kept stays the file's, curly quotes included (a line the replacement
    repeats is matched like any other, however often it occurs)."""
    steps = ["    log(“tick”)" if i % 20 == 10 else f"    total += step_{i}(x)" for i in range(220)]
    file = "\n".join(["def run(x):", "    total = 0", *steps, "    return total"]) + "\n"
    search = file.replace("\u201c", '"').replace("\u201d", '"').rstrip("\n")
    replace = search.replace("step_109(x)", "step_109(x) * 2").replace("step_111(x)", "step_111(x) * 2")
    result = apply_edit({"m.py": file}, block(search, replace))
    assert result.ok, result.errors
    assert [report.level for report in result.blocks] == ["unicode punctuation"]
    expected = file.replace("step_109(x)", "step_109(x) * 2").replace("step_111(x)", "step_111(x) * 2")
    assert result.files["m.py"] == expected


def test_the_files_blank_lines_keep_their_whitespace() -> None:
    """A blank line of the file holding the body's indentation, quoted by the model as an empty
    line and kept in its replacement, stays as it is in the file: the edit changes only `a`."""
    file = "def f():\n    a = 1\n    \n    return a\n"
    result = apply_edit({"m.py": file}, block("a = 1\n\nreturn a", "a = 2\n\nreturn a"))
    assert result.ok, result.errors
    assert result.files["m.py"] == "def f():\n    a = 2\n    \n    return a\n"


def test_a_tab_indented_quote_outdented_by_a_tab_is_indented_with_tabs() -> None:
    """A Go function body quoted one tab short of the file: the changed line is moved in by a
    tab, as the file indents, not by spaces."""
    go = "package m\n\nfunc F(x int) int {\n\tif x > 0 {\n\t\treturn x\n\t}\n\treturn 0\n}\n"
    result = apply_edit({"m.go": go}, block("if x > 0 {\n\treturn x\n}", "if x > 0 {\n\treturn x * 2\n}", "m.go", "go"))
    assert result.ok, result.errors
    assert result.files["m.go"] == go.replace("return x\n", "return x * 2\n")


def test_a_quote_sharing_only_one_common_line_with_the_file_gets_no_suggestion() -> None:
    """The quote's `return result` occurs in the file, so it votes for a window, but the window
    is too unlike the quote (a similarity ratio under 0.4) to be offered."""
    file = ["def f(x):", "    y = compute(x)", "    return result", "", "def g():", "    pass"]
    search = [
        "    accumulated = prepare_everything(alpha, beta, gamma)",
        "    normalized = normalize_all_of_it(accumulated)",
        "    return result",
    ]
    assert closest(Lines(file), search) is None
    assert closest(Lines(file), ["    y = compute(x + 1)", "    return result"]) is not None


def test_a_quote_deeper_than_the_file_only_below_its_first_line_is_off_unevenly() -> None:
    """The model quoted a function's `def` line at the file's column but its body eight spaces
    deep (the file has four), then wrote every changed line at the file's own indentation. The
    quote is off by 0 on one line and by 4 on the other: uneven, so the replacement is taken as
    written, and the body is not pulled out to column 0."""
    file = "def f():\n    return 1\n"
    result = apply_edit({"m.py": file}, block("def f():\n        return 1", "def f():\n    return 2"))
    assert result.ok, result.errors
    assert [report.level for report in result.blocks] == ["surrounding whitespace"]
    assert result.files["m.py"] == "def f():\n    return 2\n"


def test_a_window_exactly_as_alike_as_the_threshold_is_offered() -> None:
    """Windows below a similarity ratio of 0.4 are not offered, so a window whose ratio is
    exactly 0.4 is (the `def` line and its newline are 10 of the window's and the quote's 25
    characters each: 2 * 10 / 50); one more unlike character in the quote puts it below."""
    file = ["def f(x):", "y" * 15]
    hint = closest(Lines(file), ["def f(x):", "q" * 15])
    assert hint is not None and hint.ratio == 0.4
    assert hint.start == 0 and hint.lines == tuple(file)
    assert closest(Lines(file), ["def f(x):", "q" * 16]) is None


def test_joined_lines_end_with_a_newline_unless_told_otherwise() -> None:
    """``join_text`` writes a text file's usual form by default: LF line breaks and a final
    newline, the inverse of ``split_text`` on such a file; the final newline is left out only
    when asked."""
    assert join_text(["import os", "x = 1"]) == "import os\nx = 1\n"
    assert join_text(*split_text("import os\nx = 1\n")) == join_text(["import os", "x = 1"])
    assert join_text(["import os", "x = 1"], "\n", False) == "import os\nx = 1"


def test_a_suggestion_near_the_files_end_is_moved_up_to_hold_as_many_lines_as_the_quote() -> None:
    """The quote's first two lines are the file's last two, so its best start leaves the window
    one line short: the window is moved up to end at the file's end, three lines for three."""
    lines = ["def total(xs):", "    s = 0", "    for x in xs:", "        s += x", "    return s"]
    hint = closest(Lines(lines), ["        s += x", "    return s", "    return total_sum"])
    assert hint is not None
    assert (hint.start, hint.lines) == (2, tuple(lines[2:]))


def test_a_blank_kept_line_casts_no_vote_on_the_replacements_frame() -> None:
    """The quote is unindented, the file indented by four; REPLACE keeps ``a = 1`` in the file's
    frame (one vote: taken as written) and a blank line, which says nothing about the frame: the
    new line stays as written, not pushed four columns further."""
    file = "def f():\n    a = 1\n    \n    b = 2\n"
    result = apply_edit({"m.py": file}, block("a = 1\n\nb = 2", "    a = 1\n\n    c = 3"))
    assert result.errors == ()
    assert result.files == {"m.py": "def f():\n    a = 1\n    \n    c = 3\n"}


def test_a_kept_line_whose_quoted_line_is_blank_takes_the_shift_of_the_line_before() -> None:
    """At the punctuation level a line of a zero-width space is kept for a quoted blank line; read
    shifted, its shift comes from the nearest non-blank quoted line before it (+2 columns), not
    after it (+4), as shift_near says."""
    window = ["  a = 1", "    ", "        b = 2"]
    search = ["a = 1", "  ", "    b = 2"]
    replace = ["a = 1", "\u200b", "    b = 2"]
    merged = merge_replacement(window, search, replace, Level.PUNCTUATION, "shifted")
    assert merged == ["  a = 1", "  \u200b", "        b = 2"]


def test_a_long_quote_made_of_common_characters_is_compared_character_by_character() -> None:
    """Twelve quoted lines (over 200 characters) written with ``+=`` where the file calls
    ``add``: every character of the quote occurs in it often, which difflib's automatic junk
    heuristic would ignore, leaving too little alike to offer the window. The similarity counts
    every character, so the twelve lines are offered."""
    fields = ["price", "cost", "tax", "fee", "tip", "rate", "toll", "rent", "cap", "dues", "levy", "duty"]
    file = ["def charge(order):", "    total = 0", *[f"    total = add(total, order['{f}'])" for f in fields]]
    hint = closest(Lines([*file, "    return total"]), [f"    total += order.{f}" for f in fields])
    assert hint is not None
    assert (hint.start, hint.lines) == (2, tuple(file[2:]))
    assert 0.6 < hint.ratio < 0.7
