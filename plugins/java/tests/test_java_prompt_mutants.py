"""What the Java prompts are told beyond the request (``prompts.language_context`` and
``prompts.build_prompt``), and the plugin's hook wiring (``plugin``): the language features offered
for each Java version, first version included (Java 8 lambdas ... Java 21 pattern matching for
switch), all of them when the version is unknown; the package and test class name of a test
generation (the module's simple name, else the target's class, else ``Generated``, then the
method's name capitalised); a target without a class gets the one the code's first method has
when the names agree, a named target the code does not start with stays as named, a target with
its class is never replaced."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from codeflash_engine import CodeFile, PromptRequest, Target, Task
from codeflash_engine_java.prompts import build_prompt, language_context, major_version

#: the first Java version of each feature the prompt may offer
FIRST = {
    8: "lambdas and streams",
    9: "List.of/Set.of/Map.of",
    10: "`var` for locals",
    14: "switch expressions",
    15: "text blocks",
    16: "records and pattern matching for instanceof",
    17: "sealed classes",
    21: "pattern matching for switch, record patterns and sequenced collections",
}

STATS = (
    "package com.acme;\n\npublic class Stats {\n    public static int mean(int[] xs) { return xs[0]; }\n"
    "    public static int median(int[] xs) { return xs[0]; }\n}\n"
)
ORIGINAL = (CodeFile("src/main/java/com/acme/Stats.java", STATS),)


def _context(version: str | None = "17", target: str | None = None, **fields: Any) -> dict[str, Any]:
    request = PromptRequest(
        Task.TESTGEN, "java", version, target=Target.parse(target) if target else None, fields=fields
    )
    return language_context(request)


def _named(target: str | None, original: tuple[CodeFile, ...] = ORIGINAL) -> str:
    request = PromptRequest(
        Task.OPTIMIZE, "java", "17", original=original, target=Target.parse(target) if target else None
    )
    prompt = build_prompt(request)
    assert prompt is not None
    line = next(line for line in prompt.user.splitlines() if line.startswith("Optimize"))
    return line.split(" in the following")[0]


# ------------------------------------------------------------------------------ the version


@pytest.mark.parametrize("major", range(6, 24))
def test_each_feature_is_offered_from_its_first_version(major: int) -> None:
    expected = [feature for first, feature in FIRST.items() if first <= major]
    assert _context(str(major))["java_features"] == expected
    assert _context(f"1.{major}.0_392" if major < 9 else f"{major}.0.2")["java_features"] == expected


def test_every_feature_is_offered_when_the_version_is_unknown() -> None:
    for version in (None, "", "latest"):
        context = _context(version)
        assert context["java_version"] is None and context["java_features"] == list(FIRST.values())


def test_the_version_is_the_major_one() -> None:
    assert [_context(v)["java_version"] for v in ("1.8.0_392", " 11", "21.0.2")] == ["8", "11", "21"]
    assert [major_version(v) for v in ("1.8", "9-ea", "v17")] == [8, 9, None]


def test_the_prompt_says_the_version_and_its_features() -> None:
    request = PromptRequest(Task.OPTIMIZE, "java", "1.8", original=ORIGINAL)
    prompt = build_prompt(request)
    assert prompt is not None
    assert "The code is Java 8, running on the JVM. Language features you may use: lambdas and streams." in (
        prompt.system + prompt.user
    )


# ------------------------------------------------------------------------------ the test class


@pytest.mark.parametrize(
    ("module_path", "target", "package", "test_class"),
    [
        ("com.acme.util.Stats", "Stats.median", "com.acme.util", "StatsMedianTest"),
        ("com.acme.util.Numbers", "Stats.median", "com.acme.util", "NumbersMedianTest"),
        ("Stats", "median", "", "StatsMedianTest"),
        ("com.acme.", "Stats.median", "com.acme", "StatsMedianTest"),
        ("com.acme.", "median", "com.acme", "GeneratedMedianTest"),
        ("com.acme.", None, "com.acme", "GeneratedTest"),
        ("com.acme.Stats", "sumOfSquares", "com.acme", "StatsSumOfSquaresTest"),
    ],
)
def test_the_package_and_test_class_name(module_path: str, target: str | None, package: str, test_class: str) -> None:
    context = _context(target=target, module_path=module_path)
    assert (context["package_name"], context["test_class_name"]) == (package, test_class)


def test_no_module_path_no_test_class() -> None:
    assert set(_context(target="Stats.median", module_path="")) == {"java_version", "java_features"}
    assert set(_context(target="Stats.median")) == {"java_version", "java_features"}


# ------------------------------------------------------------------------------ the target


def test_a_missing_target_is_the_codes_first_method_with_its_class() -> None:
    assert _named(None) == "Optimize `Stats.mean` of class `Stats`"


def test_a_method_named_alone_gets_its_class_when_the_code_starts_with_it() -> None:
    assert _named("mean") == "Optimize `Stats.mean` of class `Stats`"


def test_a_method_named_alone_gets_its_class_wherever_it_is_in_the_code() -> None:
    """A line profile names the second method: the prompt still says which class it is in."""
    assert _named("median") == "Optimize `Stats.median` of class `Stats`"


def test_a_method_the_code_does_not_have_stays_as_named() -> None:
    assert _named("nothing") == "Optimize `nothing`"


def test_a_method_name_of_several_classes_stays_as_named() -> None:
    code = "public class A {\n  int size() { return 1; }\n  static class B {\n    int size() { return 2; }\n  }\n}\n"
    request = PromptRequest(
        Task.OPTIMIZE_LINE_PROFILER,
        "java",
        "17",
        original=(CodeFile("src/main/java/A.java", code),),
        target=Target.parse("size"),
    )
    nested = attrs.evolve(request, target=Target.parse("B.size"))
    for asked, expected in ((request, "Optimize `size`"), (nested, "Optimize `B.size` of class `B`")):
        prompt = build_prompt(asked)
        assert prompt is not None and expected in prompt.user, prompt.user if prompt else None


def test_a_target_with_its_class_is_never_replaced() -> None:
    assert _named("Other.mean") == "Optimize `Other.mean` of class `Other`"
    assert _named("Other.mean", original=()) == "Optimize `Other.mean` of class `Other`"


def test_tasks_left_to_the_core_get_no_prompt_here() -> None:
    assert build_prompt(PromptRequest(Task.RANK, "java", "17", original=ORIGINAL)) is None
