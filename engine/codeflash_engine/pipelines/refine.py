"""/ai/refinement: improve candidates that already worked (the body is a list of items)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from codeflash_engine.pipelines import candidates, examples
from codeflash_engine.pipelines.candidates import CandidateJob, CandidateOut
from codeflash_engine.pipelines.common import Engine, files_of, prompt_fields
from codeflash_engine.plugins.types import Task

#: refinements asked for per item (the client keeps the best 2-4 of all it receives)
REFINEMENTS_PER_ITEM = 2


async def refine(engine: Engine, items: Sequence[Mapping[str, Any]]) -> list[CandidateOut]:
    """Refinements of every item, concurrently; each carries its item's id as ``parent_id``.

    An item whose every call failed contributes nothing; if every item failed, the failure is
    raised so the client gets a JSON error rather than an empty success.
    """
    deadline = engine.deadline()

    async def one(item: Mapping[str, Any]) -> list[CandidateOut]:
        spec = engine.languages.resolve(item.get("language") or "python")
        job = CandidateJob(
            task=Task.REFINE,
            trace_id=str(item["trace_id"]),
            language=spec,
            language_version=item.get("language_version"),
            original=files_of(str(item["original_source_code"]), "original_source_code"),
            fields=prompt_fields(item),
            n=REFINEMENTS_PER_ITEM,
            parent_id=str(item["optimization_id"]),
            base=files_of(str(item["optimized_source_code"]), "optimized_source_code"),
        )
        found = await candidates.generate(engine, job, deadline)
        examples.remember_explanations(engine, job.trace_id, found)
        return found

    results = await asyncio.gather(*(one(item) for item in items), return_exceptions=True)
    out = [c for r in results if isinstance(r, list) for c in r]
    failures = [r for r in results if isinstance(r, BaseException)]
    for failure in failures:
        if not isinstance(failure, Exception):
            raise failure
    if failures and not out and len(failures) == len(results):
        first = failures[0]
        raise first  # the HTTP layer answers every kind (never a 500 with an empty message)
    return out
