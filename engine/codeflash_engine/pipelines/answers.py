"""Reading structured fields out of free-form model answers (JSON objects, tags, fenced blocks),
and asking again once when an answer cannot be read."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
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
#: consecutive opening brackets, ending on one (blank space between them allowed)
_BRACKET_RUN = re.compile(r"[{\[](?:\s*[{\[])*")

#: bare JSON values tried at most in one answer, so that an answer of brackets everywhere is read
#: in bounded time (it runs on the event loop); far more than an answer holds before its JSON
MAX_BARE_ATTEMPTS = 2000


def json_values(text: str) -> Iterator[Any]:
    """Every JSON object or array in ``text``: those of fenced blocks first, then those written
    bare, in order; a value inside a bare one is not read on its own.

    Bounded for hostile answers: a run of brackets nested past the parser's depth is passed over
    at once, and at most :data:`MAX_BARE_ATTEMPTS` bare values are tried."""
    for match in _JSON_FENCE.finditer(text):
        try:
            yield json.loads(match.group(1))
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            continue
    decoder = json.JSONDecoder()
    end = 0
    attempts = 0
    for opening in _JSON_OPENING.finditer(text):
        if opening.start() < end:
            continue  # inside the value just read, or in a run of brackets too deep to read
        attempts += 1
        if attempts > MAX_BARE_ATTEMPTS:
            return
        try:
            value, end = decoder.raw_decode(text, opening.start())
        except ValueError:
            continue
        except RecursionError:  # every bracket of this run opens a value as deep: try its last one only
            run = _BRACKET_RUN.match(text, opening.start())
            end = opening.start() if run is None else run.end() - 1
            continue
        yield value


def json_value(text: str, wanted: Callable[[Any], bool] | None = None) -> Any | None:
    """The first of :func:`json_values` that is ``wanted`` (any, by default), or None.

    Readers name the shape they expect, so that a bracket in the model's prose (``values[0]``,
    ``cache = {}``) is passed over for the answer written after it."""
    return next((value for value in json_values(text) if wanted is None or wanted(value)), None)


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
