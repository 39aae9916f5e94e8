"""/ai/rank: the order the CLI receives from the model's answer (what the mutation run of
pipelines/rank.py found untested): 1-based answers shifted, unreadable entries skipped, and the
speedup order of the model-free path."""

from __future__ import annotations

import endpoint_samples as s
import pytest

from codeflash_engine.pipelines.rank import by_speedup, valid_ranking
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"ranking": [2, 3, 1]}', [1, 2, 0]),
        ('{"ranking": [1, 3]}', [0, 2, 1]),
        ("```json\n[3, 2, 1]\n```", [2, 1, 0]),
    ],
    ids=["full", "partial", "reversed"],
)
async def test_a_one_based_ranking_reaches_the_client_zero_based(
    engine_client: EngineClient, fake_llm: FakeLLM, answer: str, expected: list[int]
) -> None:
    """A ranking that numbers the candidates from 1 (its largest entry is the count, no 0) is
    shifted down by one: the client gets the candidates the model meant, best first."""
    fake_llm.reply(answer)
    status, body = await call(engine_client, "/ai/rank", s.rank())
    assert status == 200, body
    assert body == {"ranking": expected}
    assert len(fake_llm.requests) == 1


async def test_entries_that_are_not_numbers_are_skipped_not_the_end_of_the_ranking(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """An entry that is not a number (a word, null, an object) is skipped; the numbers after it
    still count, and numeric strings are read as numbers."""
    fake_llm.reply('{"ranking": ["the second", null, {"i": 0}, "2", 0]}')
    status, body = await call(engine_client, "/ai/rank", s.rank())
    assert status == 200, body
    assert body == {"ranking": [2, 0, 1]}
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([0, 3, 2], [0, 2, 1]),  # 3 is one past the end of a 0-based answer, not the third candidate
        ([2, 2, 0, 2], [2, 0, 1]),  # duplicates count once
        ([-1, 1], [1, 0, 2]),
        ({"ranking": [3, 1, 2]}, [2, 0, 1]),
        ({"order": [1, 0]}, None),
        ("1, 0", None),
        ([], None),
    ],
)
def test_valid_ranking(value: object, expected: list[int] | None) -> None:
    """The model's value completed into a permutation of the three candidates, or None."""
    assert valid_ranking(value, 3) == expected


def test_by_speedup_puts_the_largest_first_and_missing_speedups_last() -> None:
    """Largest speedup first; a missing speedup after every measured one, even one below 1x;
    ties keep the client's order."""
    assert by_speedup([None, 0.5, 3.0, 0.5, 1.25]) == [2, 4, 1, 3, 0]
    assert by_speedup([]) == []


async def test_a_single_candidate_is_ranked_without_the_model(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    """One candidate is its own ranking: [0], and no LLM call is made (nor billed)."""
    fake_llm.reply('{"ranking": [0]}')
    status, body = await call(engine_client, "/ai/rank", s.rank(diffs=["d"], optimization_ids=["o"], speedups=[None]))
    assert status == 200, body
    assert body == {"ranking": [0]}
    assert fake_llm.requests == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('Candidate 1 reads values[0] once, outside the loop.\n\n{"ranking": [1, 0, 2]}', [1, 0, 2]),
        ("Candidate 2 swaps the dict {} for a list.\n\n```json\n[2, 1, 0]\n```", [2, 1, 0]),
        ('Candidate 2 swaps the dict {} for a list, best.\n\n{"ranking": [2, 1, 0]}', [2, 1, 0]),
        ("Candidate 0 indexes row[1] twice. Best first: [2, 0, 1]", [2, 0, 1]),
        ("From 1: candidate 3 uses x[0]. Ranking: [3, 1, 2]", [2, 0, 1]),
        ("Only candidate [1] matters.", [1, 0, 2]),
    ],
    ids=[
        "index-before-object",
        "empty-dict-before-fence",
        "empty-dict-before-object",
        "index-before-list",
        "index-before-one-based-list",
        "lone-list",
    ],
)
async def test_a_bracket_in_the_prose_is_not_taken_for_the_ranking(
    engine_client: EngineClient, fake_llm: FakeLLM, answer: str, expected: list[int]
) -> None:
    """Models compare the candidates before ranking them and quote code as they do (``values[0]``,
    ``{}``): the ranking is the ``{"ranking": ...}`` object, else a list naming every candidate
    once, else the first list of numbers, wherever it comes; read at once, not asked again."""
    fake_llm.reply(answer)
    status, body = await call(engine_client, "/ai/rank", s.rank())
    assert status == 200, body
    assert body == {"ranking": expected}
    assert len(fake_llm.requests) == 1


async def test_an_answer_nested_past_the_parser_s_depth_is_unreadable_and_asked_again(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """A degenerate answer (a small model repeating ``[`` thousands of times) is not JSON: it is
    asked for again, and the second answer's ranking counts; not a failed request."""
    fake_llm.reply("[" * 5000, times=1)
    fake_llm.reply('{"ranking": [2, 0, 1]}')
    status, body = await call(engine_client, "/ai/rank", s.rank())
    assert status == 200, body
    assert body == {"ranking": [2, 0, 1]}
    assert len(fake_llm.requests) == 2


@pytest.mark.parametrize(
    "answer",
    [
        "Candidates [1, 0, 0, 2] all read the file once. Best first: [2, 1, 0]",
        "Candidate 0 repeats [0, 1, 1] as its default row. Best first: [2, 1, 0]",
        "Candidate 0 keeps [null, 0, 1] as its default row. Best first: [2, 1, 0]",
        'Candidate 1 builds ["a", 0, 1] once, outside the loop. Best first: [2, 1, 0]',
        "Candidate 2 starts from [Infinity, 0, 1]. Best first: [2, 1, 0]",
        "Candidate 2 starts from [1e999, 0, 1]. Best first: [2, 1, 0]",
    ],
    ids=["too-long", "repeated", "null", "word", "infinity", "overflowing-number"],
)
async def test_a_quoted_list_that_names_no_whole_ranking_does_not_stand_before_the_one_that_does(
    engine_client: EngineClient, fake_llm: FakeLLM, answer: str
) -> None:
    """A list in the prose that could pass for a ranking but does not name each candidate once
    (one entry too many, a repeat, an entry that is no number: null, a word, a number too large
    for an index) is passed over for the list after it that does, and read at once; its entries
    that are no number fail nothing (the client gets the model's ranking, not an error)."""
    fake_llm.reply(answer)
    status, body = await call(engine_client, "/ai/rank", s.rank())
    assert status == 200, body
    assert body == {"ranking": [2, 1, 0]}
    assert len(fake_llm.requests) == 1


async def test_an_entry_too_large_for_an_index_is_skipped_like_any_unreadable_entry(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """JSON as Python reads it allows ``Infinity`` and numbers past a float's range (``1e999``):
    in the ranking object such an entry is skipped, the numbers after it still count."""
    fake_llm.reply('{"ranking": [Infinity, 2, -1e999, 0]}')
    status, body = await call(engine_client, "/ai/rank", s.rank())
    assert status == 200, body
    assert body == {"ranking": [2, 0, 1]}
    assert len(fake_llm.requests) == 1
