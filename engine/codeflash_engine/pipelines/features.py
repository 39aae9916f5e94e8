"""/ai/log_features: the client's telemetry at the end of each function, upserted by trace_id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from codeflash_engine.pipelines.common import Engine


async def log_features(engine: Engine, *, trace_id: str, user_id: str | None, payload: Mapping[str, Any]) -> None:
    """Idempotent: the client may retry, and a later call for the same trace replaces the earlier."""
    await engine.store.upsert_features(trace_id, user_id, payload)
