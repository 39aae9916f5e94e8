"""Candidate postprocessing on realistic raw answers for a Java class with overloads and generics."""

from __future__ import annotations

import attrs
import pytest
from java_cases import answers, case_names, load_request, report
from syrupy.assertion import SnapshotAssertion

from codeflash_engine import CandidatesRequest, CodeFile, Target, Task
from codeflash_engine_java import plugin
from codeflash_engine_java.candidates import postprocess, triage


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
