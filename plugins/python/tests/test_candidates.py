"""Candidate postprocessing on realistic raw LLM answers, with the exact output as snapshots.

Each snapshot shows what the engine would send the CLI for the batch: per surviving candidate,
the answer it came from, its explanation and its ``source_code`` markdown (contract 2.1).
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from codeflash_engine.plugins.types import Candidate, CandidatesRequest, CodeFile, Target, Task
from codeflash_engine.text.markdown import CodeBlock, parse_markdown, write_markdown
from codeflash_engine_python.candidates.extract import RawBlock
from codeflash_engine_python.candidates.pipeline import CLEANER, repair_truncated
from codeflash_engine_python.syntax import validate_python

from .answers import answers as answers_of
from .samples import ONE_FILE, TWO_FILES


def run(
    answers: list[str],
    original: tuple[CodeFile, ...] = ONE_FILE,
    target: str | None = "sort_list",
    version: str | None = "3.11.7",
    finish_reason: str | None = "stop",
) -> list[Candidate]:
    request = CandidatesRequest(
        task=Task.OPTIMIZE,
        language="python",
        language_version=version,
        original=original,
        answers=answers_of(answers, original, finish_reason=finish_reason),
        target=Target.parse(target) if target else None,
        fence_tags=("python", "py", "python3"),
    )
    return CLEANER.postprocess(request)


def render(candidates: list[Candidate]) -> str:
    """The batch as the CLI would receive it; also checks the client reads back what we wrote."""
    parts = []
    for candidate in candidates:
        markdown = write_markdown([CodeBlock("python", f.path, f.code) for f in candidate.files])
        read = parse_markdown(markdown)
        assert [(b.path, b.code) for b in read] == [(f.path, f.code.strip()) for f in candidate.files]
        assert all(validate_python(b.code, "3.11.7") == [] for b in read)
        parts.append(f"### answer {candidate.answer_index}\nexplanation: {candidate.explanation!r}\n{markdown}")
    return "\n\n".join(parts) if parts else "(no candidate)"


FAST_SORT = '''I replaced the O(n^2) bubble sort with the built-in Timsort, which runs in C.

```python:pkg/sorter.py
def sort_list(xs: List[int]) -> List[int]:
    """Sort a copy of xs."""
    return sorted(xs)
```

This keeps the input unchanged because `sorted` returns a new list.'''


def test_prose_around_fences(snapshot: SnapshotAssertion) -> None:
    candidates = run([FAST_SORT])
    assert len(candidates) == 1
    assert "return sorted(xs)" in candidates[0].files[0].code
    assert "def spread" in candidates[0].files[0].code  # the rest of the file is kept
    assert render(candidates) == snapshot


def test_missing_path_goes_to_the_target_file(snapshot: SnapshotAssertion) -> None:
    answer = "Use sorted().\n\n```python\ndef sort_list(xs: List[int]) -> List[int]:\n    return sorted(xs)\n```\n"
    candidates = run([answer])
    assert [f.path for f in candidates[0].files] == ["pkg/sorter.py"]
    assert render(candidates) == snapshot


def test_bare_fence_and_file_comment_path(snapshot: SnapshotAssertion) -> None:
    answer = (
        "Faster:\n```\n# file: pkg/sorter.py\ndef sort_list(xs: List[int]) -> List[int]:\n    return sorted(xs)\n```\n"
    )
    assert render(run([answer])) == snapshot


def test_truncated_last_fence_keeps_the_complete_definitions(snapshot: SnapshotAssertion) -> None:
    answer = """Sort with Timsort and compute the spread in one pass.

```python:pkg/sorter.py
def sort_list(xs: List[int]) -> List[int]:
    return sorted(xs)


def spread(xs: List[int]) -> float:
    lo = hi = xs[0]
    for x in xs:
        if x < lo:
            lo = x"""
    candidates = run([answer], finish_reason=None)
    code = candidates[0].files[0].code
    assert "return sorted(xs)" in code
    assert "return math.sqrt(max(xs) - min(xs))" in code  # the cut-off spread is not used
    assert render(candidates) == snapshot


def test_truncated_mid_expression_drops_the_cut_definition_with_its_decorators() -> None:
    answer = """```python:pkg/sorter.py
def sort_list(xs: List[int]) -> List[int]:
    return sorted(xs)


@functools.lru_cache(maxsize=None)
def spread(xs):
    return (max(xs) -"""
    candidates = run([answer], finish_reason=None)
    code = candidates[0].files[0].code
    assert "return sorted(xs)" in code
    assert "lru_cache" not in code and "return math.sqrt(max(xs) - min(xs))" in code
    assert validate_python(code, "3.11") == []


def test_truncated_fence_inside_the_target_is_dropped() -> None:
    answer = "```python:pkg/sorter.py\ndef sort_list(xs: List[int]) -> List[int]:\n    out = sorted(xs)\n"
    assert run([answer], finish_reason=None) == []


def test_changed_signature_is_dropped() -> None:
    answers = [
        "```python\ndef sort_list(xs, reverse=False):\n    return sorted(xs, reverse=reverse)\n```",
        "```python\ndef sort_list(values: List[int]) -> List[int]:\n    return sorted(values)\n```",
        "```python\nasync def sort_list(xs: List[int]) -> List[int]:\n    return sorted(xs)\n```",
    ]
    assert run(answers) == []


def test_annotation_drift_gets_the_original_header_back(snapshot: SnapshotAssertion) -> None:
    answer = "```python:pkg/sorter.py\ndef sort_list(xs: list[int]) -> list[int]:\n    return sorted(xs)\n```"
    candidates = run([answer])
    assert "def sort_list(xs: List[int]) -> List[int]:" in candidates[0].files[0].code
    assert render(candidates) == snapshot


def test_a_candidate_that_only_renames_locals_is_the_original() -> None:
    answer = '''Renamed variables for clarity.

```python:pkg/sorter.py
def sort_list(xs: List[int]) -> List[int]:
    """Sorts."""
    result = list(xs)
    for a in range(len(result)):  # outer pass
        for b in range(len(result) - 1 - a):
            if result[b] > result[b + 1]:
                result[b], result[b + 1] = result[b + 1], result[b]
    return result
```'''
    assert run([answer]) == []


def test_placeholder_stub_keeps_the_original_definition(snapshot: SnapshotAssertion) -> None:
    answer = """```python:pkg/sorter.py
def sort_list(xs: List[int]) -> List[int]:
    return sorted(xs)


def spread(xs: List[int]) -> float:
    ...
```"""
    candidates = run([answer])
    assert "math.sqrt(max(xs) - min(xs))" in candidates[0].files[0].code
    assert render(candidates) == snapshot


@pytest.mark.parametrize(
    "body",
    [
        "    out = list(xs)\n    # ... rest of the code unchanged ...\n    return out",
        "    out = list(xs)\n    # existing implementation stays the same here\n    return out",
        "    out = list(xs)\n    ...\n    return out",
    ],
)
def test_elided_body_drops_the_candidate(body: str) -> None:
    answer = f"```python:pkg/sorter.py\ndef sort_list(xs: List[int]) -> List[int]:\n{body}\n```"
    assert run([answer]) == []


def test_missing_import_is_added(snapshot: SnapshotAssertion) -> None:
    answer = """Use a heap-based merge and an lru-cached helper.

```python:pkg/sorter.py
def _key(x):
    return x


def sort_list(xs: List[int]) -> List[int]:
    heap = list(xs)
    heapify(heap)
    return [heappop(heap) for _ in range(len(heap))]


def spread(xs: List[int]) -> float:
    return sqrt(max(xs) - min(xs))
```"""
    candidates = run([answer])
    code = candidates[0].files[0].code
    assert "from heapq import heapify, heappop" in code
    assert "from math import sqrt" in code
    assert render(candidates) == snapshot


def test_several_files_target_file_first(snapshot: SnapshotAssertion) -> None:
    answer = """Two changes: `norm` sums squares in a plain loop and `length` drops its dead loop.

```python:pkg/util.py
def norm(v):
    s = 0.0
    for x in v:
        s += x * x
    return math.sqrt(s)
```

```python:pkg/geo.py
class Vec:
    def length(self) -> float:
        return norm(self.xs) * SCALE
```"""
    candidates = run([answer], original=TWO_FILES, target="Vec.length")
    assert [f.path for f in candidates[0].files] == ["pkg/geo.py", "pkg/util.py"]
    assert render(candidates) == snapshot


def test_method_answered_at_top_level_goes_back_into_its_class(snapshot: SnapshotAssertion) -> None:
    answer = "```python:pkg/geo.py\ndef length(self) -> float:\n    return norm(self.xs) * SCALE\n```"
    candidates = run([answer], original=TWO_FILES, target="Vec.length")
    assert "    def length(self) -> float:\n        return norm(self.xs) * SCALE" in candidates[0].files[0].code
    assert render(candidates) == snapshot


def test_a_bare_method_name_from_a_line_profile_is_the_method_of_the_original() -> None:
    """The line profile's header names ``length``: it is ``Vec.length``, as if inferred."""
    answer = "```python:pkg/geo.py\ndef length(self) -> float:\n    return norm(self.xs) * SCALE\n```"
    by_name = run([answer], original=TWO_FILES, target="length")
    assert by_name == run([answer], original=TWO_FILES, target="Vec.length")
    assert "    def length(self) -> float:\n        return norm(self.xs) * SCALE" in by_name[0].files[0].code


def test_whole_file_answer_with_a_new_helper_and_demo_code(snapshot: SnapshotAssertion) -> None:
    answer = '''Here is the full module:

```python
import math
from typing import List

_EMPTY: List[int] = []


def _merge(a, b):
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    out.extend(a[i:])
    out.extend(b[j:])
    return out


def sort_list(xs: List[int]) -> List[int]:
    """Sort a copy of xs."""
    if len(xs) <= 1:
        return list(xs)
    mid = len(xs) // 2
    return _merge(sort_list(xs[:mid]), sort_list(xs[mid:]))


def spread(xs: List[int]) -> float:
    return math.sqrt(max(xs) - min(xs))


if __name__ == "__main__":
    print(sort_list([3, 1, 2]))
```'''
    candidates = run([answer])
    code = candidates[0].files[0].code
    assert "__main__" not in code
    assert code.index("def _merge") < code.index("def sort_list")
    assert render(candidates) == snapshot


def test_xml_answer(snapshot: SnapshotAssertion) -> None:
    answer = (
        "<explanation>Timsort instead of bubble sort.</explanation>\n"
        "<code>\ndef sort_list(xs: List[int]) -> List[int]:\n    return sorted(xs)\n</code>"
    )
    candidates = run([answer])
    assert candidates[0].explanation == "Timsort instead of bubble sort."
    assert render(candidates) == snapshot


def test_an_answer_that_is_only_code_has_no_explanation() -> None:
    """Code without a fence or prose is the candidate; it is not its own explanation too."""
    [candidate] = run(["def sort_list(xs: List[int]) -> List[int]:\n    return sorted(xs)\n"])
    assert "return sorted(xs)" in candidate.files[0].code
    assert candidate.explanation == ""


@pytest.mark.parametrize(
    "code",
    [
        "def sort_list(xs: List[int]) -> List[int]:\n\u00a0\u00a0\u00a0\u00a0return sorted(xs)",
        "\ufeffdef sort_list(xs: List[int]) -> List[int]:\n    return sorted(xs)",
        "def sort_list(xs: List[int]) -> List[int]:\u200b\n    return sorted(xs)",
    ],
)
def test_invisible_characters_in_the_answer_s_code_are_mended(code: str) -> None:
    """No-break spaces as indentation, a byte-order mark, a zero-width space: the code is what the
    model meant, not a syntax error."""
    [candidate] = run([f"Timsort.\n\n```python:pkg/sorter.py\n{code}\n```\n"])
    merged = candidate.files[0].code
    assert 'def sort_list(xs: List[int]) -> List[int]:\n    """Sort a copy of xs."""\n    return sorted(xs)' in merged
    assert not any(c in merged for c in "\u00a0\ufeff\u200b")


def test_duplicates_within_the_batch_keep_the_first() -> None:
    other = (
        "Same idea.\n```python\ndef sort_list(xs: List[int]) -> List[int]:\n"
        "    # use the built-in\n    ys = sorted(xs)\n    return ys\n```"
    )
    plain = "```python\ndef sort_list(xs: List[int]) -> List[int]:\n    return sorted(xs)\n```"
    candidates = run([FAST_SORT, other, plain, FAST_SORT])
    assert [c.answer_index for c in candidates] == [0, 1]


def test_renamed_target_is_dropped() -> None:
    answer = "```python\ndef sort_list_fast(xs: List[int]) -> List[int]:\n    return sorted(xs)\n```"
    assert run([answer]) == []


def test_syntax_error_and_unknown_language_are_dropped() -> None:
    answers = [
        "```python\ndef sort_list(xs: List[int]) -> List[int]:\n    return sorted(xs\n```",
        "```javascript\nfunction sort_list(xs) { return xs.sort(); }\n```",
        "I could not find a faster version.",
    ]
    assert run(answers) == []


def test_syntax_newer_than_the_clients_python_is_dropped() -> None:
    answer = (
        "```python\ndef sort_list(xs: List[int]) -> List[int]:\n    match xs:\n        case []:\n"
        "            return []\n    return sorted(xs)\n```"
    )
    assert run([answer], version="3.9.18") == []
    assert len(run([answer], version="3.11.7")) == 1


def test_unknown_target_is_inferred_from_the_first_function() -> None:
    candidates = run([FAST_SORT], target=None)
    assert len(candidates) == 1


def test_async_target_keeps_its_coroutine(snapshot: SnapshotAssertion) -> None:
    original = (
        CodeFile(
            "svc/fetch.py",
            "import asyncio\n\n\nasync def fetch_all(ids):\n    out = []\n    for i in ids:\n"
            "        out.append(await asyncio.sleep(0, result=i))\n    return out\n",
        ),
    )
    good = (
        "Overlap the awaits.\n```python:svc/fetch.py\nasync def fetch_all(ids):\n"
        "    return list(await asyncio.gather(*(asyncio.sleep(0, result=i) for i in ids)))\n```"
    )
    sync = "```python:svc/fetch.py\ndef fetch_all(ids):\n    return list(ids)\n```"
    candidates = run([good, sync], original=original, target="fetch_all")
    assert [c.answer_index for c in candidates] == [0]
    assert render(candidates) == snapshot


SEARCH_REPLACE = """The nested loops are a bubble sort; `sorted` does the same in O(n log n).

pkg/sorter.py
```python
<<<<<<< SEARCH
    out = list(xs)
    # bubble sort
    for i in range(len(out)):
        for j in range(len(out) - 1 - i):
            if out[j] > out[j + 1]:
                out[j], out[j + 1] = out[j + 1], out[j]
    return out
=======
    return sorted(xs)
>>>>>>> REPLACE
```"""

V4A = '''Use the built-in sort.

*** Begin Patch
*** Update File: pkg/sorter.py
@@ def sort_list(xs: List[int]) -> List[int]:
     """Sort a copy of xs."""
-    out = list(xs)
-    # bubble sort
-    for i in range(len(out)):
-        for j in range(len(out) - 1 - i):
-            if out[j] > out[j + 1]:
-                out[j], out[j + 1] = out[j + 1], out[j]
-    return out
+    return sorted(xs)
*** End Patch'''


UNIFIED = '''Use the built-in sort.

```diff
--- a/pkg/sorter.py
+++ b/pkg/sorter.py
@@ -7,10 +7,3 @@ from typing import List
 def sort_list(xs: List[int]) -> List[int]:
     """Sort a copy of xs."""
-    out = list(xs)
-    # bubble sort
-    for i in range(len(out)):
-        for j in range(len(out) - 1 - i):
-            if out[j] > out[j + 1]:
-                out[j], out[j + 1] = out[j + 1], out[j]
-    return out
+    return sorted(xs)
```'''


@pytest.mark.parametrize("answer", [SEARCH_REPLACE, V4A, UNIFIED], ids=["search_replace", "v4a", "unified"])
def test_edit_answers_are_applied_to_the_original(answer: str, snapshot: SnapshotAssertion) -> None:
    candidates = run([answer])
    assert len(candidates) == 1
    assert "return sorted(xs)" in candidates[0].files[0].code
    assert render(candidates) == snapshot


def test_a_diff_shown_for_illustration_gives_way_to_the_full_code() -> None:
    answer = (
        "The change, roughly:\n\n```diff\n--- a/pkg/sorter.py\n+++ b/pkg/sorter.py\n@@ -1,3 +1,2 @@\n"
        "-    for item in things:\n-        total += item\n+    total = sum(things)\n```\n\nThe full function:\n\n"
        "```python:pkg/sorter.py\ndef sort_list(xs: List[int]) -> List[int]:\n    return sorted(xs)\n```\n"
    )
    candidates = run([answer])
    assert len(candidates) == 1 and "return sorted(xs)" in candidates[0].files[0].code


def test_an_edit_that_does_not_apply_is_dropped() -> None:
    answer = "pkg/sorter.py\n<<<<<<< SEARCH\n    return xs[::-1]\n=======\n    return sorted(xs)\n>>>>>>> REPLACE\n"
    assert run([answer]) == []


def test_new_decorator_counts_as_a_change_and_brings_its_import(snapshot: SnapshotAssertion) -> None:
    answer = (
        "Cache the spread.\n```python:pkg/sorter.py\nfrom __future__ import annotations\n\nimport functools\n\n\n"
        "@functools.lru_cache(maxsize=None)\ndef spread(xs: List[int]) -> float:\n"
        "    return math.sqrt(max(xs) - min(xs))\n```"
    )
    candidates = run([answer])
    code = candidates[0].files[0].code
    assert "import functools\n" in code and "__future__" not in code
    assert render(candidates) == snapshot


def test_only_a_docstring_or_comments_added_is_the_original() -> None:
    answer = (
        '```python:pkg/sorter.py\ndef spread(xs: List[int]) -> float:\n    """The square root of the range."""\n'
        "    # max minus min\n    return math.sqrt(max(xs) - min(xs))  # unchanged maths\n```"
    )
    assert run([answer]) == []


def test_snippets_that_illustrate_the_problem_are_skipped(snapshot: SnapshotAssertion) -> None:
    answer = """The hot spot is this double loop:

```python
for i in range(len(out)):
    for j in range(len(out) - 1 - i):
```

which is O(n^2). Calling it looks like `sort_list([3, 1])`:

```python
print(sort_list([3, 1]))
```

Here is the fix:

```python:pkg/sorter.py
def sort_list(xs: List[int]) -> List[int]:
    return sorted(xs)
```"""
    candidates = run([answer])
    assert "print(" not in candidates[0].files[0].code
    assert render(candidates) == snapshot


def test_original_indexes_are_shared_within_a_budget() -> None:
    from codeflash_engine_python.candidates.pipeline import IndexCache

    cache = IndexCache(budget=400)
    a = "def a(x):\n    '''doc'''\n    return x\n"
    first = cache.index(a, "3.11")
    assert first is not None and cache.index(a, "3.11") is first  # parsed once
    assert cache.index(a, "3.9") is not first  # per Python version
    assert cache.index("def broken(:\n", "3.11") is None
    big = "x = 1\n" * 20  # 120 characters: over a quarter of the budget, not kept
    assert cache.index(big, "3.11") is not cache.index(big, "3.11")
    for i in range(20):  # the budget evicts the least recently used
        cache.index(f"def f{i}(x):\n    return x + {i}\n", "3.11")
    assert cache.index(a, "3.11") is not first


def test_compiled_keys_leave_shared_trees_alone() -> None:
    import ast

    from codeflash_engine_python.candidates.normalize import function_code_key

    tree = ast.parse("def f(x):\n    '''Docstring.'''\n    return x + 1\n")
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef)
    before = ast.dump(tree)
    key = function_code_key(node)
    assert key is not None and ast.dump(tree) == before
    plain = ast.parse("def f(y):\n    return y + 1\n").body[0]
    assert isinstance(plain, ast.FunctionDef) and function_code_key(plain) == key


UNCLOSED = """Faster:

```python:pkg/sorter.py
def sort_list(xs):
    return sorted(xs)
"""


def test_an_unclosed_fence_of_a_finished_answer_is_complete() -> None:
    """finish_reason stop: the model forgot the closing fence; the code is whole and kept whole."""
    candidates = run([UNCLOSED], finish_reason="stop")
    assert len(candidates) == 1
    assert "return sorted(xs)" in candidates[0].files[0].code


@pytest.mark.parametrize("reason", ["length", "max_tokens"])
def test_an_answer_cut_off_by_the_token_limit_is_never_a_candidate(reason: str) -> None:
    """Even when what arrived parses: a function missing its last statements compiles and is wrong."""
    assert run([UNCLOSED], finish_reason=reason) == []


@pytest.mark.parametrize(("statements_lost", "kept"), [(7, True), (8, False)])
def test_a_cut_off_block_loses_at_most_eight_statements_from_its_end(statements_lost: int, kept: bool) -> None:
    """A cut-off block is cut back statement by statement until what is left parses, at most
    TRUNCATION_ATTEMPTS (8) times: a bound on the parses one answer may cost. Here the cut left
    `def cut(values):` without its body, followed by complete statements, so the first head that
    parses ends before `def cut`, ``statements_lost + 1`` top-level statements back."""
    lines = ["def keep():", "    return 1", "", "", "def cut(values):"]
    lines += [f"total_{i} = {i}" for i in range(statements_lost)]
    repaired = repair_truncated(RawBlock("m.py", "\n".join(lines) + "\n", truncated=True), "3.11")
    assert not repaired.truncated
    assert repaired.code == ("def keep():\n    return 1\n" if kept else "")
