"""Candidate postprocessing on realistic raw answers for a Java class with overloads and generics."""

from __future__ import annotations

import pytest
from java_cases import case_names, load_request, report
from syrupy.assertion import SnapshotAssertion

from codeflash_engine.plugins.types import CandidatesRequest, CodeFile, Task
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


def test_foreign_language_is_left_to_others() -> None:
    request = CandidatesRequest(
        task=Task.OPTIMIZE, language="javascript", language_version=None, original=(), answers=("x",)
    )
    assert plugin.postprocess_candidates(request) is None


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
    request = CandidatesRequest(
        task=Task.OPTIMIZE,
        language="java",
        language_version="11",
        original=(CodeFile("src/a/Outer.java", NESTED),),
        answers=(answer,),
        target="Inner.sumSquares",
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
    request = CandidatesRequest(
        task=Task.REPAIR,
        language="java",
        language_version="17",
        original=(CodeFile("src/a/Outer.java", NESTED),),
        answers=(answer,),
        target="Inner.sumSquares",
    )
    [outcome] = triage(request)
    assert outcome.candidate is not None
    assert outcome.candidate.explanation == "Cast once."
    assert "long x = xs[i];" in outcome.candidate.files[0].code
