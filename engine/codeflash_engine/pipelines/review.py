"""/ai/optimization_review: rate the final change high, medium or low."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from codeflash_engine.pipelines.answers import tagged
from codeflash_engine.pipelines.common import Engine
from codeflash_engine.plugins.types import Task

LEVELS = ("high", "medium", "low")
_LEVEL_WORD = re.compile(r"\b(high|medium|low)\b", re.IGNORECASE)


@attrs.frozen
class Review:
    review: str
    explanation: str


def read_review(text: str) -> Review:
    """The level from ``<review>``, else the first level word in the answer, else ``medium``."""
    level = None
    tag = tagged(text, "review")
    for source in (tag, text):
        if source and (match := _LEVEL_WORD.search(source)):
            level = match.group(1).lower()
            break
    explanation = tagged(text, "explanation") or ""
    if level is None:
        return Review("medium", explanation or "The reviewer's answer gave no rating; medium assumed.")
    return Review(level, explanation)


async def review(
    engine: Engine, *, trace_id: str, language: str, language_version: str | None, fields: Mapping[str, Any]
) -> Review:
    spec = engine.languages.resolve(language)
    prompt = await engine.prompt(Task.REVIEW, spec, language_version, fields)
    answers = await engine.ask(prompt, n=1, task=Task.REVIEW, trace_id=trace_id, deadline=engine.deadline())
    return read_review(answers[0][1].text)
