"""How a candidate's definitions are merged into the original file: placement, indentation,
imports, and what counts as a change (candidates/merge.py), through the plugin's postprocessing."""

from __future__ import annotations

import ast

from codeflash_engine.plugins.types import Candidate, CandidatesRequest, CodeFile, Target, Task
from codeflash_engine_python.candidates.pipeline import CLEANER

from .answers import answers as answers_of

PATH = "pkg/mod.py"


def merged(original: str, code: str, target: str = "f") -> list[Candidate]:
    files = (CodeFile(PATH, original),)
    request = CandidatesRequest(
        task=Task.OPTIMIZE,
        language="python",
        language_version="3.11.7",
        original=files,
        answers=answers_of([f"Faster.\n\n```python:{PATH}\n{code}\n```\n"], files),
        target=Target.parse(target),
        fence_tags=("python", "py", "python3"),
    )
    return CLEANER.postprocess(request)


def only_text(original: str, code: str, target: str = "f") -> str:
    [candidate] = merged(original, code, target)
    [file] = candidate.files
    ast.parse(file.code)  # every merged file parses
    return file.code


def test_definitions_after_the_answer_s_imports_are_merged() -> None:
    original = "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x * 2)\n    return out\n"
    code = "import itertools\nfrom operator import mul\n\n\ndef f(xs):\n    return [x * 2 for x in xs]\n"
    text = only_text(original, code)
    assert "return [x * 2 for x in xs]" in text and "out.append" not in text
    assert "import itertools" in text and "from operator import mul" in text


def test_definitions_after_a_statement_that_defines_nothing_are_merged() -> None:
    """A module docstring (or any statement that is not a definition) before the function: the
    answer repeated the top of the file."""
    original = '"""Helpers."""\n\n\ndef f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n    return out\n'
    code = '"""Helpers."""\nprint("loaded")\n\n\ndef f(xs):\n    return list(xs)\n'
    text = only_text(original, code)
    assert "return list(xs)" in text and "out.append" not in text


def test_a_new_method_goes_into_its_class_at_the_class_s_indentation() -> None:
    original = (
        "class Box:\n"
        "  def __init__(self, xs):\n"
        "    self.xs = xs\n"
        "\n"
        "  def total(self):\n"
        "    t = 0\n"
        "    for x in self.xs:\n"
        "      t += x\n"
        "    return t\n"
        "\n"
        "\n"
        "def after():\n"
        "  return 1\n"
    )
    code = (
        "class Box:\n"
        "    def total(self):\n"
        "        return self._sum()\n"
        "\n"
        "    def _sum(self):\n"
        "        return sum(self.xs)\n"
    )
    text = only_text(original, code, target="Box.total")
    tree = ast.parse(text)
    box = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    assert [m.name for m in box.body if isinstance(m, ast.FunctionDef)] == ["__init__", "total", "_sum"]
    assert "\n  def _sum(self):\n" in text  # shifted to the class's two spaces, its body with it
    assert text.rstrip().endswith("def after():\n  return 1")


def test_a_statement_only_reformatted_is_not_a_change() -> None:
    original = "LIMITS = [1,2,3]\n\n\ndef f(xs):\n    return sorted(xs)[0]\n"
    code = "LIMITS = [1, 2, 3]\n\n\ndef f(xs):\n    return min(xs)\n"
    text = only_text(original, code)
    assert "LIMITS = [1,2,3]" in text  # the original's text kept: the same statement
    assert "return min(xs)" in text


def test_a_statement_really_changed_is_merged() -> None:
    original = "LIMITS = [1,2,3]\n\n\ndef f(xs):\n    return sorted(xs)[0]\n"
    code = "LIMITS = (1, 2, 3)\n\n\ndef f(xs):\n    return min(xs)\n"
    text = only_text(original, code)
    assert "LIMITS = (1, 2, 3)" in text


def test_a_class_turned_into_a_function_of_the_same_name_is_refused() -> None:
    original = "class Point(tuple):\n    pass\n\n\ndef f(xs):\n    return [Point((x, x)) for x in xs]\n"
    code = "def Point(pair):\n    return tuple(pair)\n\n\ndef f(xs):\n    return [(x, x) for x in xs]\n"
    assert merged(original, code) == []


def test_a_function_answered_as_a_class_of_the_same_name_leaves_it_as_it_was() -> None:
    """A class in place of an existing function is not taken (its members have nothing to merge
    into); the answer's other changes are."""
    original = "def Point(x, y):\n    return (x, y)\n\n\ndef f(xs):\n    return [Point(x, x) for x in xs]\n"
    code = "class Point(tuple):\n    pass\n\n\ndef f(xs):\n    return [(x, x) for x in xs]\n"
    text = only_text(original, code)
    assert "def Point(x, y):" in text and "class Point" not in text and "return [(x, x) for x in xs]" in text


def test_a_function_rebound_by_an_assignment_keeps_its_definition() -> None:
    """``helper = lambda ...`` is a new statement, not the function's replacement: the def stays
    and the name is rebound after it (a valid file, the same behaviour)."""
    original = "def helper(x):\n    return x + 1\n\n\ndef f(xs):\n    return [helper(x) for x in xs]\n"
    code = "helper = lambda x: x + 1\n\n\ndef f(xs):\n    return [x + 1 for x in xs]\n"
    text = only_text(original, code)
    assert text.index("def helper") < text.index("helper = lambda") < text.index("def f")


def test_imports_go_before_a_new_helper_placed_at_the_top_of_the_file() -> None:
    original = "def f(xs):\n    return [x ** 0.5 for x in xs]\n"
    code = "import math\n\n\ndef root(x):\n    return math.sqrt(x)\n\n\ndef f(xs):\n    return [root(x) for x in xs]\n"
    text = only_text(original, code)
    assert text.index("import math") < text.index("def root") < text.index("def f")


def test_a_method_answered_at_top_level_goes_back_into_its_class_and_its_helper_after_it() -> None:
    original = "class Box:\n    def total(self):\n        t = 0\n"
    original += "        for x in self.xs:\n            t += x\n        return t\n"
    code = "def _add(xs):\n    return sum(xs)\n\n\ndef total(self):\n    return _add(self.xs)\n"
    text = only_text(original, code, target="Box.total")
    assert text.startswith("class Box:\n    def total(self):\n        return _add(self.xs)\n")
    assert text.index("class Box") < text.index("def _add")  # a module-level helper, after the class


def test_a_candidate_that_only_adds_a_method_nothing_calls_is_refused() -> None:
    original = "class Box:\n    def total(self):\n        return sum(self.xs)\n"
    code = "class Box:\n    def total(self):\n        return sum(self.xs)\n\n    def mean(self):\n        return 0\n"
    assert merged(original, code, target="Box.total") == []


def test_a_helper_named_like_a_module_is_not_imported() -> None:
    """The candidate defines ``bisect`` itself: the name is bound, no ``import bisect`` is added."""
    original = (
        "def f(xs, x):\n    for i, v in enumerate(xs):\n        if v >= x:\n            return i\n    return len(xs)\n"
    )
    code = (
        "def bisect(xs, x):\n    lo, hi = 0, len(xs)\n    while lo < hi:\n        mid = (lo + hi) // 2\n"
        "        if xs[mid] < x:\n            lo = mid + 1\n        else:\n            hi = mid\n    return lo\n\n\n"
        "def f(xs, x):\n    return bisect(xs, x)\n"
    )
    text = only_text(original, code)
    assert "import bisect" not in text and "def bisect(xs, x):" in text


def test_a_local_named_like_a_module_is_not_imported() -> None:
    """``heapq`` is a local variable of the new code (bound in the candidate only)."""
    original = "def f(xs):\n    return sorted(xs)[0]\n"
    code = "def f(xs):\n    heapq = sorted(xs)\n    return heapq[0] if heapq else None\n"
    text = only_text(original, code)
    assert "import heapq" not in text and "heapq = sorted(xs)" in text


def test_new_definitions_at_the_end_of_the_file_are_set_apart_by_two_blank_lines() -> None:
    original = "def f(xs):\n    return sorted(xs)[0]\n"
    code = "def f(xs):\n    return _least(xs)\n\n\ndef _least(xs):\n    return min(xs)\n"
    text = only_text(original, code)
    assert text == "def f(xs):\n    return _least(xs)\n\n\ndef _least(xs):\n    return min(xs)\n"
