"""The engine's own verified wins, shown as examples in later optimize prompts (issue 22).

PIE (Shypula et al., ICLR 2024): retrieved slow->fast pairs raised GPT-4's share of optimised
programs from 8.5 % to 51 %. Here the pairs are the engine's own, verified by the client:

- the candidate routes keep each candidate's explanation with the trace's features
  (``extra["explanation:<id>"]``);
- when /ai/log_features reports a candidate correct and at least :data:`MIN_GAIN` faster, the
  trace's best such candidate is kept as a :class:`VerifiedWin` (original code from the trace's
  features, the optimized code the client reports, the speedup, the explanation) for the tenant:
  the organization, else the user;
- an optimize request of the same tenant gets the :data:`MAX_EXAMPLES` wins most similar to its
  code (full-text search over identifiers and explanations), within the token cap
  (``CODEFLASH_ENGINE_VERIFIED_EXAMPLES_TOKENS``), shown after the code (the cached prefix).

Never in privacy mode (nothing kept, nothing shown); off with
``CODEFLASH_ENGINE_VERIFIED_EXAMPLES=0``. Tenants never see each other's wins.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from codeflash_engine.infra.db.wins import VerifiedWin, tenant_of, words
from codeflash_engine.infra.logging import user_id_var
from codeflash_engine.infra.records import FeaturesRecord, organization_id_var
from codeflash_engine.infra.tenancy import privacy_var
from codeflash_engine.pipelines.budget import CHARS_PER_TOKEN
from codeflash_engine.pipelines.candidates import CandidateOut
from codeflash_engine.pipelines.common import Engine
from codeflash_engine.text.markdown import parse_markdown

log = logging.getLogger(__name__)

#: the smallest gain that makes a win (Codeflash's own acceptance bar: 10 % faster)
MIN_GAIN = 0.10
#: examples shown at most in one prompt
MAX_EXAMPLES = 4
#: query words sent to the search at most (the code's most telling identifiers come first)
MAX_QUERY_WORDS = 64
#: characters of the request's code the query words are read from (on the event loop: bounded)
QUERY_CHARS = 16_000
#: characters of an explanation kept per candidate
MAX_EXPLANATION = 2_000
EXPLANATION_KEY = "explanation:"


def enabled(engine: Engine) -> bool:
    """Whether wins are kept and shown for the current request (switch on, no privacy mode)."""
    return engine.settings.codeflash_engine_verified_examples and not privacy_var.get()


def _tenant(user_id: str | None = None, organization_id: int | None = None) -> str | None:
    return tenant_of(user_id or user_id_var.get(), organization_id or organization_id_var.get())


def remember_explanations(engine: Engine, trace_id: str, found: Sequence[CandidateOut]) -> None:
    """Keep the explanation of each candidate with the trace's features, through the recorder."""
    if not found or not enabled(engine):
        return
    values = {f"{EXPLANATION_KEY}{c.optimization_id}": c.explanation[:MAX_EXPLANATION] for c in found}
    engine.recorder.record(FeaturesRecord(trace_id, user_id_var.get(), values))


def _gain(payload: Mapping[str, Any], optimization_id: str) -> float | None:
    ratio = (payload.get("speedup_ratio") or {}).get(optimization_id)
    if isinstance(ratio, int | float):
        return float(ratio)
    original = payload.get("original_runtime")
    optimized = (payload.get("optimized_runtime") or {}).get(optimization_id)
    if isinstance(original, int | float) and isinstance(optimized, int | float) and optimized > 0:
        return float(original) / float(optimized) - 1.0
    return None


def best_win(payload: Mapping[str, Any]) -> tuple[str, float] | None:
    """The candidate of a /ai/log_features body to keep: correct, at least MIN_GAIN faster, with
    code; the client's best when it qualifies, else the fastest (ties: the smaller id)."""
    correct = payload.get("is_correct") or {}
    code = payload.get("optimizations_post") or {}
    qualified: dict[str, float] = {}
    for ident, ok in correct.items():
        gain = _gain(payload, ident)
        if ok is True and gain is not None and gain >= MIN_GAIN and code.get(ident):
            qualified[ident] = gain
    if not qualified:
        return None
    best = (payload.get("metadata") or {}).get("best_optimization_id")
    if best in qualified:
        return str(best), qualified[best]
    ident = min(qualified, key=lambda i: (-qualified[i], i))
    return ident, qualified[ident]


async def record_win(
    engine: Engine, *, trace_id: str, user_id: str | None, organization_id: int | None, payload: Mapping[str, Any]
) -> VerifiedWin | None:
    """Keep the trace's verified win, if /ai/log_features reports one (see the module docstring)."""
    tenant = _tenant(user_id, organization_id)
    chosen = best_win(payload)
    if tenant is None or chosen is None or not enabled(engine):
        return None
    ident, gain = chosen
    row = await engine.store.get_features(trace_id) or {}
    original = row.get("original_code") or ""
    optimized = str((payload.get("optimizations_post") or {}).get(ident) or "")
    explanation = str((row.get("extra") or {}).get(f"{EXPLANATION_KEY}{ident}") or "")
    if not original or not optimized:
        return None
    cap = engine.settings.codeflash_engine_verified_examples_tokens
    if (len(original) + len(optimized) + len(explanation)) / CHARS_PER_TOKEN > cap:
        return None  # it could never be shown
    win = VerifiedWin.of(
        tenant=tenant,
        trace_id=trace_id,
        optimization_id=ident,
        original=original,
        optimized=optimized,
        speedup=gain,
        explanation=explanation,
    )
    await engine.store.add_verified_win(win)
    return win


def flat_code(markdown: str) -> str:
    """The code of contract markdown without its fences and paths (an example's code must not look
    like a file of the request: the model would answer with blocks for those paths)."""
    blocks = parse_markdown(markdown)
    return "\n\n".join(b.code.strip() for b in blocks) if blocks else markdown


async def examples_for(engine: Engine, source_code: str) -> list[dict[str, Any]]:
    """The verified wins to show in an optimize prompt for ``source_code``: the tenant's most
    similar, at most MAX_EXAMPLES, together within the token cap."""
    tenant = _tenant()
    if tenant is None or not enabled(engine):
        return []
    query = words(source_code[:QUERY_CHARS])[:MAX_QUERY_WORDS]
    if not query:
        return []
    try:
        found = await engine.store.similar_wins(tenant, query, MAX_EXAMPLES)
    except Exception:  # an optimize request never fails for want of examples
        log.warning("verified examples could not be read", exc_info=True)
        return []
    budget = engine.settings.codeflash_engine_verified_examples_tokens * CHARS_PER_TOKEN
    shown: list[dict[str, Any]] = []
    for win in found:
        size = len(win.original) + len(win.optimized) + len(win.explanation)
        if size > budget:
            continue
        budget -= size
        shown.append(
            {
                "original": flat_code(win.original),
                "optimized": flat_code(win.optimized),
                "speedup_percent": round(win.speedup * 100),
                "explanation": win.explanation,
            }
        )
    return shown
