"""Records the engine keeps about its work, handed to the background recorder and its sinks.

Plain attrs data: the LLM layer produces :class:`LLMCallRecord`, the pipelines produce
:class:`ErrorRecord` and :class:`FeaturesRecord`; sinks (the log, the database) persist them in
batches.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

#: the authenticated caller's organization id (set by the guards; stamped onto LLM call records)
organization_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("organization_id", default=None)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@attrs.frozen
class LLMCallRecord:
    """One LLM call on one model (its retries are one record; ``attempts`` counts them).

    ``outcome`` is ``ok``, ``error`` or ``cancelled`` (the request went away, or the fan-out cut
    the call as a straggler: ``error_class`` says ``cancelled`` or ``straggler``).
    """

    trace_id: str | None
    call_type: str
    model_name: str
    provider: str
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    #: input tokens written to the provider's prompt cache (part of tokens_in, priced apart)
    tokens_cache_write: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    outcome: str = "ok"  # "ok", "error" or "cancelled"
    error_class: str | None = None
    user_id: str | None = None
    #: the organization whose key made the call (its spend); stamped by the recorder from the request's context
    organization_id: int | None = None
    created: dt.datetime = attrs.field(factory=_now)
    attempts: int = 1
    #: the HTTP request that made the call (its X-Request-ID); stamped by the recorder from the request's context
    request_id: str | None = None


@attrs.frozen
class ErrorRecord:
    """A pipeline failure worth keeping (optimization_errors)."""

    trace_id: str | None
    error_type: str
    message: str
    severity: str = "error"  # "warning" | "error" | "critical"
    stack_trace: str | None = None
    created: dt.datetime = attrs.field(factory=_now)


@attrs.frozen
class FeaturesRecord:
    """Values the engine keeps with a trace's features row (``optimization_features``), written in
    the background: the original code, the candidates' explanations, the prompt arm.

    Written exactly as :meth:`Store.upsert_features <codeflash_engine.infra.db.store.Store.upsert_features>`
    merges a payload (in the order recorded); privacy mode is applied when it is recorded.
    """

    trace_id: str
    user_id: str | None
    payload: Mapping[str, Any]


Record = LLMCallRecord | ErrorRecord | FeaturesRecord
