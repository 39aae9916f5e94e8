"""Language-neutral postprocessing, used for languages whose plugin does not implement it.

Good enough for a third-party plugin to start with: code blocks are extracted leniently and
mapped to the request's files, edits are applied to the original, unchanged and duplicate
candidates are dropped. Syntax is checked afterwards by the pipeline through ``validate``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from codeflash_engine.plugins.types import Candidate, CandidatesRequest, CodeFile, GeneratedTests, TestsRequest
from codeflash_engine.text.edits import apply_edit, detect_format
from codeflash_engine.text.markdown import CodeBlock, extract_code_blocks
from codeflash_engine.text.prose import explanation_of

_SPACE = re.compile(r"\s+")


def _tags(request_language: str, fence_tags: Sequence[str]) -> tuple[str, ...]:
    return tuple(fence_tags) or (request_language,)


def _map_blocks(blocks: Sequence[CodeBlock], original: Sequence[CodeFile]) -> dict[str | None, str]:
    """Block code by target path: paths as given; a path-less block goes to the target file."""
    target = original[0].path if original else None
    out: dict[str | None, str] = {}
    for block in blocks:
        out[block.path if block.path is not None else target] = block.code
    return out


def _normalised(code: str) -> str:
    return _SPACE.sub(" ", code).strip()


def candidates_from_answers(request: CandidatesRequest) -> list[Candidate]:
    """Extract, map to files, apply edits, drop unchanged and duplicate candidates."""
    original = {f.path: f.code for f in request.original}
    known = [p for p in original if p]
    seen: set[tuple[tuple[str | None, str], ...]] = set()
    out: list[Candidate] = []
    for index, answer in enumerate(request.answers):
        files = _files_from_answer(answer, request, original, known)
        changed = tuple(
            CodeFile(path, code)
            for path, code in files.items()
            if _normalised(code) != _normalised(original.get(path, ""))
        )
        if not changed:
            continue
        key = tuple(sorted(((f.path, _normalised(f.code)) for f in changed), key=lambda x: x[0] or ""))
        if key in seen:
            continue
        seen.add(key)
        ordered = tuple(sorted(changed, key=lambda f: known.index(f.path) if f.path in known else len(known)))
        out.append(Candidate(files=ordered, answer_index=index, explanation=explanation_of(answer)))
    return out


def _files_from_answer(
    answer: str, request: CandidatesRequest, original: dict[str | None, str], known: list[str]
) -> dict[str | None, str]:
    if detect_format(answer) is not None:
        result = apply_edit({p: c for p, c in original.items() if p}, answer, default_path=known[0] if known else None)
        return {path: code for path, code in result.files.items()} if not result.errors else {}
    blocks = extract_code_blocks(
        answer,
        language_tags=_tags(request.language, request.fence_tags),
        default_language=request.language,
        known_paths=known,
    )
    return _map_blocks(blocks, request.original)


def tests_from_answer(request: TestsRequest) -> GeneratedTests:
    """The first code block of the answer, as the test file and both instrumented variants."""
    blocks = extract_code_blocks(
        request.answer, language_tags=_tags(request.language, request.fence_tags), default_language=request.language
    )
    if not blocks or not blocks[0].code.strip():
        raise ValueError("the answer holds no test code block")
    code = blocks[0].code.rstrip() + "\n"
    return GeneratedTests(generated=code, instrumented_behavior=code, instrumented_perf=code)
