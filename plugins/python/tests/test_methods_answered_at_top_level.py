"""A method answered at top level, out of its class, goes back into it (candidates/merge.py).

The optimize request names no target (the client sends only the code), so the plugin infers one,
the first function of the code: for a class that is ``__init__``, not the method the model
rewrote. A top-level ``def name(self, ...)`` whose name is a method of exactly one class of the
original, and no top-level name, is that method, whichever it is. Found by the differential test
against the client (test_python_merge_differential.py).
"""

from __future__ import annotations

from .test_merge_shapes import merged, only_text

ORIGINAL = (
    "class Box:\n    def __init__(self, xs):\n        self.xs = list(xs)\n\n"
    "    def total(self):\n        t = 0\n        for x in self.xs:\n            t += x\n        return t\n"
)
TOTAL = "def total(self):\n    return sum(self.xs)\n"


def test_a_method_that_is_not_the_inferred_target_goes_back_into_its_class() -> None:
    text = only_text(ORIGINAL, TOTAL, target="Box.__init__")
    assert "    def total(self):\n        return sum(self.xs)\n" in text and "\ndef total" not in text, text


def test_so_does_one_with_no_target_named() -> None:
    """As in an optimize request."""
    [candidate] = merged(ORIGINAL, TOTAL, target=None)
    assert "    def total(self):\n        return sum(self.xs)\n" in candidate.files[0].code


def test_a_method_of_two_classes_stays_where_it_is() -> None:
    """Which class it belongs to cannot be told: it is a new function, which changes nothing."""
    original = ORIGINAL + "\n\nclass Bag(Box):\n    def total(self):\n        return 0\n"
    assert merged(original, TOTAL, target="Box.__init__") == []


def test_a_top_level_function_of_the_same_name_is_replaced_instead() -> None:
    original = ORIGINAL + "\n\ndef total(self):\n    return 0\n"
    text = only_text(original, TOTAL, target="Box.__init__")
    assert text.endswith("\n\ndef total(self):\n    return sum(self.xs)\n"), text
    assert "        for x in self.xs:" in text


def test_a_static_method_answered_at_top_level_goes_back_into_its_class() -> None:
    original = ORIGINAL.replace(
        "    def total", "    @staticmethod\n    def double(x):\n        return x + x\n\n    def total"
    )
    code = "@staticmethod\ndef double(x):\n    return x * 2\n"
    text = only_text(original, code, target="Box.__init__")
    assert "    @staticmethod\n    def double(x):\n        return x * 2\n" in text and "\ndef double" not in text, text


def test_an_undecorated_function_without_self_stays_at_top_level() -> None:
    """A module-level helper of the same name as a method: nothing says it is the method."""
    original = ORIGINAL.replace(
        "    def total", "    @staticmethod\n    def double(x):\n        return x + x\n\n    def total"
    )
    code = "def double(x):\n    return x * 2\n\n\n" + TOTAL.replace("sum(self.xs)", "double(sum(self.xs))")
    text = only_text(original, code, target="Box.__init__")
    assert "\ndef double(x):\n    return x * 2\n" in text and "        return x + x\n" in text, text
