"""Code blocks found in an answer, as a table: paths from the prose before a fence, cut-off
blocks, skipped fences and the notes that say why."""

from __future__ import annotations

import pytest

from codeflash_engine.text.markdown import scan_code_blocks

F = "```"
CASES = [
    # (answer, [(path, code)], notes, truncated)
    (f"pkg/a.py\n{F}python\nx = 1\n{F}\n", [("pkg/a.py", "x = 1")], [], False),
    (f"pkg/a.py\n\n{F}python\nx = 1\n{F}\n", [("pkg/a.py", "x = 1")], [], False),  # two lines up
    (f"pkg/a.py\n\n\n{F}python\nx = 1\n{F}\n", [(None, "x = 1")], [], False),  # three: too far
    (
        f"{F}python\na = 1\n\nb = 2\n``",  # cut off inside its closing fence
        [(None, "a = 1\n\nb = 2")],
        ["fence 1 (line 1): no closing fence; the answer was probably cut off, code taken to the end"],
        True,
    ),
    (
        f"~~~python\nx = 1\n{F}\n~~~\n\n{F}python\ny = 2\n{F}\n",  # a ``` line in the code: skipped
        [(None, "y = 2")],
        ["fence 1 (line 1): skipped, a line of its code starts with ``` (the client would cut the block there)"],
        False,
    ),
    (
        f"Text\n{F}java\nint x;\n{F}\n{F}python\ny = 2\n{F}\n",
        [(None, "y = 2")],
        ["fence 1 (line 2): skipped, its tag 'java' is not one of ['python']"],
        False,
    ),
    (
        f"{F}python\n{F}\n\n{F}java\nint x;\n{F}\n\n{F}python\ny = 2\n{F}\n",
        [(None, "y = 2")],
        [
            "fence 1 (line 1): skipped, it holds no code",
            "fence 2 (line 4): skipped, its tag 'java' is not one of ['python']",
        ],
        False,
    ),
    (
        f"pkg/a.py\n{F}python\nx = 1\n{F}\n\npkg/b.py\n{F}python\ny = 2\n",  # the last of two blocks cut off
        [("pkg/a.py", "x = 1"), ("pkg/b.py", "y = 2")],
        ["fence 2 (line 7): no closing fence; the answer was probably cut off, code taken to the end"],
        True,
    ),
]


@pytest.mark.parametrize(("answer", "blocks", "notes", "truncated"), CASES)
def test_scan_code_blocks(answer: str, blocks: list[tuple[str | None, str]], notes: list[str], truncated: bool) -> None:
    found = scan_code_blocks(answer, language_tags=("python",), default_language="python")
    assert [(b.path, b.code) for b in found.blocks] == blocks
    assert list(found.notes) == notes
    assert found.truncated is truncated
