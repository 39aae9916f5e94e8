"""/ai/optimize and /ai/optimize-line-profiler: the first candidates for a function."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from codeflash_engine.infra.logging import user_id_var
from codeflash_engine.infra.records import FeaturesRecord
from codeflash_engine.pipelines import candidates, examples, strategies
from codeflash_engine.pipelines.candidates import CandidateJob, CandidateOut
from codeflash_engine.pipelines.common import MAX_CANDIDATES, Engine, files_of, profiled_target
from codeflash_engine.plugins.types import Task

log = logging.getLogger(__name__)


async def optimize(
    engine: Engine,
    *,
    trace_id: str,
    language: str,
    language_version: str | None,
    source_code: str,
    n_candidates: int,
    is_async: bool,
    fields: Mapping[str, Any],
    line_profile: bool = False,
    experiment_metadata: Mapping[str, Any] | None = None,
) -> list[CandidateOut]:
    """Candidates for the code of ``source_code`` (contract markdown, target file first); each call
    of the fan-out with its own strategy, unless the request is in an experiment's control group;
    the tenant's similar verified wins shown as examples (:mod:`.examples`)."""
    spec = engine.languages.resolve(language)
    shown = await examples.examples_for(engine, source_code)
    if shown:
        fields = {**fields, "verified_examples": shown}
    arm = strategies.arm_of(experiment_metadata)
    task = Task.OPTIMIZE_LINE_PROFILER if line_profile else Task.OPTIMIZE
    job = CandidateJob(
        task=task,
        trace_id=trace_id,
        language=spec,
        language_version=language_version,
        original=files_of(source_code, "source_code"),
        fields=fields,
        n=min(n_candidates, MAX_CANDIDATES),
        is_async=is_async,
        target=profiled_target(fields.get("line_profiler_results")) if line_profile else None,
        arm=arm,
    )
    record_arm(engine, trace_id, arm, experiment_metadata)
    found = await candidates.generate(engine, job, engine.deadline())
    examples.remember_explanations(engine, trace_id, found)
    return found


def record_arm(engine: Engine, trace_id: str, arm: str, experiment_metadata: Mapping[str, Any] | None) -> None:
    """Keep the trace's prompt arm with its features (``extra.prompt_arm``), through the recorder:
    /ai/log_features later adds the outcome to the same row."""
    value: dict[str, Any] = {"prompt_arm": arm}
    if experiment_metadata:
        value["prompt_experiment"] = {k: experiment_metadata.get(k) for k in ("id", "group")}
    engine.recorder.record(FeaturesRecord(trace_id, user_id_var.get(), value))
