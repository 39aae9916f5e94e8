"""/ai/explain: the final explanation of the winning candidate, in markdown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from codeflash_engine.errors import UpstreamFailed
from codeflash_engine.pipelines.answers import tagged
from codeflash_engine.pipelines.common import Engine
from codeflash_engine.plugins.registry import ANY_LANGUAGE
from codeflash_engine.plugins.types import Task


async def explain(engine: Engine, *, trace_id: str, fields: Mapping[str, Any]) -> str:
    """Markdown text. The request has no language field: it is detected from the flat code (the
    core prompt serves when no plugin's language matches)."""
    code = (str(fields.get("source_code", "")), str(fields.get("optimized_code", "")))
    spec = engine.languages.detect(*code) or ANY_LANGUAGE
    prompt = await engine.prompt(Task.EXPLAIN, spec, None, fields)
    answers = await engine.ask(prompt, n=1, task=Task.EXPLAIN, trace_id=trace_id, deadline=engine.deadline())
    text = answers[0][1].text
    explanation = tagged(text, "explanation") or text.strip()
    if not explanation:
        raise UpstreamFailed("the model returned an empty explanation")
    return explanation
