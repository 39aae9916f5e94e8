"""New module-level assignments the client would run before what they read (candidates/placement.py).

The client puts a new assignment whose value mentions no function or class of the module right
after the imports, before the module's own assignments: one reading those would fail the import
with a ``NameError``, so the candidate is refused. Found by the differential test against the
client (test_python_merge_differential.py); the last test runs the client itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codeflash_engine.testing.cli_venv import cli_python

from .test_cli_merge_oracle import applied_by_the_cli
from .test_merge_shapes import merged, only_text

ORIGINAL = (
    "import re\n\n_SPLIT = re.compile(r'[^a-z]+')\nLIMIT = 3\n\n\n"
    "def helper(s):\n    return s[:LIMIT]\n\n\n"
    "def f(s):\n    return helper(_SPLIT.sub('', s))\n"
)
FASTER_F = "def f(s):\n    return helper(_SUB('', s))\n"


@pytest.mark.parametrize(
    "assignment",
    ["_SUB = _SPLIT.sub", "_SUB: object = _SPLIT.sub", "_SUB = [_SPLIT][0].sub", "_SUB = {0: _SPLIT.sub}[LIMIT - 3]"],
    ids=["attribute", "annotated", "in-a-list", "two-constants"],
)
def test_a_new_assignment_reading_a_module_assignment_is_refused(assignment: str) -> None:
    assert merged(ORIGINAL, f"{assignment}\n\n\n{FASTER_F}") == []


def test_a_new_assignment_reading_one_the_client_puts_after_the_definitions_is_refused() -> None:
    """``_TABLE`` mentions a function: it goes after the definitions, ``_TOP`` before them."""
    code = "def _build():\n    return [1, 2]\n\n\n_TABLE = _build()\n_TOP = max(_TABLE)\n\n\n"
    code += "def f(s):\n    return helper(_SPLIT.sub('', s))[:_TOP]\n"
    assert merged(ORIGINAL, code) == []


def test_a_new_class_attribute_moved_to_the_module_reading_a_module_assignment_is_refused() -> None:
    original = "LIMIT = 3\n\n\nclass Box:\n    def f(self, s):\n        return s[:LIMIT]\n"
    code = "class Box:\n    _END = LIMIT\n\n    def f(self, s):\n        return s[: self._END]\n"
    assert merged(original, code, target="Box.f") == []


@pytest.mark.parametrize(
    "assignment",
    [
        "_SUB = re.compile(r'[^a-z]+').sub",  # an import
        "_SUB = lambda text, s: _SPLIT.sub(text, s)",  # read when called
        "_SUB = [x.sub for x in [re.compile(r'[^a-z]+')]][0]",  # the comprehension's own variable
        "_SUB = helper and _SPLIT.sub",  # mentions a function: the client puts it after the definitions
        "_SUB = _make()\n\n\ndef _make():\n    return _SPLIT.sub",  # a new function, likewise
    ],
    ids=["an-import", "a-lambda", "a-comprehension", "an-existing-function", "a-new-function"],
)
def test_a_new_assignment_that_can_run_where_the_client_puts_it_is_merged(assignment: str) -> None:
    assert "_SUB" in only_text(ORIGINAL, f"{assignment}\n\n\n{FASTER_F}")


def test_an_assignment_between_imports_is_bound_before_the_new_one() -> None:
    original = ORIGINAL.replace("import re\n", "import re\nSEP = '-'\nimport os\n")
    assert "_JOIN = SEP.join" in only_text(original, "_JOIN = SEP.join\n\n\ndef f(s):\n    return _JOIN(s)\n")


def test_a_new_assignment_reading_another_new_one_is_merged() -> None:
    code = "_PATTERN = re.compile(r'[a-z]')\n_SUB = _PATTERN.sub\n\n\n" + FASTER_F
    text = only_text(ORIGINAL, code)
    assert text.index("_PATTERN =") < text.index("_SUB =")


def test_a_changed_module_assignment_is_merged() -> None:
    """An existing name: the client replaces it in its place."""
    assert "LIMIT = _SPLIT and 4" in only_text(
        ORIGINAL, "LIMIT = _SPLIT and 4\n\n\n" + FASTER_F.replace("_SUB", "_SPLIT.sub")
    )


@pytest.mark.slow
def test_the_client_runs_such_an_assignment_before_what_it_reads(tmp_path: Path) -> None:
    """The client's rule itself: were it to keep the answer's order, the refusal could go."""
    candidate = ORIGINAL.replace("LIMIT = 3\n", "LIMIT = 3\n_SUB = _SPLIT.sub\n").replace(
        "_SPLIT.sub('', s)", "_SUB('', s)"
    )
    ran = applied_by_the_cli(cli_python(), tmp_path, ORIGINAL, "f", candidate)
    assert ran.index("_SUB = _SPLIT.sub") < ran.index("_SPLIT = re.compile"), ran
