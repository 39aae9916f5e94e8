"""/ai/rank: order candidates best first: a permutation of valid indices, or ``[]`` (no ranking)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from codeflash_engine.errors import EngineError
from codeflash_engine.pipelines.answers import ask_and_read, json_values
from codeflash_engine.pipelines.common import Engine
from codeflash_engine.plugins.registry import ANY_LANGUAGE
from codeflash_engine.plugins.types import Task

log = logging.getLogger(__name__)


def by_speedup(speedups: Sequence[float | None]) -> list[int]:
    """Indices ordered by speedup, largest first (missing speedups last; ties keep input order)."""
    return sorted(range(len(speedups)), key=lambda i: -(speedups[i] or 0.0))


def valid_ranking(value: Any, size: int) -> list[int] | None:
    """The model's ranking completed into a permutation of ``range(size)``, or None if unusable.

    Accepts a list of ints (or of numeric strings) or ``{"ranking": [...]}``; drops duplicates and
    out-of-range entries, accepts 1-based answers when they are clearly 1-based, and appends
    missing indices in their original order. None when no valid index remains.
    """
    if isinstance(value, dict):
        value = value.get("ranking")
    if not isinstance(value, list):
        return None
    picked: list[int] = []
    raw: list[int] = []
    for item in value:
        try:
            raw.append(int(item))
        except (TypeError, ValueError, OverflowError):  # OverflowError: Infinity, 1e999
            continue
    if raw and min(raw) >= 1 and max(raw) == size and 0 not in raw:
        raw = [i - 1 for i in raw]
    for index in raw:
        if 0 <= index < size and index not in picked:
            picked.append(index)
    if not picked:
        return None
    return picked + [i for i in range(size) if i not in picked]


def read_ranking(text: str, size: int) -> list[int] | None:
    """The ranking in the model's answer, completed by :func:`valid_ranking`: its
    ``{"ranking": [...]}`` object, else a list naming each of the ``size`` candidates once, else
    the first usable list; None when there is none. A list in the prose before the answer (an
    index such as ``values[0]``) is not taken for the ranking."""
    values = list(json_values(text))  # read once, then chosen from in order of preference
    for wanted in (_ranking_object, lambda value: _whole_ranking(value, size), lambda value: isinstance(value, list)):
        ranking = valid_ranking(next((value for value in values if wanted(value)), None), size)
        if ranking is not None:
            return ranking
    return None


def _ranking_object(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("ranking"), list)


def _whole_ranking(value: Any, size: int) -> bool:
    """``value`` is a list of ``size`` distinct numbers naming candidates (from 0 or from 1)."""
    if not isinstance(value, list) or len(value) != size:
        return False
    try:
        numbers = {int(item) for item in value}
    except (TypeError, ValueError, OverflowError):  # OverflowError: Infinity, 1e999
        return False
    return numbers in (set(range(size)), set(range(1, size + 1)))


async def rank(
    engine: Engine, *, trace_id: str, size: int, speedups: Sequence[float | None], fields: Mapping[str, Any]
) -> list[int]:
    """The model's ranking when it gives a usable one (asked again once when it does not);
    else ``[]``, which tells the client to rank by its own measure (diff size and runtime)
    rather than by an order the model did not give. One candidate needs no model."""
    if size <= 1:
        return by_speedup(speedups)
    spec = await engine.languages.detect_off_loop(*fields.get("diffs", ()), default=ANY_LANGUAGE)
    prompt = await engine.prompt(Task.RANK, spec, None, fields)
    try:
        ranking = await ask_and_read(
            engine,
            prompt,
            task=Task.RANK,
            trace_id=trace_id,
            deadline=engine.deadline(),
            read=lambda text: read_ranking(text, size),
        )
    except EngineError as exc:
        log.warning("no ranking (the client ranks itself): %s", exc.message)
        return []
    if ranking is None:
        log.warning("no usable ranking in the model's answers; the client ranks itself")
        return []
    return ranking
