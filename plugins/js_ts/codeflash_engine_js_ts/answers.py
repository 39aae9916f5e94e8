"""The prose of an LLM answer: the explanation that goes with a candidate."""

from __future__ import annotations

import re

from codeflash_engine.text.xml import extract_tag

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def explanation_of(answer: str) -> str:
    """The ``<explanation>`` of the answer, else its prose outside code fences, stripped."""
    tagged = extract_tag(answer, "explanation")
    if tagged:
        return tagged.strip()
    prose: list[str] = []
    inside: str | None = None
    for line in answer.splitlines():
        match = _FENCE.match(line)
        if match is not None:
            fence = match.group(1)
            if inside is None:
                inside = fence
            elif fence[0] == inside[0] and len(fence) >= len(inside) and not line.strip()[len(fence) :].strip():
                inside = None
            continue
        if inside is None:
            prose.append(line)
    return "\n".join(prose).strip()
