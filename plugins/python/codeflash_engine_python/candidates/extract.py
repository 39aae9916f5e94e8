"""Getting code and an explanation out of a raw LLM answer.

Accepted, in this order: an edit (SEARCH/REPLACE blocks or a V4A patch) applied to the original
files through the text layer; markdown fences (the format our prompts ask for) possibly inside
a ``<code>`` tag; a bare ``<code>`` tag; an answer that is nothing but Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import attrs

from codeflash_engine.text.edits import apply_edit, detect_format
from codeflash_engine.text.markdown import scan_code_blocks
from codeflash_engine.text.prose import explanation_of
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


def _markdown_blocks(text: str, tags: Sequence[str], known_paths: Sequence[str]) -> list[RawBlock]:
    extraction = scan_code_blocks(text, language_tags=tags, default_language="python", known_paths=known_paths)
    cut = extraction.truncated
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
    answer: str,
    *,
    files: Mapping[str, str],
    target_path: str | None,
    language_version: str | None,
    fence_tags: Sequence[str] = (),
) -> Extracted:
    """Split an answer into code blocks and an explanation."""
    tags = tuple(fence_tags) or PYTHON_TAGS
    known = [p for p in files if p]
    explanation = explanation_of(answer)
    failed: ValueError | None = None
    try:
        edited = apply_answer_edit(answer, files, target_path)
    except ValueError as exc:
        edited, failed = None, exc
    if edited is not None:
        return Extracted(tuple(edited), explanation)
    code_tag = extract_tag(answer, "code")
    blocks = _markdown_blocks(code_tag if code_tag is not None else answer, tags, known)
    if failed is not None:
        # an edit shown for illustration that does not apply: code blocks that are not edits stand
        blocks = [b for b in blocks if detect_format(b.code) is None]
        if not blocks:
            raise failed
    if not blocks and code_tag is not None and code_tag.strip():
        closed = re.search(r"</code\s*>", answer, re.IGNORECASE) is not None
        blocks = [RawBlock(None, code_tag.strip("\n"), truncated=not closed)]
    if not blocks and _looks_like_python(answer, language_version):
        blocks = [RawBlock(None, answer.strip("\n"))]
    return Extracted(tuple(blocks), explanation)


def apply_answer_edit(answer: str, files: Mapping[str, str], target_path: str | None) -> list[RawBlock] | None:
    """Whole edited files when the answer is an edit (SEARCH/REPLACE or V4A), else None.

    Raises ValueError with the text layer's messages when the edit does not apply.
    """
    if detect_format(answer) is None:
        return None
    result = apply_edit(files, answer, default_path=target_path)
    if result.errors:
        raise ValueError(f"the edit does not apply: {result.errors[0]}")
    return [RawBlock(path or None, code) for path, code in result.files.items()]
