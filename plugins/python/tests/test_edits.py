"""The Python plugin's apply_diff: uneven quotes read so that the Python file still parses."""

from __future__ import annotations

import ast

from codeflash_engine import DiffRequest
from codeflash_engine_python.edits import parses
from codeflash_engine_python.plugin import apply_diff

SOURCE = '''class Stats:
    def mean(self, xs):
        """Average of xs.

        Returns 0 for an empty list.
        """
        if not xs:
            return 0
        return sum(xs) / len(xs)
'''


def _sr(search: str, replace: str) -> str:
    return f"pkg/stats.py\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"


def test_docstring_quoted_one_column_left_keeps_the_correct_replacement() -> None:
    search = '''        """Average of xs.

       Returns 0 for an empty list.
       """
        if not xs:
            return 0'''
    replace = '''        """Average of xs.

        Returns 0 for an empty list.
        """
        if not xs:
            return 0.0'''
    result = apply_diff(DiffRequest(language="python", files={"pkg/stats.py": SOURCE}, edit=_sr(search, replace)))
    assert result.ok
    assert result.files["pkg/stats.py"] == SOURCE.replace("return 0\n", "return 0.0\n")


def test_the_reading_that_parses_is_taken() -> None:
    # The kept 'if' line carries the file's indentation, so the changed line is taken as
    # written by default, which does not parse; re-indented by its quote's offset, it does.
    search = "    def mean(self, xs):\n      if not xs:\n        return 0"
    replace = "    def mean(self, xs):\n        if not xs:\n        return None"
    source = "class Stats:\n    def mean(self, xs):\n        if not xs:\n            return 0\n"
    result = apply_diff(DiffRequest(language="python", files={"pkg/stats.py": source}, edit=_sr(search, replace)))
    assert result.ok
    assert result.files["pkg/stats.py"] == source.replace("return 0", "return None")
    ast.parse(result.files["pkg/stats.py"])


def test_failures_and_other_files() -> None:
    result = apply_diff(DiffRequest(language="python", files={"pkg/stats.py": SOURCE}, edit=_sr("nope()", "x()")))
    assert not result.ok and not result.files
    assert parses("README.md", "def (:") and not parses("a.py", "def (:") and parses("a.py", "x = 1\n")
