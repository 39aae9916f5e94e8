"""The client's multi-file markdown (contract 2.1): exact reading and writing, and the flat form."""

from __future__ import annotations

import os
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from codeflash_engine.text.markdown import (
    CodeBlock,
    blocks_by_path,
    is_client_safe,
    parse_flat,
    parse_markdown,
    to_flat,
    write_markdown,
)

CONTRACT_EXAMPLE = """```python:pkg/geo.py
from pkg.util import SCALE, norm
class Vec:
    def __init__(self, xs):
        self.xs = list(xs)
```
```python:pkg/util.py
import math
SCALE = 3
```"""


def test_reads_the_contract_example_in_order() -> None:
    blocks = parse_markdown(CONTRACT_EXAMPLE)
    assert [b.path for b in blocks] == ["pkg/geo.py", "pkg/util.py"]
    assert blocks[0].language == "python"
    assert blocks[0].code.startswith("from pkg.util import SCALE, norm\nclass Vec:")
    assert blocks[1].code == "import math\nSCALE = 3"


def test_writing_matches_the_client_byte_for_byte() -> None:
    blocks = [
        CodeBlock("python", "pkg/geo.py", "\n\nx = 1\n\n"),
        CodeBlock("python", None, "y = 2"),
        CodeBlock("javascript", "", "z()"),
    ]
    assert write_markdown(blocks) == "```python:pkg/geo.py\nx = 1\n```\n```python\ny = 2\n```\n```javascript\nz()\n```"


def test_a_tag_is_required_and_must_be_followed_by_colon_or_newline() -> None:
    assert parse_markdown("```\nx = 1\n```") == []
    assert parse_markdown("```python \nx = 1\n```") == []
    assert parse_markdown("```python foo.py\nx = 1\n```") == []
    assert parse_markdown("```py\nx = 1\n```") == [CodeBlock("py", None, "x = 1")]


def test_the_closing_fence_must_start_a_line() -> None:
    # "x = 1 ```" does not close: the block runs on to the next newline followed by a fence.
    text = "```python:a.py\nx = 1 ```\ny = 2\n```"
    assert parse_markdown(text) == [CodeBlock("python", "a.py", "x = 1 ```\ny = 2")]
    assert parse_markdown("```python:a.py\nx = 1```") == []


def test_a_fence_at_a_line_start_inside_code_ends_the_block_early() -> None:
    text = '```python:a.py\ns = """\n```\n"""\n```'
    assert parse_markdown(text)[0].code == 's = """'


def test_prose_is_ignored_and_path_is_stripped() -> None:
    text = "Here you go:\n\n```python:  pkg/a.py  \nx = 1\n```\nThat is all."
    assert parse_markdown(text) == [CodeBlock("python", "pkg/a.py", "x = 1")]


def test_crlf_is_tolerated_and_code_keeps_its_cr() -> None:
    text = "```python:a.py\r\nx = 1\r\ny = 2\r\n```"
    assert parse_markdown(text) == [CodeBlock("python", "a.py", "x = 1\r\ny = 2\r")]


def test_a_crlf_after_a_bare_tag_is_not_a_block_for_the_client() -> None:
    assert parse_markdown("```python\r\nx = 1\n```") == []


def test_duplicates_are_all_returned_and_the_last_wins_in_the_mapping() -> None:
    text = "```python:a.py\nx = 1\n```\n```python:a.py\nx = 2\n```"
    blocks = parse_markdown(text)
    assert len(blocks) == 2
    assert blocks_by_path(blocks) == {"a.py": "x = 2"}


def test_empty_code_round_trips() -> None:
    blocks = [CodeBlock("python", "a.py", ""), CodeBlock("python", "b.py", "x")]
    assert parse_markdown(write_markdown(blocks)) == blocks


def test_flat_form_matches_the_client() -> None:
    blocks = [
        CodeBlock("python", "pkg/sorter.py", "def sort_list(xs):\n    return sorted(xs)"),
        CodeBlock("python", "u.py", "X = 1"),
    ]
    assert (
        to_flat(blocks, "#") == "# file: pkg/sorter.py\ndef sort_list(xs):\n    return sorted(xs)\n# file: u.py\nX = 1"
    )
    assert to_flat([CodeBlock("javascript", "a.js", "f()")], "//") == "// file: a.js\nf()"
    assert to_flat([CodeBlock("python", None, "x")], "#") == "\nx"


def test_parse_flat_inverts_to_flat() -> None:
    blocks = [
        CodeBlock("python", "a.py", "x = 1\n"),
        CodeBlock("python", "b/c.py", ""),
        CodeBlock("python", "d.py", "y"),
    ]
    assert parse_flat(to_flat(blocks, "#"), "#", language="python") == blocks
    assert parse_flat("\nx = 1", "#") == [CodeBlock("", None, "x = 1")]
    assert parse_flat("// file: a.js\nf()\n", "//", language="js") == [CodeBlock("js", "a.js", "f()\n")]


def test_is_client_safe() -> None:
    assert is_client_safe(CodeBlock("python", "a.py", "x"))
    assert not is_client_safe(CodeBlock("py thon", "a.py", "x"))
    assert not is_client_safe(CodeBlock("python", " a.py", "x"))
    assert not is_client_safe(CodeBlock("python", "", "x"))
    assert not is_client_safe(CodeBlock("python", "a.py", "x\n```\ny"))
    assert not is_client_safe(CodeBlock("python", "a.py", " x"))


# ------------------------------------------------------------------------------------------
# Property: write then parse is the identity for any set of files.
# ------------------------------------------------------------------------------------------

_tags = st.text(
    st.characters(categories=("Lu", "Ll", "Lo", "Nd"), include_characters="_"), min_size=1, max_size=12
).filter(lambda t: re.fullmatch(r"\w+", t) is not None)
_paths = st.text(st.characters(blacklist_characters="\n"), min_size=1, max_size=40).map(str.strip).filter(bool)
_code = st.text(max_size=300).map(str.strip).filter(lambda c: "\n```" not in c)


@st.composite
def _file_sets(draw: st.DrawFn) -> list[CodeBlock]:
    paths = draw(st.lists(_paths, unique=True, max_size=6))
    blocks = [CodeBlock(draw(_tags), p, draw(_code)) for p in paths]
    if draw(st.booleans()):
        blocks.insert(draw(st.integers(0, len(blocks))), CodeBlock(draw(_tags), None, draw(_code)))
    return blocks


@settings(max_examples=int(os.environ.get("TEXT_EXAMPLES", "100")), deadline=None)
@given(_file_sets())
def test_write_then_parse_is_the_identity(blocks: list[CodeBlock]) -> None:
    assert all(is_client_safe(b) for b in blocks)
    assert parse_markdown(write_markdown(blocks)) == blocks


@settings(max_examples=int(os.environ.get("TEXT_EXAMPLES", "100")), deadline=None)
@given(st.lists(st.tuples(_paths, st.text(max_size=200)), unique_by=lambda t: t[0], max_size=5))
def test_flat_round_trip_for_files_with_paths(items: list[tuple[str, str]]) -> None:
    blocks = [CodeBlock("python", p, c) for p, c in items if not re.search(r"(?m)^[ \t]*#[ \t]*file:", c)]
    assert parse_flat(to_flat(blocks, "#"), "#", language="python") == blocks
