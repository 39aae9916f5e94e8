"""/ai/optimization_review: rate the final change high, medium or low, or give no review.

The rating is read from the model's answer: a ``<review>`` tag, a JSON ``"review"`` field, or a
``review:`` / ``rating:`` line, else the one level word the answer uses outside its explanation
(an answer naming several levels outside those places, or none, is not understood). An answer
not understood is asked again once within the deadline; when that one is not understood either,
the answer is ``"review": ""`` (the contract's "no review"), never a level the model did not give.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import attrs

from codeflash_engine.pipelines.answers import ask_and_read, json_value, tagged
from codeflash_engine.pipelines.common import Engine
from codeflash_engine.plugins.types import Task

log = logging.getLogger(__name__)

LEVELS = ("high", "medium", "low")
#: a level word, on lowercased text; the word before it is checked apart (a pattern opening on the
#: words lets the regex engine skip to their first letters: an answer of 700 kB reads in ~10 ms)
_LEVEL_WORD = re.compile(r"(high|medium|low)\b")
_LABELLED = re.compile(
    r"^[\s>*_#-]*(?:review|rating|confidence|verdict)[\s*_]*[:=-][\s*_\"'`]*(high|medium|low)\b",
    re.IGNORECASE | re.MULTILINE,
)


@attrs.frozen
class Review:
    review: str
    explanation: str


NO_REVIEW = Review("", "")


def _one_level(text: str) -> str | None:
    """The level ``text`` names, when it names exactly one (however often)."""
    lowered = text.lower()
    found = {
        m.group(1)
        for m in _LEVEL_WORD.finditer(lowered)
        if not m.start() or not (lowered[m.start() - 1].isalnum() or lowered[m.start() - 1] == "_")
    }
    return found.pop() if len(found) == 1 else None


def _review_object(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("review"), str)


def read_review(text: str) -> Review | None:
    """The review in the model's answer, or None when the answer gives no readable rating."""
    explanation = tagged(text, "explanation") or ""
    tag = tagged(text, "review")
    level: str | None = None
    if tag is not None:
        level = _one_level(tag)
    if level is None:
        value = json_value(text, _review_object)
        if value is not None:
            level = _one_level(value["review"])
            if level is not None and not explanation and isinstance(value.get("explanation"), str):
                explanation = value["explanation"].strip()
    if level is None:
        labelled = {m.group(1).lower() for m in _LABELLED.finditer(text)}
        level = labelled.pop() if len(labelled) == 1 else None
    if level is None and tag is None:  # the level words outside the explanation (its "the risk is low" is no rating)
        level = _one_level(text.replace(explanation, " ") if explanation else text)
    if level is None:
        return None
    return Review(level, explanation)


async def review(
    engine: Engine, *, trace_id: str, language: str, language_version: str | None, fields: Mapping[str, Any]
) -> Review:
    spec = engine.languages.resolve(language)
    prompt = await engine.prompt(Task.REVIEW, spec, language_version, fields)
    result = await ask_and_read(
        engine, prompt, task=Task.REVIEW, trace_id=trace_id, deadline=engine.deadline(), read=read_review
    )
    if result is None:
        log.warning("optimization review: no rating could be read from the model's answers; answering no review")
        return NO_REVIEW
    return result
