"""Line profiles trimmed to the lines that matter and compared line by line (issue 22, item 6)."""

from __future__ import annotations

from codeflash_engine.text.profiles import compare_profiles, coverage_first_line, numbered, trim_profile

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
