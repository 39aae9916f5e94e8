"""The text layer: pure functions over LLM answers (markdown code blocks, XML tags, edit formats).

The bottom layer of the engine: it imports nothing else from ``codeflash_engine``.

- :mod:`~codeflash_engine.text.markdown`: the client's multi-file markdown, the flat form, and a
  lenient code-block extractor for LLM answers.
- :mod:`~codeflash_engine.text.xml`: ``<tag>`` contents, tolerant of unclosed tags.
- :mod:`~codeflash_engine.text.edits`: SEARCH/REPLACE and V4A edits, detected and applied all or
  nothing (:mod:`~codeflash_engine.text.search_replace`, :mod:`~codeflash_engine.text.v4a`), on
  the fuzzy line matcher of :mod:`~codeflash_engine.text.matching`.
"""

from codeflash_engine.text.edits import EditResult, apply_edit, detect_format
from codeflash_engine.text.markdown import CodeBlock, extract_code_blocks, parse_markdown, write_markdown
from codeflash_engine.text.xml import extract_tag, extract_tags

__all__ = [
    "CodeBlock",
    "EditResult",
    "apply_edit",
    "detect_format",
    "extract_code_blocks",
    "extract_tag",
    "extract_tags",
    "parse_markdown",
    "write_markdown",
]
