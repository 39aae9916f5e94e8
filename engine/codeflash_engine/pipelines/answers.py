"""Reading structured fields out of free-form model answers (JSON objects, tags, fenced blocks),
and asking again once when an answer cannot be read."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from codeflash_engine.errors import EngineError
from codeflash_engine.infra.llm.deadline import Deadline
from codeflash_engine.pipelines.common import Engine
from codeflash_engine.plugins.types import Prompt, Task
from codeflash_engine.text.xml import extract_tag

log = logging.getLogger(__name__)

T = TypeVar("T")

READ_ATTEMPTS = 2
"""Calls made for an answer that must be understood: the first, and one retry within the deadline."""

_JSON_FENCE = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)(?:\n```|\Z)", re.DOTALL)
_JSON_OPENING = re.compile(r"[{\[]")


def json_value(text: str, wanted: Callable[[Any], bool] | None = None) -> Any | None:
    """The first JSON object or array in ``text`` that is ``wanted`` (any, by default): those of
    fenced blocks first, then those written bare, in order; None when there is none.

    A value inside a bare one is not looked at on its own. Readers name the shape they expect, so
    that a bracket in the model's prose (``values[0]``, ``cache = {}``) is passed over for the
    answer written after it."""
    for match in _JSON_FENCE.finditer(text):
        try:
            value = json.loads(match.group(1))
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            continue
        if wanted is None or wanted(value):
            return value
    decoder = json.JSONDecoder()
    end = 0
    for opening in _JSON_OPENING.finditer(text):
        if opening.start() < end:
            continue  # inside the value just read
        try:
            value, end = decoder.raw_decode(text, opening.start())
        except (ValueError, RecursionError):
            continue
        if wanted is None or wanted(value):
            return value
    return None


def tagged(text: str, tag: str) -> str | None:
    """The content of ``<tag>...</tag>`` stripped, or None when absent or empty."""
    value = extract_tag(text, tag)
    if value is None:
        return None
    value = value.strip()
    return value or None


async def ask_and_read(
    engine: Engine,
    prompt: Prompt,
    *,
    task: Task,
    trace_id: str | None,
    deadline: Deadline,
    read: Callable[[str], T | None],
) -> T | None:
    """The value ``read`` understands in the model's answer; None when it understood neither the
    answer nor, if the deadline still allowed one, a second answer to the same prompt.

    The first call's failure (every model failed) raises as :meth:`Engine.ask` does; a failing
    retry counts as an answer not understood. Callers answer None truthfully (no review, no
    ranking, an error), never with a value of their own making.
    """
    for attempt in range(READ_ATTEMPTS):
        if attempt:
            if deadline.expired:
                log.warning("%s: the model's answer could not be read; no time left to ask again", task.value)
                break
            log.info("%s: the model's answer could not be read; asking once more", task.value)
        try:
            answers = await engine.ask(prompt, n=1, task=task, trace_id=trace_id, deadline=deadline)
        except EngineError:
            if not attempt:
                raise
            log.warning("%s: the retry failed too", task.value)
            break
        value = read(answers[0][1].text)
        if value is not None:
            return value
    return None
