"""Language-neutral postprocessing, used for languages whose plugin does not implement it.

Good enough for a third-party plugin to start with: the skeleton's extraction and mapping onto
the request's files (edits already applied), unchanged and duplicate candidates dropped by a
whitespace-insensitive comparison. Nothing is parsed: no signature is restored and no syntax
checked.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence

from codeflash_engine.plugins.candidates import CandidateCleaner
from codeflash_engine.plugins.types import CandidatesRequest, GeneratedTests, TestsRequest
from codeflash_engine.text.markdown import extract_code_blocks

_SPACE = re.compile(r"\s+")


def _normalised(code: str) -> str:
    return _SPACE.sub(" ", code).strip()


class LenientCleaner(CandidateCleaner[Sequence[tuple[str | None, str]], str, str]):
    """Each file as the answer gives it; a file counts as changed when more than whitespace changed."""

    def analyse(self, request: CandidatesRequest) -> Sequence[tuple[str | None, str]]:
        return [(f.path, f.code) for f in request.original]

    def original_files(self, original: Sequence[tuple[str | None, str]]) -> Sequence[tuple[str | None, str]]:
        return original

    def clean_file(self, code: str, file: str, original: Sequence[tuple[str | None, str]], *, first: bool) -> str:
        return code

    def changes(self, cleaned: str, file: str) -> Sequence[Hashable]:
        normal = _normalised(cleaned)
        return [normal] if normal != _normalised(file) else []


LENIENT = LenientCleaner()


def tests_from_answer(request: TestsRequest) -> GeneratedTests:
    """The first code block of the answer, as the test file and both instrumented variants."""
    if request.answer.cut_off:
        raise ValueError("the test answer was cut off by the token limit")
    tags = tuple(request.fence_tags) or (request.language,)
    blocks = extract_code_blocks(request.answer.text, language_tags=tags, default_language=request.language)
    if not blocks or not blocks[0].code.strip():
        raise ValueError("the answer holds no test code block")
    code = blocks[0].code.rstrip() + "\n"
    return GeneratedTests(generated=code, instrumented_behavior=code, instrumented_perf=code)
