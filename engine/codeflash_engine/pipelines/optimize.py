"""/ai/optimize and /ai/optimize-line-profiler: the first candidates for a function."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from codeflash_engine.pipelines import candidates
from codeflash_engine.pipelines.candidates import CandidateJob, CandidateOut
from codeflash_engine.pipelines.common import MAX_CANDIDATES, Engine, files_of, profiled_target
from codeflash_engine.plugins.types import Task


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
) -> list[CandidateOut]:
    """Candidates for the code of ``source_code`` (contract markdown, target file first)."""
    spec = engine.languages.resolve(language)
    job = CandidateJob(
        task=Task.OPTIMIZE_LINE_PROFILER if line_profile else Task.OPTIMIZE,
        trace_id=trace_id,
        language=spec,
        language_version=language_version,
        original=files_of(source_code, "source_code"),
        fields=fields,
        n=min(n_candidates, MAX_CANDIDATES),
        is_async=is_async,
        target=profiled_target(fields.get("line_profiler_results")) if line_profile else None,
    )
    return await candidates.generate(engine, job, engine.deadline())
