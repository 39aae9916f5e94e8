"""The LLM calls each request plans, as the call rate limit charges them (http/limits.py)."""

from __future__ import annotations

from typing import Any

import endpoint_samples as s
import pytest

from codeflash_engine.http import schemas
from codeflash_engine.http.limits import MAX_CALLS_PER_REQUEST, planned_calls

CASES: list[tuple[str, type[schemas.Request], dict[str, Any], int]] = [
    ("optimize", schemas.OptimizeRequest, s.optimize(n_candidates=5), 5),
    ("optimize, more than the most", schemas.OptimizeRequest, s.optimize(n_candidates=40), 12),
    ("optimize, none", schemas.OptimizeRequest, s.optimize(n_candidates=0), 0),
    ("line profiler", schemas.LineProfilerRequest, s.line_profiler(n_candidates=7), 7),
    ("rewrite_jit", schemas.RewriteJitRequest, s.rewrite_jit(n_candidates=3), 3),
    ("rewrite_jit, many", schemas.RewriteJitRequest, s.rewrite_jit(n_candidates=13), 12),
    ("code repair", schemas.CodeRepairRequest, s.code_repair(), 2),
    ("adaptive", schemas.AdaptiveRequest, s.adaptive(), 2),
    ("testgen", schemas.TestgenRequest, s.testgen(), 2),
    ("testgen repair", schemas.TestgenRepairRequest, s.testgen_repair(), 2),
    ("testgen review", schemas.TestgenReviewRequest, s.testgen_review(), 1),
    ("rank", schemas.RankRequest, s.rank(), 1),
    ("explain", schemas.ExplainRequest, s.explain(), 1),
    ("optimization review", schemas.OptimizationReviewRequest, s.optimization_review(), 1),
    ("workflow-gen", schemas.WorkflowGenRequest, s.workflow_gen(), 1),
]


@pytest.mark.parametrize(("model", "body", "calls"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_planned_calls(model: type[schemas.Request], body: dict[str, Any], calls: int) -> None:
    assert planned_calls(model.model_validate(body)) == calls


@pytest.mark.parametrize("items", [0, 1, 3, 8])
def test_a_refinement_plans_two_calls_per_item(items: int) -> None:
    assert planned_calls([s.refinement_item()] * items) == 2 * items


def test_the_most_one_request_can_plan() -> None:
    assert MAX_CALLS_PER_REQUEST == 16  # a full refinement body: 8 items x 2 calls
    assert planned_calls([s.refinement_item()] * schemas.MAX_REFINEMENT_ITEMS) == MAX_CALLS_PER_REQUEST
