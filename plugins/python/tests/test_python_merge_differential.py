"""Answers merged by the engine and applied by the published client behave as the answers do.

A seeded generator writes answers like those models return for "make this faster", for a
function of a module (calling two helpers), for a method of a class (calling a helper method
and a ``@staticmethod`` or ``@classmethod`` one), and for a function of a module with
``from __future__ import annotations`` that keeps its results in a module-level cache dict: the
target rewritten (comprehensions, local aliases, type hints, a docstring, a walrus, a closure, a
``global`` counter), and at random some of: a new module-level helper, constant or precomputed
table (dict, frozenset, tuple, one built by a new function), a new import, a helper or the
target's work cached with ``lru_cache``, a new generator, a helper rewritten, a new method, cached
property or class attribute, a new ``__slots__`` or dataclass record, unchanged helpers or the
module docstring repeated, the definitions in another order, the methods out of their class, one
or two fenced blocks with or without a path, or the bare code. Some rewrites change a result on
purpose, so that a rewrite lost on the way shows.

Those answers are short. A share of the answers (:data:`LONG_SHARE`) is for a fifth original
(:data:`LEDGER`), whose target builds a class and calls nine helpers, so that the client's context
is some 2,500 characters. Its answers repeat that context whole, as models do, so that most are
2,000 characters and more: the length from which the cleaner drops the definitions an answer
repeats verbatim (``drop_verbatim_definitions``). Besides the target rewritten, they hold at
random: a method added at the end of the otherwise unchanged class (the target calls it), a
``functools`` cache decorator above an otherwise unchanged pure helper (a comment line near it at
times), a statement appended after a helper's final ``try``, ``if`` or ``for`` block (one that
changes nothing, or one whose change shows), an unchanged helper or the class repeated with a
comment or blank-line change, a helper rewritten or left out (see ledger_answers.py). The test
checks that the client's context still holds what those answers repeat verbatim, and that enough
answers are long.

Each answer goes the real way: the client (codeflash 0.20.6, in a subprocess of its own
interpreter, see :data:`CLIENT`) extracts the target's code context from the original project;
the engine reads the answer against that context and cleans it with the Python plugin's
``postprocess_candidates`` as an optimize request does (no target named); the client applies the
candidate's markdown to the original file with the method its optimizer calls for every
candidate. The probe calls the target on a few inputs in the module the client wrote and in the
module as the answer means it (the original module, then the answer's code run over it, its
classes extending the original's), and compares the results' ``repr`` and which module-level
names are cached. Behaviour must never differ. An answer the engine drops, or the client
refuses, is a loss, counted and bounded; the answers with a new module-level assignment that the
client would run before what it reads must be refused (candidates/placement.py).

Left out, because the client loses them whatever the candidate says: a helper changed in a way
that shows while the target no longer calls it by name (see :data:`INDIRECT_SAFE_NORMALIZE`); a
changed value of an existing class attribute (the client keeps only the methods of a class).
Not written, because the engine refuses them (the client keeps the original header): new
parameters, such as the default-argument aliases ``def f(x, _len=len)``.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import textwrap
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from codeflash_engine import CodeFile
from codeflash_engine.plugins.types import Candidate
from codeflash_engine.testing.cli_venv import cli_python
from codeflash_engine.text.markdown import CodeBlock, parse_markdown, write_markdown

from . import ledger_answers
from .answers import host, optimize_request

pytestmark = [pytest.mark.slow]

#: how many answers the generator writes
ANSWERS = 400

#: how many answers that run may be lost (dropped by the engine or refused by the client)
LOSSES_ALLOWED = 0

#: Run by the client's interpreter. Reads ``{"root", "originals": [{"path", "code", "target",
#: "candidates"}]}``; for each original, sets up a project, finds the target as the CLI discovers
#: functions, builds its optimizer and code context (the CI path: no call-graph cache), then
#: applies each candidate markdown as the optimizer does (the file restored first, as between
#: candidates). Writes per original the context it sends (its read-writable markdown) and per
#: candidate ``[updated, file text or the error]``.
CLIENT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from codeflash.languages.current import set_current_language
    set_current_language("python")
    import libcst
    from codeflash.discovery.functions_to_optimize import find_all_functions_in_file
    from codeflash.languages.python.function_optimizer import PythonFunctionOptimizer
    from codeflash.models.models import CodeStringsMarkdown
    from codeflash.verification.verification_utils import TestConfig

    job = json.load(sys.stdin)
    out = []
    for number, original in enumerate(job["originals"]):
        project = (Path(job["root"]) / f"project{number}").resolve()
        module = project / original["path"]
        module.parent.mkdir(parents=True, exist_ok=True)
        (module.parent / "__init__.py").write_text("")
        module.write_text(original["code"])
        [target] = [f for f in find_all_functions_in_file(module)[module] if f.qualified_name == original["target"]]
        config = TestConfig(tests_root=project, project_root_path=project, tests_project_rootdir=project)
        optimizer = PythonFunctionOptimizer(target, config, aiservice_client=object())
        context = optimizer.get_code_optimization_context().unwrap()
        helper_code = {p: p.read_text("utf8") for p in {h.file_path for h in context.helper_functions}}
        applied = []
        for markdown in original["candidates"]:
            optimizer.write_code_and_helpers(original["code"], helper_code, module)
            candidate = CodeStringsMarkdown.parse_markdown_code(markdown, expected_language="python")
            try:
                updated = optimizer.replace_function_and_helpers_with_optimized_code(context, candidate, helper_code)
                applied.append([updated, module.read_text("utf8")])
            except (ValueError, SyntaxError, libcst.ParserSyntaxError, AttributeError) as error:
                applied.append([False, f"{type(error).__name__}: {error}"])
        out.append({"context": context.read_writable_code.markdown, "applied": applied})
    json.dump(out, sys.stdout)
    """
)


@dataclass(frozen=True)
class Original:
    """A user's module: its path in the project, its code, the target's qualified name, and the
    expressions the probe evaluates in the module's namespace."""

    path: str
    code: str
    target: str
    probes: tuple[str, ...]


WORDS = Original(
    "textstats/words.py",
    '''"""Word statistics."""

import re
from collections import Counter

WEIGHT = 3
_SPLIT = re.compile(r"[^a-z]+")


def normalize(word):
    return _SPLIT.sub("", word.lower())


def score(word):
    total = 0
    for ch in word:
        total += ord(ch) - 96
    return total * WEIGHT


def top_words(text, n):
    counts = Counter()
    for raw in text.split():
        word = normalize(raw)
        if word:
            counts[word] += score(word)
    result = []
    for word, value in counts.most_common(n):
        result.append((word, value))
    return result


def describe(text):
    return f"{len(text.split())} words"
''',
    "top_words",
    ("top_words('The cat, the hat; THE mat! a1 b2 a1', 3)", "top_words('', 2)", "top_words('x y z x', 5)"),
)

INVENTORY = '''"""Inventory records."""

import math

SCALE = 10


class Inventory:
    unit = "kg"
    digits = 2

    def __init__(self, items):
        self.items = list(items)

    def _weight(self, item):
        return item[1] * SCALE

    {rounded}

    def report(self):
        return f"{{len(self.items)}} items in {{self.unit}}"

    def total(self, min_weight):
        total = 0
        for item in self.items:
            w = self._weight(item)
            if w >= min_weight:
                total += self._rounded(math.sqrt(w))
        return total


def load(rows):
    return Inventory(rows)
'''
STATIC_ROUNDED = "@staticmethod\n    def _rounded(value):\n        return round(value, 2)"
CLASS_ROUNDED = "@classmethod\n    def _rounded(cls, value):\n        return round(value, cls.digits)"
INVENTORY_PROBES = (
    "Inventory([('a', 1), ('b', 4.5), ('c', 0), ('d', 2)]).total(15)",
    "Inventory([('a', 1), ('b', 4.5), ('c', 0)]).total(0)",
    "Inventory([]).total(1)",
)
STATIC = Original("store/inventory.py", INVENTORY.format(rounded=STATIC_ROUNDED), "Inventory.total", INVENTORY_PROBES)
CLASSMETHOD = Original(
    "store/inventory.py", INVENTORY.format(rounded=CLASS_ROUNDED), "Inventory.total", INVENTORY_PROBES
)
SERIES = Original(
    "signals/series.py",
    '''"""Moving averages over numeric series."""

from __future__ import annotations

_CACHE = {}
WINDOW = 3


def window_means(values, size=WINDOW):
    out = []
    for i in range(len(values) - size + 1):
        chunk = values[i : i + size]
        out.append(sum(chunk) / size)
    return out


def _spread(values):
    return max(values) - min(values)


def smooth(values, passes):
    key = (tuple(values), passes)
    if key in _CACHE:
        return _CACHE[key]
    result = list(values)
    for _ in range(passes):
        if len(result) < WINDOW:
            break
        result = window_means(result)
    _CACHE[key] = (result, _spread(result) if result else 0)
    return _CACHE[key]
''',
    "smooth",
    (
        "smooth([1, 2, 4, 8, 16, 32], 1)",
        "smooth([1, 2, 4, 8, 16, 32], 1) is smooth([1, 2, 4, 8, 16, 32], 1)",
        "smooth([3, 1], 2)",
        "smooth([1.5, 2.5, 3.5, 10, -4, 7], 2)",
        "len(_CACHE)",
        "globals().get('_CALLS')",
    ),
)
#: the originals whose answers are short
SHORT = (WORDS, STATIC, CLASSMETHOD, SERIES)
#: a target calling a class and nine helpers: whole-context answers are 2000 characters and more
#: (see ledger_answers.py)
LEDGER = Original("billing/ledger.py", ledger_answers.CODE, "summarize", ledger_answers.PROBES)
ORIGINALS = (*SHORT, LEDGER)

#: the share of the answers written for :data:`LEDGER`, the others shared by the other originals
LONG_SHARE = 0.3

#: the length of a block from which the cleaner drops the definitions it repeats verbatim
#: (``drop_verbatim_definitions``)
LONG = 2000


@dataclass
class Answer:
    """An answer being written: its import lines, module-level statements before the definitions
    and after them, its definitions (a class's members in ``members``), and whether the engine
    must refuse it (see :meth:`reads_too_early`)."""

    imports: list[str] = field(default_factory=list)
    constants: list[str] = field(default_factory=list)
    definitions: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    refused: bool = False

    def reads_too_early(self, assignment: str) -> str:
        """``assignment``, a new module-level one (or a class attribute the engine moves to the
        module), reads a module-level assignment of the original: the client puts it right after
        the imports, before what it reads, so the engine refuses the answer (candidates/placement.py)."""
        self.refused = True
        return assignment

    def need(self, line: str) -> None:
        """Import ``line`` once."""
        if line not in self.imports:
            self.imports.append(line)


def _shuffled(rng: random.Random, items: list[str]) -> list[str]:
    """``items`` in another order, half of the time."""
    if rng.random() < 0.5:
        items = items[:]
        rng.shuffle(items)
    return items


#: Left out: a helper whose change shows (another result, a cache) while the target no longer
#: calls it by name (it calls it through a local alias, ``map(helper, ...)``, a cached wrapper or a
#: new helper): the client then finds it "unused" and writes its original back, and with it the
#: original's module-level assignments (a changed constant). The client decides on the target's
#: code alone, which is the answer's; the engine could keep the change only by rewriting it.
INDIRECT_SAFE_NORMALIZE = ["omit", "same", "join"]
INDIRECT_SAFE_SCORE = ["omit", "same", "table", "offset"]


def words_answer(rng: random.Random) -> Answer:
    """An answer for ``top_words``: the target rewritten, its helpers repeated, rewritten or
    left out, maybe with a new helper, record class, table or cached wrapper."""
    answer = Answer()
    kind = rng.choice(["loop", "aliases", "words", "tally", "record", "dict"])
    value = "_cached_score" if rng.random() < 0.2 else "score"  # a cached wrapper of the helper
    calls_normalize = kind not in ("aliases", "words")
    calls_score = kind != "aliases" and value == "score"
    typed = rng.random() < 0.25
    if rng.random() < 0.05:
        answer.imports.append("from __future__ import annotations")
    if rng.random() < 0.6:  # the header repeated
        answer.imports += ["import re", "from collections import Counter"]
        answer.constants += ["WEIGHT = 3", '_SPLIT = re.compile(r"[^a-z]+")']
    answer.definitions += _normalize(rng, answer, calls_normalize, typed)
    answer.definitions += _score(rng, answer, calls_score, typed)
    if rng.random() < 0.1 and calls_normalize and calls_score:  # a changed module constant
        answer.constants.append("WEIGHT = 4")
    if value == "_cached_score":
        answer.need("from functools import lru_cache")
        answer.after.append("_cached_score = lru_cache(maxsize=None)(score)")
    answer.definitions.append(_words_target(rng, answer, kind, value, typed))
    if rng.random() < 0.1:
        answer.after.append('if __name__ == "__main__":\n    print(top_words("a b a", 2))')
    return answer


def _normalize(rng: random.Random, answer: Answer, called: bool, typed: bool) -> list[str]:
    """``normalize`` left out, repeated, cached or rewritten (keeping digits, which shows)."""
    kinds = ["omit", "same", "cached", "join", "alnum", "bound-method"]
    kind = rng.choice(kinds if called else INDIRECT_SAFE_NORMALIZE)
    head = "def normalize(word: str) -> str:" if typed else "def normalize(word):"
    if kind == "omit":
        return []
    if kind in ("same", "cached"):
        cached = "@lru_cache(maxsize=None)\n" if kind == "cached" else ""
        if cached:
            answer.need("from functools import lru_cache")
        return [f'{cached}{head}\n    return _SPLIT.sub("", word.lower())\n']
    if kind == "bound-method":
        answer.constants.append(answer.reads_too_early("_SUB = _SPLIT.sub"))
        return [f'{head}\n    return _SUB("", word.lower())\n']
    test = '"a" <= ch <= "z"' if kind == "join" else "ch.isalnum()"
    return [f'{head}\n    return "".join(ch for ch in word.lower() if {test})\n']


def _score(rng: random.Random, answer: Answer, called: bool, typed: bool) -> list[str]:
    """``score`` left out, repeated, cached, rewritten with a table or a constant, or changed."""
    kinds = ["omit", "same", "cached", "table", "built", "offset", "plus-one"]
    kind = rng.choice(kinds if called else INDIRECT_SAFE_SCORE)
    head = "def score(word: str) -> int:" if typed else "def score(word):"
    if kind == "omit":
        return []
    if kind == "same":
        return [
            f"{head}\n    total = 0\n    for ch in word:\n        total += ord(ch) - 96\n    return total * WEIGHT\n"
        ]
    if kind == "cached":
        if rng.random() < 0.5:
            answer.need("from functools import lru_cache")
            line = "@lru_cache(maxsize=None)"
        else:
            answer.need("import functools")
            line = "@functools.lru_cache(maxsize=4096)"
        return [f"{line}\n{head}\n    return sum(ord(ch) - 96 for ch in word) * WEIGHT\n"]
    if kind == "table":
        answer.need("import string")
        table = rng.choice(["dict", "tuple"])
        if table == "dict":
            answer.constants.append("_LETTER_VALUES = {ch: i for i, ch in enumerate(string.ascii_lowercase, 1)}")
            return [
                f"{head}\n    values = _LETTER_VALUES\n"
                "    return sum(values.get(ch, ord(ch) - 96) for ch in word) * WEIGHT\n"
            ]
        answer.constants.append("_LETTERS = frozenset(string.ascii_lowercase)")
        return [
            f"{head}\n    if _LETTERS.issuperset(word):\n"
            "        return (sum(map(ord, word)) - 96 * len(word)) * WEIGHT\n"
            "    return sum(ord(ch) - 96 for ch in word) * WEIGHT\n"
        ]
    if kind == "built":
        answer.definitions.append("def _letter_values():\n    return {chr(96 + i): i for i in range(1, 27)}\n")
        answer.after.insert(0, "_VALUES = _letter_values()")
        if rng.random() < 0.3:  # the client puts _VALUES after the definitions, this one before them
            answer.after.insert(1, answer.reads_too_early("_LAST = max(_VALUES.values())"))
            return [f"{head}\n    get = _VALUES.get\n    return sum(get(ch, _LAST) for ch in word) * WEIGHT\n"]
        return [f"{head}\n    get = _VALUES.get\n    return sum(get(ch, ord(ch) - 96) for ch in word) * WEIGHT\n"]
    if kind == "offset":
        answer.constants.append(rng.choice(['_OFFSET = ord("a") - 1', '_OFFSET: int = ord("a") - 1']))
        return [f"{head}\n    return (sum(map(ord, word)) - _OFFSET * len(word)) * WEIGHT\n"]
    return [f"{head}\n    return sum(ord(ch) - 96 for ch in word) * WEIGHT + 1\n"]


def _words_target(rng: random.Random, answer: Answer, kind: str, value: str, typed: bool) -> str:
    """``top_words`` rewritten the way ``kind`` says (adding what it needs to ``answer``)."""
    head = "def top_words(text, n):\n"
    if typed:
        answer.need(rng.choice(["from typing import List, Tuple", "from typing import List, Tuple, Optional"]))
        head = "def top_words(text: str, n: int) -> List[Tuple[str, int]]:\n"
    if rng.random() < 0.2:
        head += '    """Return the ``n`` best scored words of ``text``."""\n'
    if kind in ("loop", "aliases", "words"):
        answer.need("from collections import Counter")
    if kind in ("tally", "record", "dict"):
        answer.need("from operator import itemgetter")
    if kind == "loop":
        return head + (
            "    counts = Counter()\n    for raw in text.split():\n"
            f"        word = normalize(raw)\n        if word:\n            counts[word] += {value}(word)\n"
            "    return counts.most_common(n)\n"
        )
    if kind == "aliases":
        return head + (
            f"    norm = normalize\n    value = {value}\n    counts = Counter()\n"
            "    for word in map(norm, text.split()):\n        if word:\n            counts[word] += value(word)\n"
            "    return [(word, total) for word, total in counts.most_common(n)]\n"
        )
    if kind == "words":
        answer.definitions.append("def _words(text):\n    return [w for w in map(normalize, text.split()) if w]\n")
        return head + (
            f"    counts = Counter()\n    for word in _words(text):\n        counts[word] += {value}(word)\n"
            "    return counts.most_common(n)\n"
        )
    if kind == "tally":
        answer.definitions.append(
            'class _Tally:\n    __slots__ = ("totals",)\n\n    def __init__(self):\n        self.totals = {}\n\n'
            "    def add(self, word, value):\n        self.totals[word] = self.totals.get(word, 0) + value\n\n"
            "    def top(self, n):\n        return sorted(self.totals.items(), key=itemgetter(1), reverse=True)[:n]\n"
        )
        return head + (
            "    tally = _Tally()\n    for raw in text.split():\n"
            f"        word = normalize(raw)\n        if word:\n            tally.add(word, {value}(word))\n"
            "    return tally.top(n)\n"
        )
    if kind == "record":
        answer.need("from dataclasses import dataclass")
        answer.definitions.append("@dataclass(slots=True)\nclass _Scored:\n    word: str\n    value: int\n")
        return head + (
            "    totals = {}\n    for raw in text.split():\n        word = normalize(raw)\n        if word:\n"
            f"            entry = totals.get(word)\n            if entry is None:\n"
            f"                totals[word] = _Scored(word, {value}(word))\n"
            f"            else:\n                entry.value += {value}(word)\n"
            "    ranked = sorted(totals.values(), key=lambda e: e.value, reverse=True)\n"
            "    return [(e.word, e.value) for e in ranked[:n]]\n"
        )
    return head + (
        "    counts = {}\n    get = counts.get\n    for raw in text.split():\n"
        f"        word = normalize(raw)\n        if word:\n            counts[word] = get(word, 0) + {value}(word)\n"
        "    return sorted(counts.items(), key=itemgetter(1), reverse=True)[:n]\n"
    )


def inventory_answer(rng: random.Random, classmethod_helper: bool) -> Answer:
    """An answer for ``Inventory.total``: the class with the target rewritten, its other methods
    repeated, rewritten or left out, maybe new members, or module-level helpers, records, tables."""
    answer = Answer()
    if rng.random() < 0.6:
        answer.imports.append("import math")
        answer.constants.append("SCALE = 10")
    init = rng.choice(["omit", "same", "same", "precompute"])
    if init == "same":
        answer.members.append("def __init__(self, items):\n    self.items = list(items)\n")
    elif init == "precompute":
        answer.members.append(
            "def __init__(self, items):\n    self.items = list(items)\n"
            "    self._weights = [item[1] * SCALE for item in self.items]\n"
        )
    weights = "map(self._weight, self.items)"
    if init == "precompute" and rng.random() < 0.7:
        weights = "self._weights"
    elif init != "precompute" and rng.random() < 0.25:  # a new member the target reads, which calls the helper
        body = "def _weights(self):\n    weight = self._weight\n    return [weight(item) for item in self.items]\n"
        if rng.random() < 0.5:
            answer.need("from functools import cached_property")
            answer.members.append(f"@cached_property\n{body}")
            weights = "self._weights"
        else:
            answer.members.append(body)
            weights = "self._weights()"
    # left out when the target only reaches ``_weight`` through the new member: a change that shows
    # (see INDIRECT_SAFE_NORMALIZE)
    through_member = weights in ("self._weights()", "self._weights") and init != "precompute"
    kinds = ["omit", "same", "swapped"] + ([] if through_member else ["plus-one"])
    weight = rng.choice(kinds)
    if weight != "omit":
        body = {"same": "item[1] * SCALE", "swapped": "SCALE * item[1]", "plus-one": "item[1] * SCALE + 1"}[weight]
        answer.members.append(f"def _weight(self, item):\n    return {body}\n")
    answer.members += _rounded_member(rng, answer, classmethod_helper)
    answer.members.append(_inventory_target(rng, answer, weights))
    return answer


def _rounded_member(rng: random.Random, answer: Answer, classmethod_helper: bool) -> list[str]:
    """``_rounded`` left out, repeated, cached or changed (three digits, which shows)."""
    kind = rng.choice(["omit", "same", "cached", "three"])
    if kind == "omit":
        return []
    decorators = "@classmethod\n" if classmethod_helper else "@staticmethod\n"
    if kind == "cached":
        answer.need("from functools import lru_cache")
        decorators += "@lru_cache(maxsize=None)\n"
    head = "def _rounded(cls, value):" if classmethod_helper else "def _rounded(value):"
    digits = "cls.digits" if classmethod_helper else "2"
    if kind == "three":
        digits += " + 1"
    return [f"{decorators}{head}\n    return round(value, {digits})\n"]


def _inventory_target(rng: random.Random, answer: Answer, weights: str) -> str:
    """``total`` rewritten one of several ways, over ``weights`` (adding what it needs to ``answer``)."""
    kinds = ["genexpr", "aliases", "helper", "accumulate", "record", "static-root", "sqrt", "class-attr", "table"]
    kind = rng.choice(kinds)
    answer.need("import math")
    head = "def total(self, min_weight):\n"
    if rng.random() < 0.2:
        head = "def total(self, min_weight: float) -> float:\n"
    if rng.random() < 0.2:
        head += '    """The rounded roots of the weights of at least ``min_weight``, summed."""\n'
    if kind == "genexpr":
        return head + f"    return sum(self._rounded(math.sqrt(w)) for w in {weights} if w >= min_weight)\n"
    if kind == "aliases":
        return head + (
            f"    rounded = self._rounded\n    sqrt = math.sqrt\n    total = 0\n    for w in {weights}:\n"
            "        if w >= min_weight:\n            total += rounded(sqrt(w))\n    return total\n"
        )
    if kind == "helper":
        answer.definitions.append(
            "def _roots(weights, min_weight):\n    sqrt = math.sqrt\n"
            "    return [sqrt(w) for w in weights if w >= min_weight]\n"
        )
        return head + f"    return sum(map(self._rounded, _roots({weights}, min_weight)))\n"
    if kind == "accumulate":
        answer.need("from itertools import accumulate")
        return head + (
            f"    roots = (self._rounded(math.sqrt(w)) for w in {weights} if w >= min_weight)\n"
            "    return list(accumulate(roots, initial=0))[-1]\n"
        )
    if kind == "record":
        answer.definitions.append(
            'class _Entry:\n    __slots__ = ("name", "weight")\n\n    def __init__(self, name, weight):\n'
            "        self.name = name\n        self.weight = weight\n"
        )
        return head + (
            f"    entries = [_Entry(item[0], w) for item, w in zip(self.items, {weights})]\n"
            "    return sum(self._rounded(math.sqrt(e.weight)) for e in entries if e.weight >= min_weight)\n"
        )
    if kind == "static-root":
        cached = rng.random() < 0.5
        if cached:
            answer.need("from functools import lru_cache")
        answer.members.append(
            "@staticmethod\n" + ("@lru_cache(maxsize=None)\n" if cached else "") + "def _root(w):\n"
            "    return math.sqrt(w)\n"
        )
        return head + f"    return sum(self._rounded(self._root(w)) for w in {weights} if w >= min_weight)\n"
    if kind == "sqrt":
        answer.need(rng.choice(["from math import sqrt", "from math import sqrt, isqrt"]))
        return (
            head
            + f"    rounded = self._rounded\n    return sum(rounded(sqrt(w)) for w in {weights} if w >= min_weight)\n"
        )
    if kind == "class-attr":
        attribute = rng.choice(
            [
                "_sqrt = math.sqrt\n",
                "_ROOTS = {w: math.sqrt(w) for w in range(0, 100, 5)}\n",
                "_ROOTS = {w: math.sqrt(w) for w in range(0, 10 * SCALE, 5)}\n",
            ]
        )
        answer.members.insert(0, answer.reads_too_early(attribute) if "SCALE" in attribute else attribute)
        root = "self._sqrt(w)" if attribute.startswith("_sqrt") else "self._ROOTS.get(w, math.sqrt(w))"
        return head + f"    return sum(self._rounded({root}) for w in {weights} if w >= min_weight)\n"
    table = rng.choice(
        [
            "_ROOTS = {w: math.sqrt(w) for w in range(0, 100, 5)}",
            "_ROOTS = dict((w, w ** 0.5) for w in range(0, 100, 5))",
            "_ROOTS = {w: math.sqrt(w) for w in range(0, 10 * SCALE, 5)}",
        ]
    )
    answer.constants.append(answer.reads_too_early(table) if "SCALE" in table else table)
    return head + (
        "    total = 0\n    rounded = self._rounded\n"
        f"    for w in {weights}:\n        if w >= min_weight:\n            root = _ROOTS.get(w)\n"
        "            if root is None:\n                root = math.sqrt(w)\n            total += rounded(root)\n"
        "    return total\n"
    )


def series_answer(rng: random.Random) -> Answer:
    """An answer for ``smooth``: its cache looked up plainly or with a walrus, or replaced by a
    new ``lru_cache`` helper; its passes run through ``window_means`` (by name or a local alias),
    a closure of its own or a new running-sum helper; maybe a new global call counter. The
    helpers repeated, rewritten or left out, the header repeated."""
    answer = Answer()
    if rng.random() < 0.1:
        answer.imports.append('"""Moving averages over numeric series."""')
    if rng.random() < 0.5:
        answer.imports.append("from __future__ import annotations")
    if rng.random() < 0.5:  # the header repeated
        answer.constants += ["_CACHE = {}", "WINDOW = 3"]
    cache = rng.choice(["plain", "walrus", "lru"])
    passes = rng.choice(["helper", "alias", "closure", "running"])
    # a helper the target does not call by name keeps its original in the client's file: only
    # changes that do not show (see INDIRECT_SAFE_NORMALIZE)
    direct = cache != "lru"
    answer.definitions += _window_means(rng, answer, shows=direct and passes == "helper")
    answer.definitions += _spread(rng, shows=direct)
    counter = rng.random() < 0.25
    if counter:
        answer.constants.append(rng.choice(["_CALLS = 0", "_CALLS: int = 0"]))
    answer.definitions.append(_series_target(rng, answer, cache, passes, counter))
    return answer


def _window_means(rng: random.Random, answer: Answer, shows: bool) -> list[str]:
    """``window_means`` left out, repeated, rewritten with a running sum or over a new generator
    helper, or (when ``shows`` allows) changed: rounded, which shows."""
    kind = rng.choice(["omit", "same", "running", "generator"] + (["rounded"] if shows else []))
    if kind == "omit":
        return []
    if kind == "same":
        return [
            "def window_means(values, size=WINDOW):\n    out = []\n    for i in range(len(values) - size + 1):\n"
            "        chunk = values[i : i + size]\n        out.append(sum(chunk) / size)\n    return out\n"
        ]
    if kind == "running":
        return [
            "def window_means(values, size=WINDOW):\n    if len(values) < size:\n        return []\n"
            "    total = sum(values[:size])\n    out = [total / size]\n"
            "    for i in range(size, len(values)):\n        total += values[i] - values[i - size]\n"
            "        out.append(total / size)\n    return out\n"
        ]
    if kind == "generator":
        answer.need("from itertools import islice")
        return [
            "def _windows(values, size):\n    for i in range(len(values) - size + 1):\n"
            "        yield islice(values, i, i + size)\n",
            "def window_means(values, size=WINDOW):\n"
            "    return [sum(chunk) / size for chunk in _windows(values, size)]\n",
        ]
    return [
        "def window_means(values, size=WINDOW):\n"
        "    return [round(sum(values[i : i + size]) / size, 6) for i in range(len(values) - size + 1)]\n"
    ]


def _spread(rng: random.Random, shows: bool) -> list[str]:
    """``_spread`` left out, repeated, rewritten in one pass, or (when ``shows`` allows) changed:
    plus one, which shows."""
    kind = rng.choice(["omit", "same", "one-pass"] + (["plus-one"] if shows else []))
    if kind == "omit":
        return []
    if kind == "same":
        return ["def _spread(values):\n    return max(values) - min(values)\n"]
    if kind == "one-pass":
        return [
            "def _spread(values):\n    low = high = values[0]\n    for v in values:\n"
            "        if v < low:\n            low = v\n        elif v > high:\n            high = v\n"
            "    return high - low\n"
        ]
    return ["def _spread(values):\n    return max(values) - min(values) + 1\n"]


def _series_target(rng: random.Random, answer: Answer, cache: str, passes: str, counter: bool) -> str:
    """``smooth`` rewritten: its cache as ``cache`` says (``lru``: the work moves to a new cached
    helper), its passes as ``passes`` says, a global counter bumped when ``counter``."""
    head = "def smooth(values, passes):\n"
    if rng.random() < 0.2:
        head = "def smooth(values: list[float], passes: int) -> tuple[list[float], float]:\n"
    if counter:
        head += "    global _CALLS\n    _CALLS += 1\n"
    step = {"helper": "window_means", "alias": "means", "closure": "step", "running": "_running_means"}[passes]
    work = ""
    if passes == "alias":
        work += "    means = window_means\n"
    if passes == "closure":
        work += (
            "    def step(seq):\n        size = WINDOW\n"
            "        return [sum(seq[i : i + size]) / size for i in range(len(seq) - size + 1)]\n\n"
        )
    if passes == "running":
        answer.definitions.append(
            "def _running_means(values, size=WINDOW):\n    total = sum(values[:size])\n    out = [total / size]\n"
            "    for i in range(size, len(values)):\n        total += values[i] - values[i - size]\n"
            "        out.append(total / size)\n    return out\n"
        )
    work += (
        "    result = list(values)\n    for _ in range(passes):\n        if len(result) < WINDOW:\n"
        f"            break\n        result = {step}(result)\n"
    )
    spread = "(_spread(result) if result else 0)"
    if cache == "lru":
        answer.need("from functools import lru_cache")
        answer.definitions.append(
            f"@lru_cache(maxsize=None)\ndef _smoothed(values, passes):\n{work}    return result, {spread}\n"
        )
        return head + "    return _smoothed(tuple(values), passes)\n"
    if cache == "walrus":
        lookup = "    key = (tuple(values), passes)\n    if (hit := _CACHE.get(key)) is not None:\n        return hit\n"
    else:
        lookup = (
            "    key = (tuple(values), passes)\n    cached = _CACHE.get(key)\n"
            "    if cached is not None:\n        return cached\n"
        )
    return head + lookup + work + f"    _CACHE[key] = (result, {spread})\n    return _CACHE[key]\n"


def module_text(rng: random.Random, answer: Answer, class_header: str | None) -> str:
    """The answer's code: imports, constants, definitions (``class_header`` heading its class's
    members, or the members at the top level without it) in one order or another, then what runs
    after them."""
    definitions = list(answer.definitions)
    members = _shuffled(rng, answer.members) if len(answer.members) > 1 else answer.members
    if members and class_header is None:  # the methods out of their class
        definitions += members
    elif members:
        body = "\n".join(textwrap.indent(m, "    ") for m in members)
        definitions.append(f"{class_header}\n{body}")
    parts = ["\n".join(_shuffled(rng, answer.imports))] if answer.imports else []
    if answer.constants:
        parts.append("\n".join(answer.constants))
    parts += _shuffled(rng, definitions)
    parts += answer.after
    return "\n\n\n".join(p.rstrip("\n") for p in parts) + "\n"


def fenced(rng: random.Random, code: str, path: str) -> str:
    """The answer as a model writes it: prose and one fenced block (with the path the prompt asks
    for, or without), or two blocks for the same file, or the bare code."""
    shape = rng.choices(["path", "no-path", "py-tag", "two-blocks", "bare"], weights=[55, 20, 10, 10, 5])[0]
    intro = rng.choice(["Here is a faster version.\n\n", "Optimized code:\n\n", ""])
    outro = rng.choice(["", "\n\nThe loop now avoids repeated attribute lookups."])
    if shape == "bare":
        return code
    if shape == "two-blocks":
        cut = code.rfind("\n\n\n")
        if cut > 0:
            first, second = code[:cut].strip("\n"), code[cut:].strip("\n")
            return f"{intro}```python:{path}\n{first}\n```\n\nAnd:\n\n```python:{path}\n{second}\n```{outro}"
    header = {"path": f"python:{path}", "no-path": "python", "py-tag": "py"}.get(shape, f"python:{path}")
    return f"{intro}```{header}\n{code.rstrip()}\n```{outro}"


@dataclass(frozen=True)
class Case:
    """One generated answer: the original it is for, the text the model returned, the code the
    probe runs as the answer means it, and whether the engine must refuse it."""

    original: Original
    text: str
    reference: str
    refused: bool = False

    def is_long(self) -> bool:
        """Whether a block of the answer (or the bare answer) is :data:`LONG` or longer."""
        blocks = parse_markdown(self.text)
        return max((len(b.code) for b in blocks), default=len(self.text)) >= LONG


def generate(rng: random.Random) -> Case:
    """An answer for one of :data:`ORIGINALS`."""
    original = LEDGER if rng.random() < LONG_SHARE else rng.choice(SHORT)
    refused = False
    if original is LEDGER:
        code = ledger_answers.ledger_answer(rng)
        reference = code
    elif original in (WORDS, SERIES):
        answer = words_answer(rng) if original is WORDS else series_answer(rng)
        code = module_text(rng, answer, None)
        reference = code
        refused = answer.refused
    else:
        answer = inventory_answer(rng, classmethod_helper=original is CLASSMETHOD)
        seed = rng.random()
        methods = {re.search(r"^def (\w+)", m, re.MULTILINE) for m in answer.members}
        existing = all(m is not None and m.group(1) in ("__init__", "_weight", "_rounded", "total") for m in methods)
        header = None if existing and rng.random() < 0.15 else "class Inventory:"  # only existing methods
        code = module_text(random.Random(seed), answer, header)
        reference = module_text(random.Random(seed), answer, "class Inventory(Inventory):")
        refused = answer.refused
    future = "from __future__ import annotations\n"  # first in the answer, not after the original
    reference = original.code + "\n\n" + reference.replace(future, "")
    return Case(original, fenced(rng, code, original.path), reference, refused)


def run_probes(code: str, probes: tuple[str, ...]) -> str:
    """What the probes give once ``code`` has run as a module (the error, when one raises), and
    which of its names are cached. The module is registered while it runs (a dataclass looks
    its module up)."""
    module = types.ModuleType("probed")
    sys.modules[module.__name__] = module
    try:
        exec(compile(code, "probed.py", "exec"), module.__dict__)
        results = [repr(eval(probe, module.__dict__)) for probe in probes]
    except Exception as error:  # the answer's own failure, or what the merge broke
        return f"ERR {type(error).__name__}: {error}"
    finally:
        del sys.modules[module.__name__]
    cached = sorted(name for name, value in vars(module).items() if hasattr(value, "cache_info"))
    return repr((results, cached))


def client_job(root: Path, candidates: list[tuple[Original, str]]) -> str:
    """The input of :data:`CLIENT`: every original, each with its candidates of ``candidates``."""
    originals = [
        {"path": o.path, "code": o.code, "target": o.target, "candidates": [m for c, m in candidates if c is o]}
        for o in ORIGINALS
    ]
    return json.dumps({"root": str(root), "originals": originals})


def client_contexts(cli: Path, root: Path) -> dict[Original, str]:
    """The code context the client sends for each original's target (its read-writable markdown)."""
    done = subprocess.run(
        [str(cli), "-c", CLIENT], input=client_job(root, []), capture_output=True, text=True, timeout=300, check=True
    )
    return {o: str(r["context"]) for o, r in zip(ORIGINALS, json.loads(done.stdout), strict=True)}


#: the client's processes applying candidates at once (it spends about 0.3 s on each)
PROCESSES = 2


def client_applied(cli: Path, root: Path, candidates: list[tuple[Original, str]]) -> list[list[object]]:
    """What the client makes of each candidate markdown for its original, in order: ``[updated,
    the file or the error]``. Every :data:`PROCESSES`-th candidate goes to the same process."""
    shares = [candidates[i::PROCESSES] for i in range(PROCESSES)]
    running = [
        subprocess.Popen(
            [str(cli), "-c", CLIENT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in shares
    ]
    applied: list[list[list[object]]] = []
    for number, (process, share) in enumerate(zip(running, shares, strict=True)):
        out, err = process.communicate(client_job(root / f"share{number}", share), timeout=600)
        assert process.returncode == 0, err
        by_original = {o: iter(r["applied"]) for o, r in zip(ORIGINALS, json.loads(out), strict=True)}
        applied.append([next(by_original[original]) for original, _ in share])
    return [applied[i % PROCESSES][i // PROCESSES] for i in range(len(candidates))]


def engine_candidate(context: str, text: str) -> Candidate | None:
    """The candidate the engine makes of the answer ``text`` for the client's ``context``, as the
    optimize pipeline cleans it (no target named: the plugin infers it), else None."""
    files = tuple(CodeFile(b.path, b.code) for b in parse_markdown(context))
    request = optimize_request([text], files)
    cleaned: list[Candidate] | None = host().call("postprocess_candidates", "python", request=request)
    return cleaned[0] if cleaned else None


def markdown_of(candidate: Candidate) -> str:
    """The candidate's ``source_code`` as the engine sends it to the client."""
    return write_markdown([CodeBlock("python", f.path, f.code) for f in candidate.files])


@dataclass
class Tally:
    """What became of the answers."""

    raised: int = 0
    refused_as_expected: int = 0
    dropped: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    differ: list[str] = field(default_factory=list)
    same: int = 0


def describe(case: Case, *parts: str) -> str:
    """A failing case, readable: the answer and what went wrong."""
    return "\n".join([f"--- answer for {case.original.target}:", case.text, *parts])


def compare(cases: list[Case], candidates: list[Candidate | None], applied: list[list[object]]) -> Tally:
    """Each answer run as written and as the client applied the engine's candidate (``applied``:
    the client's results for the candidates that are not None, in order)."""
    tally = Tally()
    results = iter(applied)
    for case, candidate in zip(cases, candidates, strict=True):
        result = next(results) if candidate is not None else None
        expected = run_probes(case.reference, case.original.probes)
        if expected.startswith("ERR"):
            tally.raised += 1
            continue
        if result is None and case.refused:
            tally.refused_as_expected += 1
            continue
        if result is None:
            tally.dropped.append(describe(case))
            continue
        updated, text = result
        if not updated:
            tally.refused.append(describe(case, f"client: {text}"))
            continue
        got = run_probes(str(text), case.original.probes)
        if got == expected:
            tally.same += 1
        else:
            tally.differ.append(describe(case, f"=> as written: {expected}", f"=> client: {got}", "file:", str(text)))
    return tally


@pytest.fixture(scope="module")
def cli() -> Path:
    return cli_python()


def test_the_client_runs_what_the_answers_mean(cli: Path, tmp_path: Path) -> None:
    rng = random.Random(20261208)
    cases = [generate(rng) for _ in range(ANSWERS)]
    contexts = client_contexts(cli, tmp_path / "context")
    missing = [text for text in ledger_answers.VERBATIM if text not in contexts[LEDGER]]
    assert not missing, f"the client's context no longer holds what the long answers repeat: {missing[0]}"
    long = sum(case.is_long() for case in cases)
    assert long >= ANSWERS * LONG_SHARE * 0.8, f"only {long} answers reach the verbatim drop"
    candidates = [engine_candidate(contexts[case.original], case.text) for case in cases]
    sent = [(case.original, markdown_of(c)) for case, c in zip(cases, candidates, strict=True) if c is not None]
    applied = client_applied(cli, tmp_path / "apply", sent)
    tally = compare(cases, candidates, applied)
    summary = (
        f"{tally.same} same, {len(tally.differ)} differ, {len(tally.dropped)} dropped by the engine, "
        f"{len(tally.refused)} refused by the client, {tally.refused_as_expected} refused by the engine as expected, "
        f"{tally.raised} raise as written; {long} of {ANSWERS} answers of {LONG} characters and more"
    )
    print(summary)
    assert tally.raised < ANSWERS // 10, summary  # the generator writes answers that run
    assert not tally.differ, f"{summary}; the first:\n{tally.differ[0]}"
    lost = tally.dropped + tally.refused
    assert len(lost) <= LOSSES_ALLOWED, f"{summary}; the first:\n{lost[0]}"
