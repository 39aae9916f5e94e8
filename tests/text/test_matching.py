"""The shared fuzzy line matcher."""

from __future__ import annotations

from codeflash_engine.text.matching import (
    Level,
    Lines,
    Shift,
    closest,
    find,
    find_at,
    join_text,
    merge_replacement,
    normalize_punctuation,
    split_text,
)

FILE = [
    "class Vec:",
    "    def length(self):",
    "        total = 0",
    "        for x in self.xs:",
    "            total += x * x",
    "        return total ** 0.5",
    "",
    "    def scale(self, k):",
    "        return Vec([k * x for x in self.xs])  # “scaled”",
]


def test_exact_first() -> None:
    assert find(Lines(FILE), ["        total = 0"]) == (Level.EXACT, [2])


def test_trailing_whitespace() -> None:
    assert find(Lines(FILE), ["        total = 0   ", "        for x in self.xs:\t"]) == (
        Level.TRAILING_WHITESPACE,
        [2],
    )


def test_uniform_indentation_offset() -> None:
    search = ["def length(self):", "    total = 0"]
    assert find(Lines(FILE), search) == (Level.INDENTATION, [1])
    # Relative indentation must agree: this is only a whitespace-level match.
    assert find(Lines(FILE), ["def length(self):", "total = 0"]) == (Level.WHITESPACE, [1])


def test_unicode_punctuation() -> None:
    search = ['return Vec([k * x for x in self.xs])  # "scaled"']
    assert find(Lines(FILE), search) == (Level.PUNCTUATION, [8])
    assert normalize_punctuation("a\u2014b \u2018c\u2019 \u201cd\u201d\u00a0e\u2026") == "a-b 'c' \"d\" e..."


def test_blank_lines_match_blank_lines_and_bounds() -> None:
    assert find_at(Lines(FILE), ["        return total ** 0.5", "", "    def scale(self, k):"], Level.EXACT) == [5]
    assert find_at(Lines(FILE), ["class Vec:"], Level.EXACT, lo=1) == []
    assert find_at(Lines(FILE), ["    def scale(self, k):"], Level.EXACT, hi=7) == []
    assert find_at(Lines(FILE), [], Level.EXACT) == []
    assert find(Lines(FILE), ["nothing like it"]) is None


def test_all_matches_are_returned() -> None:
    lines = ["x", "y", "x", "y", "x"]
    assert find_at(Lines(lines), ["x", "y"], Level.EXACT) == [0, 2]


def test_shift() -> None:
    assert Shift("", "    ").apply("x = 1") == "    x = 1"
    assert Shift("    ", "").apply("        x = 1") == "    x = 1"
    assert Shift("    ", "").apply("  x") == "x"
    assert Shift("\t", "    ").apply("\tx") == "    x"
    assert Shift("\t", "    ").apply("x") == "x"
    assert Shift("  ", "    ").apply("") == ""


def test_merge_keeps_the_files_context_lines() -> None:
    window = ["        total = 0  ", '        s = "“q”"']
    search = ["total = 0", 's = "“q”"']
    replace = ["total = 0", "if not self.xs:", "    return 0", 's = "“q”"']
    merged = merge_replacement(window, search, replace, Level.WHITESPACE)
    assert merged == ["        total = 0  ", "        if not self.xs:", "            return 0", '        s = "“q”"']
    assert merge_replacement(window, search, replace, Level.EXACT) == replace


def test_closest_offers_the_most_similar_window() -> None:
    hint = closest(Lines(FILE), ["    def length(self):", "        sum = 0", "        for y in self.xs:"])
    assert hint is not None
    assert hint.start == 1
    assert hint.lines[0] == "    def length(self):"
    # No line in common: difflib close matches.
    hint = closest(Lines(FILE), ["        for x in self.items:"])
    assert hint is not None and hint.start == 3
    assert closest(Lines(FILE), ["zzzzzzzzzzzz qqqqqqq"]) is None


def test_closest_places_a_quote_by_its_text_not_its_blank_lines() -> None:
    """A quote the model padded with a blank line is offered where its lines of text are; the
    file's blank lines elsewhere pull nothing."""
    hint = closest(Lines(FILE), ["class Vec:", "", "    def length(self):"])
    assert hint is not None and hint.start == 0
    assert hint.lines == ("class Vec:", "    def length(self):", "        total = 0")


def test_split_and_join_text() -> None:
    assert split_text("") == ([], "\n", True)
    assert split_text("a\nb") == (["a", "b"], "\n", False)
    assert split_text("a\r\nb\r\n") == (["a", "b"], "\r\n", True)
    mixed = "a\r\nb\n"
    lines, nl, _ = split_text(mixed)
    assert (lines, nl) == (["a\r", "b"], "\n")
    for text in ("", "a", "a\n", "\n", "a\r\nb\r\n", "a\r\nb\n", "a\r\r\n"):
        assert join_text(*split_text(text)) == text


def test_closest_goes_where_most_quoted_lines_are() -> None:
    """A line that also occurs earlier (a common `return 0`) does not pull the suggestion there."""
    file = ["def a():", "    return 0", "", "def b():", "    x = 1", "    return 0", ""]
    hint = closest(Lines(file), ["def b():", "    x = 2", "    return 0"])
    assert hint is not None and hint.start == 3


SUMMARIZE = [
    "def summarize(records, limit):",
    "    accumulated_total_amount = compute_initial_total(records)",
    "    normalized_customer_names = prepare_customer_names(records)",
    "    filtered_record_collection = select_records(records, limit)",
    "    return total",
]


def test_closest_without_an_exact_line_looks_up_the_three_longest_quoted_lines_only() -> None:
    """No quoted line occurs in the file: the suggestion rests on the three longest quoted lines
    (each costs a scan of the file), so a near line among them places it, and a near line further
    down the quote does not count."""
    renamed = [
        "    accum_sum_of_all = initial_sum_of_all(the_items)",  # 48 characters, near nothing
        "    names_normalised = customer_names_of(the_items)",  # 47, near nothing
        "    filtered_record_coll = select_records(records)",  # 46, near the file's line 4
        "    return totl",  # near the file's line 5, but the shortest
    ]
    hint = closest(Lines(SUMMARIZE), renamed)
    assert hint is not None and hint.start == 1 and hint.lines == tuple(SUMMARIZE[1:])
    far = [*renamed[:2], "    coll_filtered = records_select(items, lim)", renamed[3]]
    assert closest(Lines(SUMMARIZE), far) is None


def test_a_quoted_line_votes_where_it_occurs_up_to_fifty_times() -> None:
    """Every occurrence of a quoted line is a vote for a window start, unless the line is too
    common: up to 50 occurrences vote, 51 do not (then the near lines decide, as if it were not
    there). Here `x = 1` occurs nowhere, `x = 2` once (line 10), `total += 1` 50 or 51 times
    from line 20."""
    for times, start in ((50, 19), (51, 10)):
        file = [f"filler_{i} = {i}" for i in range(10)] + ["x = 2"] + [f"other_{i}()" for i in range(9)]
        file += ["total += 1"] * times
        hint = closest(Lines(file), ["x = 1", "total += 1"])
        assert hint is not None and hint.start == start, (times, hint)


def test_without_an_exact_line_the_window_most_near_lines_agree_on_wins() -> None:
    """In the close-match fallback each near line is a vote too: two quoted lines near lines 10
    and 11 outvote one near line 2, though line 2's window starts earlier."""
    search = ["    result_total = accumulate(values)", "    return result_total"]
    file = ["def f(values):", "    pass", "    return result_totals"]
    file += [f"    zzz_{i} = {i}" for i in range(3, 10)]
    file += ["    result_total = accumulate(value)", "    return result_total2"]
    hint = closest(Lines(file), search)
    assert hint is not None and hint.start == 10, hint
