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
from codeflash_engine.pipelines import strategies
from codeflash_engine.pipelines.common import Engine, new_id, to_markdown
from codeflash_engine.plugins.answers import read_answer
from codeflash_engine.plugins.candidates import describe, merge_streamed
from codeflash_engine.plugins.manager import PluginFailed, PluginHost
from codeflash_engine.plugins.types import (
    Answer,
    Candidate,
    CandidatesRequest,
    CodeFile,
    LanguageSpec,
    Prompt,
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
    #: other candidates the model was shown, newest first, that an edit may apply to after ``base``
    earlier: tuple[tuple[CodeFile, ...], ...] = ()
    #: the prompt arm of an optimize fan-out (:mod:`.strategies`); None: n identical prompts
    arm: str | None = None


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
    prompts: Prompt | tuple[Prompt, ...] = prompt
    if job.arm == strategies.DIVERSE and job.n > 1:
        fits = strategies.applicable(
            job.original, is_async=job.is_async, is_numerical=bool(job.fields.get("is_numerical_code"))
        )
        prompts = strategies.diversify(prompt, job.n, fits).prompts
    answers: dict[int, Answer] = {}
    found: list[tuple[int, list[Candidate]]] = []
    failures: list[PluginFailed] = []
    cleaning = attrs.evolve(job, fields={})  # what the plugin's process needs: not the request's fields
    async for arrived in engine.ask_each(prompts, n=job.n, task=job.task, trace_id=job.trace_id, deadline=deadline):
        # each answer is cleaned as soon as it lands, while the others are still on their way
        cleaned, failed = await engine.plugins.in_worker(
            job.language.name, _clean, cleaning, arrived, hook="postprocess_candidates"
        )
        for index, answer, candidates in cleaned:
            answers[index] = answer
            found.append((index, candidates))
        failures.extend(failed)
    if failures and not found:
        raise failures[0]  # the plugin failed on every answer: the request fails, naming it
    out = [
        CandidateOut(
            source_code=to_markdown(candidate.files, job.language),
            explanation=candidate.explanation.strip(),  # the answer's own words, or none: never invented
            optimization_id=new_id(),
            parent_id=job.parent_id,
            model=answers[index].model,
        )
        for index, candidate in merge_streamed(found)
        if candidate.files
    ]
    log.info(
        "%s: %d answers, %d candidates, %d answers the plugin failed on",
        job.task.value,
        len(answers) + len(failures),
        len(out),
        len(failures),
        extra={"task": job.task.value, "answers": len(answers), "candidates": len(out), "failed": len(failures)},
    )
    return out


def _clean(
    plugins: PluginHost, job: CandidateJob, arrived: list[tuple[int, Completion]]
) -> tuple[list[tuple[int, Answer, list[Candidate]]], list[PluginFailed]]:
    """In the language plugin's worker process: each answer that arrived read (its edit applied through
    apply_diff) and cleaned on its own by the postprocess hook (the skeleton analyses the
    original once for all of them); deduplication across answers is :func:`merge_streamed`.

    An answer the plugin fails on (its hook raised: recorded as the plugin's failure) costs only
    itself: it is left out, and the others are cleaned.
    """
    out: list[tuple[int, Answer, list[Candidate]]] = []
    failures: list[PluginFailed] = []
    for index, completion in arrived:
        try:
            out.append((index, *_clean_one(plugins, job, completion)))
        except PluginFailed as failed:
            log.warning("%s left out: %s", describe(index), failed)
            failures.append(failed)
    return out, failures


def _clean_one(plugins: PluginHost, job: CandidateJob, completion: Completion) -> tuple[Answer, list[Candidate]]:
    """One answer read and cleaned (see :func:`_clean`)."""
    answer = read_answer(
        plugins,
        job.language.name,
        completion.text,
        original=job.original,
        base=job.base,
        earlier=job.earlier,
        finish_reason=completion.finish_reason,
        model=completion.model,
    )
    request = CandidatesRequest(
        task=job.task,
        language=job.language.name,
        language_version=job.language_version,
        original=job.original,
        answers=(answer,),
        target=job.target,
        is_async=job.is_async,
        fence_tags=job.language.fence_tags,
        base=job.base,
    )
    cleaned = plugins.call("postprocess_candidates", job.language.name, request=request)
    return answer, list(cleaned or [])
