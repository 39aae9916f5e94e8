"""Reading structured fields out of free-form model answers (JSON objects, tags, fenced blocks)."""

from __future__ import annotations

import json
import re
from typing import Any

from codeflash_engine.text.xml import extract_tag

_JSON_FENCE = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)(?:\n```|\Z)", re.DOTALL)


def json_value(text: str) -> Any | None:
    """The first JSON object or array in ``text`` (fenced or bare), or None."""
    for match in _JSON_FENCE.finditer(text):
        try:
            return json.loads(match.group(1))
        except ValueError:
            continue
    decoder = json.JSONDecoder()
    for start, ch in enumerate(text):
        if ch in "{[":
            try:
                value, _ = decoder.raw_decode(text, start)
            except ValueError:
                continue
            return value
    return None


def tagged(text: str, tag: str) -> str | None:
    """The content of ``<tag>...</tag>`` stripped, or None when absent or empty."""
    value = extract_tag(text, tag)
    if value is None:
        return None
    value = value.strip()
    return value or None


def fenced(text: str, languages: tuple[str, ...]) -> str | None:
    """The body of the first fenced block tagged with one of ``languages``."""
    pattern = re.compile(r"```(?:" + "|".join(map(re.escape, languages)) + r")[ \t]*\n(.*?)(?:\n```|\Z)", re.DOTALL)
    match = pattern.search(text)
    return match.group(1).strip() if match else None
