"""What the Python prompts are told beyond the request (``prompting``): the target a request does
not name is the function postprocessing will take (the first one); a function named alone is
looked up in the code and gets its class; a named target the code does not define, or one named
with its class, stays as named; the Python minor version is read from ``3.<minor>[...]`` only."""

from __future__ import annotations

import pytest

from codeflash_engine import CodeFile, PromptRequest, Target, Task
from codeflash_engine_python.prompting import build_python_prompt, python_minor

GEO = (
    "from pkg.util import norm\n\n\nclass Vec:\n    def __init__(self, x, y):\n        self.x = x\n\n"
    "    def length(self):\n        return norm(self.x, self.y)\n"
)
ORIGINAL = (CodeFile("pkg/geo.py", GEO),)


def _named(target: str | None, original: tuple[CodeFile, ...] = ORIGINAL) -> str:
    request = PromptRequest(
        Task.OPTIMIZE, "python", "3.12", original=original, target=Target.parse(target) if target else None
    )
    first = build_python_prompt(request).user.splitlines()[0]
    return first.split(" in the Python code below")[0]


def test_a_missing_target_is_the_first_function_of_the_code() -> None:
    assert _named(None) == "Optimize `Vec.__init__`"


def test_a_method_named_alone_gets_its_class_from_the_code() -> None:
    assert _named("length") == "Optimize `Vec.length`"
    assert _named("length", original=()) == "Optimize `length`"


def test_a_target_the_code_does_not_define_stays_as_named() -> None:
    assert _named("missing") == "Optimize `missing`"


def test_a_target_named_with_its_class_stays_as_named() -> None:
    assert _named("Vec.length") == "Optimize `Vec.length`"
    assert _named("Other.length") == "Optimize `Other.length`"


@pytest.mark.parametrize(
    ("version", "minor"),
    [
        ("3.12.1", 12),
        ("3.9", 9),
        (" 3.10 ", 10),
        ("3", None),
        ("2.7", None),
        ("4.1", None),
        ("3.x.1", None),
        ("3.10rc1", None),
        ("", None),
        (None, None),
    ],
)
def test_the_python_minor_version(version: str | None, minor: int | None) -> None:
    assert python_minor(version) == minor
