"""The language-neutral parts of candidate cleaning (plugins.candidates): the original analysed
once for the answers of a request that arrive one at a time, and the batch part of streamed
postprocessing (merge_streamed)."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence

import pytest

from codeflash_engine.plugins.candidates import CandidateCleaner, merge_streamed
from codeflash_engine.plugins.types import Answer, Candidate, CandidatesRequest, CodeFile, Task

ORIGINAL = (CodeFile("src/a.txt", "slow\n"),)


class Lines(CandidateCleaner[tuple[CodeFile, ...], CodeFile, str]):
    """A toy language: a file is its text; a change is the new text."""

    def __init__(self) -> None:
        self.analysed = 0

    def analyse(self, request: CandidatesRequest) -> tuple[CodeFile, ...]:
        self.analysed += 1
        return request.original

    def original_files(self, original: tuple[CodeFile, ...]) -> Sequence[tuple[str | None, CodeFile]]:
        return [(f.path, f) for f in original]

    def clean_file(self, code: str, file: CodeFile, original: tuple[CodeFile, ...], *, first: bool) -> str:
        return code

    def changes(self, cleaned: str, file: CodeFile) -> Sequence[Hashable]:
        return [] if cleaned.strip() == file.code.strip() else [cleaned.strip()]


def request(*texts: str, original: tuple[CodeFile, ...] = ORIGINAL) -> CandidatesRequest:
    return CandidatesRequest(
        task=Task.OPTIMIZE,
        language="text",
        language_version=None,
        original=original,
        answers=tuple(Answer(text=f"```text:src/a.txt\n{t}\n```\n") for t in texts),
        fence_tags=("text",),
    )


def test_the_original_is_analysed_once_for_answers_arriving_one_at_a_time() -> None:
    cleaner = Lines()
    for text in ("fast 1", "fast 2", "fast 3"):
        assert len(cleaner.postprocess(request(text))) == 1
    assert cleaner.analysed == 1
    other = (CodeFile("src/a.txt", "slower\n"),)
    cleaner.postprocess(request("fast 4", original=other))  # another request: analysed again
    assert cleaner.analysed == 2


def test_streamed_candidates_come_in_answer_order_the_first_of_each_key_kept() -> None:
    a = Candidate((CodeFile("src/a.txt", "x\n"),), answer_index=0, key="k1")
    b = Candidate((CodeFile("src/a.txt", "y\n"),), answer_index=1, key="k2")
    b_again = Candidate((CodeFile("src/a.txt", "y  \n"),), answer_index=2, key="k2")
    merged = merge_streamed([(2, [b_again]), (1, [b]), (0, [a])])
    assert [(index, c.files[0].code) for index, c in merged] == [(0, "x\n"), (1, "y\n")]


def test_without_a_key_the_text_decides_and_the_path_counts() -> None:
    same_code = "def f():\n    return 1\n"
    one = Candidate((CodeFile("src/one.py", same_code),), answer_index=0)
    spaced = Candidate((CodeFile("src/one.py", same_code.replace("    ", "  ")),), answer_index=1)
    elsewhere = Candidate((CodeFile("src/two.py", same_code),), answer_index=2)
    merged = merge_streamed([(0, [one]), (1, [spaced]), (2, [elsewhere])])
    assert [index for index, _ in merged] == [0, 2]  # whitespace alone does not make a new one


def test_every_drop_is_logged_with_the_answer_s_number_and_nothing_else(caplog: pytest.LogCaptureFixture) -> None:
    cleaner = Lines()
    with caplog.at_level(logging.DEBUG, logger="codeflash_engine.plugins.candidates"):
        kept = cleaner.postprocess(request("fast", "slow", "fast"))
    assert [c.answer_index for c in kept] == [0]
    assert [r.getMessage() for r in caplog.records] == [
        "answer #2 dropped: identical to the original once normalised",
        "answer #3 dropped: duplicate of answer #1",
    ]


class Nested(Lines):
    """A language whose cleaning recurses once per `(` (as a plugin's recursive helper would)."""

    def clean_file(self, code: str, file: CodeFile, original: tuple[CodeFile, ...], *, first: bool) -> str:
        def depth(text: str) -> int:
            return 1 + depth(text[1:]) if text.startswith("(") else 0

        if "huge" in code:
            raise MemoryError
        depth(code)
        return code


def test_an_answer_too_deep_or_too_large_to_clean_is_rejected_and_the_others_kept() -> None:
    outcomes = Nested().triage(request("(" * 5000 + "x", "fast", "huge"))
    assert [o.candidate is not None for o in outcomes] == [False, True, False]
    assert outcomes[0].reason == "rejected: too deeply nested or too large to clean (RecursionError)"
    assert outcomes[2].reason == "rejected: too deeply nested or too large to clean (MemoryError)"
