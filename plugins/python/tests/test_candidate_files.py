"""Which original file each code block of an answer goes to, and what the merge brings along."""

from __future__ import annotations

import pytest

from codeflash_engine.plugins.types import Candidate, CandidatesRequest, CodeFile, Target, Task
from codeflash_engine_python.candidates.pipeline import CLEANER, infer_target

from .answers import answers as answers_of
from .samples import ONE_FILE, TWO_FILES


def _run(
    answer: str, original: tuple[CodeFile, ...], target: str, finish_reason: str | None = "stop"
) -> list[Candidate]:
    request = CandidatesRequest(
        task=Task.OPTIMIZE,
        language="python",
        language_version="3.11.7",
        original=original,
        answers=answers_of([answer], original, finish_reason=finish_reason),
        target=Target.parse(target),
        fence_tags=("python", "py", "python3"),
    )
    return CLEANER.postprocess(request)


def _changed(candidates: list[Candidate], original: tuple[CodeFile, ...]) -> dict[str, str]:
    before = {f.path: f.code for f in original}
    assert len(candidates) == 1
    return {f.path: f.code for f in candidates[0].files if before.get(f.path) != f.code}


FAST_NORM = "def norm(v):\n    return math.hypot(*v)\n"
SAME_NAME = (
    CodeFile("pkg/a/util.py", "def f(xs):\n    return sorted(xs)\n"),
    CodeFile("pkg/b/util.py", "def g(xs):\n    return list(reversed(xs))\n"),
)


FAST_F = "def f(xs):\n    return xs.sort() or xs\n"


@pytest.mark.parametrize(
    ("answer", "original", "target", "files"),
    [
        # no path: the file that defines what the block defines
        (f"```python\n{FAST_NORM}```", TWO_FILES, "Vec.length", ["pkg/util.py"]),
        # a path among files of the same name: that file, whatever the block defines (here f, of
        # the other file: added to this one, where nothing calls it, so no candidate)
        (f"```python:pkg/a/util.py\n{FAST_F}```", SAME_NAME, "f", ["pkg/a/util.py"]),
        (f"```python:pkg/b/util.py\n{FAST_F}```", SAME_NAME, "f", None),
        # a path of no file of the request: the file that defines what the block defines
        (f"```python:lib/util.py\n{FAST_F}```", SAME_NAME, "f", ["pkg/a/util.py"]),
        # a path whose file name is one file's: that file (norm is util's: added to geo, unused)
        (f"```python:lib/geo.py\n{FAST_NORM}```", TWO_FILES, "Vec.length", None),
    ],
    ids=["by definitions", "by path", "by path, defining another file's function", "unknown path", "by file name"],
)
def test_the_file_a_block_goes_to(
    answer: str, original: tuple[CodeFile, ...], target: str, files: list[str] | None
) -> None:
    candidates = _run(answer, original, target)
    if files is None:
        assert candidates == []
    else:
        assert sorted(_changed(candidates, original)) == files


def test_a_helper_block_without_a_path_joins_the_target_file() -> None:
    answer = (
        "```python:pkg/sorter.py\ndef sort_list(xs: List[int]) -> List[int]:\n    return _sorted_copy(xs)\n```\n\n"
        "And the helper:\n\n```python\ndef _sorted_copy(xs):\n    return sorted(xs)\n```"
    )
    changed = _changed(_run(answer, ONE_FILE, "sort_list"), ONE_FILE)
    assert list(changed) == ["pkg/sorter.py"]
    assert "def _sorted_copy(xs):" in changed["pkg/sorter.py"]


def test_an_import_another_original_file_has_is_reused() -> None:
    original = (
        CodeFile("pkg/main.py", "def total(xs):\n    return sum(xs)\n"),
        CodeFile("pkg/fast.py", "from pkg.kernels import fast_sum\n\n\ndef run(xs):\n    return fast_sum(xs)\n"),
    )
    answer = "```python:pkg/main.py\ndef total(xs):\n    return fast_sum(xs)\n```"
    changed = _changed(_run(answer, original, "total"), original)
    assert changed["pkg/main.py"].startswith("from pkg.kernels import fast_sum\n")


# an original long enough for the shortcut of long whole-file answers (definitions repeated
# verbatim are taken out of the block before it is parsed)
HELPERS = "".join(
    f"def helper_{i}(xs):\n    total = 0\n    for x in xs:\n        total += x * {i}\n    return total\n\n\n"
    for i in range(30)
)
LONG = (CodeFile("pkg/m.py", HELPERS + "def target(xs):\n    return sorted(xs)\n"),)


def test_a_long_whole_file_answer_puts_a_new_helper_before_the_next_changed_definition() -> None:
    code = HELPERS.replace("def helper_5(", "def _new(xs):\n    return xs\n\n\ndef helper_5(")
    answer = f"```python:pkg/m.py\n{code}def target(xs):\n    return _new(sorted(xs))\n```"
    assert len(answer) > 2000
    merged = _changed(_run(answer, LONG, "target"), LONG)["pkg/m.py"]
    # the repeated definitions were taken out first, so the helper is anchored to the target
    assert merged.index("def helper_29") < merged.index("def _new") < merged.index("def target")
    assert merged.count("def helper_5(") == 1


def test_only_copies_at_the_start_of_a_line_are_taken_out() -> None:
    # helper_3 left out of the answer (kept as it was), and a class whose one-space-indented
    # method is, text for text, the original helper_3
    body = HELPERS.split("def helper_3(", 1)[1].split("\n\n\n", 1)[0]
    others = HELPERS.replace("def helper_3(" + body + "\n\n\n", "")
    inner = "class Box:\n def helper_3(" + body + "\n"
    answer = f"```python:pkg/m.py\n{others}{inner}\n\ndef target(xs):\n    return Box().helper_3(xs)\n```"
    assert len(answer) > 2000
    merged = _changed(_run(answer, LONG, "target"), LONG)["pkg/m.py"]
    assert "class Box:\n def helper_3(xs):" in merged and merged.count("def helper_3(") == 2


def test_a_cut_off_block_falls_back_to_an_earlier_cut_that_parses() -> None:
    """The last complete statement of a cut-off block may itself be broken: the cut before it is tried."""
    answer = (
        "```python:pkg/sorter.py\ndef sort_list(xs: List[int]) -> List[int]:\n    return sorted(xs)\n\n\n"
        "def spread(xs: List[int]) -> float:\n    return 1 +\n\n\ndef helper():\n    return (max(\n"
    )
    changed = _changed(_run(answer, ONE_FILE, "sort_list", finish_reason=None), ONE_FILE)
    assert "    return sorted(xs)\n" in changed["pkg/sorter.py"]
    assert "return math.sqrt(max(xs) - min(xs))" in changed["pkg/sorter.py"]  # spread kept as it was


def test_the_target_decides_between_files_sharing_definitions() -> None:
    """A block without a path that defines the target goes to the target's file, even when
    another file shares more of its definitions."""
    original = (
        CodeFile("pkg/sorter.py", "def sort_list(xs):\n    return sorted(xs)\n"),
        CodeFile("pkg/other.py", "def helper_a(x):\n    return x\n\n\ndef helper_b(x):\n    return -x\n"),
    )
    answer = (
        "```python\ndef helper_a(x):\n    return x\n\n\ndef helper_b(x):\n    return -x\n\n\n"
        "def sort_list(xs):\n    return sorted(helper_b(helper_a(x)) for x in xs)\n```"
    )
    changed = _changed(_run(answer, original, "sort_list"), original)
    assert list(changed) == ["pkg/sorter.py"]


GEO = "class Vec:\n    def length(self):\n        return 0\n\n\nclass Box:\n    def area(self):\n        return 1\n"
INFER_CASES = [
    # (files, named, (qualified name, path) or None)
    ([("a.py", "X = 1\n"), ("b.py", "def g():\n    pass\n\n\ndef h():\n    pass\n")], None, ("g", "b.py")),
    ([("a.py", "def broken(:\n"), ("b.py", "def g():\n    pass\n")], None, ("g", "b.py")),  # does not parse
    ([("geo.py", GEO)], Target("length", "length"), ("Vec.length", "geo.py")),  # a line profile's bare name
    ([("geo.py", GEO)], Target("area", "Box.area", class_name="Box"), ("Box.area", "geo.py")),
    ([("geo.py", GEO)], Target("area", "area"), ("Box.area", "geo.py")),  # not the first function
    ([("geo.py", GEO)], Target("missing", "missing"), ("Vec.length", "geo.py")),  # not there: inferred
    (
        [("geo.py", GEO + "\n\nclass Cube:\n    def length(self):\n        return 3\n")],
        Target("length", "length"),
        ("Vec.length", "geo.py"),
    ),
    ([("a.py", "X = 1\n")], None, None),  # no function anywhere
]


@pytest.mark.parametrize(("files", "named", "expected"), INFER_CASES)
def test_infer_target(files: list[tuple[str, str]], named: Target | None, expected: tuple[str, str] | None) -> None:
    found = infer_target([CodeFile(path, code) for path, code in files], "3.11.7", named)
    assert (None if found is None else (found.qualified_name, found.path)) == expected


def test_the_shortcut_starts_at_2000_characters() -> None:
    first = HELPERS[: HELPERS.index("def helper_18(")]  # the rest is left out, so kept as it was
    code = first.replace("def helper_5(", "def _new(xs):\n    return xs\n\n\ndef helper_5(")
    tail = "def target(xs):\n    return _new(sorted(xs))\n"
    pad = 2000 - len(code) - len(tail) - len("# \n")
    assert pad >= 0
    block = code + "# " + "x" * (pad + 1) + "\n" + tail  # read without its final newline: 2000 characters
    assert len(block) == 2001
    merged = _changed(_run(f"```python:pkg/m.py\n{block}```", LONG, "target"), LONG)["pkg/m.py"]
    assert merged.index("def helper_17") < merged.index("def _new")  # taken out first: anchored to the target


OTHER_FILE = {
    "parses": CodeFile("pkg/other.py", "def other(x):\n    return x\n"),
    "broken": CodeFile("pkg/broken.py", "def broken(:\n"),
}


@pytest.mark.parametrize("before", ["parses", "broken"])
def test_a_helper_block_without_a_path_joins_the_target_file_when_another_file_comes_first(before: str) -> None:
    original = (OTHER_FILE[before], *ONE_FILE)
    answer = (
        "```python:pkg/sorter.py\ndef sort_list(xs: List[int]) -> List[int]:\n    return _sorted_copy(xs)\n```\n\n"
        "And the helper:\n\n```python\ndef _sorted_copy(xs):\n    return sorted(xs)\n```"
    )
    changed = _changed(_run(answer, original, "sort_list"), original)
    assert list(changed) == ["pkg/sorter.py"]
    assert "def _sorted_copy(xs):" in changed["pkg/sorter.py"]


def test_an_answer_with_a_file_block_that_does_not_parse_is_dropped() -> None:
    """Returning the other blocks alone would give the client a candidate without that file's change."""
    answer = (
        "```python:pkg/sorter.py\ndef sort_list(xs: List[int]) -> List[int]:\n"
        "    return sorted(xs, reverse=False)\n```\n\n"
        "```python:pkg/sorter.py\ndef spread(xs: List[int]) -> float:\n    return (max(xs) -\n```"
    )
    assert _run(answer, ONE_FILE, "sort_list") == []


def test_a_base_file_that_does_not_parse_leaves_the_next_one_in_use() -> None:
    from .test_base_carry_over import BASE_SORTER, USES_BASE_HELPER, run

    base = (CodeFile("pkg/broken.py", "def broken(:\n"), CodeFile("pkg/sorter.py", BASE_SORTER))
    candidates = run([USES_BASE_HELPER], base=base)
    assert "def _insertion_sort(xs):" in candidates[0].files[0].code


def test_new_definitions_nothing_refers_to_are_left_out() -> None:
    """A draft under another name, a benchmark function (and the import only it needs), an unused
    constant: the client would add each to the user's file. What the changed code uses, directly
    or through another new definition, in this file or another, is kept."""
    answer = (
        "```python:pkg/geo.py\nfrom pkg.util import fast_norm\n\n\n"
        "class Vec:\n    def length(self):\n        return fast_norm(self.xs) * _ONE\n\n\n"
        "_ONE = _unit()\n\n\ndef _unit():\n    return 1\n\n\n"
        "def length_draft(xs):\n    return math.sqrt(sum(x * x for x in xs))\n```\n\n"
        "```python:pkg/util.py\nimport timeit\n\n\ndef fast_norm(v):\n    return math.hypot(*v)\n\n\n"
        "def benchmark():\n    return timeit.timeit(lambda: fast_norm([3, 4]), number=1000)\n\n\n"
        "UNUSED_LIMIT = 1000\n\n\nclass _Bench:\n    pass\n\n\n__all__ = ['fast_norm']\n```"
    )
    changed = _changed(_run(answer, TWO_FILES, "Vec.length"), TWO_FILES)
    geo, util = changed["pkg/geo.py"], changed["pkg/util.py"]
    assert "return fast_norm(self.xs) * _ONE" in geo and "_ONE = _unit()" in geo and "def _unit():" in geo
    assert "length_draft" not in geo
    assert "def fast_norm(v):" in util and "__all__ = ['fast_norm']" in util
    assert "benchmark" not in util and "timeit" not in util and "UNUSED_LIMIT" not in util and "_Bench" not in util
