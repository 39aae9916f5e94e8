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
    name = re.escape(tag)
    opening = re.compile(rf"<{name}(?=[\s/>])[^>]*>", re.IGNORECASE)
    closing = re.compile(rf"</\s*{name}\s*>", re.IGNORECASE)
    return opening, closing


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
    tag = tag.strip().strip("<>/").strip()
    opening, closing = _patterns(tag)
    out: list[str] = []
    pos = 0
    while True:
        m = opening.search(text, pos)
        if m is None:
            return out
        if m.group(0).endswith("/>"):
            out.append("")
            pos = m.end()
        else:
            close = closing.search(text, m.end())
            if close is not None:
                out.append(_trim(text[m.end() : close.start()]))
                pos = close.end()
            else:
                # Never closed: the content runs to the next opening tag of the same name, or to the
                # end of the answer (minus a closing tag cut off there).
                nxt = opening.search(text, m.end())
                if nxt is None:
                    out.append(_trim(_cut_partial_close(text[m.end() :], tag)))
                    return out
                out.append(_trim(text[m.end() : nxt.start()]))
                pos = nxt.start()
        if first:
            return out


def extract_tag(text: str, tag: str) -> str | None:
    """The content of the first ``<tag>`` element in ``text``, or None when there is none.

    Case-insensitive; attributes on the opening tag are allowed (``<code lang="python">``); a
    self-closing tag gives ``""``. The content ends at the first closing tag after it (so code may
    hold the opening tag itself); a tag never closed runs to the next opening tag of the same name
    or to the end of the text (a closing tag cut off at the very end is dropped). Blank lines at the
    start and whitespace at the end of the content are removed; the first line keeps its indent.
    """
    found = _iter(text, tag, first=True)
    return found[0] if found else None


def extract_tags(text: str, tag: str) -> list[str]:
    """The contents of every ``<tag>`` element in ``text``, in order (see :func:`extract_tag`)."""
    return _iter(text, tag)
