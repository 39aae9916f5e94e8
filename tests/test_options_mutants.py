"""What operators type and what a prompt is cut to, pinned value by value (what the mutation runs
of infra/plan_options.py, infra/when.py and text/cuts.py found untested): rate limits, quotas,
budgets and model mixes as ``plans set`` reads them, the rate shown back, durations and moments
(``usage --since``, key expiry), and the cuts that fit long fields into a prompt: where they cut,
the marker they leave, the first difference of two values and the cap that removes enough."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from codeflash_engine.infra.db.types import Plan
from codeflash_engine.infra.plan_options import (
    OptionError,
    format_rate,
    parse_budget,
    parse_models,
    parse_quota,
    parse_rate_limit,
)
from codeflash_engine.infra.when import parse_duration, parse_when
from codeflash_engine.text.cuts import cut_around, cut_middle, cut_pair, first_difference, marker, water_level

# -- plan options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("40/60s", (40, 60_000)),
        (" 40 / 60 ", (40, 60_000)),
        ("5/250ms", (5, 250)),
        ("1/1", (1, 1000)),
        ("3/2m", (3, 120_000)),
        ("600/1h", (600, 3_600_000)),
        ("5000/1d", (5000, 86_400_000)),
        ("none", (None, None)),
        (" Default ", (None, None)),
        ("UNLIMITED", (None, None)),
    ],
)
def test_rate_limits_read_as_requests_per_window_ms(text: str, expected: tuple[int | None, int | None]) -> None:
    """Requests per window in ms, seconds when no unit; 1/1 is the smallest; the clearing words
    in any case and spacing give the environment's limit."""
    assert parse_rate_limit(text) == expected


@pytest.mark.parametrize("text", ["0/60s", "1/0", "0/0", "40/60x", "40", "abc", "-1/60s", "40/60s extra", ""])
def test_rate_limits_that_cannot_be_read_name_the_option(text: str) -> None:
    with pytest.raises(OptionError) as raised:
        parse_rate_limit(text)
    assert raised.value.option == "--rate-limit"
    assert "40/60s" in raised.value.message


TOO_MANY_DIGITS = "9" * 5000  # more than int() converts (4,300 digits)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2147483647/1s", (2_147_483_647, 1000)),
        ("1/9223372036854775807ms", (1, 9_223_372_036_854_775_807)),
        ("1/106751991167d", (1, 106_751_991_167 * 86_400_000)),
    ],
)
def test_the_largest_rate_limits_the_store_holds(text: str, expected: tuple[int, int]) -> None:
    assert parse_rate_limit(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2147483648/1s",  # rate_limit_max is an integer column
        "1/9223372036854775808ms",  # rate_limit_window_ms is a bigint
        "1/106751991168d",
        "1/9999999999999999d",
        pytest.param(f"{TOO_MANY_DIGITS}/1s", id="5000-digit-count"),
        pytest.param(f"1/{TOO_MANY_DIGITS}", id="5000-digit-window"),
    ],
)
def test_rate_limits_the_store_cannot_hold_are_refused_here(text: str) -> None:
    """Found by the mutation run: these passed the parser and failed in PostgreSQL (``plans set``
    ended with a DataError traceback, the admin form with a 500) or in int() (a ValueError that is
    not an OptionError); now they are refused with the option's own message."""
    with pytest.raises(OptionError) as raised:
        parse_rate_limit(text)
    assert raised.value.option == "--rate-limit"


@pytest.mark.parametrize(
    "text", ["2147483648", "3000000000", "²", "1²", pytest.param(TOO_MANY_DIGITS, id="5000-digits")]
)
def test_quotas_the_store_cannot_hold_are_refused_here(text: str) -> None:
    """``²`` is a digit to str.isdigit but not to int(); optimizations_limit is an integer column."""
    with pytest.raises(OptionError) as raised:
        parse_quota(text)
    assert raised.value.option == "--quota"


def test_the_largest_quota_the_store_holds() -> None:
    assert parse_quota("2147483647") == 2_147_483_647


@pytest.mark.parametrize(("text", "expected"), [("12", 12), (" 7 ", 7), ("0", 0), ("none", None), (" None ", None)])
def test_quotas(text: str, expected: int | None) -> None:
    assert parse_quota(text) == expected


@pytest.mark.parametrize("text", ["-1", "1.5", "ten", ""])
def test_quotas_that_are_not_whole_numbers_are_refused(text: str) -> None:
    with pytest.raises(OptionError) as raised:
        parse_quota(text)
    assert raised.value.option == "--quota"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("25", 25.0), ("$12.50", 12.5), (" 0 ", 0.0), ("9999999999.5", 9999999999.5), ("unlimited", None)],
)
def test_budgets_in_usd(text: str, expected: float | None) -> None:
    assert parse_budget(text) == expected


@pytest.mark.parametrize("text", ["-1", "-0.01", "abc", "", "inf", "nan", "10000000000", "1e10", "1e11"])
def test_budgets_out_of_range_or_unreadable_are_refused(text: str) -> None:
    """Negative, unreadable, infinite, not a number, or 10 billion and more: refused, never
    stored as a budget (an unreadable text must not pass as 0 USD)."""
    with pytest.raises(OptionError) as raised:
        parse_budget(text)
    assert raised.value.option == "--budget"


def test_models_are_normalised_and_errors_name_the_option() -> None:
    assert parse_models(" OpenAI:gpt-5-mini=3, anthropic:claude-sonnet-4-6=2 ") == (
        "openai:gpt-5-mini=3,anthropic:claude-sonnet-4-6=2"
    )
    assert parse_models("Default") is None
    with pytest.raises(OptionError) as raised:
        parse_models("nobody:model")
    assert raised.value.option == "--models"
    assert "--models" in raised.value.message
    assert "CODEFLASH_ENGINE_MODELS" not in raised.value.message


@pytest.mark.parametrize(
    ("max_", "window", "shown"),
    [
        (40, 60_000, "40/1m"),
        (5000, 86_400_000, "5000/1d"),
        (9, 2 * 86_400_000, "9/2d"),
        (600, 3_600_000, "600/1h"),
        (600, 7_200_000, "600/2h"),
        (10, 90_000, "10/90s"),
        (10, 1000, "10/1s"),
        (5, 250, "5/250ms"),
        (5, 1500, "5/1500ms"),
        (None, None, "env"),
        (40, None, "env"),
        (None, 60_000, "env"),
    ],
)
def test_rates_are_shown_in_the_largest_whole_unit(max_: int | None, window: int | None, shown: str) -> None:
    assert format_rate(Plan("p", rate_limit_max=max_, rate_limit_window_ms=window)) == shown


def test_a_shown_rate_reads_back_as_itself() -> None:
    for window in (1, 250, 1000, 61_000, 60_000, 3_600_000, 86_400_000, 90 * 60_000):
        shown = format_rate(Plan("p", rate_limit_max=3, rate_limit_window_ms=window))
        assert parse_rate_limit(shown) == (3, window)


# -- moments and durations ------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 15, 12, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", dt.timedelta(0)),
        (" 0 ", dt.timedelta(0)),
        ("90m", dt.timedelta(minutes=90)),
        ("12h", dt.timedelta(hours=12)),
        ("30d", dt.timedelta(days=30)),
        (" 2w ", dt.timedelta(weeks=2)),
        ("1d", dt.timedelta(days=1)),
        ("0d", dt.timedelta(0)),
        ("5x", None),
        ("d", None),
        ("", None),
        ("2026-11-01", None),
    ],
)
def test_durations(text: str, expected: dt.timedelta | None) -> None:
    assert parse_duration(text) == expected


def test_a_duration_is_before_now_or_ahead_of_it() -> None:
    assert parse_when("30d", NOW) == NOW - dt.timedelta(days=30)
    assert parse_when("12h", NOW, ahead=True) == NOW + dt.timedelta(hours=12)
    assert parse_when("0", NOW) == NOW


def test_iso_moments_are_utc_unless_they_say_otherwise() -> None:
    assert parse_when(" 2026-11-01 ", NOW) == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    when = parse_when("2026-11-01T10:00:00+02:00", NOW, ahead=True)
    assert when.utcoffset() == dt.timedelta(hours=2)
    assert when == dt.datetime(2026, 11, 1, 8, tzinfo=dt.UTC)
    naive = parse_when("2026-11-01T10:00:00", NOW)
    assert naive.tzinfo is dt.UTC
    assert naive == dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize("text", ["yesterday", "30 days", "5x", ""])
def test_moments_that_cannot_be_read(text: str) -> None:
    with pytest.raises(OptionError, match="30d, 12h"):
        parse_when(text, NOW)


# -- cuts -----------------------------------------------------------------------------------------

ABC = "abcdefghijklmnopqrst"  # 20 characters


def test_the_marker_counts_with_thousands_separators() -> None:
    assert marker(12345) == "[... 12,345 characters cut ...]"
    assert marker(0) == "[... 0 characters cut ...]"


@pytest.mark.parametrize(
    ("keep", "expected"),
    [
        (20, ABC),
        (25, ABC),
        (19, "abcdefghijkl" + marker(1) + "nopqrst"),
        (9, "abcdef" + marker(11) + "rst"),
        (3, "ab" + marker(17) + "t"),
        (1, marker(19) + "t"),
        (0, marker(20)),
        (-5, marker(20)),
    ],
)
def test_cut_middle_keeps_two_thirds_of_the_start_and_a_third_of_the_end(keep: int, expected: str) -> None:
    assert cut_middle(ABC, keep) == expected


def _first_difference(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


def test_first_difference_matches_a_plain_loop() -> None:
    rng = random.Random(22)
    cases = [("", ""), ("", "x"), ("abc", "abc"), ("abc", "abd"), ("xbc", "abc"), ("ab", "abc"), ("abcd", "ab")]
    for _ in range(300):
        a = "".join(rng.choice("ab") for _ in range(rng.randrange(0, 12)))
        b = a[: rng.randrange(0, len(a) + 1)] + "".join(rng.choice("ab") for _ in range(rng.randrange(0, 4)))
        cases.append((a, b))
    for a, b in cases:
        assert first_difference(a, b) == _first_difference(a, b), (a, b)
        assert first_difference(b, a) == _first_difference(a, b), (b, a)


TEXT = "".join(chr(ord("A") + i % 26) for i in range(100))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (50, marker(45) + TEXT[45:65] + marker(35)),
        (7, marker(2) + TEXT[2:22] + marker(78)),
        (5, TEXT[:20] + marker(80)),
        (2, TEXT[:20] + marker(80)),
        (85, marker(80) + TEXT[80:]),
        (99, marker(80) + TEXT[80:]),
    ],
)
def test_cut_around_keeps_a_quarter_before_the_index(at: int, expected: str) -> None:
    assert cut_around(TEXT, at, 20) == expected


def test_cut_around_leaves_short_text_alone() -> None:
    assert cut_around(TEXT, 50, 100) == TEXT
    assert cut_around(TEXT, 50, 101) == TEXT
    assert cut_around(TEXT, 50, 99) == marker(1) + TEXT[1:]


def test_cut_pair_cuts_both_around_their_first_difference() -> None:
    a = TEXT
    b = TEXT[:50] + "!" + TEXT[51:]
    assert cut_pair(a, b, 20) == (cut_around(a, 50, 20), cut_around(b, 50, 20))
    assert cut_pair(a, b, 20)[1] == marker(45) + b[45:65] + marker(35)
    assert cut_pair(None, b, 9) == (None, cut_middle(b, 9))
    assert cut_pair(a, None, 9) == (cut_middle(a, 9), None)
    assert cut_pair(None, None, 9) == (None, None)


def _water_level(lengths: list[int], excess: int) -> int | None:
    if excess <= 0:
        return max(lengths, default=0)
    for cap in range(max(lengths, default=0), -1, -1):
        if sum(max(0, n - cap) for n in lengths) >= excess:
            return cap
    return None


def test_water_level_examples() -> None:
    assert water_level([10, 6, 3], 5) == 5
    assert water_level([10, 6, 3], 4) == 6
    assert water_level([10, 6, 3], 19) == 0
    assert water_level([10, 6, 3], 20) is None
    assert water_level([10, 6, 3], 0) == 10
    assert water_level([10, 6, 3], -3) == 10
    assert water_level([], 0) == 0
    assert water_level([], 1) is None


def test_water_level_is_the_largest_cap_that_removes_enough() -> None:
    rng = random.Random(7)
    for _ in range(400):
        lengths = [rng.randrange(0, 30) for _ in range(rng.randrange(0, 6))]
        excess = rng.randrange(-2, sum(lengths) + 3)
        assert water_level(lengths, excess) == _water_level(lengths, excess), (lengths, excess)
