"""Original headers put back on a candidate (candidates/signature.py), pinned where the other
shares of ``scripts/mutation.py python.signature`` found the tests blind."""

from __future__ import annotations

from .test_merge_shapes import only_text

#: a function registered with an example whose text holds a line that reads like its header
DOCUMENTED = '''\
from examples import example


@example("""
def total(xs):
""")
def total(xs):
    out = 0
    for x in xs:
        out += x
    return out
'''


def test_a_decorator_string_that_reads_like_the_header_does_not_hide_a_changed_header() -> None:
    """The header is found by the tokenizer, not in a line of a decorator's string: the
    candidate's annotations go, and the original header comes back, as without the string."""
    answer = DOCUMENTED.replace("def total(xs):\n    out", "def total(xs: list[int]) -> int:\n    out").replace(
        "    out = 0\n    for x in xs:\n        out += x\n    return out\n", "    return sum(xs)\n"
    )
    assert "def total(xs: list[int]) -> int:\n" in answer
    text = only_text(DOCUMENTED, answer, "total")
    assert '@example("""\ndef total(xs):\n""")\ndef total(xs):\n    return sum(xs)\n' in text, text
    assert "list[int]" not in text
