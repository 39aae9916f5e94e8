"""The candidate-cleaning skeleton's contract with plugins (plugins.candidates), found by the second
share of its mutation run: a cleaner must say how to analyse the original, the same change in two
different files is two candidates, a cleaned answer without files or without changes is no
candidate, and an answer's later candidates survive a duplicate among its first ones."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import pytest

from codeflash_engine.plugins.candidates import CandidateCleaner, Cleaned, merge_streamed
from codeflash_engine.plugins.types import Answer, Candidate, CandidatesRequest, CodeFile, Task

ORIGINAL = (CodeFile("src/a.txt", "slow\n"), CodeFile("src/b.txt", "slow\n"))


class Lines(CandidateCleaner[tuple[CodeFile, ...], CodeFile, str]):
    """A toy language: a file is its text; a change is the new text."""

    def analyse(self, request: CandidatesRequest) -> tuple[CodeFile, ...]:
        """The original files, as they are."""
        return request.original

    def original_files(self, original: tuple[CodeFile, ...]) -> Sequence[tuple[str | None, CodeFile]]:
        """Every original file, under its path."""
        return [(f.path, f) for f in original]

    def clean_file(self, code: str, file: CodeFile, original: tuple[CodeFile, ...], *, first: bool) -> str:
        """A file's code is already clean."""
        return code

    def changes(self, cleaned: str, file: CodeFile) -> Sequence[Hashable]:
        """The new text, when it differs from the original's."""
        return [] if cleaned.strip() == file.code.strip() else [cleaned.strip()]


class Given(Lines):
    """A cleaner that overrides clean_answer, as the Python plugin does, and gives ``cleaned``."""

    def __init__(self, cleaned: Cleaned) -> None:
        self.cleaned = cleaned

    def clean_answer(self, answer: Answer, request: CandidatesRequest, original: tuple[CodeFile, ...]) -> Cleaned:
        """The same cleaned answer whatever the answer says."""
        return self.cleaned


def request(*answers: str) -> CandidatesRequest:
    """A request for :data:`ORIGINAL` with ``answers`` as the model's texts."""
    return CandidatesRequest(
        task=Task.OPTIMIZE,
        language="text",
        language_version=None,
        original=ORIGINAL,
        answers=tuple(Answer(text=text) for text in answers),
        fence_tags=("text",),
    )


def block(path: str, code: str) -> str:
    """An answer that gives ``code`` for the file at ``path``."""
    return f"```text:{path}\n{code}\n```\n"


def test_a_cleaner_that_cannot_analyse_the_original_is_refused_when_made() -> None:
    """``analyse`` is the one part every language must give: a cleaner without it cannot be made,
    rather than failing on the first answer of a request."""

    class NoAnalysis(CandidateCleaner[None, None, str]):
        """Everything but ``analyse``."""

    with pytest.raises(TypeError, match="analyse"):
        NoAnalysis()  # type: ignore[abstract]


def test_the_same_change_in_two_different_files_is_two_candidates() -> None:
    """The deduplication key names each change's file: one answer making ``a.txt`` fast and
    another making ``b.txt`` fast in the same words are different candidates."""
    kept = Lines().postprocess(request(block("src/a.txt", "fast"), block("src/b.txt", "fast")))
    assert [(c.answer_index, [f.path for f in c.files]) for c in kept] == [(0, ["src/a.txt"]), (1, ["src/b.txt"])]


@pytest.mark.parametrize(
    "cleaned",
    [Cleaned(files=(), key=(("src/a.txt", "fast"),)), Cleaned(files=(CodeFile("src/a.txt", "fast\n"),), key=())],
    ids=["changes-without-files", "files-without-changes"],
)
def test_a_cleaned_answer_without_files_or_without_changes_is_no_candidate(cleaned: Cleaned) -> None:
    """A plugin's clean_answer that names changes but gives no file, or gives files but no change,
    yields nothing to send: the answer is dropped as identical to the original."""
    [outcome] = Given(cleaned).triage(request(block("src/a.txt", "fast")))
    assert (outcome.candidate, outcome.reason) == (None, "identical to the original once normalised")


def test_a_duplicate_first_candidate_of_an_answer_leaves_its_later_ones() -> None:
    """An answer whose hook gave several candidates keeps those after one that duplicates an earlier
    answer's: only the duplicate goes."""
    first = Candidate((CodeFile("src/a.txt", "x\n"),), answer_index=0, key="k1")
    again = Candidate((CodeFile("src/a.txt", "x\n"),), answer_index=1, key="k1")
    other = Candidate((CodeFile("src/b.txt", "y\n"),), answer_index=1, key="k2")
    merged = merge_streamed([(0, [first]), (1, [again, other])])
    assert [(index, candidate.key) for index, candidate in merged] == [(0, "k1"), (1, "k2")]
