"""Records the engine keeps about its work, handed to the background recorder and its sinks.

Plain attrs data: the LLM layer produces :class:`LLMCallRecord`, the pipelines produce
:class:`ErrorRecord`; sinks (the log, the database) persist them in batches.
"""

from __future__ import annotations

import datetime as dt

import attrs


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@attrs.frozen
class LLMCallRecord:
    """One LLM call (one attempt chain: retries of the same call are one record)."""

    trace_id: str | None
    call_type: str
    model_name: str
    provider: str
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    outcome: str = "ok"  # "ok" or "error"
    error_class: str | None = None
    user_id: str | None = None
    created: dt.datetime = attrs.field(factory=_now)


@attrs.frozen
class ErrorRecord:
    """A pipeline failure worth keeping (optimization_errors)."""

    trace_id: str | None
    error_type: str
    message: str
    severity: str = "error"  # "warning" | "error" | "critical"
    stack_trace: str | None = None
    created: dt.datetime = attrs.field(factory=_now)


Record = LLMCallRecord | ErrorRecord
