"""Getting code and an explanation out of a raw LLM answer.

Accepted, in this order: the files of an edit the engine applied (SEARCH/REPLACE, V4A, unified
diff); markdown fences (the format our prompts ask for) possibly inside a ``<code>`` tag; a bare
``<code>`` tag; an answer that is nothing but Python.

A block left open at the end of the answer is marked ``truncated`` only when the model may have
been cut off (``finish_reason`` unknown): an answer that finished normally but forgot its
closing fence is complete, and an answer cut off by the token limit never gets here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import attrs

from codeflash_engine import Answer
from codeflash_engine.text.edits import detect_format
from codeflash_engine.text.markdown import scan_code_blocks
from codeflash_engine.text.xml import extract_tag
from codeflash_engine_python.syntax import parse

PYTHON_TAGS = ("python", "py", "python3")


@attrs.frozen
class RawBlock:
    """Code for one file as the answer gave it: the path (None if none) and the code."""

    path: str | None
    code: str
    truncated: bool = False


@attrs.frozen
class Extracted:
    """What an answer holds: its code blocks and its explanation."""

    blocks: tuple[RawBlock, ...]
    explanation: str


def _markdown_blocks(text: str, tags: Sequence[str], known_paths: Sequence[str], *, may_be_cut: bool) -> list[RawBlock]:
    extraction = scan_code_blocks(text, language_tags=tags, default_language="python", known_paths=known_paths)
    cut = extraction.truncated and may_be_cut
    blocks = [RawBlock(b.path, b.code) for b in extraction.blocks]
    if cut and blocks:
        blocks[-1] = attrs.evolve(blocks[-1], truncated=True)
    return blocks


def _looks_like_python(text: str, language_version: str | None) -> bool:
    if "def " not in text and "class " not in text:
        return False
    try:
        parse(text, language_version)
    except (SyntaxError, ValueError):
        return False
    return True


def extract(
    answer: Answer,
    *,
    files: Mapping[str, str],
    language_version: str | None,
    fence_tags: Sequence[str] = (),
) -> Extracted:
    """Split an answer into code blocks and an explanation."""
    if answer.edited is not None:
        return Extracted(tuple(RawBlock(f.path or None, f.code) for f in answer.edited), answer.prose)
    text = answer.text
    tags = tuple(fence_tags) or PYTHON_TAGS
    known = [p for p in files if p]
    may_be_cut = answer.finish_reason is None
    code_tag = extract_tag(text, "code")
    blocks = _markdown_blocks(code_tag if code_tag is not None else text, tags, known, may_be_cut=may_be_cut)
    if answer.edit_error is not None:
        # an edit shown for illustration that does not apply: code blocks that are not edits stand
        blocks = [b for b in blocks if detect_format(b.code) is None]
        if not blocks:
            raise ValueError(f"the edit does not apply: {answer.edit_error}")
    if not blocks and code_tag is not None and code_tag.strip():
        closed = re.search(r"</code\s*>", text, re.IGNORECASE) is not None
        blocks = [RawBlock(None, code_tag.strip("\n"), truncated=not closed and may_be_cut)]
    if not blocks and _looks_like_python(text, language_version):
        return Extracted((RawBlock(None, text.strip("\n")),), "")  # all code: no prose explains it
    return Extracted(tuple(blocks), answer.prose)
