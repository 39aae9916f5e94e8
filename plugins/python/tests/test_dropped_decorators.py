"""Decorators a candidate leaves out (candidates/signature.py, ``dropped_decorators``): the client
takes the candidate's decorators as they are, so the merge puts back the original's when the
candidate has none, and a method's binding decorator whenever the candidate lacks it."""

from __future__ import annotations

import pytest

from .test_merge_shapes import merged, only_text

POLYGON = """\
class Polygon:
    def __init__(self, points):
        self.points = points

    @staticmethod
    def area_of(points):
        total = 0
        for p in points:
            total = total + p
        return total

    @property
    def area(self):
        return self.area_of(self.points)
"""


def test_a_staticmethod_answered_without_its_decorator_keeps_it() -> None:
    code = "class Polygon:\n    def area_of(points):\n        return sum(points)\n"
    text = only_text(POLYGON, code, "Polygon.area_of")
    assert "    @staticmethod\n    def area_of(points):\n        return sum(points)\n" in text, text
    scope: dict[str, object] = {}
    exec(compile(text, "pkg/mod.py", "exec"), scope)
    assert scope["Polygon"]([1, 2, 3]).area == 6  # type: ignore[operator]


@pytest.mark.parametrize(
    ("original", "answer", "expected"),
    [
        ("@classmethod\n    @cache", "@cache", "@classmethod\n    @cache\n"),  # a binding one lacking
        ("@property", "@functools.cache", "@property\n    @functools.cache\n"),
        ("@functools.cache", "@functools.lru_cache(maxsize=64)", "@functools.lru_cache(maxsize=64)\n"),  # replaced
        ("@staticmethod", "@staticmethod", "@staticmethod\n"),
        ("@property", "@functools.cached_property", "@functools.cached_property\n"),  # binds its own way
    ],
    ids=["classmethod", "property", "another-cache", "kept", "cached-property"],
)
def test_binding_decorators_come_back_beside_the_candidate_s_own(original: str, answer: str, expected: str) -> None:
    first = "cls" if "classmethod" in original else "self"
    source = (
        "import functools\nfrom functools import cache\n\n\nclass Box:\n"
        f"    {original}\n    def f({first}):\n        return [i for i in range(10)]\n"
    )
    code = f"class Box:\n    {answer}\n    def f({first}):\n        return list(range(10))\n"
    text = only_text(source, code, "Box.f")
    assert f"    {expected}    def f({first}):\n        return list(range(10))\n" in text, text


def test_a_function_answered_bare_keeps_every_original_decorator() -> None:
    source = (
        "import functools\n\n\n"
        '@app.route("/total",\n           methods=["GET"])\n'
        "@functools.lru_cache(maxsize=None)\n"
        "def f(xs):\n    t = 0\n    for x in xs:\n        t = t + x\n    return t\n"
    )
    text = only_text(source, "def f(xs):\n    return sum(xs)\n")
    assert text.endswith(
        '@app.route("/total",\n           methods=["GET"])\n@functools.lru_cache(maxsize=None)\n'
        "def f(xs):\n    return sum(xs)\n"
    ), text


def test_an_answer_that_only_drops_the_decorators_is_the_original() -> None:
    source = "import functools\n\n\n@functools.cache\ndef f(n):\n    return n * 2\n"
    assert merged(source, "def f(n):\n    return n * 2\n") == []
