"""/ai/log_features: the client's telemetry at the end of each function, upserted by trace_id;
a verified win it reports is kept as an example for the tenant's later prompts (:mod:`.examples`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from codeflash_engine.pipelines import examples
from codeflash_engine.pipelines.common import Engine

log = logging.getLogger(__name__)


async def log_features(
    engine: Engine,
    *,
    trace_id: str,
    user_id: str | None,
    payload: Mapping[str, Any],
    organization_id: int | None = None,
) -> None:
    """Idempotent: the client may retry, and a later call for the same trace replaces the earlier."""
    stored = await engine.store.upsert_features(trace_id, user_id, payload)
    if not stored:  # the trace is another user's
        return
    try:
        await examples.record_win(
            engine, trace_id=trace_id, user_id=user_id, organization_id=organization_id, payload=payload
        )
    except Exception:  # the telemetry is stored; a win not kept costs only an example
        log.warning("the verified win of trace %s was not kept", trace_id, exc_info=True)
