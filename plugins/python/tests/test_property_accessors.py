"""A name a class defines more than once: a property's getter and setter (candidates/module.py,
``ModuleIndex.unit_for``). The merge matches each definition of the answer with the original's of
the same role, instead of comparing a getter with the setter (the last definition of the name)."""

from __future__ import annotations

from .test_merge_shapes import merged, only_text

ACCOUNT = """\
class Account:
    def __init__(self, entries):
        self._entries = list(entries)

    @property
    def entries(self):
        return list(self._entries)

    @entries.setter
    def entries(self, value):
        self._entries = list(value)

    def total(self):
        t = 0
        for e in self.entries:
            t = t + e
        return t
"""
SETTER = "    @entries.setter\n    def entries(self, value):\n        self._entries = list(value)\n"


def test_an_answer_with_the_getter_but_not_the_setter_is_merged() -> None:
    code = (
        "class Account:\n"
        "    @property\n    def entries(self):\n        return self._entries[:]\n\n"
        "    def total(self):\n        return sum(self._entries)\n"
    )
    text = only_text(ACCOUNT, code, "Account.total")
    assert "    @property\n    def entries(self):\n        return self._entries[:]\n" in text, text
    assert SETTER in text and "return sum(self._entries)" in text, text


def test_a_getter_repeated_as_it_was_leaves_both_accessors() -> None:
    code = (
        "class Account:\n"
        "    @property\n    def entries(self):\n        return list(self._entries)\n\n"
        "    def total(self):\n        return sum(self._entries)\n"
    )
    text = only_text(ACCOUNT, code, "Account.total")
    assert text.count("def entries(self") == 2 and SETTER in text, text


def test_getter_and_setter_both_changed_are_both_merged() -> None:
    code = (
        "class Account:\n"
        "    @property\n    def entries(self):\n        return self._entries.copy()\n\n"
        "    @entries.setter\n    def entries(self, value):\n        self._entries = [*value]\n\n"
        "    def total(self):\n        return sum(self._entries)\n"
    )
    text = only_text(ACCOUNT, code, "Account.total")
    assert "return self._entries.copy()" in text and "self._entries = [*value]" in text, text
    assert text.count("def entries(self") == 2, text


def test_a_deleter_the_original_lacks_is_not_added() -> None:
    code = (
        "class Account:\n"
        "    @entries.deleter\n    def entries(self):\n        self._entries = []\n\n"
        "    def total(self):\n        return sum(self._entries)\n"
    )
    [candidate] = merged(ACCOUNT, code, "Account.total")
    assert "deleter" not in candidate.files[0].code


def test_overload_stubs_of_the_answer_leave_the_original_s() -> None:
    source = (
        "from typing import overload\n\n\n"
        "@overload\ndef f(x: int) -> int: ...\n@overload\ndef f(x: str) -> str: ...\n"
        "def f(x):\n    out = x\n    for _ in range(3):\n        out = out\n    return out\n"
    )
    code = "@overload\ndef f(x: int) -> int: ...\ndef f(x):\n    return x\n"
    text = only_text(source, code)
    assert text.count("@overload\ndef f(") == 2 and text.endswith("def f(x):\n    return x\n"), text


UNSHOWN = """\
class Account(Base):
    def __init__(self, entries):
        self._entries = list(entries)
        self.limit = 10

    def total(self):
        t = 0
        for e in self.entries:
            t = t + e
        return t + self.bonus() + self.limit
"""


def test_a_method_named_like_an_attribute_defined_out_of_sight_is_left_out() -> None:
    """The client leaves properties (and base classes) out of the code it sends: ``self.entries``
    is read but defined nowhere in the file. An answer defining ``entries`` would replace the
    property (and its setter) for every caller; a new method named like nothing read is added."""
    code = (
        "class Account:\n"
        "    @property\n    def entries(self):\n        return self._entries[:]\n\n"
        "    def bonus(self):\n        return 0\n\n"
        "    def limit(self):\n        return 1\n\n"
        "    def _sum(self):\n        return sum(self._entries)\n\n"
        "    def total(self):\n        return self._sum() + self.bonus() + self.limit\n"
    )
    text = only_text(UNSHOWN, code, "Account.total")
    assert "def entries" not in text and "def bonus" not in text, text
    assert "    def _sum(self):\n" in text and "def limit(self)" in text, text  # ``limit`` is an instance attribute
