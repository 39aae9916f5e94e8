"""/ai/rewrite_jit: JIT rewrites (numba and the like) of numerical Python, for 0.20.0-0.20.3 clients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from codeflash_engine.pipelines import candidates
from codeflash_engine.pipelines.candidates import CandidateJob, CandidateOut
from codeflash_engine.pipelines.common import MAX_CANDIDATES, Engine, files_of
from codeflash_engine.plugins.types import Task


async def rewrite_jit(
    engine: Engine,
    *,
    trace_id: str,
    source_code: str,
    python_version: str | None,
    n_candidates: int,
    fields: Mapping[str, Any],
) -> list[CandidateOut]:
    """JIT-compiled candidates for Python code."""
    spec = engine.languages.resolve("python")
    job = CandidateJob(
        task=Task.JIT,
        trace_id=trace_id,
        language=spec,
        language_version=python_version,
        original=files_of(source_code, "source_code"),
        fields=fields,
        n=min(n_candidates, MAX_CANDIDATES),
    )
    return await candidates.generate(engine, job, engine.deadline())
