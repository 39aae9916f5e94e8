"""Line profiles trimmed to the lines that matter and compared line by line (issue 22, item 6)."""

from __future__ import annotations

from codeflash_engine.text.profiles import (
    KEEP_ROWS,
    compare_profiles,
    coverage_first_line,
    numbered,
    parse_profile,
    trim_profile,
)

HEAD = "# Timer unit: 1e-09 s\n## Function: f\n## Total time: 0.5 s\n"
TABLE = "| Hits | Time | Per Hit | % Time | Line Contents |\n|---:|---:|---:|---:|:---|\n"


def profile(shares: list[float]) -> str:
    rows = "".join(f"| {i + 1} | 10 | 10 | {share} | line_{i} = {i} |\n" for i, share in enumerate(shares))
    return HEAD + TABLE + rows


def test_a_long_profile_keeps_its_largest_lines_in_order_and_says_so() -> None:
    shares = [0.1] * 500
    shares[7], shares[300], shares[42] = 40.0, 30.0, 20.0
    out = trim_profile(profile(shares), keep=3)
    rows = [line for line in out.splitlines() if line.startswith("| ") and "line_" in line]
    assert [r.split("|")[5].strip() for r in rows] == ["line_7 = 7", "line_42 = 42", "line_300 = 300"]
    assert out.startswith(HEAD) and "(497 more lines, each at most 0.1% of the time, are left out.)" in out


def test_a_short_profile_or_other_text_is_unchanged() -> None:
    short = profile([50.0, 50.0])
    assert trim_profile(short) == short
    assert trim_profile("no table here") == "no table here"
    assert trim_profile(None) == ""


def test_two_profiles_side_by_side() -> None:
    before = HEAD + TABLE + "| 4950 | 9 | 1 | 83.0 | if a[j] > a[j + 1]: |\n| 1 | 1 | 1 | 0.1 | out = list(xs) |\n"
    after = HEAD + TABLE + "| 1 | 1 | 1 | 99.0 | return sorted(xs) |\n| 1 | 1 | 1 | 1.0 | out = list(xs) |\n"
    table = compare_profiles(before, after)
    assert "| 83 | - | 4950 | - | if a[j] > a[j + 1]: |" in table
    assert "| - | 99 | - | 1 | return sorted(xs) |" in table
    assert "| 0.1 | 1 | 1 | 1 | out = list(xs) |" in table
    assert compare_profiles(before, "") == ""


def test_numbered_code_starts_where_the_coverage_says() -> None:
    code = "def f(x):\n    return x"
    details = {"function_start_line": 12, "main_function": {"executed_lines": [12], "unexecuted_lines": [13]}}
    assert coverage_first_line(code, details) == 12
    assert numbered(code, 12) == "12 | def f(x):\n13 |     return x"
    whole_module = "\n" * 11 + code
    assert coverage_first_line(whole_module, details) == 1


def test_numbered_code_counts_only_real_line_ends() -> None:
    """A form feed (``^L`` page break) or a Unicode line separator in a string is no line end for
    the compiler whose line numbers the coverage gives: the numbers stay in step with the file."""
    code = 'import math\n\x0c\nNOTE = "a\u2028b"\ndef f(x):\r\n    return x\n'
    assert numbered(code, 1).splitlines()[-2:] == ["4 | def f(x):", "5 |     return x"]
    details = {"function_start_line": 4, "main_function": {"executed_lines": [4, 5]}}
    assert coverage_first_line(code, details) == 1  # the whole module: five lines hold line 5
    assert numbered("", 1) == "" and numbered("x\n", 3) == "3 | x"


# --- the edges the mutation run of text/profiles.py found untested --------------------------------


def test_a_table_is_read_cell_by_cell() -> None:
    """Head, header with its separator, rows (hits, share, contents with an escaped pipe), tail:
    a row without a contents cell has none, a share with a thousands comma or a % sign is read."""
    text = (
        "# Timer unit: 1e-09 s\n"
        "| Hits | Time | % Time | Line Contents |\n"
        "|---:|---:|---:|:---|\n"
        "| 1,200 | 2 | 3.5% | a = b \\| c |\n"
        "| 2 | 3 | 1,004.5 |\n"
        "| 3 | 4 | n/a | x |\n"
        "after the table"
    )
    parsed = parse_profile(text)
    assert parsed is not None
    assert parsed.head == ("# Timer unit: 1e-09 s",)
    assert parsed.header == ("| Hits | Time | % Time | Line Contents |", "|---:|---:|---:|:---|")
    assert parsed.tail == ("after the table",)
    assert [(r.hits, r.share, r.contents) for r in parsed.rows] == [
        ("1,200", 3.5, "a = b | c"),
        ("2", 1004.5, ""),
        ("3", None, "x"),
    ]
    assert parsed.rows[0].raw == "| 1,200 | 2 | 3.5% | a = b \\| c |"


def test_cells_without_outer_pipes_and_a_table_without_hits_or_contents_column() -> None:
    """Rows without a trailing pipe lose no cell; without a ``Hits`` column the hits are empty;
    without a ``contents`` column the last column is the line's text."""
    parsed = parse_profile("| Time | % Time | Code\n| 5 | 60 | x = 1\n| 6 | 40 | y = 2 |")
    assert parsed is not None
    assert parsed.header == ("| Time | % Time | Code",)  # no separator line
    assert [(r.hits, r.share, r.contents) for r in parsed.rows] == [("", 60.0, "x = 1"), ("", 40.0, "y = 2")]
    ends_in_escape = parse_profile("| Hits | % Time | Line Contents |\n| 1 | 5 | a \\|")
    assert ends_in_escape is not None and ends_in_escape.rows[0].contents == "a |"


def test_a_table_without_a_share_column_and_text_without_a_time_header() -> None:
    parsed = parse_profile("| Hits | Time | Line Contents |\n| 4 | 9 | x |")
    assert parsed is not None and [(r.hits, r.share, r.contents) for r in parsed.rows] == [("4", None, "x")]
    assert parse_profile("| Hits | Count | Line Contents |\n| 4 | 9 | x |") is None
    assert parse_profile("just some Time words\n| a | b |") is None
    only_header = parse_profile("| Hits | % Time | Line Contents |")
    assert only_header is not None and only_header.rows == () and only_header.tail == ()


def test_a_profile_of_exactly_keep_rows_is_unchanged_and_one_more_is_cut() -> None:
    """``keep`` rows fit; with one more, the smallest share is left out (rows without a share
    count as 0) and the note gives the largest left out."""
    three = profile([5.0, 50.0, 45.0])
    assert trim_profile(three, keep=3) == three
    four = HEAD + TABLE + "| 1 | 1 | 1 | 5 | a |\n| 1 | 1 | 1 | - | b |\n| 1 | 1 | 1 | 50 | c |\n| 1 | 1 | 1 | 45 | d |"
    out = trim_profile(four, keep=3)
    assert [line.split("|")[5].strip() for line in out.splitlines() if line.startswith("| 1 ")] == ["a", "c", "d"]
    assert out.endswith("(1 more lines, each at most 0% of the time, are left out.)")
    two_out = trim_profile(profile([5.0, 50.0, 1.5, 45.0, 2.5]), keep=3)
    assert "(2 more lines, each at most 2.5% of the time, are left out.)" in two_out
    assert "line_2 = 2" not in two_out and "line_4 = 4" not in two_out and "line_0 = 0" in two_out


def test_trim_profile_keeps_what_follows_the_table() -> None:
    out = trim_profile(profile([1.0, 2.0, 3.0]) + "\n## Function: g\nmore", keep=2)
    assert out.splitlines()[-4:] == [
        "(1 more lines, each at most 1% of the time, are left out.)",
        "",
        "## Function: g",
        "more",
    ]


def _table_rows(text: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in text.splitlines()[2:] if line.startswith("|")]


def test_compare_keeps_the_largest_lines_of_either_version_in_the_original_order() -> None:
    """Lines are ranked by their larger share in either version; the ``keep`` largest are shown in
    the original's order (then the new version's own lines), and the note counts the others."""
    before = HEAD + TABLE + "| 1 | 1 | 1 | 10 | a |\n| 2 | 1 | 1 | 70 | b |\n| 3 | 1 | 1 | 20 | c |\n"
    after = HEAD + TABLE + "| 7 | 1 | 1 | 5 | a |\n| 8 | 1 | 1 | 90 | d |\n| | 1 | 1 | | c |\n"
    table = compare_profiles(before, after, keep=3)
    assert _table_rows(table) == [
        ["70", "-", "2", "-", "b"],
        ["20", "-", "3", "-", "c"],
        ["-", "90", "-", "8", "d"],
    ]
    assert table.splitlines()[:2] == [
        "| % Time before | % Time after | Hits before | Hits after | Line Contents |",
        "|---:|---:|---:|---:|:---|",
    ]
    assert table.endswith("(1 more lines with smaller shares are left out.)")
    every = compare_profiles(before, after, keep=4)
    assert "more lines" not in every and len(_table_rows(every)) == 4
    assert ["10", "5", "1", "7", "a"] in _table_rows(every)
    assert compare_profiles("", after) == "" and compare_profiles(None, None) == ""


def test_compare_escapes_a_pipe_in_the_line() -> None:
    before = HEAD + TABLE + "| 1 | 1 | 1 | 10 | x = a \\| b |\n"
    after = HEAD + TABLE + "| 1 | 1 | 1 | 20 | x = a \\| b |\n"
    assert compare_profiles(before, after).splitlines()[-1] == "| 10 | 20 | 1 | 1 | x = a \\| b |"


def test_numbered_pads_every_number_to_the_widest() -> None:
    nine = "\n".join("abcdefghi")
    assert numbered(nine, 1).splitlines()[0] == "1 | a"
    assert numbered(nine, 2).splitlines()[:2] == [" 2 | a", " 3 | b"]
    assert numbered("x\n\ny", 99) == " 99 | x\n100 |\n101 | y"
    assert numbered("x", 0) == "1 | x" and numbered("x", None) == "1 | x" and numbered("x", -3) == "1 | x"
    assert numbered(None) == ""


def test_coverage_first_line_edges() -> None:
    """The function's start line unless the code holds every line named (then it is the module)
    or the details say nothing usable."""
    code = "a\nb\nc\n"
    at = {"function_start_line": 3, "main_function": {"executed_lines": [3, 4]}}
    assert coverage_first_line(code, at) == 3
    assert coverage_first_line(code, {**at, "main_function": {"executed_lines": [3], "unexecuted_lines": [3]}}) == 1
    assert coverage_first_line(code, {"function_start_line": 3, "dependent_function": {"unexecuted_lines": [4]}}) == 3
    assert coverage_first_line(code, {"function_start_line": 3, "main_function": {"executed_lines": ["9"]}}) == 3
    assert coverage_first_line(code, {"function_start_line": 3}) == 3
    assert coverage_first_line(code, {"function_start_line": 3, "main_function": [9]}) == 3
    assert coverage_first_line(code, {"function_start_line": 2, "main_function": {"executed_lines": [9]}}) == 2
    assert coverage_first_line(code, {"function_start_line": "3"}) == 1
    assert coverage_first_line(code, "3") == 1


def test_numbered_widths_where_the_last_number_gains_a_digit() -> None:
    assert numbered("a\nb\nc", 8) == " 8 | a\n 9 | b\n10 | c"
    assert numbered("a\nb\nc", 7) == "7 | a\n8 | b\n9 | c"
    assert numbered("x", 9) == "9 | x"


def test_forty_rows_are_kept_by_default() -> None:
    forty = profile([1.0] * KEEP_ROWS)
    assert KEEP_ROWS == 40 and trim_profile(forty) == forty
    assert "(1 more lines, each at most 1% of the time, are left out.)" in trim_profile(profile([1.0] * 41))
    before = profile([float(i) for i in range(41)])
    assert compare_profiles(before, before).endswith("(1 more lines with smaller shares are left out.)")
    assert "more lines" not in compare_profiles(profile([1.0] * 40), profile([1.0] * 40))


def test_compact_cells_and_rows_shorter_than_the_header() -> None:
    """Cells without spaces around the pipes lose no character; a row too short for the hits
    column has no hits."""
    compact = parse_profile("|Hits|% Time|Line Contents|\n|1|5|x|")
    assert compact is not None and [(r.hits, r.share, r.contents) for r in compact.rows] == [("1", 5.0, "x")]
    late_hits = parse_profile("| % Time | Hits | Line Contents |\n| 5 |")
    assert late_hits is not None and [(r.hits, r.share, r.contents) for r in late_hits.rows] == [("", 5.0, "")]
    late_share = parse_profile("| Hits | Time | % Time | Line Contents |\n| 7 | 2 |")
    assert late_share is not None and [(r.hits, r.share, r.contents) for r in late_share.rows] == [("7", None, "")]


def test_a_line_without_a_share_counts_as_no_time() -> None:
    """It ranks below any line with a share, and above one with a negative share (a clock's
    rounding): in the trimmed profile and side by side."""
    rows = "| 1 | 1 | 1 | - | a |\n| 2 | 1 | 1 | 0.5 | b |\n"
    out = trim_profile(HEAD + TABLE + rows, keep=1)
    assert "| b |" in out and "| a |" not in out
    assert "(1 more lines, each at most 0% of the time, are left out.)" in out
    side = compare_profiles(HEAD + TABLE + rows, HEAD + TABLE + rows, keep=1)
    assert _table_rows(side) == [["0.5", "0.5", "2", "2", "b"]]
    negative = HEAD + TABLE + "| 1 | 1 | 1 | - | a |\n| 2 | 1 | 1 | -0.5 | b |\n"
    kept = trim_profile(negative, keep=1)
    assert "| a |" in kept and "| b |" not in kept
    assert _table_rows(compare_profiles(negative, negative, keep=1)) == [["-", "-", "1", "1", "a"]]


def test_numbered_starts_at_one_by_default() -> None:
    assert numbered("x\ny") == "1 | x\n2 | y"
