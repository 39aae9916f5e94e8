"""The prose of an LLM answer: the explanation that goes with the code it proposes."""

from __future__ import annotations

import re

from codeflash_engine.text.paths import path_from_line
from codeflash_engine.text.unified import is_header
from codeflash_engine.text.xml import extract_tag

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_EDIT_START = re.compile(r"^\s*(<{5,9}\s*SEARCH\b|>{5,9}\s*SEARCH\b|\*\*\* Begin Patch)", re.MULTILINE)
_CODE_TAG = re.compile(r"<code\b[^>]*>.*?(?:</code\s*>|\Z)", re.DOTALL | re.IGNORECASE)
_LABEL = re.compile(r"^\s*(?:\*\*|#+\s*)?explanation(?:\*\*)?\s*:?\s*(?:\*\*)?\s*\n?", re.IGNORECASE)


def explanation_of(answer: str) -> str:
    """The ``<explanation>`` of the answer, else its prose outside code fences, code tags and edits.

    A line that only names a file just before a fence or an edit is left out, and so is a
    leading "Explanation:" label.
    """
    tagged = extract_tag(answer, "explanation")
    if tagged is not None and tagged.strip():
        return tagged.strip()
    answer = _CODE_TAG.sub("", answer)
    edit = _EDIT_START.search(answer)
    if edit is not None:
        answer = answer[: edit.start()]
    cut = edit is not None  # the prose stops where an edit starts
    prose: list[str] = []
    inside: str | None = None
    lines = answer.splitlines()
    for number, line in enumerate(lines):
        match = _FENCE.match(line)
        if match is None:
            if inside is None and _unfenced_diff_at(lines, number):
                cut = True
                break
            if inside is None:
                prose.append(line)
            continue
        fence = match.group(1)
        if inside is None:
            inside = fence
            _drop_path_line(prose)
        elif fence[0] == inside[0] and len(fence) >= len(inside) and not line.strip()[len(fence) :].strip():
            inside = None
    if cut:
        _drop_path_line(prose)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(prose)).strip()
    return _LABEL.sub("", text, count=1).strip()


def _unfenced_diff_at(lines: list[str], number: int) -> bool:
    """A unified diff starts at line ``number`` (outside any fence)."""
    return lines[number].startswith("diff --git ") or is_header(lines, number)


def _drop_path_line(prose: list[str]) -> None:
    """Remove the last non-blank line of ``prose`` when it only names a file."""
    while prose and not prose[-1].strip():
        prose.pop()
    if prose and path_from_line(prose[-1]) is not None:
        prose.pop()
