"""XML-style tags in LLM answers: ``<code>...</code>``, ``<explanation>...</explanation>``.

Answers are not XML documents: tags come with prose around them, in any case, with attributes,
and the last one is often left open when the answer is cut off. These functions take the text
between an opening tag and its closing tag, tolerating all of that. No entity decoding is done:
code inside tags is returned exactly as written.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["extract_tag", "extract_tags"]


@lru_cache(maxsize=256)
def _patterns(tag: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    name = re.escape(tag.strip().strip("<>/").strip())
    opening = re.compile(rf"<{name}(?=[\s/>])[^>]*>", re.IGNORECASE)
    # The content ends at the closing tag, or at the next opening tag of the same name (the LLM
    # forgot to close the previous one).
    end = re.compile(rf"</\s*{name}\s*>|<{name}(?=[\s/>])[^>]*>", re.IGNORECASE)
    return opening, end


def _trim(content: str) -> str:
    """Drop blank lines before the content and whitespace after it; keep the first line's indent."""
    content = content.rstrip()
    start = 0
    while True:
        nl = content.find("\n", start)
        if nl < 0 or content[start:nl].strip():
            break
        start = nl + 1
    return content[start:]


def _cut_partial_close(content: str, tag: str) -> str:
    """Remove a closing tag cut off at the very end (``</expl``) from an unterminated content."""
    close = f"</{tag}>".lower()
    lt = content.rfind("<")
    if lt >= 0 and lt >= len(content) - len(close) and close.startswith(content[lt:].lower().rstrip()):
        return content[:lt]
    return content


def _iter(text: str, tag: str, *, first: bool = False) -> list[str]:
    opening, end = _patterns(tag)
    out: list[str] = []
    pos = 0
    while True:
        m = opening.search(text, pos)
        if m is None:
            return out
        if m.group(0).endswith("/>"):
            out.append("")
            if first:
                return out
            pos = m.end()
            continue
        e = end.search(text, m.end())
        if e is None:
            out.append(_trim(_cut_partial_close(text[m.end() :], tag.strip().strip("<>/").strip())))
            return out
        out.append(_trim(text[m.end() : e.start()]))
        if first:
            return out
        pos = e.end() if e.group(0).startswith("</") else e.start()


def extract_tag(text: str, tag: str) -> str | None:
    """The content of the first ``<tag>`` element in ``text``, or None when there is none.

    Case-insensitive; attributes on the opening tag are allowed (``<code lang="python">``); a
    self-closing tag gives ``""``. A tag left open runs to the next opening tag of the same name or
    to the end of the text (a closing tag cut off at the very end is dropped). Blank lines at the
    start and whitespace at the end of the content are removed; the first line keeps its indent.
    """
    found = _iter(text, tag, first=True)
    return found[0] if found else None


def extract_tags(text: str, tag: str) -> list[str]:
    """The contents of every ``<tag>`` element in ``text``, in order (see :func:`extract_tag`)."""
    return _iter(text, tag)
