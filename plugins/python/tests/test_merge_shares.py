"""The merge's less travelled paths (candidates/merge.py and candidates/pipeline.py), pinned for
the mutants of their second and further sampled shares: imports renamed past the module's own
names, new definitions placed before code that runs, docstrings and decorators put back, the
pieces skipped without losing the ones after them, and what makes two candidates different."""

from __future__ import annotations

import ast

from codeflash_engine.plugins.types import Candidate, CodeFile
from codeflash_engine_python.candidates.pipeline import CLEANER

from .answers import optimize_request
from .test_merge_shapes import PATH, merged, only_text


def run(text: str) -> dict[str, object]:
    """The namespace of the merged module ``text`` after it ran."""
    scope: dict[str, object] = {"__name__": "merged"}
    exec(compile(text, PATH, "exec"), scope)
    return scope


def candidates_of(original: str, answers: list[str], target: str) -> list[Candidate]:
    """The candidates of several answers, each holding one code block for the original file."""
    texts = [f"Faster.\n\n```python:{PATH}\n{code}\n```\n" for code in answers]
    return CLEANER.postprocess(optimize_request(texts, (CodeFile(PATH, original),), target))


def function_source(text: str, name: str) -> str:
    """The source of the top-level function ``name`` of ``text``."""
    tree = ast.parse(text)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    return ast.get_source_segment(text, node) or ""


OWN_COUNTER = """\
class Counter:
    \"\"\"The project's own counter, which takes no arguments.\"\"\"

    def __init__(self):
        self.n = 0


def tally(xs):
    counts = {}
    for x in xs:
        counts[x] = counts.get(x, 0) + 1
    return counts
"""


def test_an_import_named_like_a_class_of_the_module_is_used_through_an_alias() -> None:
    code = "from collections import Counter\n\n\ndef tally(xs):\n    return dict(Counter(xs))\n"
    text = only_text(OWN_COUNTER, code, "tally")
    assert "from collections import Counter as _Counter\n" in text
    scope = run(text)
    assert scope["tally"]([1, 1, 2]) == {1: 2, 2: 1}  # type: ignore[operator]
    assert scope["Counter"]().n == 0  # type: ignore[operator]  # the module's own class is untouched


def test_imports_after_a_future_import_are_aliased_too() -> None:
    code = (
        "from __future__ import annotations\n"
        "from collections import Counter\n\n\n"
        "def tally(xs):\n    return dict(Counter(xs))\n"
    )
    text = only_text(OWN_COUNTER, code, "tally")
    assert run(text)["tally"]([3, 3]) == {3: 2}  # type: ignore[operator]


def test_the_alias_is_a_name_the_module_does_not_use_already() -> None:
    """The module already binds ``_Counter`` (an old name of its class): the alias takes another."""
    original = OWN_COUNTER + "\n\n_Counter = Counter\n"
    code = "from collections import Counter\n\n\ndef tally(xs):\n    return dict(Counter(xs))\n"
    text = only_text(original, code, "tally")
    assert "from collections import Counter as __Counter\n" in text
    scope = run(text)
    assert scope["tally"](["a", "b", "a"]) == {"a": 2, "b": 1}  # type: ignore[operator]
    assert scope["_Counter"] is scope["Counter"]


def test_a_definition_repeated_verbatim_keeps_the_module_s_meaning_of_the_name() -> None:
    """``make`` is repeated as it was, before the changed ``tally``: it still builds the module's
    ``Counter``, while ``tally`` reads the imported one."""
    original = OWN_COUNTER + "\n\ndef make():\n    return Counter()\n"
    code = (
        "from collections import Counter\n\n\n"
        "def make():\n    return Counter()\n\n\n"
        "def tally(xs):\n    return dict(Counter(xs))\n"
    )
    text = only_text(original, code, "tally")
    scope = run(text)
    assert scope["make"]().n == 0  # type: ignore[operator]
    assert scope["tally"]([5]) == {5: 1}  # type: ignore[operator]


def test_a_new_helper_reading_the_imported_name_reads_the_alias() -> None:
    code = (
        "from collections import Counter\n\n\n"
        "def _counted(xs):\n    return Counter(xs)\n\n\n"
        "def tally(xs):\n    return dict(_counted(xs))\n"
    )
    text = only_text(OWN_COUNTER, code, "tally")
    assert run(text)["tally"]([7, 7, 7]) == {7: 3}  # type: ignore[operator]


def test_a_plain_module_import_named_like_a_function_of_the_module_is_aliased() -> None:
    original = (
        "def copy(state):\n    return dict(state)\n\n\n"
        "def snapshot(state):\n    out = {}\n    for k, v in state.items():\n        out[k] = list(v)\n    return out\n"
    )
    code = "import copy\n\n\ndef snapshot(state):\n    return copy.deepcopy(state)\n"
    text = only_text(original, code, "snapshot")
    assert "import copy as _copy\n" in text
    scope = run(text)
    state = {"a": [1]}
    taken = scope["snapshot"](state)  # type: ignore[operator]
    assert taken == state and taken["a"] is not state["a"]
    assert scope["copy"]({"b": 2}) == {"b": 2}  # type: ignore[operator]


def test_an_import_of_a_submodule_is_left_as_written() -> None:
    """``import email.utils`` binds ``email``, the package: an alias would name the submodule
    instead, so the line is not rewritten."""
    original = (
        "def email(user):\n    return user + '@example.com'\n\n\n"
        "def domain(address):\n    return address.split('@')[1]\n"
    )
    code = (
        "import email.utils\n\n\ndef domain(address):\n    return email.utils.parseaddr(address)[1].partition('@')[2]\n"
    )
    text = only_text(original, code, "domain")
    assert "import email.utils\n" in text and "as _email" not in text


DOUBLE_THEN_MAIN = """\
def double(xs):
    out = []
    for x in xs:
        out.append(x * 2)
    return out


if __name__ == "__main__":
    print(double([1, 2]))
"""


def test_new_helpers_go_right_after_the_function_before_code_that_runs() -> None:
    code = "def double(xs):\n    return [_twice(x) for x in xs]\n\n\ndef _twice(x):\n    return x + x\n"
    text = only_text(DOUBLE_THEN_MAIN, code, "double")
    assert text == (
        "def double(xs):\n    return [_twice(x) for x in xs]\n\n\n"
        "def _twice(x):\n    return x + x\n\n\n"
        'if __name__ == "__main__":\n    print(double([1, 2]))\n'
    )


def test_code_on_the_line_right_after_the_function_runs_after_the_new_helper() -> None:
    original = (
        "def double(xs):\n    out = []\n    for x in xs:\n        out.append(x * 2)\n    return out\n"
        "RESULT = double([1, 2])\n"
    )
    code = "def double(xs):\n    return [_twice(x) for x in xs]\n\n\ndef _twice(x):\n    return x + x\n"
    text = only_text(original, code, "double")
    assert run(text)["RESULT"] == [2, 4]


def test_two_answers_adding_classes_that_differ_only_in_a_class_attribute_are_two_candidates() -> None:
    original = "def scale(xs):\n    out = []\n    for x in xs:\n        out.append(x * 2)\n    return out\n"
    answer = (
        "class _Scale:\n    factor = {factor}\n\n    def apply(self, x):\n        return x * self.factor\n\n\n"
        "def scale(xs):\n    return [_Scale().apply(x) for x in xs]\n"
    )
    found = candidates_of(original, [answer.format(factor=2), answer.format(factor=3)], "scale")
    assert [run(c.files[0].code)["scale"]([1]) for c in found] == [[2], [3]]  # type: ignore[operator]


SHAPES = """\
class Square:
    def __init__(self, side):
        self.side = side

    def area(self):
        return self.side * self.side


class Circle:
    def __init__(self, r):
        self.r = r

    def area(self):
        total = 0.0
        total += 3.0 * self.r * self.r
        return total
"""


def test_a_method_answered_at_top_level_goes_into_the_target_s_class_when_two_classes_have_it() -> None:
    code = "def area(self):\n    return 3.0 * self.r ** 2\n"
    text = only_text(SHAPES, code, "Circle.area")
    scope = run(text)
    assert "return 3.0 * self.r ** 2" in text and "def area(self):\n    return" not in text
    assert scope["Circle"](2).area() == 12.0  # type: ignore[operator]
    assert scope["Square"](2).area() == 4  # type: ignore[operator]


BOX = """\
class Box:
    def __init__(self, items):
        self.items = items

    def total(self):
        t = 0
        for x in self.items:
            t += x
        return t
"""


def test_a_top_level_helper_taking_self_that_is_no_method_is_added_as_a_function() -> None:
    code = (
        "def _sum_items(self):\n    return sum(self.items)\n\n\n"
        "class Box:\n    def total(self):\n        return _sum_items(self)\n"
    )
    text = only_text(BOX, code, "Box.total")
    assert text.startswith("def _sum_items(self):\n    return sum(self.items)\n")
    assert run(text)["Box"]([1, 2, 3]).total() == 6  # type: ignore[operator]


def test_a_helper_only_a_new_method_calls_is_kept() -> None:
    code = (
        "def _sum_all(xs):\n    return sum(xs)\n\n\n"
        "class Box:\n"
        "    def total(self):\n        return self._fast()\n\n"
        "    def _fast(self):\n        return _sum_all(self.items)\n"
    )
    text = only_text(BOX, code, "Box.total")
    assert "def _sum_all(xs):" in text
    assert run(text)["Box"]([4, 5]).total() == 9  # type: ignore[operator]


def test_a_conventional_alias_the_new_code_uses_is_imported() -> None:
    original = "def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n"
    code = "def total(xs):\n    return int(np.sum(xs))\n"
    text = only_text(original, code, "total")
    assert "import numpy as np\n" in text


CACHED = """\
import functools


@functools.lru_cache(maxsize=None)
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
"""


def test_a_decorator_the_answer_left_out_is_put_back() -> None:
    code = "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"
    text = only_text(CACHED, code, "fib")
    assert "@functools.lru_cache(maxsize=None)\ndef fib(n):\n    a, b = 0, 1\n" in text
    assert run(text)["fib"].cache_info().maxsize is None  # type: ignore[attr-defined]


def test_an_answer_that_only_leaves_out_a_decorator_is_the_original() -> None:
    code = "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n"
    assert merged(CACHED, code, "fib") == []


def test_a_multi_line_docstring_the_answer_left_out_is_put_back() -> None:
    original = (
        "def total(xs):\n"
        '    """Sum the items.\n\n    >>> total([1, 2])\n    3\n    """\n'
        "    s = 0\n    for x in xs:\n        s += x\n    return s\n"
    )
    code = "def total(xs):\n    return sum(xs)\n"
    text = only_text(original, code, "total")
    [total] = ast.parse(function_source(text, "total")).body
    assert isinstance(total, ast.FunctionDef)
    assert ast.get_docstring(total) == "Sum the items.\n\n>>> total([1, 2])\n3"


def test_a_docstring_sharing_its_line_with_code_is_not_put_back() -> None:
    """Copying the docstring's line would copy the original's statement after it into the answer."""
    original = (
        "def total(xs):\n"
        '    """Sum the items."""; print("slow path")\n'
        "    s = 0\n    for x in xs:\n        s += x\n    return s\n"
    )
    code = "def total(xs):\n    return sum(xs)\n"
    text = only_text(original, code, "total")
    assert "print" not in function_source(text, "total")


def test_the_implementation_after_overload_stubs_is_merged() -> None:
    original = (
        "from typing import overload\n\n\n"
        "@overload\ndef scale(x: int) -> int: ...\n\n\n"
        "@overload\ndef scale(x: list[int]) -> list[int]: ...\n\n\n"
        "def scale(x):\n    if isinstance(x, list):\n        out = []\n        for v in x:\n"
        "            out.append(v * 2)\n        return out\n    return x * 2\n"
    )
    code = (
        "from typing import overload\n\n\n"
        "@overload\ndef scale(x: int) -> int: ...\n\n\n"
        "@overload\ndef scale(x: list[int]) -> list[int]: ...\n\n\n"
        "def scale(x):\n    if isinstance(x, list):\n        return [v * 2 for v in x]\n    return x * 2\n"
    )
    text = only_text(original, code, "scale")
    assert "return [v * 2 for v in x]" in text and "out.append" not in text


def test_a_method_named_like_an_attribute_the_file_does_not_show_is_skipped_not_the_rest() -> None:
    """``rows`` is read through ``self`` but defined elsewhere (a base class): the answer's own
    ``rows`` is not added, and the method after it is still merged."""
    original = (
        "from .base import Base\n\n\n"
        "class Report(Base):\n"
        "    def total(self):\n        s = 0\n        for row in self.rows:\n            s += row\n        return s\n"
    )
    code = (
        "class Report(Base):\n"
        "    @property\n    def rows(self):\n        return []\n\n"
        "    def total(self):\n        return sum(self.rows)\n"
    )
    text = only_text(original, code, "Report.total")
    assert "return sum(self.rows)" in text and "def rows" not in text


def test_a_piece_whose_indentation_cannot_be_converted_is_merged_as_it_was_written() -> None:
    """The file indents by two spaces, the answer by four, but an ``else`` block of the answer is
    indented irregularly: converted, it would not parse, so the answer's indentation stays."""
    original = "def pick(x):\n  if x:\n    return 1\n  return 2\n"
    code = (
        "def pick(x):\n"
        "    if x:\n        return 1\n"
        "    else:\n"
        "       if x is None:\n           return 2\n"
        "       else:\n        return 3\n"
    )
    text = only_text(original, code, "pick")
    scope = run(text)
    assert [scope["pick"](1), scope["pick"](0)] == [1, 3]  # type: ignore[operator]


def test_a_block_introduced_by_a_line_naming_a_file_is_merged_into_that_file() -> None:
    """Both files define ``_norm``: only the prose line before the block says which one it is,
    among other words (so only as one of the request's files)."""
    norm = "def _norm(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return [x / total for x in xs]\n"
    files = (
        CodeFile("pkg/a.py", norm + "\n\ndef mean(xs):\n    return sum(_norm(xs)) / len(xs)\n"),
        CodeFile("pkg/b.py", norm + "\n\ndef score(xs):\n    return max(_norm(xs))\n"),
    )
    answer = (
        "Here `_norm` of `pkg/b.py` sums the items once:\n\n"
        "```python\ndef _norm(xs):\n    total = sum(xs)\n    return [x / total for x in xs]\n```\n"
    )
    found = CLEANER.postprocess(optimize_request([answer], files, "score"))
    assert [[f.path for f in c.files] for c in found] == [["pkg/b.py"]]


def test_a_new_module_of_the_answer_is_folded_into_the_file_importing_from_it() -> None:
    original = "def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n"
    answer = (
        "Faster.\n\n"
        "```python:pkg/mod.py\nfrom pkg._kernels import fast_sum\n\n\ndef total(xs):\n    return fast_sum(xs)\n```\n\n"
        "```python:pkg/_kernels.py\ndef fast_sum(xs):\n    return sum(xs)\n```\n"
    )
    [candidate] = CLEANER.postprocess(optimize_request([answer], (CodeFile(PATH, original),), "total"))
    [file] = candidate.files
    assert "_kernels" not in file.code
    assert run(file.code)["total"]([1, 2, 3]) == 6  # type: ignore[operator]


def test_a_long_block_opening_with_a_verbatim_copy_of_another_file_s_function_goes_to_the_changed_file() -> None:
    """The block (long enough to be trimmed) first repeats ``g`` of ``pkg/b.py`` as it is, then
    changes ``h`` of ``pkg/a.py``: the copy is dropped, so the block belongs to ``pkg/a.py``."""
    notes = "".join(f"    Note {i}: the items are read once, in order, and never changed.\n" for i in range(40))
    g = f'def g(xs):\n    """Count the items.\n\n{notes}    """\n    return len(xs)\n'
    files = (
        CodeFile("pkg/b.py", g),
        CodeFile(
            "pkg/a.py",
            "def t(xs):\n    return h(xs)\n\n\n"
            "def h(xs):\n    out = []\n    for x in xs:\n        out.append(x + 1)\n    return out\n",
        ),
    )
    code = g + "\n\ndef h(xs):\n    return [x + 1 for x in xs]\n"
    assert len(code) >= 2000
    found = CLEANER.postprocess(optimize_request([f"Faster.\n\n```python\n{code}```\n"], files, "t"))
    assert [[f.path for f in c.files] for c in found] == [["pkg/a.py"]]


def test_a_one_line_docstring_followed_by_a_block_is_put_back() -> None:
    original = (
        "def total(xs):\n"
        '    """Sum the items."""\n'
        "    if not xs:\n        return 0\n"
        "    s = 0\n    for x in xs:\n        s += x\n    return s\n"
    )
    code = "def total(xs):\n    return sum(xs)\n"
    text = only_text(original, code, "total")
    assert function_source(text, "total") == 'def total(xs):\n    """Sum the items."""\n    return sum(xs)'


def test_an_import_only_the_kept_code_uses_stays_when_an_unused_definition_is_left_out() -> None:
    """``bench`` is called by nothing and left out; ``heapq``, which only the new ``top`` reads,
    must stay with it."""
    original = "def top(xs, k):\n    return sorted(xs, reverse=True)[:k]\n"
    code = (
        "import heapq\nimport time\n\n\n"
        "def top(xs, k):\n    return heapq.nlargest(k, xs)\n\n\n"
        "def bench():\n    start = time.perf_counter()\n    top(list(range(1000)), 3)\n"
        "    return time.perf_counter() - start\n"
    )
    text = only_text(original, code, "top")
    assert "def bench" not in text and "import time" not in text
    assert run(text)["top"]([5, 1, 9, 3], 2) == [9, 5]  # type: ignore[operator]


ACCOUNT = """\
class Account:
    def __init__(self, entries):
        self._entries = list(entries)

    @property
    def entries(self):
        out = []
        for e in self._entries:
            out.append(e)
        return out

    @entries.setter
    def entries(self, value):
        self._entries = []
        for v in value:
            self._entries.append(v)

    def total(self):
        t = 0
        for e in self._entries:
            t += e
        return t
"""


def test_a_property_s_getter_and_setter_answered_at_top_level_are_both_merged() -> None:
    code = (
        "@property\ndef entries(self):\n    return self._entries[:]\n\n\n"
        "@entries.setter\ndef entries(self, value):\n    self._entries = list(value)\n"
    )
    text = only_text(ACCOUNT, code, "Account.entries")
    assert "        return self._entries[:]\n" in text and "        self._entries = list(value)\n" in text
    account = run(text)["Account"]([1])  # type: ignore[operator]
    account.entries = (2, 3)
    assert account.entries == [2, 3]


def test_an_accessor_the_original_does_not_define_is_skipped_not_the_methods_after_it() -> None:
    code = (
        "class Account:\n"
        "    @entries.deleter\n    def entries(self):\n        self._entries = []\n\n"
        "    def total(self):\n        return sum(self._entries)\n"
    )
    text = only_text(ACCOUNT, code, "Account.total")
    assert "deleter" not in text and "        return sum(self._entries)\n" in text


def test_a_helper_taking_self_answered_beside_the_target_at_top_level_stays_a_function() -> None:
    """The answer gives the target method ``total`` at top level, without its class, and a helper
    taking ``self`` that is no method of any class: only ``total`` goes back into ``Box``."""
    code = "def _sum_items(self):\n    return sum(self.items)\n\n\ndef total(self):\n    return _sum_items(self)\n"
    text = only_text(BOX, code, "Box.total")
    assert text.endswith("\n\n\ndef _sum_items(self):\n    return sum(self.items)\n")
    assert run(text)["Box"]([1, 2]).total() == 3  # type: ignore[operator]


def test_a_method_with_parameters_answered_at_top_level_goes_back_into_its_class() -> None:
    original = (
        "class Circle:\n    def __init__(self, r):\n        self.r = r\n\n"
        "    def scaled(self, k):\n        out = self.r\n        out = out * k\n        return out\n"
    )
    text = only_text(original, "def scaled(self, k):\n    return self.r * k\n", "Circle.scaled")
    assert run(text)["Circle"](2).scaled(3) == 6  # type: ignore[operator]
    assert "\n    def scaled(self, k):\n        return self.r * k\n" in text


def test_a_changed_class_attribute_of_an_existing_class_is_not_taken() -> None:
    """The client replaces the class's methods, not its attributes: ``factor`` stays 2."""
    original = (
        "class Box:\n    factor = 2\n\n"
        "    def total(self, xs):\n        t = 0\n        for x in xs:\n"
        "            t += x * self.factor\n        return t\n"
    )
    code = "class Box:\n    factor = 3\n\n    def total(self, xs):\n        return sum(xs) * self.factor\n"
    text = only_text(original, code, "Box.total")
    assert "    factor = 2\n" in text and "factor = 3" not in text
    assert run(text)["Box"]().total([1, 2]) == 6  # type: ignore[operator]


def test_a_changed_module_constant_reading_an_earlier_one_stays_in_its_place() -> None:
    """``LIMIT`` is replaced where it is, after ``BASE``: no need to refuse it as read too early."""
    original = (
        "BASE = 10\nLIMIT = BASE * 2\n\n\n"
        "def f(x):\n    out = 0\n    for i in range(x):\n        out += i\n    return min(out, LIMIT)\n"
    )
    code = "LIMIT = 2 * BASE\n\n\ndef f(x):\n    return min(x * (x - 1) // 2, LIMIT)\n"
    text = only_text(original, code, "f")
    assert text.startswith("BASE = 10\nLIMIT = 2 * BASE\n")
    assert run(text)["f"](100) == 20  # type: ignore[operator]


def test_every_name_of_an_import_statement_is_checked_for_a_clash() -> None:
    """``import os.path, copy``: the submodule is skipped, ``copy`` after it is still aliased."""
    original = (
        "def copy(state):\n    return dict(state)\n\n\n"
        "def snapshot(state):\n    out = {}\n    for k, v in state.items():\n        out[k] = list(v)\n    return out\n"
    )
    code = "import os.path, copy\n\n\ndef snapshot(state):\n    return copy.deepcopy(state)\n"
    text = only_text(original, code, "snapshot")
    state = {"a": [1]}
    taken = run(text)["snapshot"](state)  # type: ignore[operator]
    assert taken == state and taken["a"] is not state["a"]


def test_the_methods_of_a_class_in_the_answer_read_the_alias_and_so_do_the_functions_after_it() -> None:
    original = (
        OWN_COUNTER
        + "\n\nclass Stats:\n    def counts(self, xs):\n        out = {}\n        for x in xs:\n"
        + "            out[x] = out.get(x, 0) + 1\n        return out\n"
    )
    code = (
        "from collections import Counter\n\n\n"
        "class Stats:\n    def counts(self, xs):\n        return dict(Counter(xs))\n\n\n"
        "def tally(xs):\n    return dict(Counter(xs))\n"
    )
    text = only_text(original, code, "Stats.counts")
    scope = run(text)
    assert scope["Stats"]().counts("aab") == {"a": 2, "b": 1}  # type: ignore[operator]
    assert scope["tally"]("abb") == {"a": 1, "b": 2}  # type: ignore[operator]


def test_an_import_alias_written_over_two_lines_is_renamed_whole() -> None:
    original = (
        "TABLE = {}\n\n\ndef index(pairs):\n    out = {}\n    for k, v in pairs:\n        out[k] = v\n    return out\n"
    )
    code = "from collections import (OrderedDict\n    as TABLE)\n\n\ndef index(pairs):\n    return dict(TABLE(pairs))\n"
    text = only_text(original, code, "index")
    assert "from collections import (OrderedDict as _TABLE)\n" in text
    scope = run(text)
    assert scope["index"]([("a", 1)]) == {"a": 1} and scope["TABLE"] == {}  # type: ignore[operator]


def test_a_new_nested_class_of_an_existing_class_is_not_added() -> None:
    """The client replaces and adds the methods of a class it has, not nested classes."""
    code = (
        "class Box:\n    class Meta:\n        ordering = ['items']\n\n"
        "    def total(self):\n        return sum(self.items)\n"
    )
    text = only_text(BOX, code, "Box.total")
    assert "Meta" not in text and "        return sum(self.items)\n" in text
