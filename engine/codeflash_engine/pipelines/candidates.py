"""Generating optimization candidates: prompt, fan-out, postprocess hook, final safety checks.

Shared by optimize, line-profiler optimize, refinement, repair, adaptive and JIT rewrites.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import attrs

from codeflash_engine.infra.llm.deadline import Deadline
from codeflash_engine.pipelines.common import Engine, new_id, off_loop, to_markdown
from codeflash_engine.plugins.types import (
    Candidate,
    CandidatesRequest,
    CodeFile,
    DiffRequest,
    DiffResult,
    LanguageSpec,
    Task,
)
from codeflash_engine.text.edits import detect_format
from codeflash_engine.text.prose import explanation_of

log = logging.getLogger(__name__)


@attrs.frozen
class CandidateJob:
    """One request for candidates: what to send to the models and how to clean their answers."""

    task: Task
    trace_id: str
    language: LanguageSpec
    language_version: str | None
    original: tuple[CodeFile, ...]
    context: Mapping[str, Any]
    n: int
    parent_id: str | None = None
    target: str | None = None
    is_async: bool = False
    base: tuple[CodeFile, ...] = ()


@attrs.frozen
class CandidateOut:
    """A candidate as the client receives it."""

    source_code: str
    explanation: str
    optimization_id: str
    parent_id: str | None
    model: str | None


async def generate(engine: Engine, job: CandidateJob, deadline: Deadline) -> list[CandidateOut]:
    """Ask the models for ``job.n`` answers and return the candidates that survive postprocessing."""
    if job.n <= 0:
        return []
    prompt = engine.prompt(job.task, job.language, job.language_version, job.context)
    answers = await engine.ask(prompt, n=job.n, task=job.task, trace_id=job.trace_id, deadline=deadline)
    request = CandidatesRequest(
        task=job.task,
        language=job.language.name,
        language_version=job.language_version,
        original=job.original,
        answers=tuple(completion.text for _, completion in answers),
        target=job.target,
        is_async=job.is_async,
        fence_tags=job.language.fence_tags,
        base=job.base,
    )
    size = sum(len(a) for a in request.answers) + sum(len(f.code) for f in job.original)
    cleaned: list[Candidate] = await off_loop(_clean, size=size, engine=engine, job=job, request=request)
    out: list[CandidateOut] = []
    for candidate in cleaned:
        index = min(max(candidate.answer_index, 0), len(answers) - 1)
        completion = answers[index][1]
        out.append(
            CandidateOut(
                source_code=to_markdown(candidate.files, job.language),
                explanation=candidate.explanation.strip() or "Optimized implementation.",
                optimization_id=new_id(),
                parent_id=job.parent_id,
                model=completion.model,
            )
        )
    log.info(
        "%s: %d answers, %d candidates",
        job.task.value,
        len(answers),
        len(out),
        extra={"task": job.task.value, "answers": len(answers), "candidates": len(out)},
    )
    return out


def _clean(engine: Engine, job: CandidateJob, request: CandidatesRequest) -> list[Candidate]:
    """Edits applied, then the postprocess hook (in the CPU thread, or inline when small).

    Plugins must never return code their own ``validate`` rejects (the plugin kit's conformance
    suite checks it), so the engine does not parse every file a second time here.
    """
    request = attrs.evolve(request, answers=tuple(_apply_edits(engine, job, a) for a in request.answers))
    cleaned: list[Candidate] | None = engine.plugins.hook.postprocess_candidates(request=request)
    return [c for c in cleaned or [] if c.files]


def _apply_edits(engine: Engine, job: CandidateJob, answer: str) -> str:
    """An answer written as an edit (SEARCH/REPLACE, V4A, unified diff) becomes prose plus the edited files.

    The edit goes through the apply_diff hook (the language's plugin, else the builtin text
    layer). When the job improves a candidate (refinement, repair, adaptive), the model was shown
    that candidate, so the edit is applied to it first (its files over the original's), then to
    the original. An edit that applies to neither is left for the plugin to judge (it is
    usually dropped).
    """
    if detect_format(answer) is None:
        return answer
    original = {f.path: f.code for f in job.original if f.path}
    targets = [{**original, **{f.path: f.code for f in job.base if f.path}}] if job.base else []
    result: DiffResult | None = None
    for files in [*targets, original]:
        result = engine.plugins.hook.apply_diff(
            request=DiffRequest(language=job.language.name, files=files, edit=answer)
        )
        if result is not None and result.ok and result.files:
            edited = [CodeFile(path=path, code=code) for path, code in result.files.items()]
            return f"{explanation_of(answer)}\n\n{to_markdown(edited, job.language)}\n"
    if result is not None and result.errors:
        log.info("edit did not apply: %s", result.errors[0][:300])
    return answer
