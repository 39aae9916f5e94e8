"""The lenient extractor: what LLMs actually write, and never a block the client would lose."""

from __future__ import annotations

import os
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from codeflash_engine.text.markdown import (
    CodeBlock,
    extract_code_blocks,
    is_client_safe,
    parse_markdown,
    scan_code_blocks,
    write_markdown,
)

PY = {"python", "py", "python3"}


def ex(text: str, known: tuple[str, ...] = ()) -> list[CodeBlock]:
    return extract_code_blocks(text, language_tags=PY, default_language="python", known_paths=known)


def test_prose_around_fences_and_paths_in_the_info_string() -> None:
    text = (
        "Sure! Here is a faster version.\n\n```python:pkg/geo.py\nimport math\n```\n\n"
        "And the helper:\n```python pkg/util.py\nSCALE = 3\n```\nThis avoids a loop."
    )
    assert ex(text) == [
        CodeBlock("python", "pkg/geo.py", "import math"),
        CodeBlock("python", "pkg/util.py", "SCALE = 3"),
    ]


def test_aliases_are_kept_and_renamed_other_languages_dropped() -> None:
    text = "```py:a.py\nx = 1\n```\n```Python3:b.py\ny = 2\n```\n```bash\npip install numpy\n```\n```json\n{}\n```"
    result = scan_code_blocks(text, language_tags=PY, default_language="python")
    assert [b.path for b in result.blocks] == ["a.py", "b.py"]
    assert all(b.language == "python" for b in result.blocks)
    assert any("'bash'" in n for n in result.notes)


def test_untagged_block_is_kept_when_it_is_the_only_code() -> None:
    assert ex("Answer:\n```\nx = 1\n```") == [CodeBlock("python", None, "x = 1")]


def test_untagged_block_without_path_beside_tagged_code_is_program_output() -> None:
    text = "```python:a.py\nprint(42)\n```\nOutput:\n```\n42\n```"
    assert ex(text) == [CodeBlock("python", "a.py", "print(42)")]


def test_a_single_pathless_block_gets_the_only_known_path() -> None:
    assert ex("```python\nx = 1\n```", known=("pkg/geo.py",)) == [CodeBlock("python", "pkg/geo.py", "x = 1")]
    # Two known files: no guessing.
    assert ex("```python\nx = 1\n```", known=("a.py", "b.py")) == [CodeBlock("python", None, "x = 1")]


def test_path_in_a_first_line_comment_is_taken_and_removed() -> None:
    assert ex("```python\n# file: pkg/geo.py\nx = 1\n```") == [CodeBlock("python", "pkg/geo.py", "x = 1")]
    assert ex("```python\n# pkg/geo.py\nx = 1\n```") == [CodeBlock("python", "pkg/geo.py", "x = 1")]
    js = extract_code_blocks(
        "```js\n// src/a.js\nf()\n```", language_tags={"js", "javascript"}, default_language="javascript"
    )
    assert js == [CodeBlock("javascript", "src/a.js", "f()")]
    # An ordinary comment stays code.
    assert ex("```python\n# compute the norm\nx = 1\n```")[0].code == "# compute the norm\nx = 1"


def test_path_on_the_line_before_the_fence() -> None:
    for line in (
        "pkg/geo.py:",
        "**pkg/geo.py**",
        "`pkg/geo.py`",
        "### pkg/geo.py",
        "File: `pkg/geo.py`",
        "- pkg/geo.py",
    ):
        assert ex(f"Intro.\n\n{line}\n```python\nx = 1\n```")[0].path == "pkg/geo.py", line
    assert ex("**Optimized code:**\n```python\nx = 1\n```")[0].path is None
    assert ex("`Vec.length`:\n```python\nx = 1\n```")[0].path is None
    # A sentence naming a known file in backticks.
    text = "Changes to `geo.py`:\n```python\nx = 1\n```"
    assert ex(text, known=("pkg/geo.py", "pkg/util.py"))[0].path == "pkg/geo.py"


def test_paths_are_normalised_and_matched_to_known_files() -> None:
    known = ("pkg/geo.py", "pkg/util.py")
    assert ex("```python:./pkg/geo.py\nx\n```", known)[0].path == "pkg/geo.py"
    assert ex("```python:pkg\\util.py\nx\n```", known)[0].path == "pkg/util.py"
    assert ex("```python:/home/me/proj/pkg/geo.py\nx\n```", known)[0].path == "pkg/geo.py"
    assert ex("```python:geo.py\nx\n```", known)[0].path == "pkg/geo.py"
    assert ex("```python:new/mod.py\nx\n```", known)[0].path == "new/mod.py"
    assert ex("```python:pkg/geo.py (optimized)\nx\n```", known)[0].path == "pkg/geo.py"
    assert ex("```python:my file.py\nx\n```", known)[0].path == "my file.py"


def test_longer_and_indented_fences() -> None:
    text = "````python:a.py\ns = '''\n```\n'''\n````"
    # The inner fence at the start of a line would cut the block in the client: dropped.
    result = scan_code_blocks(text, language_tags=PY, default_language="python")
    assert result.blocks == ()
    assert "starts with ```" in result.notes[0]
    text = "1. First change:\n   ```python:a.py\n   def f():\n       return 1\n   ```\n2. Done."
    assert ex(text) == [CodeBlock("python", "a.py", "def f():\n    return 1")]
    text = "````python:a.py\ndef f():\n    '''Example:\n\n    ```\n    f()\n    ```\n    '''\n````"
    assert ex(text)[0].code.endswith("    ```\n    '''")


def test_indented_fence_inside_code_does_not_close_the_block() -> None:
    text = '```python:a.py\ndef f():\n    """\n    ```python\n    f()\n    ```\n    """\n```'
    (block,) = ex(text)
    assert block.code.count("```") == 2
    assert parse_markdown(write_markdown([block])) == [block]


def test_truncated_answer_keeps_the_code_so_far() -> None:
    result = scan_code_blocks("```python:a.py\ndef f():\n    return 1\n``", language_tags=PY, default_language="python")
    assert result.blocks == (CodeBlock("python", "a.py", "def f():\n    return 1"),)
    assert "cut off" in result.notes[0]


def test_a_new_opening_fence_closes_an_unclosed_block() -> None:
    text = "```python:a.py\nx = 1\n```python:b.py\ny = 2\n```"
    assert ex(text) == [CodeBlock("python", "a.py", "x = 1"), CodeBlock("python", "b.py", "y = 2")]


def test_crlf_answers() -> None:
    text = "Here:\r\n```python:a.py\r\nx = 1\r\ny = 2\r\n```\r\n"
    assert ex(text) == [CodeBlock("python", "a.py", "x = 1\ny = 2")]


def test_markdown_wrapper_is_read_through() -> None:
    text = "```markdown\nHere:\n```python:a.py\nx = 1\n```\n```\n\nThanks"
    assert ex(text) == [CodeBlock("python", "a.py", "x = 1")]


def test_tilde_fences_and_pandoc_attributes() -> None:
    assert ex("~~~python\nx = 1\n~~~") == [CodeBlock("python", None, "x = 1")]
    assert ex('```{.python title="a.py"}\nx = 1\n```') == [CodeBlock("python", "a.py", "x = 1")]
    assert ex('```python title="a.py"\nx = 1\n```') == [CodeBlock("python", "a.py", "x = 1")]


def test_empty_blocks_are_dropped() -> None:
    assert ex("```python:a.py\n\n\n```") == []


def test_leading_blank_lines_removed_first_line_indent_kept() -> None:
    assert ex("```python:a.py\n\n    return 1\n\n```")[0].code == "    return 1"


_line = st.text(st.characters(blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), max_size=30)
_segment = st.sampled_from(["a", "b", "pkg", "util", "x_1"])


@st.composite
def _blocks(draw: st.DrawFn) -> list[CodeBlock]:
    n = draw(st.integers(1, 4))
    paths = draw(
        st.lists(st.lists(_segment, min_size=1, max_size=3).map("/".join), min_size=n, max_size=n, unique=True)
    )
    out = []
    for p in paths:
        lines = draw(st.lists(_line, min_size=1, max_size=8))
        code = "\n".join(x for x in lines if not x.lstrip().startswith(("```", "~~~"))).strip()
        if code:
            out.append(CodeBlock("python", p + ".py", code))
    return out


@settings(max_examples=int(os.environ.get("TEXT_EXAMPLES", "100")), deadline=None)
@given(_blocks(), st.sampled_from(["", "Here is the code:\n\n", "Sure.\r\n"]))
def test_extraction_reads_back_what_the_client_writes(blocks: list[CodeBlock], prose: str) -> None:
    text = prose + write_markdown(blocks) + "\n\nDone."
    got = ex(text, known=tuple(b.path or "" for b in blocks))
    assert got == blocks


@settings(max_examples=int(os.environ.get("TEXT_EXAMPLES", "100")), deadline=None)
@given(st.text(max_size=400))
def test_every_extracted_block_survives_the_client(text: str) -> None:
    for block in ex(text):
        safe = CodeBlock(block.language, block.path, block.code.strip())
        if safe.code and (block.path is None or block.path == block.path.strip()):
            assert "\n```" not in block.code
            assert parse_markdown(write_markdown([safe])) == [safe]
            assert is_client_safe(safe) or not re.fullmatch(r"\w+", safe.language)
