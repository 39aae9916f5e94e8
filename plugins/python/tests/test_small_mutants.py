"""Placeholders in a model's Python: which bodies are stubs standing for the original definition
and which are elisions that make the candidate unusable (written against the survivors of
``scripts/mutation.py python.placeholder``)."""

from __future__ import annotations

import ast

import pytest

from codeflash_engine_python.candidates.placeholder import elision, is_stub


def _function(text: str) -> ast.FunctionDef:
    node = ast.parse(text).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


@pytest.mark.parametrize(
    ("text", "stub"),
    [
        ('def f():\n    """Doc."""\n    ...\n', True),
        ('def f():\n    """Doc."""\n    pass\n', True),
        ('def f():\n    """Doc."""\n', True),
        ('def f():\n    """Doc."""\n    return 1\n', False),
        ('def f():\n    """Doc."""\n    ...\n    return 1\n', False),
        ("def f():\n    return 1\n", False),
        ("def f():\n    ...\n", True),
    ],
)
def test_a_stub_is_only_ellipsis_or_pass_after_the_docstring(text: str, stub: bool) -> None:
    """The docstring (the first statement only) is skipped, every statement after it counts."""
    assert is_stub(_function(text)) is stub


@pytest.mark.parametrize(
    "text",
    [
        "def f():\n    ...\n",
        'def f():\n    """Doc."""\n    ...\n',
        "def f():\n    return 1\n",
        'def f():\n    """Doc."""\n    return 1\n',
    ],
)
def test_a_whole_body_or_a_lone_ellipsis_is_no_elision(text: str) -> None:
    """A body of one ``...`` (after the docstring or not) is a stub, not code left out."""
    assert elision(_function(text), text) is None


@pytest.mark.parametrize(
    "text",
    [
        "def f():\n    x = 1\n    ...\n",
        'def f():\n    """Doc."""\n    x = 1\n    ...\n',
        "def f():\n    ...\n    return 1\n",
    ],
)
def test_an_ellipsis_among_other_statements_is_an_elision(text: str) -> None:
    """Two statements, one of them ``...``, is already an incomplete body."""
    assert elision(_function(text), text) == "a '...' statement stands for left-out code"


@pytest.mark.parametrize(
    ("comment", "quoted"),
    [
        ("    # ...\n", "# ..."),
        ("    # … the loop\n", "# … the loop"),
        ("    # rest of the code unchanged\n", "# rest of the code unchanged"),
    ],
)
def test_an_elision_comment_is_quoted_whole(comment: str, quoted: str) -> None:
    """The comment line, ``#`` included, is matched and named in the reason."""
    text = f"def f():\n    x = 1\n{comment}    return x\n"
    assert elision(_function(text), text) == f"the comment {quoted!r} stands for left-out code"


def test_an_ordinary_comment_is_no_elision() -> None:
    text = "def f():\n    x = 1\n    # the total so far\n    return x\n"
    assert elision(_function(text), text) is None
