"""Verified wins' search words, tenants and in-memory ranking (infra/db/wins.py) pinned exactly:
which words of a code count (length at least three, no pure numbers, no common words, camelCase
and snake_case split), whose tenant a win is, what words a win stores, and the in-memory order
(most words held, then the larger speedup, then the older win, at most ``limit``) (what the
mutation run of wins.py found untested)."""

from __future__ import annotations

import pytest

from codeflash_engine.infra.db.wins import COMMON_WORDS, MIN_WORD, VerifiedWin, rank_in_memory, tenant_of, words


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ab abc", ["abc"]),  # two letters are too short, three are enough
        ("xy_abc_de", ["abc"]),
        ("parseHTTPHeader", ["header", "http", "parse"]),
        ("HTTPServer", ["http", "server"]),
        ("x1234 v2 abc123", ["abc"]),  # digits split off a word and are dropped
        ("sortList sort_list", ["sort"]),  # list is a common word
        ("return self.items + values", []),
        ("Pair pair PAIR", ["pair"]),
        ("", []),
    ],
)
def test_words(text: str, found: list[str]) -> None:
    assert words(text) == found


def test_the_word_rules() -> None:
    assert MIN_WORD == 3
    assert {"self", "return", "list", "the"} <= COMMON_WORDS
    assert words("abcd " + " ".join(sorted(COMMON_WORDS))) == ["abcd"]


@pytest.mark.parametrize(
    ("user", "org", "tenant"),
    [
        ("alice", 7, "org:7"),
        (None, 0, "org:0"),  # organization 0 is an organization
        ("alice", None, "user:alice"),
        ("", None, None),
        (None, None, None),
    ],
)
def test_tenant_of(user: str | None, org: int | None, tenant: str | None) -> None:
    assert tenant_of(user, org) == tenant


def test_a_win_stores_the_words_of_its_code_and_explanation() -> None:
    made = VerifiedWin.of(
        tenant="org:1",
        trace_id="t",
        optimization_id="o",
        original="def pair_sums(xs): pass",
        optimized="def pair_sums(xs): return 0",
        speedup=0.5,
        explanation="Uses a hashSet lookup",
    )
    assert made == VerifiedWin(
        "org:1",
        "t",
        "o",
        "def pair_sums(xs): pass",
        "def pair_sums(xs): return 0",
        0.5,
        "Uses a hashSet lookup",
        "hash lookup pair pass sums uses",
    )


def win(trace: str, terms: str, speedup: float) -> VerifiedWin:
    return VerifiedWin("org:1", trace, "o-" + trace, "a", "b", speedup, "", terms)


def test_in_memory_ranking() -> None:
    wins = [
        (1, win("none", "zzz", 9.0)),
        (2, win("one-fast", "alpha", 5.0)),
        (3, win("two-slow", "alpha beta", 0.1)),
        (4, win("two-fast", "alpha beta gamma", 0.2)),
        (5, win("one-fast-newer", "beta", 5.0)),
        (6, win("three", "alpha beta gamma", -0.5)),
    ]
    query = ["alpha", "beta", "gamma", "alpha"]
    ranked = rank_in_memory(wins, query, 10)
    assert [w.trace_id for w in ranked] == ["two-fast", "three", "two-slow", "one-fast", "one-fast-newer"]
    assert [w.trace_id for w in rank_in_memory(wins, query, 2)] == ["two-fast", "three"]
    assert rank_in_memory(wins, query, 0) == []
    assert rank_in_memory(wins, ["zzz"], 10) == [wins[0][1]]
    assert rank_in_memory(wins, [], 10) == []


def test_in_memory_ties_go_to_the_older_win() -> None:
    wins = [(9, win("newer", "alpha", 1.0)), (3, win("older", "alpha", 1.0))]
    assert [w.trace_id for w in rank_in_memory(wins, ["alpha"], 5)] == ["older", "newer"]
