"""The strategy each call of an optimize fan-out is given (pipelines/strategies.py, issue 22): the
turns through the strategies, the second pass told to take another route, and how much of the code
the features are read from (what the mutation run found untested)."""

from __future__ import annotations

import endpoint_samples as s

from codeflash_engine.pipelines import strategies
from codeflash_engine.plugins.types import CodeFile
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM, echo

#: loops, a call made twice, a list built: every general strategy fits, no specific one
LOOPY = (
    "```python:pkg/stats.py\n"
    "def pair_sums(xs, target):\n"
    "    out = []\n"
    "    for i in range(len(xs)):\n"
    "        for j in range(len(xs)):\n"
    "            if xs[i] + xs[j] == target:\n"
    "                out.append((i, j))\n"
    "    return out\n"
    "```"
)
SECOND_PASS = "Other answers follow this strategy too"
ALGORITHM = "Strategy for this answer: look first for a better algorithm"


def test_assign_hands_the_strategies_out_in_turn_the_first_call_unconstrained() -> None:
    """Call 1 has no strategy; the others take the strategies in order, round 0 on the first pass,
    round 1 on the second, and so on; n calls get n entries."""
    assert strategies.assign(7, ["a", "b", "c"]) == [None, ("a", 0), ("b", 0), ("c", 0), ("a", 1), ("b", 1), ("c", 1)]
    assert strategies.assign(2, ["a", "b"]) == [None, ("a", 0)]
    assert strategies.assign(1, ["a"]) == [None]
    assert strategies.assign(0, ["a"]) == []
    assert strategies.assign(3, []) == [None, None, None]


async def test_a_strategy_given_twice_asks_the_second_call_for_another_route(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """Seven calls over code that fits the five general strategies: six strategy lines, the
    algorithm one twice, and only its second call told that other answers follow it too."""
    fake_llm.add(echo)
    body = s.optimize(source_code=LOOPY, n_candidates=7)
    status, answer = await call(engine_client, "/ai/optimize", body)
    assert status == 200, answer
    users = [r.user for r in fake_llm.requests]
    assert len(users) == 7
    assert sum("Strategy for this answer" in u for u in users) == 6
    assert sum(ALGORITHM in u for u in users) == 2
    second = [u for u in users if SECOND_PASS in u]
    assert len(second) == 1 and ALGORITHM in second[0]


def test_the_features_are_read_from_the_first_32000_characters() -> None:
    """A numerical library named within the first FEATURE_CHARS characters makes vectorisation
    the first strategy; one character further it is not seen (the read is bounded)."""
    word = "import numpy"
    inside = " " * (strategies.FEATURE_CHARS - len(word)) + word
    outside = " " + inside
    assert strategies.FEATURE_CHARS == 32_000
    assert strategies.applicable([CodeFile("a.py", inside)])[0] == "vectorise"
    assert "vectorise" not in strategies.applicable([CodeFile("a.py", outside)])
    # several files are read as one text, joined by newlines, from the first
    head = CodeFile("a.py", " " * (strategies.FEATURE_CHARS - len(word) - 1))
    assert strategies.applicable([head, CodeFile("b.py", word)])[0] == "vectorise"
    assert "vectorise" not in strategies.applicable([head, CodeFile("b.py", " " + word)])
