"""Project shapes found through the real CLI (tests/e2e, runs 24 and later), at the merge level."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeflash_engine.testing.cli_venv import cli_python
from codeflash_engine_python.testgen import cleanup
from codeflash_engine_python.testgen.pipeline import postprocess_tests

from .test_cli_merge_oracle import applied_by_the_cli
from .test_merge_shapes import only_text
from .testgen_samples import FETCH_FILES, SORT_FILES, request


def run(text: str, probe: str) -> object:
    namespace: dict[str, object] = {}
    exec(compile(text, "mod.py", "exec"), namespace)
    return eval(probe, namespace)


WORDS = """\
class Counter:
    def __init__(self):
        self.clicks = 0

    def click(self):
        self.clicks += 1
        return self.clicks


def f(words):
    best, best_n = None, 0
    for word in words:
        n = words.count(word)
        if n > best_n:
            best, best_n = word, n
    return best


def clicks(n):
    counter = Counter()
    for _ in range(n):
        counter.click()
    return counter.clicks
"""
WORDS_FAST = """\
from collections import Counter


def f(words):
    if not words:
        return None
    return Counter(words).most_common(1)[0][0]
"""


def test_an_import_of_a_name_the_module_defines_is_aliased() -> None:
    """The module's class ``Counter``, defined after the imports, would shadow the answer's
    ``from collections import Counter``: the import gets an alias the new code reads."""
    text = only_text(WORDS, WORDS_FAST)
    assert "from collections import Counter as _Counter\n" in text, text
    assert "return _Counter(words).most_common(1)[0][0]" in text, text
    assert "    counter = Counter()\n" in text and text.count("class Counter:") == 1, text
    assert run(text, "f(['a', 'b', 'b']), clicks(2)") == ("b", 2)


def test_a_definition_repeated_verbatim_keeps_the_module_s_name() -> None:
    """A whole-file answer without the class: the function it repeats unchanged still means the
    module's ``Counter``; only the changed one reads the import."""
    answer = WORDS_FAST + "\n\n" + WORDS[WORDS.index("def clicks(n):") :]
    text = only_text(WORDS, answer)
    assert "return _Counter(words)" in text and "    counter = Counter()\n" in text, text
    assert run(text, "f(['x', 'y', 'y']), clicks(3)") == ("y", 3)


def test_an_answer_that_defines_the_name_itself_is_left_alone() -> None:
    """The answer defines ``Counter`` after the import too: the name is the module's, as in the
    answer; nothing is renamed."""
    answer = "from collections import Counter\n\n\n" + WORDS.replace(
        "n = words.count(word)", "n = words.count(word) + 0"
    )
    text = only_text(WORDS, answer)
    assert "_Counter" not in text, text


def test_an_import_of_a_name_the_module_imports_too_is_not_renamed() -> None:
    original = "from typing import Counter\n\n\n" + WORDS.split("class Counter", 1)[0] + WORDS[WORDS.index("def f") :]
    text = only_text(original.replace("counter = Counter()", "counter = Counter()  # typing"), WORDS_FAST)
    assert "_Counter" not in text, text


CHAIN = """\
def chain(*lists):
    out = []
    for xs in lists:
        out = out + list(xs)
    return out


def f(groups):
    return chain(*groups)
"""
CHAIN_FAST = """\
from itertools import chain


def f(groups):
    return list(chain.from_iterable(groups))
"""


def test_an_import_named_like_a_helper_of_the_module_is_aliased() -> None:
    """The answer replaces the module's helper ``chain`` by ``itertools.chain`` in the target: the
    module's ``def chain``, after the imports, would shadow it (``AttributeError: from_iterable``),
    and its other callers keep the module's."""
    text = only_text(CHAIN, CHAIN_FAST)
    assert "from itertools import chain as _chain\n" in text, text
    assert "return list(_chain.from_iterable(groups))" in text and "def chain(*lists):" in text, text
    assert run(text, "f([[1], (2, 3)]), chain([1], [2])") == ([1, 2, 3], [1, 2])


def test_a_check_computed_from_a_size_keeps_the_size() -> None:
    """``range(5000)`` with a check written from it (``5000 // 90 * 10``, 550: no number over
    the range cap to notice): cutting the range to 1000 made the check fail on the original code,
    so the test was lost; the test keeps its affordable size."""
    code = (
        "from pkg.colors import Color\n\n\ndef test_many():\n"
        '    names = [f"c{i % 90}" for i in range(5000)]\n'
        "    assert Color.parse_all(names).count(None) == 5000 // 90 * 10\n"
    )
    assert cleanup.cap_sizes(code, None) == code


def test_a_check_computed_from_a_size_too_large_to_keep_is_capped() -> None:
    code = "def test_many():\n    out = f(range(10**6))\n    assert len(out) == 10**6 // 2\n"
    assert "range(1000)" in cleanup.cap_sizes(code, None)


def test_a_size_compared_as_it_is_still_follows_the_cap() -> None:
    code = "def test_many():\n    out = f(list(range(5000)))\n    assert len(out) == 5000\n    assert out[0] == 7 * 3\n"
    assert cleanup.cap_sizes(code, None) == code.replace("5000", "1000")


ASYNC_RUN_TESTS = """```python
import asyncio

from pkg.fetch import fetch_double


def test_run():
    assert asyncio.run(fetch_double(2)) == 4
    assert asyncio.get_event_loop_policy().new_event_loop().run_until_complete(fetch_double(3)) == 6


async def test_awaited():
    assert await asyncio.wait_for(fetch_double(5), 1) == 10
    assert await fetch_double(1) == 2
```"""


def test_an_async_target_run_by_asyncio_run_is_still_run_in_the_performance_file() -> None:
    """``assert asyncio.run(f(2)) == 4``: the performance file kept only ``f(2)``, a coroutine
    nobody awaited, so nothing was timed ("the overall summed benchmark runtime of the original
    function is 0"); the call that runs it stays."""
    tests = postprocess_tests(
        request(
            ASYNC_RUN_TESTS,
            function="fetch_double",
            qualified="fetch_double",
            module="pkg.fetch",
            test_module="tests.test_fetch_double__unit_test_0",
            files=FETCH_FILES,
            is_async=True,
        )
    )
    perf = tests.instrumented_perf
    body = perf[perf.index("def test_run():") :]
    assert "assert" not in body, body
    assert "    asyncio.run(codeflash_perf_call_async(fetch_double, " in body, body
    assert ".run_until_complete(codeflash_perf_call_async(fetch_double, " in body, body
    assert "    await asyncio.wait_for(codeflash_perf_call_async(fetch_double, " in body, body
    assert "    await codeflash_perf_call_async(fetch_double, " in body, body


HELPER_TESTS = """```python
from pkg.sorter import sort_list


def _sorted_ok(xs):
    return sort_list(xs) == sorted(xs)


def _both_ok(a, b):
    return _sorted_ok(a) and _sorted_ok(b)


def _unrelated(xs):
    return sorted(xs)


def test_small():
    assert _sorted_ok([3, 1, 2])


def test_two():
    assert _both_ok([2, 1], [1]), "both"
    assert _unrelated([2, 1]) == [1, 2]
```"""


def test_an_assertion_through_a_helper_that_calls_the_target_is_still_timed() -> None:
    """``assert _sorted_ok(data)``: the performance file made it ``pass``, so a suite written only
    that way timed nothing ("the overall summed benchmark runtime of the original function is 0")."""
    tests = postprocess_tests(
        request(
            HELPER_TESTS,
            function="sort_list",
            qualified="sort_list",
            module="pkg.sorter",
            test_module="tests.test_sort_list__unit_test_0",
            files=SORT_FILES,
        )
    )
    perf = tests.instrumented_perf
    body = perf[perf.index("def test_small():") :]
    assert body.split("\n")[1] == "    _sorted_ok([3, 1, 2])", body
    assert "    _both_ok([2, 1], [1])\n    pass\n" in body, body
    assert "codeflash_perf_call(sort_list, " in perf[perf.index("def _sorted_ok(xs):") : perf.index("def _both_ok")]


@pytest.fixture(scope="module")
def cli() -> Path:
    return cli_python()


@pytest.mark.slow
def test_the_cli_keeps_the_alias_of_an_import_named_like_a_helper(cli: Path, tmp_path: Path) -> None:
    """What the CLI makes of the merged file (it adds the aliased import, the target reads it)
    behaves as the merged file; without the alias it raised ``AttributeError: from_iterable``."""
    merged = only_text(CHAIN, CHAIN_FAST)
    ran = applied_by_the_cli(cli, tmp_path, CHAIN, "f", merged)
    probe = "f([[1], (2, 3)]), chain([1], [2])"
    assert run(ran, probe) == run(merged, probe) == ([1, 2, 3], [1, 2])


COMPREHENSION_TESTS = """```python
from pkg.sorter import sort_list


def test_all():
    datasets = [[3, 1], [2, 2, 1]]
    assert all(sort_list(d) == sorted(d) for d in datasets)
    assert [sort_list(d) for d in datasets] == [[1, 3], [1, 2, 2]]
    assert (sort_list(d) for d in datasets)
    assert sorted(datasets, key=lambda d: sort_list(d))
    assert not datasets or sort_list(datasets[0]) == [1, 3]
    assert (sort_list(None) if datasets is None else sort_list(datasets[1])) == [1, 2, 2]
```"""


def test_a_target_call_in_a_comprehension_or_a_condition_keeps_it() -> None:
    """``assert all(f(d) == e for d in data)`` became ``f(d)`` in the performance file: a
    ``NameError`` (``d`` is the comprehension's); ``assert not data or f(data[0]) == 1`` became
    ``f(data[0])``, run where the test does not run it; what binds or guards the call stays."""
    tests = postprocess_tests(
        request(
            COMPREHENSION_TESTS,
            function="sort_list",
            qualified="sort_list",
            module="pkg.sorter",
            test_module="tests.test_sort_list__unit_test_0",
            files=SORT_FILES,
        )
    )
    perf = tests.instrumented_perf
    lines = perf[perf.index("def test_all():") :].splitlines()[2:8]
    assert lines[0].startswith("    all((codeflash_perf_call(sort_list, ") and lines[0].endswith(" for d in datasets))")
    assert lines[1].startswith("    [codeflash_perf_call(sort_list, ") and lines[1].endswith(" for d in datasets]")
    assert lines[2].startswith("    list((codeflash_perf_call(sort_list, ") and lines[2].endswith("for d in datasets))")
    assert lines[3].startswith("    sorted(datasets, key=lambda d: codeflash_perf_call(sort_list, "), lines
    assert lines[4].startswith("    not datasets or codeflash_perf_call(sort_list, "), lines
    assert lines[5].startswith("    codeflash_perf_call(sort_list, ") and " if datasets is None " in lines[5], lines


DOCUMENTED = '''\
def f(emails):
    """Return the addresses without repeats, lower-cased, in first-seen order.

    >>> f(["A@x.org", " a@X.org "])
    ['a@x.org']
    """
    out = []
    for email in emails:
        email = email.strip().lower()
        if email not in out:
            out.append(email)
    return out


class Book:
    def g(self, xs):
        """Total."""
        t = 0
        for x in xs:
            t = t + x
        return t
'''


def test_the_docstring_an_answer_leaves_out_comes_back() -> None:
    """The client takes the candidate's body as it is: without this, the function's documentation
    and doctest were gone from the user's code."""
    answer = "def f(emails):\n    return list(dict.fromkeys(e.strip().lower() for e in emails))\n"
    text = only_text(DOCUMENTED, answer)
    expected = DOCUMENTED[: DOCUMENTED.index("    out = []")] + "    return list(dict.fromkeys("
    assert text.startswith(expected), text
    assert run(text, "f.__doc__.splitlines()[0], f(['B', 'b '])") == (
        "Return the addresses without repeats, lower-cased, in first-seen order.",
        ["b"],
    )


def test_a_method_s_docstring_comes_back_and_the_answer_s_own_stays() -> None:
    text = only_text(DOCUMENTED, "class Book:\n    def g(self, xs):\n        return sum(xs)\n", "Book.g")
    assert '    def g(self, xs):\n        """Total."""\n        return sum(xs)\n' in text, text
    own = 'def f(emails):\n    """Deduplicated."""\n    return list(dict.fromkeys(e.strip().lower() for e in emails))\n'
    text = only_text(DOCUMENTED, own)
    assert '"""Deduplicated."""' in text and "first-seen order" not in text, text


def test_a_body_on_the_header_s_line_is_left_as_it_is() -> None:
    text = only_text(DOCUMENTED, "def f(emails): return list(dict.fromkeys(e.strip().lower() for e in emails))\n")
    assert "first-seen order" not in text and "def f(emails): return list(" in text, text
