"""How many LLM calls a parsed request body will cause, so the call rate limit can see them.

Every LLM-backed request is charged its planned calls (:func:`planned_calls`) against
CODEFLASH_ENGINE_RATE_LIMIT_LLM_CALLS per key and window, before any call is made. A "call" is
one completion as the records count it (its retries and fallbacks are part of it). The bounds:

- optimize, optimize-line-profiler, rewrite_jit: ``min(n_candidates, MAX_CANDIDATES)`` (12);
- refinement: REFINEMENTS_PER_ITEM (2) per item, at most MAX_REFINEMENT_ITEMS (8) items: 16;
- code_repair, adaptive_optimize: 2; testgen, testgen_repair: at most TESTGEN_ATTEMPTS (2);
- testgen_review, rank, explain, optimization_review, workflow-gen: 1.
"""

from __future__ import annotations

from codeflash_engine.http import schemas
from codeflash_engine.pipelines.adaptive import ADAPTIVE_ATTEMPTS
from codeflash_engine.pipelines.common import MAX_CANDIDATES
from codeflash_engine.pipelines.refine import REFINEMENTS_PER_ITEM
from codeflash_engine.pipelines.repair import REPAIR_ATTEMPTS
from codeflash_engine.pipelines.testgen import TESTGEN_ATTEMPTS

#: the most LLM calls one request can plan (a full refinement body)
MAX_CALLS_PER_REQUEST = max(MAX_CANDIDATES, REFINEMENTS_PER_ITEM * schemas.MAX_REFINEMENT_ITEMS)


def planned_calls(body: object) -> int:
    """The LLM calls serving ``body`` (a validated request schema, or a refinement list) may make."""
    if isinstance(body, list):
        return REFINEMENTS_PER_ITEM * len(body)
    if isinstance(body, schemas.OptimizeRequest | schemas.LineProfilerRequest | schemas.RewriteJitRequest):
        return min(body.n_candidates, MAX_CANDIDATES)
    if isinstance(body, schemas.CodeRepairRequest):
        return REPAIR_ATTEMPTS
    if isinstance(body, schemas.AdaptiveRequest):
        return ADAPTIVE_ATTEMPTS
    if isinstance(body, schemas.TestgenRequest | schemas.TestgenRepairRequest):
        return TESTGEN_ATTEMPTS
    return 1
