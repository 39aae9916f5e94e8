"""Whole-file answers (2000 characters and more) repeat the original's unchanged definitions; the
cleaner drops those before parsing (``drop_verbatim_definitions``). Only a definition the answer
repeats as a whole may go: not one the answer extends (a class that gains a method at its end, a
function that gains a statement after its last block), nor one the answer decorates."""

from __future__ import annotations

from codeflash_engine import CodeFile
from codeflash_engine.plugins.types import Candidate
from codeflash_engine_python.candidates.extract import RawBlock
from codeflash_engine_python.candidates.pipeline import CLEANER, drop_verbatim_definitions, index_original

from .answers import optimize_request

#: twenty unchanged helpers: enough to make a whole-file answer long
HELPERS = "".join(
    f"\n\ndef helper_{i}(values):\n    total = 0\n    for value in values:\n        total += value * {i}\n"
    f"    return total\n"
    for i in range(20)
)
STATS = (
    "class Stats:\n    def __init__(self, xs):\n        self.xs = xs\n\n"
    "    def mean(self):\n        return sum(self.xs) / len(self.xs)\n"
)


def _clean(original: str, answered: str, target: str) -> Candidate:
    """The one candidate of a whole-file answer ``answered`` for ``pkg/mod.py``."""
    assert len(answered) >= 2000  # long enough for the verbatim drop
    answer = f"Faster.\n\n```python:pkg/mod.py\n{answered}```\n"
    [outcome] = CLEANER.triage(optimize_request([answer], (CodeFile("pkg/mod.py", original),), target))
    assert outcome.candidate is not None, outcome.reason
    return outcome.candidate


def test_a_class_that_gains_a_method_at_its_end_keeps_it() -> None:
    original = STATS + HELPERS + "\n\ndef average(s):\n    return s.mean()\n"
    gained = "\n    def total(self):\n        return sum(self.xs)\n"
    answered = STATS + gained + HELPERS + "\n\ndef average(s):\n    return s.total() / len(s.xs)\n"
    code = _clean(original, answered, "average").files[0].code
    assert "    def total(self):\n        return sum(self.xs)\n" in code
    assert "return s.total() / len(s.xs)" in code
    compile(code, "pkg/mod.py", "exec")


def test_a_function_that_gains_a_statement_after_its_last_block_keeps_it() -> None:
    # the original ends with a loop; the answer's function starts with the original's whole text
    clamp = "def clamp(xs, low, high):\n    for i, x in enumerate(xs):\n        xs[i] = max(x, low)\n"
    gained = "    return [min(x, high) for x in xs]\n"
    code = _clean(clamp + HELPERS, clamp + gained + HELPERS, "clamp").files[0].code
    assert code.startswith(clamp + gained), code[:300]


def test_a_decorator_added_to_an_unchanged_function_stays_on_that_function() -> None:
    original = "import functools\n\n\ndef run(x):\n    return helper_3([x])\n" + HELPERS
    decorated = HELPERS.replace(
        "\n\ndef helper_3(", "\n\n@functools.cache\n# repeated calls with one tuple\ndef helper_3("
    )
    answered = "import functools\n\n\ndef run(x):\n    return helper_3((x,))\n" + decorated
    code = _clean(original, answered, "run").files[0].code
    assert code.count("@functools.cache") == 1
    assert "@functools.cache\n# repeated calls with one tuple\ndef helper_3(values):" in code


def test_only_definitions_repeated_whole_are_dropped() -> None:
    # an assignment and a class with a method first: their keys are passed over, not the end of the search
    head = "SCALE = 2\n\n\nclass Box:\n    def size(self):\n        return SCALE\n\n\n"
    source = head + "def run(x):\n    return x\n" + HELPERS
    original = index_original(optimize_request([], (CodeFile("pkg/mod.py", source),)))
    changed = "def run(x):\n    return x + 0\n"
    # the class and the helpers repeated as they are go; the changed function stays, and so do the
    # assignment (never dropped) and trailing blank lines
    block = RawBlock("pkg/mod.py", head + changed + HELPERS + "\n\n")
    kept = drop_verbatim_definitions(block, original).code
    assert [line for line in kept.splitlines() if line.strip()] == ["SCALE = 2", *changed.splitlines()]
    # a long block that repeats nothing, ending with blank lines, is left as it is
    nothing = RawBlock("pkg/mod.py", "".join(f"def other_{i}(v):\n    return v * {i}\n\n" for i in range(80)) + "\n")
    assert len(nothing.code) >= 2000
    assert drop_verbatim_definitions(nothing, original) is nothing


def test_a_class_the_answer_decorates_keeps_its_unchanged_method() -> None:
    """Only top-level definitions are dropped: the method of a class whose header the answer
    changed stays in the class (else the class would be left without a body)."""
    greeter = "class Greeter:\n    def greet(self, name):\n        return 'hi ' + name\n"
    original = "import typing\n\n\n" + greeter + "\n\ndef run(xs):\n    return [Greeter().greet(x) for x in xs]\n"
    answered = "import typing\n\n\n@typing.final\n" + greeter
    answered += "\n\ndef run(xs):\n    greet = Greeter().greet\n    return [greet(x) for x in xs]\n"
    code = _clean(original + HELPERS, answered + HELPERS, "run").files[0].code
    assert greeter in code and "greet = Greeter().greet" in code


def test_a_decorator_on_several_lines_or_first_in_the_answer_stays_on_its_function() -> None:
    original = "import functools\n\n\n" + HELPERS.lstrip("\n") + "\n\ndef run(x):\n    return helper_3([x])\n"
    first = HELPERS.lstrip("\n").replace("def helper_0(", "@functools.lru_cache(\n    maxsize=None,\n)\ndef helper_0(")
    answered = "import functools\n\n\n" + first + "\n\ndef run(x):\n    return helper_3((x,)) + helper_0((x,))\n"
    code = _clean(original, answered, "run").files[0].code
    assert code.count("@functools.lru_cache(") == 1
    assert "@functools.lru_cache(\n    maxsize=None,\n)\ndef helper_0(values):" in code
    # a decorator that opens the block
    opened = "@functools.cache\n" + HELPERS.lstrip("\n") + "\n\ndef run(x):\n    return helper_0((x,))\n"
    code = _clean("import functools\n\n\n" + original.split("\n\n\n", 1)[1], opened, "run").files[0].code
    assert "@functools.cache\ndef helper_0(values):" in code and code.count("@functools.cache") == 1


def test_a_refusal_names_the_file_whose_block_does_not_parse() -> None:
    answer = "Faster.\n\n```python:pkg/mod.py\n" + "def run(x):\n  return x\n    +1\n" + HELPERS + "```\n"
    request = optimize_request([answer], (CodeFile("pkg/mod.py", "def run(x):\n    return x\n" + HELPERS),), "run")
    [outcome] = CLEANER.triage(request)
    assert outcome.candidate is None and outcome.reason.startswith("rejected: pkg/mod.py does not parse: line 3")


def test_a_pathless_snippet_beside_one_block_is_an_illustration() -> None:
    """Two blocks: the old code quoted without a path (it does not parse on its own) and the
    answer's file: the snippet is skipped, the file is the candidate."""
    original = "def run(xs):\n    out = []\n    for x in xs:\n        out.append(x * 2)\n    return out\n"
    snippet = "```python\n    for x in xs:\n        out.append(x * 2)\n```\n"
    faster = "```python:pkg/mod.py\ndef run(xs):\n    return [x * 2 for x in xs]\n```\n"
    answer = f"The loop\n\n{snippet}\nbecomes a comprehension:\n\n{faster}"
    [outcome] = CLEANER.triage(optimize_request([answer], (CodeFile("pkg/mod.py", original),), "run"))
    assert outcome.candidate is not None, outcome.reason
    assert "return [x * 2 for x in xs]" in outcome.candidate.files[0].code
