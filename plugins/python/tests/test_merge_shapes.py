"""How a candidate's definitions are merged into the original file: placement, indentation,
imports, and what counts as a change (candidates/merge.py), through the plugin's postprocessing."""

from __future__ import annotations

import ast

import pytest

from codeflash_engine.plugins.types import Candidate, CodeFile
from codeflash_engine_python.candidates.pipeline import CLEANER

from .answers import optimize_request

PATH = "pkg/mod.py"


def merged(original: str, code: str, target: str | None = "f") -> list[Candidate]:
    """The candidates of one answer holding ``code``; ``target`` None as in an optimize request,
    which names none."""
    request = optimize_request([f"Faster.\n\n```python:{PATH}\n{code}\n```\n"], (CodeFile(PATH, original),), target)
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


def test_a_class_answered_as_a_function_of_the_same_name_is_replaced_by_it_in_its_place() -> None:
    """The CLI takes such a function too (after the last definition, where it shadows the class)."""
    f = "def f(xs):\n    return [Point((x, x)) for x in xs]\n"
    original = f"class Point(tuple):\n    pass\n\n\nORIGIN = 0\n\n\n{f}"
    code = f"def Point(pair):\n    return tuple(pair)\n\n\n{f}"
    assert only_text(original, code) == f"def Point(pair):\n    return tuple(pair)\n\n\nORIGIN = 0\n\n\n{f}"


def test_the_class_of_the_target_answered_as_a_function_is_refused() -> None:
    """The target method would be gone with its class."""
    original = "class Box:\n    def total(self):\n        return sum(self.xs)\n"
    code = "def Box(xs):\n    return sum(xs)\n"
    assert merged(original, code, target="Box.total") == []


def test_a_function_answered_as_a_class_of_the_same_name_leaves_it_as_it_was() -> None:
    """A class in place of an existing function is not taken: the CLI keeps the function (it adds
    a class only under a name the original does not define), and what we return is what it runs.
    The answer's other changes are taken."""
    original = "def Point(x, y):\n    return (x, y)\n\n\ndef f(xs):\n    return [Point(x, x) for x in xs]\n"
    code = "class Point(tuple):\n    pass\n\n\ndef f(xs):\n    return [(x, x) for x in xs]\n"
    text = only_text(original, code)
    assert "def Point(x, y):" in text and "class Point" not in text and "return [(x, x) for x in xs]" in text


REBOUND = (
    "import functools\n\n\ndef helper(x):\n    return abs(x)\n\n\ndef f(xs):\n    return [helper(x) for x in xs]\n"
)


@pytest.mark.parametrize(
    "binding",
    [
        "helper = lambda x: x if x >= 0 else -x\n",
        "helper = abs\n",
        "def _helper_impl(x):\n    return abs(x)\n\n\nhelper = functools.lru_cache(maxsize=None)(_helper_impl)\n",
    ],
    ids=["lambda", "another-callable", "a-cached-new-def"],
)
def test_a_function_rebound_by_an_assignment_is_replaced_by_it_in_its_place(binding: str) -> None:
    """The answer says "helper is now this": its def goes, the new binding (and what the answer
    defines before it) takes its place."""
    code = f"{binding}\n\ndef f(xs):\n    return [helper(x) for x in xs]\n"
    text = only_text(REBOUND, code)
    assert text == f"import functools\n\n\n{binding}\n\ndef f(xs):\n    return [helper(x) for x in xs]\n"


CACHED_F = "def f(xs):\n    return list(map(helper, xs))\n"
FAST_HELPER = "def helper(x):\n    return -x if x < 0 else x\n"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (  # wraps the def, which must stay
            f"helper = functools.lru_cache(maxsize=None)(helper)\n\n\n{CACHED_F}",
            f"import functools\n\n\ndef helper(x):\n    return abs(x)\n\n\n"
            f"helper = functools.lru_cache(maxsize=None)(helper)\n\n\n{CACHED_F}",
        ),
        (  # wraps the answer's own def, which replaces the original's
            f"{FAST_HELPER}\n\nhelper = functools.cache(helper)\n\n\n{CACHED_F}",
            f"import functools\n\n\n{FAST_HELPER}\n\nhelper = functools.cache(helper)\n\n\n{CACHED_F}",
        ),
        (  # rebinds the target: the CLI replaces the target's def by name, so it stays
            f"{FAST_HELPER}\n\nf = lambda xs: [helper(x) for x in xs]\n",
            f"import functools\n\n\n{FAST_HELPER}\n\n"
            "def f(xs):\n    return [helper(x) for x in xs]\n\n\nf = lambda xs: [helper(x) for x in xs]\n",
        ),
    ],
    ids=["wraps-the-original", "wraps-its-own-def", "rebinds-the-target"],
)
def test_an_assignment_that_needs_the_def_or_rebinds_the_target_keeps_it(code: str, expected: str) -> None:
    """Such an assignment is a new statement after the def (a valid file, the same behaviour)."""
    assert only_text(REBOUND, code) == expected


def test_an_assignment_replaces_the_original_s_own_assignment_to_the_name_and_the_def_stays() -> None:
    original = REBOUND.replace("\n\n\ndef f", "\n\n\nhelper = functools.cache(helper)\n\n\ndef f")
    text = only_text(original, f"helper = abs\n\n\n{CACHED_F}")
    assert text == f"import functools\n\n\ndef helper(x):\n    return abs(x)\n\n\nhelper = abs\n\n\n{CACHED_F}"


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


ANNOTATED = "from typing import Sequence\n\n\ndef f(xs: Sequence[int]) -> int:\n    return sorted(xs)[0]\n"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "from typing import List\n\n\ndef f(xs: List[int]) -> int:\n    return min(xs)\n",
            "from typing import Sequence\n\n\ndef f(xs: Sequence[int]) -> int:\n    return min(xs)\n",
        ),
        (  # a well-known name the header reads is not imported either
            "def f(xs: Iterable[int]) -> int:\n    return min(xs)\n",
            "from typing import Sequence\n\n\ndef f(xs: Sequence[int]) -> int:\n    return min(xs)\n",
        ),
        (  # the line keeps the name the body reads
            "from typing import List, cast\n\n\ndef f(xs: List[int]) -> int:\n    return cast(int, min(xs))\n",
            "from typing import Sequence\nfrom typing import cast\n\n\n"
            "def f(xs: Sequence[int]) -> int:\n    return cast(int, min(xs))\n",
        ),
        (  # the rest of the line is imported by the original already
            "from typing import List, Sequence\n\n\ndef f(xs: List[int]) -> int:\n    return min(xs)\n",
            "from typing import Sequence\n\n\ndef f(xs: Sequence[int]) -> int:\n    return min(xs)\n",
        ),
        (  # the module of a dotted import
            "import collections.abc\n\n\ndef f(xs: collections.abc.Sequence[int]) -> int:\n    return min(xs)\n",
            "from typing import Sequence\n\n\ndef f(xs: Sequence[int]) -> int:\n    return min(xs)\n",
        ),
        (  # an import no header read stays, used or not (it may be there for its side effects)
            "import readline\nfrom typing import List\n\n\ndef f(xs: List[int]) -> int:\n    return min(xs)\n",
            "from typing import Sequence\nimport readline\n\n\ndef f(xs: Sequence[int]) -> int:\n    return min(xs)\n",
        ),
        (  # the body reads it too
            "import heapq\nfrom typing import List\n\n\n"
            "def f(xs: List[int]) -> int:\n    least: List[int] = heapq.nsmallest(1, xs)\n    return least[0]\n",
            "from typing import Sequence\nimport heapq\nfrom typing import List\n\n\n"
            "def f(xs: Sequence[int]) -> int:\n    least: List[int] = heapq.nsmallest(1, xs)\n    return least[0]\n",
        ),
        (  # a new definition keeps its header, which reads it
            "from typing import List\n\n\ndef _least(xs: List[int]) -> int:\n    return min(xs)\n\n\n"
            "def f(xs: List[int]) -> int:\n    return _least(xs)\n",
            "from typing import Sequence\nfrom typing import List\n\n\ndef _least(xs: List[int]) -> int:\n"
            "    return min(xs)\n\n\ndef f(xs: Sequence[int]) -> int:\n    return _least(xs)\n",
        ),
    ],
    ids=[
        "imported",
        "well-known",
        "shared-line",
        "shared-with-an-import-of-the-original",
        "dotted",
        "not-read-by-a-header",
        "read-by-the-body",
        "read-by-a-new-header",
    ],
)
def test_imports_only_a_discarded_header_reads_are_not_added(code: str, expected: str) -> None:
    """The original header is put back over the candidate's annotations: what only they needed goes."""
    assert only_text(ANNOTATED, code) == expected


TABBED = (
    "class Words:\n"
    "\tdef __init__(self, words):\n"
    "\t\tself.words = list(words)\n"
    "\n"
    "\tdef unique(self):\n"
    "\t\tseen = []\n"
    "\t\tfor w in self.words:\n"
    "\t\t\tif w not in seen:\n"
    "\t\t\t\tseen.append(w)\n"
    "\t\treturn seen\n"
)
#: the answer in four spaces: a changed method, a new method, a new function
FOUR_SPACES = (
    "class Words:\n"
    "    def unique(self):\n"
    "        out = {}\n"
    "        for w in self.words:\n"
    "            if w not in out:\n"
    "                out[w] = None\n"
    "        return _keys(out)\n"
    "\n"
    "    def size(self):\n"
    "        return len(self.words)\n"
    "\n"
    "\n"
    "def _keys(d):\n"
    "    if d:\n"
    "        return list(d)\n"
    "    return []\n"
)


@pytest.mark.parametrize("unit", ["\t", "  ", "   "])
def test_the_answer_takes_the_file_s_indentation_unit(unit: str) -> None:
    """A file indented with tabs (or two spaces) gets the answer's code in tabs, not a mix of the
    file's unit for the outer levels and the answer's four spaces inside (as the CLI itself writes
    the code it adds to a file)."""
    text = only_text(TABBED.replace("\t", unit), FOUR_SPACES, target="Words.unique")
    u = unit
    assert (
        f"{u}def unique(self):\n{u * 2}out = {{}}\n{u * 2}for w in self.words:\n{u * 3}if w not in out:\n"
        f"{u * 4}out[w] = None\n{u * 2}return _keys(out)\n"
    ) in text, text
    assert f"{u}def size(self):\n{u * 2}return len(self.words)\n" in text, text
    assert f"def _keys(d):\n{u}if d:\n{u * 2}return list(d)\n{u}return []\n" in text, text
    if u == "\t":
        assert not any(line.startswith(" ") for line in text.splitlines()), text


def test_a_file_in_the_answer_s_unit_is_left_as_it_was() -> None:
    original = TABBED.replace("\t", "    ")
    text = only_text(original, FOUR_SPACES, target="Words.unique")
    assert "    def unique(self):\n        out = {}\n" in text
    assert "\t" not in text


def test_multi_line_strings_keep_their_lines_when_the_indentation_unit_changes() -> None:
    original = "def f(xs):\n  out = []\n  for x in xs:\n    out.append(x)\n  return out\n"
    code = (
        "def f(xs):\n"
        '    """Copy.\n\n'
        "        Indented docstring line.\n"
        '    """\n'
        "    if xs:\n"
        '        note = """a\n'
        "    b\n"
        '        c"""\n'
        "        return list(xs) if note else []\n"
        "    return []\n"
    )
    text = only_text(original, code)
    assert '  if xs:\n    note = """a\n    b\n        c"""\n    return list(xs) if note else []\n  return []\n' in text
    assert "\n    Indented docstring line.\n" in text


def test_an_answer_whose_levels_would_merge_keeps_its_own_layout() -> None:
    """Four-space levels with an odd two-space block inside: in two-space units, the block and its
    body would end at one depth, so the code is merged as the answer wrote it (still valid)."""
    original = "def f(xs):\n  out = []\n  for x in xs:\n    out.append(x)\n  return out\n"
    code = "def f(xs):\n    if xs:\n      for x in xs:\n        pass\n    return list(xs)\n"
    text = only_text(original, code)
    assert "    if xs:\n      for x in xs:\n        pass\n    return list(xs)\n" in text


@pytest.mark.parametrize(
    "separator",
    ["\x0c\n", "# \x0c page\n", 'NOTE = "a\u2028b"\n', "# \x1c\x85\u2029\n"],
    ids=["form-feed-line", "form-feed-in-comment", "line-separator-in-string", "other-breaks-in-comment"],
)
def test_characters_str_splitlines_breaks_at_do_not_shift_the_definitions(separator: str) -> None:
    """A form feed (``^L`` page breaks between sections, as Emacs users write) or a Unicode line
    separator is no line end for Python: the target after it is replaced where it is, whole."""
    original = (
        f"import math\n\n{separator}\n"
        "def helper(x):\n    return x + 1\n\n\n"
        "def f(xs):\n    out = []\n    for x in xs:\n        out.append(helper(x))\n    return out\n\n\n"
        "def g():\n    return 2\n"
    )
    text = only_text(original, "def f(xs):\n    return [helper(x) for x in xs]\n")
    assert text == original.replace(
        "    out = []\n    for x in xs:\n        out.append(helper(x))\n    return out\n",
        "    return [helper(x) for x in xs]\n",
    )
