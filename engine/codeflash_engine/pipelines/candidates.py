"""Generating optimization candidates: prompt, fan-out, postprocess hook, final safety checks.

Shared by optimize, line-profiler optimize, refinement, repair, adaptive and JIT rewrites.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import attrs

from codeflash_engine.infra.llm.client import Completion
from codeflash_engine.infra.llm.deadline import Deadline
from codeflash_engine.pipelines.common import Engine, new_id, to_markdown
from codeflash_engine.plugins.answers import read_answer
from codeflash_engine.plugins.types import (
    Answer,
    Candidate,
    CandidatesRequest,
    CodeFile,
    LanguageSpec,
    Target,
    Task,
)

log = logging.getLogger(__name__)


@attrs.frozen
class CandidateJob:
    """One request for candidates: what to send to the models and how to clean their answers."""

    task: Task
    trace_id: str
    language: LanguageSpec
    language_version: str | None
    original: tuple[CodeFile, ...]
    fields: Mapping[str, Any]
    n: int
    parent_id: str | None = None
    target: Target | None = None
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
    prompt = await engine.prompt(
        job.task,
        job.language,
        job.language_version,
        job.fields,
        original=job.original,
        target=job.target,
        is_async=job.is_async,
    )
    completions = await engine.ask(prompt, n=job.n, task=job.task, trace_id=job.trace_id, deadline=deadline)
    answers, cleaned = await engine.plugins.in_thread(
        job.language.name, _clean, engine, job, completions, hook="postprocess_candidates"
    )
    out: list[CandidateOut] = []
    for candidate in cleaned or []:
        if not candidate.files:
            continue
        index = min(max(candidate.answer_index, 0), len(answers) - 1)
        out.append(
            CandidateOut(
                source_code=to_markdown(candidate.files, job.language),
                explanation=candidate.explanation.strip() or "Optimized implementation.",
                optimization_id=new_id(),
                parent_id=job.parent_id,
                model=answers[index].model,
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


def _clean(
    engine: Engine, job: CandidateJob, completions: list[tuple[int, Completion]]
) -> tuple[list[Answer], list[Candidate]]:
    """In the language plugin's thread, one hop for both: every answer read (its edit applied
    through apply_diff), then the postprocess hook over them."""
    answers = [
        read_answer(
            engine.plugins,
            job.language.name,
            completion.text,
            original=job.original,
            base=job.base,
            finish_reason=completion.finish_reason,
            model=completion.model,
        )
        for _, completion in completions
    ]
    request = CandidatesRequest(
        task=job.task,
        language=job.language.name,
        language_version=job.language_version,
        original=job.original,
        answers=tuple(answers),
        target=job.target,
        is_async=job.is_async,
        fence_tags=job.language.fence_tags,
        base=job.base,
    )
    cleaned: list[Candidate] | None = engine.plugins.call("postprocess_candidates", job.language.name, request=request)
    return answers, list(cleaned or [])
