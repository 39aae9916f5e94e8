"""Positions and edits on Python source: every byte the plugin does not mean to touch is kept
(written against the survivors of ``scripts/mutation.py python.source``)."""

from __future__ import annotations

import ast

import pytest

from codeflash_engine_python.source import (
    Edit,
    SourceText,
    apply_edits,
    first_line,
    import_insertion_line,
    lines_after_imports,
    split_lines,
)
from codeflash_engine_python.testgen.cleanup import remove_unused_definitions


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a\nb\r\nc\rd", ["a\n", "b\r\n", "c\r", "d"]),
        ("a\x0cb\nc\n", ["a\x0cb\n", "c\n"]),
        ("x = '\u2028'\ny\x85 = 1\n\x1c\n", ["x = '\u2028'\n", "y\x85 = 1\n", "\x1c\n"]),
        ("", []),
        ("\n\n", ["\n", "\n"]),
    ],
)
def test_lines_are_numbered_as_python_numbers_them(text: str, lines: list[str]) -> None:
    """Only ``\\n``, ``\\r\\n`` and ``\\r`` end a line: a form feed or a Unicode line separator
    inside a line does not shift the numbers of the lines after it."""
    assert split_lines(text) == lines


def test_offsets_of_ast_positions_count_characters_not_bytes() -> None:
    """A node after non-ASCII text on its line is found at its character offset, on every line
    including the last one without a newline; positions past the end are the end."""
    text = "s = 'é'\nt = 'ü€'; u = 1\n# ∑\nv = 2"
    source = SourceText(text)
    tree = ast.parse(text)
    u = tree.body[2]
    assert isinstance(u, ast.Assign)
    start, end = source.node_span(u.targets[0])
    assert text[start:end] == "u"
    start, end = source.node_span(u)
    assert text[start:end] == "u = 1"
    start, end = source.node_span(tree.body[3])
    assert text[start:end] == "v = 2"
    assert source.offset(1, 0) == 0
    assert source.offset(4, 4) == len(text) - 1
    assert source.offset(5, 0) == len(text)
    assert source.offset(9, 3) == len(text)


def test_the_span_of_a_multi_line_node_ends_on_its_last_line() -> None:
    """A call written over three lines spans all three, to its closing bracket."""
    text = "x = f(\n    1,\n    2,\n) + 1\ny = 2\n"
    source = SourceText(text)
    statement = ast.parse(text).body[0]
    assert isinstance(statement, ast.Assign)
    start, end = source.node_span(statement.value)
    assert text[start:end] == "f(\n    1,\n    2,\n) + 1"
    assert source.statement_lines(statement) == (0, text.index("y = 2"))


def test_line_starts_and_ends_are_clamped_to_the_text() -> None:
    """Line 1 starts at 0 (so does a line number below 1); a line ends past its newline; lines past
    the last start and end at the end of the text."""
    text = "a = 1\nbb = 2\nc = 3"
    source = SourceText(text)
    assert [source.line_start(n) for n in (0, 1, 2, 3, 4, 9)] == [0, 0, 6, 13, 18, 18]
    assert [source.line_end(n) for n in (1, 2, 3, 4, 9)] == [6, 13, 18, 18, 18]


DECORATED = """\
import functools


@functools.cache
# a comment between
@staticmethod
def f():
    return 1



x = 1


def g():
    return 2


"""


def test_a_statement_with_decorators_and_the_blank_lines_after_it() -> None:
    """A definition's lines start at its first decorator; deleting it takes the blank lines that
    follow it, up to the next statement, or to the end of the file."""
    source = SourceText(DECORATED)
    tree = ast.parse(DECORATED)
    f, x, g = tree.body[1], tree.body[2], tree.body[3]
    assert first_line(f) == 4 and first_line(x) == 12 and first_line(g) == 15
    assert source.segment(f) == "@functools.cache\n# a comment between\n@staticmethod\ndef f():\n    return 1\n"
    start, end = source.statement_and_blank_lines(f)
    assert DECORATED[start:end] == source.segment(f) + "\n\n\n"
    start, end = source.statement_and_blank_lines(x)
    assert DECORATED[start:end] == "x = 1\n\n\n"
    start, end = source.statement_and_blank_lines(g)
    assert DECORATED[start:end] == "def g():\n    return 2\n\n\n"
    assert end == len(DECORATED)
    start, end = source.statement_and_blank_lines(tree.body[0])
    assert DECORATED[start:end] == "import functools\n\n\n"


def test_an_unused_helper_is_deleted_with_its_blank_lines_and_nothing_else() -> None:
    """The cleanup deletes a helper no test uses, the blank lines after it too, and keeps the
    comments and layout of everything else byte for byte."""
    code = (
        "import pytest\n\n\n@pytest.fixture\ndef unused():  # never asked for\n    return 1\n\n\n"
        "def helper():\n    return 2\n\n\n# the test\ndef test_x():\n    assert 1\n\n\ndef _dead():\n    pass\n\n"
    )
    cleaned = remove_unused_definitions(code, None)
    assert cleaned == (
        "import pytest\n\n\n@pytest.fixture\ndef unused():  # never asked for\n    return 1\n\n\n"
        "# the test\ndef test_x():\n    assert 1\n\n\n"
    )


def test_edits_apply_in_position_order_and_may_touch_but_not_overlap() -> None:
    """Edits are applied by position whatever their order; an insertion goes before a replacement
    starting at the same place; adjacent edits are fine; overlapping ones are refused."""
    text = "abcdef"
    edits = [Edit(4, 6, "EF"), Edit(2, 4, "CD"), Edit(0, 0, ">"), Edit(2, 2, "|")]
    assert apply_edits(text, edits) == ">ab|CDEF"
    assert apply_edits(text, []) == text
    with pytest.raises(ValueError, match="overlapping edits at offset 3"):
        apply_edits(text, [Edit(1, 4, "x"), Edit(3, 5, "y")])


@pytest.mark.parametrize(
    ("code", "line"),
    [
        ("", 1),
        ("x = 1\n", 1),
        ("import os\n", 2),
        ('"""Doc."""\n', 2),
        ('"""Doc\nstring."""\nimport os\nfrom a import (\n    b,\n)\nx = 1\nimport sys\n', 7),
        ('import os\n"""not a docstring"""\nimport sys\n', 2),
        ("1\nimport os\n", 1),
        ("b'bytes'\nimport os\n", 1),
        ("def f():\n    pass\nimport os\n", 1),
    ],
)
def test_new_imports_go_after_the_leading_docstring_and_imports(code: str, line: int) -> None:
    """The line before which new imports go: after the module docstring (a string, first) and the
    imports that follow it, before the first other statement."""
    assert import_insertion_line(ast.parse(code)) == line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("def f():\n    pass\n", "import math\n\n\ndef f():\n    pass\n"),
        ("async def f():\n    pass\n", "import math\n\n\nasync def f():\n    pass\n"),
        ("@cache\ndef f():\n    pass\n", "import math\n\n\n@cache\ndef f():\n    pass\n"),
        ("class A:\n    pass\n", "import math\n\n\nclass A:\n    pass\n"),
        ("# the kernel\ndef f():\n    pass\n", "import math\n\n\n# the kernel\ndef f():\n    pass\n"),
        ("import os\nX = 1\n", "import os\nimport math\n\nX = 1\n"),
        ("import os\n\n\ndef f():\n    pass\n", "import os\nimport math\n\n\ndef f():\n    pass\n"),
        ('"""Doc."""\ndefinitely = 1\n', '"""Doc."""\nimport math\n\ndefinitely = 1\n'),
        ("classes = []\n", "import math\n\nclasses = []\n"),
        ("import os", "import os\nimport math\n"),
        ("", "import math\n"),
    ],
    ids=[
        "def",
        "async-def",
        "decorator",
        "class",
        "comment-above-def",
        "other-code",
        "blank-lines-already",
        "after-docstring",
        "a-name-starting-with-class",
        "no-final-newline",
        "empty",
    ],
)
def test_lines_after_imports_set_the_code_below_apart_as_pep_8_does(text: str, expected: str) -> None:
    edit = lines_after_imports(SourceText(text), ast.parse(text), "import math\n")
    assert apply_edits(text, [edit]) == expected


def test_lines_that_end_in_a_blank_line_get_no_more() -> None:
    text = "def f():\n    pass\n"
    edit = lines_after_imports(SourceText(text), ast.parse(text), "import math\n\n\ndef g():\n    pass\n\n\n")
    assert apply_edits(text, [edit]) == "import math\n\n\ndef g():\n    pass\n\n\ndef f():\n    pass\n"
