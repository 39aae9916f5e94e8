"""/ai/code_repair: fix a candidate whose behaviour differed from the original."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from codeflash_engine.errors import UpstreamFailed
from codeflash_engine.pipelines import candidates
from codeflash_engine.pipelines.candidates import CandidateJob, CandidateOut
from codeflash_engine.pipelines.common import Engine, files_of
from codeflash_engine.plugins.types import Task

#: answers asked for; the first that survives postprocessing is returned
REPAIR_ATTEMPTS = 2


async def repair(
    engine: Engine,
    *,
    trace_id: str,
    language: str,
    language_version: str | None,
    optimization_id: str,
    original_source_code: str,
    modified_source_code: str,
    fields: Mapping[str, Any],
) -> CandidateOut:
    """One repaired candidate with ``parent_id`` = the failing candidate's id."""
    spec = engine.languages.resolve(language)
    job = CandidateJob(
        task=Task.REPAIR,
        trace_id=trace_id,
        language=spec,
        language_version=language_version,
        original=files_of(original_source_code, "original_source_code"),
        fields=fields,
        n=REPAIR_ATTEMPTS,
        parent_id=optimization_id,
        base=files_of(modified_source_code, "modified_source_code"),
    )
    found = await candidates.generate(engine, job, engine.deadline())
    if not found:
        raise UpstreamFailed("the model produced no valid repaired candidate")
    return found[0]
