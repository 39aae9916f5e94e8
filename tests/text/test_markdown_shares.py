"""Markdown code blocks: cases the mutation runs of three other shares of text/markdown.py found
untested (a fence indented under a list item, prose that mentions a fence before the code, a file
header below a blank first line, the note on a skipped untagged block, the flat form's code
before its first file header; inline code at the start of a line, a tilde fence naming its file
in backticks, a fence indented by a tab, a file name right after the block before; tab-indented
code under a tab-indented fence; fence-like lines with backticks in their info string inside a
block, under either fence; a comment naming a known file by its base name, a block closed by the
next one's opening fence, an answer cut off inside its closing fence; a blank line inside an indented fence)."""

from __future__ import annotations

from codeflash_engine.text.markdown import CodeBlock, Extraction, parse_flat, scan_code_blocks, to_flat

PY = {"python", "py", "python3"}


def scan(answer: str) -> Extraction:
    """The code blocks of a Python answer, with the notes on the fences skipped."""
    return scan_code_blocks(answer, language_tags=PY, default_language="python")


def test_a_fence_indented_under_a_list_item_loses_only_the_fences_indentation() -> None:
    """A fence indented by three spaces (under "1.") has its lines dedented by three columns,
    not four: the code's own indentation is kept."""
    answer = (
        "1. Replace the function:\n\n"
        "   ```python\n"
        "   def norm(v):\n"
        "       return sum(x * x for x in v) ** 0.5\n"
        "   ```\n"
    )
    result = scan(answer)
    assert [block.code for block in result.blocks] == ["def norm(v):\n    return sum(x * x for x in v) ** 0.5"]
    assert not result.notes


def test_prose_that_mentions_a_fence_mid_line_does_not_end_the_scan() -> None:
    """A line holding three backticks that opens no fence is passed over: the blocks after it
    are still read."""
    answer = (
        "Here is the file (in a ```python block):\n\n"
        "```python:pkg/geo.py\nx = 1\n```\n\n"
        "```python:pkg/b.py\ny = 2\n```\n"
    )
    result = scan(answer)
    assert [(block.path, block.code) for block in result.blocks] == [("pkg/geo.py", "x = 1"), ("pkg/b.py", "y = 2")]


def test_a_file_header_below_a_blank_first_line_names_the_block() -> None:
    """Blank lines before a ``# file:`` header are passed over: the header still gives the path,
    and it is not kept as code."""
    result = scan("```python\n\n# file: pkg/geo.py\ndef f():\n    return 1\n```\n")
    assert [(block.path, block.code) for block in result.blocks] == [("pkg/geo.py", "def f():\n    return 1")]


def test_only_an_untagged_pathless_block_beside_tagged_code_is_noted_as_skipped() -> None:
    """The command the model suggests running, in a bare fence after the code, is skipped with a
    note that says so; an untagged block that names its file is code and gets no note."""
    result = scan("```python:app.py\nprint(42)\n```\nRun it:\n```\npython app.py\n```\n")
    assert result.blocks == (CodeBlock("python", "app.py", "print(42)"),)
    assert result.notes == ("fence 2 (line 5): skipped, untagged and without a path beside tagged code",)
    named = scan("```python:app.py\nprint(42)\n```\n```\n# file: util.py\nX = 1\n```\n")
    assert [block.path for block in named.blocks] == ["app.py", "util.py"]
    assert named.notes == ()


def test_the_code_before_the_first_file_header_of_a_flat_text_is_read_whole() -> None:
    """A flat text's code before its first header is a block without a path: exactly its text,
    without the newline that joins it to the header."""
    blocks = [CodeBlock("python", None, "import os"), CodeBlock("python", "a.py", "x = 1")]
    flat = to_flat(blocks, "#")
    assert flat == "\nimport os\n# file: a.py\nx = 1"
    assert parse_flat(flat, "#", language="python") == blocks


def test_inline_code_at_the_start_of_a_line_opens_no_fence() -> None:
    """A line that starts with triple-backtick inline code (a backtick in what would be its info
    string) is prose: no fence, no note, and the block after it is read."""
    result = scan("```pytest -q``` passes now; the change:\n\n```python:a.py\nx = 1\n```\n")
    assert result.blocks == (CodeBlock("python", "a.py", "x = 1"),)
    assert result.notes == ()


def test_a_tilde_fence_may_name_its_file_in_backticks() -> None:
    """Backticks in a tilde fence's info string are allowed: the fence opens, and names its file."""
    result = scan("~~~python `a.py`\nx = 1\n~~~\n")
    assert result.blocks == (CodeBlock("python", "a.py", "x = 1"),)
    assert result.notes == ()


def test_a_fence_indented_by_a_tab_loses_four_columns_of_its_lines() -> None:
    """A tab before a fence is four columns: its lines, indented with spaces, lose four spaces,
    and the code's own indentation is kept."""
    result = scan("\t```python\n    def f():\n        return 1\n\t```\n")
    assert [block.code for block in result.blocks] == ["def f():\n    return 1"]
    assert result.notes == ()


def test_a_file_name_on_the_line_after_a_closing_fence_names_the_next_block() -> None:
    """The line right after a block's closing fence is prose for the next fence: the file name
    there names it."""
    result = scan("```python\nx = 1\n```\nb.py\n```python\ny = 2\n```\n")
    assert [(block.path, block.code) for block in result.blocks] == [(None, "x = 1"), ("b.py", "y = 2")]


def test_a_tab_indented_fence_of_tab_indented_code_loses_one_tab_per_line() -> None:
    """A Go answer nested under a list item by a tab, its code indented with tabs as Go is: each
    line loses the one tab of the fence, so the function body keeps its own tab."""
    answer = "1. Replace the function:\n\n\t```go\n\tfunc f() int {\n\t\treturn 1\n\t}\n\t```\n"
    result = scan_code_blocks(answer, language_tags={"go"}, default_language="go")
    assert [block.code for block in result.blocks] == ["func f() int {\n\treturn 1\n}"]
    assert result.notes == ()


def test_a_fence_like_line_with_backticks_inside_a_block_opens_no_new_block_only_under_backticks() -> None:
    """Inside a backtick block, a line of three backticks with an info string holding a backtick
    is no fence (CommonMark's rule), so it is code, and a block holding such a line is skipped
    (the client would cut it there); inside a tilde block, a tilde line with such an info string
    is taken as the next block's opening fence (the first one was not closed)."""
    result = scan("```python\nx = 1\n```js `b`\ny = 2\n```\n")
    assert result.blocks == ()
    assert result.notes == (
        "fence 1 (line 1): skipped, a line of its code starts with ``` (the client would cut the block there)",
    )
    tilde = scan("~~~python\nx = 1\n~~~python `b.py`\ny = 2\n~~~\n")
    assert tilde.blocks == (CodeBlock("python", None, "x = 1"), CodeBlock("python", "b.py", "y = 2"))


def test_a_comment_naming_a_known_file_by_its_base_name_is_removed_from_the_code() -> None:
    """``# geo.py`` on a block's first line names the known ``pkg/geo.py``: the block gets that
    path, and its code is every line after the comment, all of them."""
    answer = "```python\n# geo.py\nimport math\n\n\ndef norm(v):\n    return math.hypot(*v)\n```\n"
    result = scan_code_blocks(answer, language_tags=PY, default_language="python", known_paths=["pkg/geo.py", "a.py"])
    code = "import math\n\n\ndef norm(v):\n    return math.hypot(*v)"
    assert result.blocks == (CodeBlock("python", "pkg/geo.py", code),)


def test_a_block_ended_by_the_next_ones_opening_fence_is_not_taken_as_cut_off() -> None:
    """A block the model forgot to close, followed by another block, is complete: no note says the
    answer was cut off, and the answer is not truncated."""
    result = scan("```python:a.py\nx = 1\n```python:b.py\ny = 2\n```\n")
    assert result.blocks == (CodeBlock("python", "a.py", "x = 1"), CodeBlock("python", "b.py", "y = 2"))
    assert result.notes == ()
    assert not result.truncated


def test_an_answer_cut_off_inside_its_closing_fence_loses_the_partial_fence() -> None:
    """An answer cut off after two of the closing fence's three backticks (and a newline): the
    partial fence is not code."""
    result = scan("```python\ndef f():\n    return 1\n``\n")
    assert result.blocks == (CodeBlock("python", None, "def f():\n    return 1"),)
    assert result.truncated


def test_a_blank_line_inside_an_indented_fence_stays_a_blank_line() -> None:
    """The blank line between two functions in a fence indented under a list item (empty, or
    holding fewer spaces than the fence's indentation) is kept as an empty line."""
    for blank in ("", "  "):
        first = "   def f():\n       return 1\n"
        answer = f"1. Add:\n\n   ```python\n{first}{blank}\n   def g():\n       return 2\n   ```\n"
        result = scan(answer)
        assert [block.code for block in result.blocks] == ["def f():\n    return 1\n\ndef g():\n    return 2"]
