"""/ai/optimization_review: which verdict and explanation the client gets from answers that mix
the places a rating can be given (what the mutation run of pipelines/review.py found untested)."""

from __future__ import annotations

import endpoint_samples as s
import pytest

from codeflash_engine.pipelines.review import Review, read_review
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # the tag's explanation is kept; the JSON's is only a fallback
        (
            '<explanation>It keeps the order.</explanation>\n```json\n{"review": "high", "explanation": "other"}\n```',
            Review("high", "It keeps the order."),
        ),
        # a JSON object without a usable "review" is not read; the labelled line is
        ('{"score": 3}\nRating: high', Review("high", "")),
        ('{"review": 3, "explanation": "x"}\nverdict = low', Review("low", "")),
        ('[{"review": "low"}]\nconfidence: medium', Review("medium", "")),
        # a JSON rating whose explanation is not text: the rating, no explanation
        ('{"review": "medium", "explanation": ["a", "b"]}', Review("medium", "")),
        # a JSON "review" that names no level: its explanation is not taken either
        ('{"review": "unsure", "explanation": "no idea"}\nRating: low', Review("low", "")),
        # code quoted in the prose before the JSON rating is not taken for it
        (
            'It swaps cache = {} for a local and reads xs[0] once.\n{"review": "low", "explanation": "Small diff."}',
            Review("low", "Small diff."),
        ),
        # a level word in the explanation is no rating: not understood without one outside it
        ("<explanation>The gain is small and the risk is low.</explanation>", None),
        ("<explanation>The risk is low.</explanation>\nOverall: HIGH.", Review("high", "The risk is low.")),
        # two labelled lines that disagree: not understood
        ("Rating: high\nReview: low", None),
        # several mentions of the one level are that level
        ("High speedup, high confidence, HIGH.", Review("high", "")),
    ],
    ids=[
        "tag-explanation-wins",
        "json-without-review",
        "json-review-not-text",
        "json-list",
        "json-explanation-not-text",
        "json-review-no-level",
        "json-after-code-in-prose",
        "level-only-in-explanation",
        "level-outside-explanation",
        "labels-disagree",
        "one-level-repeated",
    ],
)
def test_read_review_with_mixed_places(answer: str, expected: Review | None) -> None:
    """The rating comes from the tag, then a JSON "review" naming a level, then one labelled
    line, then the one level word; the explanation from the tag, else the JSON of the rating."""
    assert read_review(answer) == expected


async def test_a_json_answer_without_a_review_field_is_read_from_its_labelled_line(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """The client gets the labelled rating of an answer that also carries unrelated JSON, on the
    first call (no error, no second call)."""
    fake_llm.reply('Notes: {"risk": 2}\nVerdict: medium')
    status, body = await call(engine_client, "/ai/optimization_review", s.optimization_review())
    assert status == 200, body
    assert body == {"review": "medium", "review_explanation": ""}
    assert len(fake_llm.requests) == 1
