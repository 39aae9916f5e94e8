"""Candidate postprocessing on realistic raw answers for a Java class with overloads and generics."""

from __future__ import annotations

import attrs
import pytest
from java_cases import answers, case_names, load_request, report
from syrupy.assertion import SnapshotAssertion

from codeflash_engine import CandidatesRequest, CodeFile, Target, Task
from codeflash_engine_java import plugin
from codeflash_engine_java.candidates import postprocess, target_of, triage


@pytest.mark.parametrize("name", case_names())
def test_case_report(name: str, snapshot: SnapshotAssertion) -> None:
    assert report(triage(load_request(name))) == snapshot


@pytest.mark.parametrize("name", case_names())
def test_every_candidate_validates(name: str) -> None:
    for candidate in postprocess(load_request(name)):
        for file in candidate.files:
            assert plugin.validate("java", file.code, "17") == []


def test_expected_fates() -> None:
    fates = [o.reason.split(":")[0] for o in triage(load_request("stats"))]
    assert fates == [
        "kept",
        "kept",
        "rejected",
        "identical to the original once normalised",
        "duplicate of answer #1",
        "kept",
        "rejected",
    ]


def test_cut_off_answer_is_not_a_candidate() -> None:
    request = load_request("stats")
    cut = tuple(attrs.evolve(a, finish_reason="length") for a in request.answers)
    fates = [o.reason for o in triage(attrs.evolve(request, answers=cut))]
    assert all(f.startswith("rejected: cut off by the token limit") for f in fates)


def test_target_is_inferred_when_the_request_does_not_name_it() -> None:
    request = attrs.evolve(load_request("stats"), target=None)
    assert [c.answer_index for c in postprocess(request)] == [0, 1, 5]


NESTED = """package a;

public class Outer {
    static final class Inner {
        private int total;

        /** Sum of squares. */
        @Deprecated
        protected synchronized long sumSquares(final int[] xs) throws java.io.IOException {
            long s = 0;
            for (int i = 0; i < xs.length; i++) {
                s += (long) xs[i] * xs[i];
            }
            return s;
        }
    }
}
"""


def test_bare_method_goes_back_into_nested_class_with_its_modifiers() -> None:
    answer = (
        "Enhanced for loop.\n```java\nlong sumSquares(int[] values) {\n    long s = 0;\n"
        "    for (int v : values) {\n        s += (long) v * v;\n    }\n    return s;\n}\n```"
    )
    original = (CodeFile("src/a/Outer.java", NESTED),)
    request = CandidatesRequest(
        task=Task.OPTIMIZE,
        language="java",
        language_version="11",
        original=original,
        answers=answers([answer], original),
        target=Target.parse("Inner.sumSquares"),
    )
    [candidate] = postprocess(request)
    assert candidate.files[0].code == (
        "package a;\n\npublic class Outer {\n    static final class Inner {\n        @Deprecated\n"
        "        protected synchronized long sumSquares(final int[] values) throws java.io.IOException {\n"
        "            long s = 0;\n            for (int v : values) {\n                s += (long) v * v;\n"
        "            }\n            return s;\n        }\n    }\n}\n"
    )


def test_search_replace_answer() -> None:
    answer = (
        "Cast once.\n\nsrc/a/Outer.java\n<<<<<<< SEARCH\n                s += (long) xs[i] * xs[i];\n=======\n"
        "                long x = xs[i];\n                s += x * x;\n>>>>>>> REPLACE\n"
    )
    original = (CodeFile("src/a/Outer.java", NESTED),)
    request = CandidatesRequest(
        task=Task.REPAIR,
        language="java",
        language_version="17",
        original=original,
        answers=answers([answer], original),
        target=Target.parse("Inner.sumSquares"),
    )
    [outcome] = triage(request)
    assert outcome.candidate is not None
    assert outcome.candidate.explanation == "Cast once."
    assert "long x = xs[i];" in outcome.candidate.files[0].code


CLAMPED = """package a;

public class Clamped {
    private int limit;

    int scaled(int x) {
        return Math.min(x * 3, limit);
    }

    int twice(int y) {
        return y * 2;
    }
}
"""
HELPER = """package a;

final class Helper {
    static int half(int x) {
        return x / 2;
    }
}
"""


def _request(files: dict[str, str], texts: list[str], target: str | None) -> CandidatesRequest:
    original = tuple(CodeFile(path, code) for path, code in files.items())
    return CandidatesRequest(
        task=Task.OPTIMIZE,
        language="java",
        language_version="17",
        original=original,
        answers=answers(texts, original),
        target=Target.parse(target) if target else None,
        fence_tags=plugin.JAVA.fence_tags,
    )


def _fates(files: dict[str, str], texts: list[str], target: str | None) -> list[str]:
    return [o.reason for o in triage(_request(files, texts, target))]


RENAMED = (
    "Renamed.\n```java\npublic class Clamped {\n    int scaledFast(int x) {\n        return Math.min(3 * x, limit);\n"
    "    }\n\n    int twice(int y) {\n        return y * 2;\n    }\n}\n```"
)


def test_an_answer_renaming_the_target_is_rejected_even_with_the_other_methods_kept() -> None:
    assert _fates({"src/a/Clamped.java": CLAMPED}, [RENAMED], "Clamped.scaled") == [
        "rejected: the answer does not define Clamped.scaled"
    ]


def test_a_target_named_without_its_class_is_still_enforced() -> None:
    assert _fates({"src/a/Clamped.java": CLAMPED}, [RENAMED], "scaled") == [
        "rejected: the answer does not define scaled"
    ]


def test_the_inferred_target_is_enforced_when_a_field_and_helpers_surround_it() -> None:
    # the class comes first: the first method (after the field) is the target, trusted
    assert _fates({"src/a/Clamped.java": CLAMPED}, [RENAMED], None) == [
        "rejected: the answer does not define Clamped.scaled"
    ]


def test_the_inferred_target_of_a_file_of_bare_methods_is_its_first_method() -> None:
    original = "int scaled(int x) {\n    return x * 3;\n}\n\nint twice(int y) {\n    return y * 2;\n}\n"
    renamed = "Renamed.\n```java\nint scaledFast(int x) {\n    return 3 * x;\n}\n```"
    assert _fates({"Snippet.java": original}, [renamed], None) == ["rejected: the answer does not define scaled"]


def test_a_new_helper_written_before_the_target_keeps_the_answer() -> None:
    answer = (
        "Helper.\n```java\npublic class Clamped {\n    private static int triple(int v) {\n        return v + v + v;\n"
        "    }\n\n    int scaled(int x) {\n        return Math.min(triple(x), limit);\n    }\n}\n```"
    )
    [outcome] = triage(_request({"src/a/Clamped.java": CLAMPED}, [answer], "Clamped.scaled"))
    assert outcome.candidate is not None, outcome.reason
    code = outcome.candidate.files[0].code
    assert "private static int triple(int v)" in code and "return Math.min(triple(x), limit);" in code


def test_an_answer_leaving_out_the_target_body_is_rejected_even_when_it_rewrites_a_helper() -> None:
    answer = (
        "Shift.\n```java\npublic class Clamped {\n    int scaled(int x) {\n        // ... unchanged\n    }\n\n"
        "    int twice(int y) {\n        return y << 1;\n    }\n}\n```"
    )
    assert _fates({"src/a/Clamped.java": CLAMPED}, [answer], "Clamped.scaled") == [
        "rejected: the target's body was left out"
    ]


def test_a_target_the_original_does_not_show_is_not_enforced() -> None:
    # a bare method still goes into the target's class, and the answer is kept as written
    answer = "New.\n```java\nint clampedSum(int a, int b) {\n    return Math.min(a + b, limit);\n}\n```"
    [outcome] = triage(_request({"src/a/Clamped.java": CLAMPED}, [answer], "Clamped.clampedSum"))
    assert outcome.candidate is not None, outcome.reason
    assert outcome.candidate.files[0].code == (
        "package a;\n\npublic class Clamped {\n    int clampedSum(int a, int b) {\n"
        "        return Math.min(a + b, limit);\n    }\n}\n"
    )


def test_the_target_is_looked_for_in_the_first_file_only() -> None:
    files = {"src/a/Clamped.java": CLAMPED, "src/a/Helper.java": HELPER}
    helper_only = (
        "Shift.\n```java:src/a/Helper.java\nfinal class Helper {\n    static int half(int x) {\n"
        "        return x >> 1;\n    }\n}\n```"
    )
    renamed = RENAMED.replace("```java", "```java:src/a/Clamped.java")
    for target in ("Clamped.scaled", None):
        fates = _fates(files, [helper_only, renamed], target)
        assert fates == ["kept", "rejected: the answer does not define Clamped.scaled"], target
    assert target_of([CodeFile(p, c) for p, c in files.items()]) == Target(
        "scaled", "Clamped.scaled", "Clamped", "src/a/Clamped.java"
    )


def test_bare_method_goes_back_into_nested_class_with_another_file_in_the_request() -> None:
    answer = (
        "Enhanced for loop.\n```java\nlong sumSquares(int[] values) {\n    long s = 0;\n"
        "    for (int v : values) {\n        s += (long) v * v;\n    }\n    return s;\n}\n```"
    )
    files = {"src/a/Outer.java": NESTED, "src/a/Helper.java": HELPER}
    [outcome] = triage(_request(files, [answer], "Inner.sumSquares"))
    assert outcome.candidate is not None, outcome.reason
    assert "    static final class Inner {\n" in outcome.candidate.files[0].code


def test_a_body_given_to_a_method_declared_without_one_is_kept() -> None:
    shape = (
        "package a;\n\npublic interface Shape {\n    double area();\n\n    default double twice() {\n"
        "        return area() * 2;\n    }\n}\n"
    )
    answer = (
        "Add.\n```java\npublic interface Shape {\n    default double area() {\n        return 0;\n    }\n\n"
        "    default double twice() {\n        return area() + area();\n    }\n}\n```"
    )
    [outcome] = triage(_request({"src/a/Shape.java": shape}, [answer], "Shape.twice"))
    assert outcome.candidate is not None, outcome.reason
    assert "default double area() {\n        return 0;\n    }" in outcome.candidate.files[0].code


def test_a_rejection_names_the_first_syntax_error() -> None:
    broken = (
        "Broken.\n```java\nclass Clamped {\n    int scaled(int x) {\n        return x + ;\n    }\n\n"
        "    int twice(int y) {\n        return y * ;\n    }\n}\n```"
    )
    assert _fates({"src/a/Clamped.java": CLAMPED}, [broken], "Clamped.scaled") == [
        "rejected: src/a/Clamped.java: does not parse (line 3, column 19: missing 'identifier')"
    ]


def test_a_left_out_body_restored_from_a_broken_original_names_its_first_syntax_error() -> None:
    original = CLAMPED.replace("return y * 2;", "return y * ;\n        int z = ;")
    answer = (
        "Faster.\n```java\nclass Clamped {\n    int scaled(int x) {\n        return Math.min(3 * x, limit);\n    }\n\n"
        "    int twice(int y) {\n        // ... unchanged\n    }\n}\n```"
    )
    assert _fates({"src/a/Clamped.java": original}, [answer], "Clamped.scaled") == [
        "rejected: src/a/Clamped.java: does not parse after restoring signatures"
        " (line 9, column 19: missing 'identifier')"
    ]


STEPS = """package a;

public class Steps {
    private static final int[] STEPS = {1, 2, 4};

    int total;

    int next(int i) {
        return Math.min(STEPS[i % STEPS.length], total);
    }
}
"""


def _answer(code: str) -> str:
    return f"Faster.\n```java\n{code}```"


def test_a_trailing_comma_in_an_initializer_is_no_change() -> None:
    answer = _answer(STEPS.replace("{1, 2, 4}", "{1, 2, 4,}"))
    assert _fates({"src/a/Steps.java": STEPS}, [answer], "Steps.next") == ["identical to the original once normalised"]


def test_answers_calling_different_methods_are_different_candidates() -> None:
    smaller = _answer(STEPS.replace("Math.min(STEPS[i % STEPS.length], total)", "Math.min(total, STEPS[i % 3])"))
    larger = _answer(STEPS.replace("Math.min(STEPS[i % STEPS.length], total)", "Math.max(total, STEPS[i % 3])"))
    assert _fates({"src/a/Steps.java": STEPS}, [smaller, larger], "Steps.next") == ["kept", "kept"]


def test_a_field_whose_only_change_is_its_type_is_a_change() -> None:
    answer = _answer(STEPS.replace("    int total;", "    short total;"))
    assert _fates({"src/a/Steps.java": STEPS}, [answer], "Steps.next") == ["kept"]


def test_a_class_header_written_without_its_space_is_the_same_header() -> None:
    faster = STEPS.replace("Math.min(STEPS[i % STEPS.length], total)", "Math.min(STEPS[i & 1], total)")
    tight = faster.replace("public class Steps {", "public class Steps{")
    assert _fates({"src/a/Steps.java": STEPS}, [_answer(faster), _answer(tight)], "Steps.next") == [
        "kept",
        "duplicate of answer #1",
    ]
