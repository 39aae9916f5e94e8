"""Where the client puts a new module-level assignment (candidates/placement.py), pinned where
``scripts/mutation.py python.placement`` found the tests blind: which statements count as the
imports the new assignment goes after, and which name a refusal names."""

from __future__ import annotations

from codeflash_engine import CodeFile
from codeflash_engine_python.candidates.pipeline import CLEANER

from .answers import optimize_request
from .test_merge_shapes import merged, only_text

#: the target's faster version: it calls the bound method the new assignment keeps
FASTER_F = "def f(s):\n    return _SUB('', s)\n"


def test_an_if_block_of_imports_counts_as_imports() -> None:
    """The client puts new assignments after the last import before the first definition, and an
    ``if`` holding only imports is one: ``_SPLIT`` above it is bound in time."""
    original = (
        "import re\nfrom typing import TYPE_CHECKING\n\n_SPLIT = re.compile(',')\n"
        "if TYPE_CHECKING:\n    from collections.abc import Sequence\n\n\n"
        "def f(s):\n    return _SPLIT.sub('', s)\n"
    )
    text = only_text(original, f"_SUB = _SPLIT.sub\n\n\n{FASTER_F}")
    assert "_SUB = _SPLIT.sub" in text


def test_without_imports_new_assignments_go_first() -> None:
    """With no import, the client puts a new assignment at the very top, before ``_SPLIT``."""
    original = "_SPLIT = __import__('re').compile(',')\n\n\ndef f(s):\n    return _SPLIT.sub('', s)\n"
    assert merged(original, f"_SUB = _SPLIT.sub\n\n\n{FASTER_F}") == []


def test_imports_after_the_first_definition_do_not_move_the_place() -> None:
    """Only imports before the first function or class count: ``_SPLIT``, bound after ``g``, is
    still after the place where the client puts ``_SUB`` (right after ``import re``)."""
    original = (
        "import re\n\n\ndef g(s):\n    return s\n\n\n_SPLIT = re.compile(',')\nimport os\n\n\n"
        "def f(s):\n    return _SPLIT.sub('', s)\n"
    )
    assert merged(original, f"_SUB = _SPLIT.sub\n\n\n{FASTER_F}") == []


def test_a_refusal_names_the_first_name_read_too_early() -> None:
    original = "import re\n\n_A = re.compile(',')\n_B = re.compile(';')\n\n\ndef f(s):\n    return _A.sub('', s)\n"
    code = "_SUBS = (_B.sub, _A.sub)\n\n\ndef f(s):\n    return _SUBS[1]('', s)\n"
    answer = f"Faster.\n\n```python:pkg/mod.py\n{code}```\n"
    [outcome] = CLEANER.triage(optimize_request([answer], (CodeFile("pkg/mod.py", original),), "f"))
    assert outcome.candidate is None
    assert "_SUBS: the client puts it right after the imports, before _A, which it reads" in outcome.reason
