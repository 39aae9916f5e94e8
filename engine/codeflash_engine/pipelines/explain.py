"""/ai/explain: the final explanation of the winning candidate, in markdown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from codeflash_engine.errors import UpstreamFailed
from codeflash_engine.pipelines.answers import ask_and_read, tagged
from codeflash_engine.pipelines.common import Engine
from codeflash_engine.plugins.registry import ANY_LANGUAGE
from codeflash_engine.plugins.types import Task


async def explain(engine: Engine, *, trace_id: str, fields: Mapping[str, Any]) -> str:
    """Markdown text. The request has no language field: it is detected from the flat code (the
    core prompt serves when no plugin's language matches)."""
    code = (str(fields.get("source_code", "")), str(fields.get("optimized_code", "")))
    spec = await engine.languages.detect_off_loop(*code, default=ANY_LANGUAGE)
    prompt = await engine.prompt(Task.EXPLAIN, spec, None, fields)
    explanation = await ask_and_read(
        engine, prompt, task=Task.EXPLAIN, trace_id=trace_id, deadline=engine.deadline(), read=_explanation
    )
    if explanation is None:
        raise UpstreamFailed("the model returned no explanation, twice")
    return explanation


def _explanation(text: str) -> str | None:
    return tagged(text, "explanation") or text.strip() or None
