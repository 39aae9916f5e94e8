"""Moments and durations as operators type them (command line, dashboard): ``30d``, ``12h``, ``2w``,
``90m`` or an ISO date/time. A text that is neither raises :class:`OptionError`."""

from __future__ import annotations

import datetime as dt
import re

from codeflash_engine.infra.plan_options import OptionError

_SPAN = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {
    "m": dt.timedelta(minutes=1),
    "h": dt.timedelta(hours=1),
    "d": dt.timedelta(days=1),
    "w": dt.timedelta(weeks=1),
}


def parse_duration(text: str) -> dt.timedelta | None:
    """``30d``, ``12h``, ``2w``, ``90m`` or ``0`` as a timedelta; None when ``text`` is not one."""
    text = text.strip()
    if text == "0":
        return dt.timedelta(0)
    span = _SPAN.match(text)
    return int(span.group(1)) * _UNITS[span.group(2)] if span else None


def parse_when(text: str, now: dt.datetime, *, ahead: bool = False) -> dt.datetime:
    """A duration before ``now`` (after it with ``ahead``), or an ISO date or time (UTC if no zone)."""
    span = parse_duration(text)
    if span is not None:
        return now + span if ahead else now - span
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise OptionError(f"{text!r}: use 30d, 12h, 2w, 90m, or a date such as 2026-11-01") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
