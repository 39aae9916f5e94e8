"""New class attributes in an answer (candidates/hoist.py): the client takes only the methods of an
existing class from a candidate, so an attribute the answer adds to the class and its methods read
moves to the module's top level, where the client carries it over."""

from __future__ import annotations

import ast

import pytest

from .test_merge_shapes import merged, only_text

ORIGINAL = '''\
LIMIT = 3


class Scorer:
    """Scores text."""

    BONUS = 2

    def __init__(self, weight):
        self.weight = weight

    def score(self, text):
        total = 0
        for ch in text:
            if ch in "aeiou":
                total += 1
        return total * self.weight
'''


def run_module(text: str) -> dict[str, object]:
    scope: dict[str, object] = {}
    exec(compile(text, "pkg/mod.py", "exec"), scope)
    return scope


def test_a_new_class_attribute_the_method_reads_becomes_a_module_constant() -> None:
    code = (
        "class Scorer:\n"
        '    _VOWELS = frozenset("aeiou")\n\n'
        "    def score(self, text):\n"
        "        vowels = self._VOWELS\n"
        "        return sum(1 for ch in text if ch in vowels) * self.weight\n"
    )
    text = only_text(ORIGINAL, code, "Scorer.score")
    assert '_VOWELS = frozenset("aeiou")\n' in text.split("class Scorer")[0], text
    assert "vowels = _VOWELS\n" in text and "self._VOWELS" not in text, text
    assert "    BONUS = 2\n" in text and "def __init__(self, weight):" in text
    scorer = run_module(text)["Scorer"]
    assert scorer(2).score("banana") == 6  # type: ignore[operator]


@pytest.mark.parametrize(
    "read", ["self._TABLE", "Scorer._TABLE", "type(self)._TABLE"], ids=["self", "class", "type-of-self"]
)
def test_reads_through_the_instance_or_the_class_are_rewritten(read: str) -> None:
    code = (
        "class Scorer:\n"
        '    _TABLE = str.maketrans("", "", "aeiou")\n\n'
        "    def score(self, text):\n"
        f"        return (len(text) - len(text.translate({read}))) * self.weight\n"
    )
    [candidate] = merged(ORIGINAL, code, "Scorer.score")
    text = candidate.files[0].code
    ast.parse(text)
    if read == "type(self)._TABLE":  # not a read the rewrite knows: the attribute stays where the answer put it
        assert "_TABLE = str.maketrans" not in text.split("class Scorer")[0], text
    else:
        assert text.index("_TABLE = str.maketrans") < text.index("class Scorer"), text
        assert run_module(text)["Scorer"](3).score("audio") == 12  # type: ignore[operator]


def test_a_class_classmethod_read_and_a_classvar_annotation() -> None:
    code = (
        "from typing import ClassVar\n\n\n"
        "class Scorer:\n"
        '    _VOWELS: ClassVar[frozenset] = frozenset("aeiou")\n\n'
        "    def score(self, text):\n"
        "        return self._count(text) * self.weight\n\n"
        "    @classmethod\n"
        "    def _count(cls, text):\n"
        "        return sum(ch in cls._VOWELS for ch in text)\n"
    )
    text = only_text(ORIGINAL, code, "Scorer.score")
    assert '\n_VOWELS = frozenset("aeiou")\n' in text, text
    assert "return sum(ch in _VOWELS for ch in text)" in text, text
    assert run_module(text)["Scorer"](1).score("queue") == 4  # type: ignore[operator]


@pytest.mark.parametrize(
    "attribute",
    [
        "_FIELD: int = 3",  # an annotated attribute may be a dataclass field
        "_double = lambda x: 2 * x",  # a function is bound as a method when read through self
        "_BONUS2 = BONUS * 2",  # reads a name of the class body, which stays in the class
        "__slots__ = ('weight',)",  # a dunder means something to the class itself
        "LIMIT = 4",  # a module-level name of that name exists
    ],
)
def test_attributes_that_would_change_meaning_at_the_top_level_stay(attribute: str) -> None:
    name = attribute.split()[0].rstrip(":")
    code = (
        "class Scorer:\n"
        f"    {attribute}\n\n"
        "    def score(self, text):\n"
        f"        probe = self.{name}\n"
        "        return sum(ch in 'aeiou' for ch in text) * self.weight\n"
    )
    text = only_text(ORIGINAL, code, "Scorer.score")
    assert f"probe = self.{name}" in text, text


def test_an_attribute_a_method_binds_a_local_of_the_same_name_for_stays() -> None:
    code = (
        "class Scorer:\n"
        '    _VOWELS = frozenset("aeiou")\n\n'
        "    def score(self, text):\n"
        "        _VOWELS = self._VOWELS\n"
        "        return sum(1 for ch in text if ch in _VOWELS) * self.weight\n"
    )
    text = only_text(ORIGINAL, code, "Scorer.score")
    assert "_VOWELS = self._VOWELS" in text and "\n_VOWELS = frozenset" not in text, text


def test_an_attribute_the_candidate_assigns_through_self_stays() -> None:
    code = (
        "class Scorer:\n"
        "    _seen = 0\n\n"
        "    def score(self, text):\n"
        "        self._seen = self._seen + 1\n"
        "        return sum(ch in 'aeiou' for ch in text) * self.weight\n"
    )
    text = only_text(ORIGINAL, code, "Scorer.score")
    assert "self._seen = self._seen + 1" in text and "\n_seen = 0" not in text, text


@pytest.mark.parametrize(
    "table",
    [
        '{ch: i for i, ch in enumerate("aeiou")}',
        'frozenset(ch for ch in "aeiou")',
        '[ch for ch in "aeiou" if (lambda c=ch: c)()]',
    ],
    ids=["dict-comprehension", "generator", "lambda-in-a-comprehension"],
)
def test_a_new_table_built_by_a_comprehension_becomes_a_module_constant(table: str) -> None:
    """The comprehension's variables are its own, not names of the class body that the table
    would read (found by the differential test against the client)."""
    code = (
        "class Scorer:\n"
        f"    _VOWELS = {table}\n\n"
        "    def score(self, text):\n"
        "        vowels = self._VOWELS\n"
        "        return sum(1 for ch in text if ch in vowels) * self.weight\n"
    )
    text = only_text(ORIGINAL, code, "Scorer.score")
    assert f"_VOWELS = {table}\n" in text.split("class Scorer")[0], text
    scorer = run_module(text)["Scorer"]
    assert scorer(2).score("banana") == 6  # type: ignore[operator]


def test_a_table_whose_first_iterable_reads_the_class_body_stays_in_the_class() -> None:
    """A comprehension's first iterable runs in the class body: ``range(BONUS + 3)`` reads the
    class's ``BONUS``, which a module constant could not see."""
    code = (
        "class Scorer:\n"
        '    _VOWELS = frozenset("aeiou"[i] for i in range(BONUS + 3))\n\n'
        "    def score(self, text):\n"
        "        return sum(1 for c in text if c in self._VOWELS) * self.weight\n"
    )
    text = only_text(ORIGINAL, code, "Scorer.score")
    assert "self._VOWELS" in text and "\n_VOWELS" not in text, text


def test_a_module_comprehension_s_variable_does_not_hide_a_new_attribute_of_its_name() -> None:
    """A name only a module-level comprehension binds (``w`` in ``WORDS = [w for w in ...]``) is
    not a global: a new class attribute of that name still moves to the module."""
    original = ORIGINAL.replace("LIMIT = 3\n", 'LIMIT = 3\nWORDS = [w.upper() for w in ("a", "b")]\n')
    code = (
        "class Scorer:\n"
        "    w = 3\n\n"
        "    def score(self, text):\n"
        '        return sum(1 for ch in text if ch in "aeiou") * self.weight * self.w\n'
    )
    text = only_text(original, code, "Scorer.score")
    assert "\nw = 3\n" in text.split("class Scorer")[0], text
    scorer = run_module(text)["Scorer"]
    assert scorer(2).score("banana") == 18  # type: ignore[operator]
