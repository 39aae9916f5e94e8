"""Refinement, repair and adaptive answers completed from the candidate they improve (the base).

The client applies every candidate to the original code, so what the answer keeps from the base
but leaves out must be carried over: the helpers, constants and imports only the base had, and
the base's version of a definition the answer leaves as a placeholder. The snapshots show what
the engine would send the CLI (see ``test_candidates.render``).
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from codeflash_engine.plugins.types import Candidate, CandidatesRequest, CodeFile, Target, Task
from codeflash_engine_python.candidates.pipeline import CLEANER

from .answers import answers as answers_of
from .samples import ONE_FILE, TWO_FILES
from .test_candidates import render

#: an earlier candidate for ``sort_list``: insertion sort below a cutoff (a helper, a constant and
#: an import the original lacks), an aliased import, and a guarded ``spread``
BASE_SORTER = '''\
import math
from bisect import insort
from heapq import nsmallest as _smallest
from typing import List

_CUTOFF = 16


def _insertion_sort(xs):
    out = []
    for x in xs:
        insort(out, x)
    return out


def sort_list(xs: List[int]) -> List[int]:
    """Sort a copy of xs."""
    if len(xs) <= _CUTOFF:
        return _insertion_sort(xs)
    return _smallest(len(xs), xs)


def spread(xs: List[int]) -> float:
    if not xs:
        return 0.0
    return math.sqrt(max(xs) - min(xs))
'''

BASE = (CodeFile("pkg/sorter.py", BASE_SORTER),)


def run(
    answers: list[str],
    base: tuple[CodeFile, ...] = BASE,
    original: tuple[CodeFile, ...] = ONE_FILE,
    target: str = "sort_list",
    task: Task = Task.REFINE,
) -> list[Candidate]:
    request = CandidatesRequest(
        task=task,
        language="python",
        language_version="3.11.7",
        original=original,
        answers=answers_of(answers, original, base),
        target=Target.parse(target) if target else None,
        fence_tags=("python", "py", "python3"),
        base=base,
    )
    return CLEANER.postprocess(request)


USES_BASE_HELPER = """Raise the cutoff: insertion sort wins up to 32 items.

```python:pkg/sorter.py
def sort_list(xs: List[int]) -> List[int]:
    if len(xs) <= 32:
        return _insertion_sort(xs)
    return sorted(xs)
```"""

USES_BASE_IMPORT = """Always take the heap path.

```python:pkg/sorter.py
def sort_list(xs: List[int]) -> List[int]:
    return _smallest(len(xs), xs)
```"""

PLACEHOLDER_SPREAD = """Use the built-in sort; `spread` stays as it was.

```python:pkg/sorter.py
def sort_list(xs: List[int]) -> List[int]:
    return sorted(xs)


def spread(xs: List[int]) -> float:
    ...
```"""

PLACEHOLDER_TARGET = """Only `spread` changes: one pass for the minimum and maximum.

```python:pkg/sorter.py
def sort_list(xs: List[int]) -> List[int]:
    ...


def spread(xs: List[int]) -> float:
    if not xs:
        return 0.0
    lo = hi = xs[0]
    for x in xs:
        if x < lo:
            lo = x
        elif x > hi:
            hi = x
    return math.sqrt(hi - lo)
```"""

UNDEFINED_NAME = """Use a radix sort.

```python:pkg/sorter.py
def sort_list(xs: List[int]) -> List[int]:
    return _radix_sort(xs)
```"""


def test_helper_only_the_base_defined_is_carried_over(snapshot: SnapshotAssertion) -> None:
    candidates = run([USES_BASE_HELPER])
    code = candidates[0].files[0].code
    assert "def _insertion_sort(xs):" in code
    assert "from bisect import insort\n" in code  # the helper's own import comes along
    assert "_CUTOFF" not in code and "_smallest" not in code  # nothing the answer does not use
    assert code.index("def _insertion_sort") < code.index("def sort_list")
    assert render(candidates) == snapshot


def test_import_only_the_base_had_is_carried_over(snapshot: SnapshotAssertion) -> None:
    candidates = run([USES_BASE_IMPORT])
    code = candidates[0].files[0].code
    assert "from heapq import nsmallest as _smallest\n" in code
    assert "_insertion_sort" not in code
    assert render(candidates) == snapshot


def test_placeholder_for_a_definition_the_base_changed_is_restored_from_the_base(
    snapshot: SnapshotAssertion,
) -> None:
    candidates = run([PLACEHOLDER_SPREAD])
    code = candidates[0].files[0].code
    assert "    if not xs:\n        return 0.0\n    return math.sqrt(max(xs) - min(xs))" in code
    assert render(candidates) == snapshot


def test_placeholder_target_brings_the_base_version_and_what_it_uses(snapshot: SnapshotAssertion) -> None:
    candidates = run([PLACEHOLDER_TARGET], task=Task.ADAPTIVE)
    code = candidates[0].files[0].code
    for needed in ("from bisect import insort", "nsmallest as _smallest", "_CUTOFF = 16", "def _insertion_sort"):
        assert needed in code
    assert "if len(xs) <= _CUTOFF:" in code
    assert render(candidates) == snapshot


def test_without_a_base_nothing_is_carried_over(snapshot: SnapshotAssertion) -> None:
    """First optimizations: a placeholder keeps the original, an unknown name stays unknown."""
    candidates = run([USES_BASE_HELPER, PLACEHOLDER_SPREAD], base=(), task=Task.OPTIMIZE)
    assert [c.answer_index for c in candidates] == [0, 1]
    assert "def _insertion_sort" not in candidates[0].files[0].code
    assert "return math.sqrt(max(xs) - min(xs))\n" in candidates[1].files[0].code
    assert "return 0.0" not in candidates[1].files[0].code
    assert render(candidates) == snapshot


def test_a_name_defined_nowhere_is_left_as_it_is(snapshot: SnapshotAssertion) -> None:
    candidates = run([UNDEFINED_NAME], task=Task.REPAIR)
    code = candidates[0].files[0].code
    assert "return _radix_sort(xs)" in code
    assert "def _radix_sort" not in code and "import _radix_sort" not in code
    assert render(candidates) == snapshot


def test_base_definitions_the_original_has_are_not_repeated() -> None:
    """``math``, ``List`` and ``spread`` are the original's: the answer already has them."""
    answer = "```python:pkg/sorter.py\ndef sort_list(xs: List[int]) -> List[int]:\n    return [spread(xs)] + xs\n```"
    code = run([answer])[0].files[0].code
    assert code.count("import math") == 1 and code.count("def spread") == 1
    assert code.count("from typing import List") == 1


@pytest.mark.parametrize("path", [None, "sorter.py"], ids=["no_path", "base_name"])
def test_a_base_without_the_full_path_still_belongs_to_its_file(path: str | None) -> None:
    candidates = run([USES_BASE_HELPER], base=(CodeFile(path, BASE_SORTER),))
    assert "def _insertion_sort(xs):" in candidates[0].files[0].code


GEO_BASE = """\
from pkg.util import SCALE, norm

_ZERO = 0.0


class Vec:
    def __init__(self, xs):
        self.xs = list(xs)

    def length(self) -> float:
        return _squares(self.xs) ** 0.5 * SCALE


def _squares(xs):
    total = _ZERO
    for x in xs:
        total += x * x
    return total
"""


def test_method_placeholder_restored_from_the_base_with_what_it_uses(snapshot: SnapshotAssertion) -> None:
    """A method placeholder restored from the base, with the helper and constant the base added."""
    answer = """`__init__` keeps a tuple; `length` is as before.

```python:pkg/geo.py
class Vec:
    def __init__(self, xs):
        self.xs = tuple(xs)

    def length(self) -> float:
        pass
```"""
    base = (CodeFile("pkg/geo.py", GEO_BASE), CodeFile("pkg/util.py", "import math\n\nSCALE = 3\n"))
    candidates = run([answer], base=base, original=TWO_FILES, target="Vec.length")
    assert [f.path for f in candidates[0].files] == ["pkg/geo.py"]
    code = candidates[0].files[0].code
    assert "return _squares(self.xs) ** 0.5 * SCALE" in code
    assert "_ZERO = 0.0" in code and "def _squares(xs):" in code
    assert render(candidates) == snapshot


def test_two_base_files_of_one_original_file_are_both_carried_over() -> None:
    """A base sent as two blocks of the same file: what the answer uses from either is carried
    over (here the helper of the second block, and the import it needs)."""
    head, tail = BASE_SORTER.split("\n\n\ndef sort_list", 1)
    helper_start = head.index("_CUTOFF = 16")
    first = head[:helper_start] + "\n\ndef sort_list" + tail
    second = head[helper_start:]
    base = (CodeFile("pkg/sorter.py", first), CodeFile("pkg/sorter.py", second))
    [candidate] = run([USES_BASE_HELPER], base=base)
    [code] = [file.code for file in candidate.files]
    assert "def _insertion_sort(xs):" in code and "from bisect import insort" in code
