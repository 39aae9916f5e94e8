"""/ai/adaptive_optimize: learn from a chain of candidates (root first) and try again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from codeflash_engine.errors import UpstreamFailed
from codeflash_engine.pipelines import candidates
from codeflash_engine.pipelines.candidates import CandidateJob, CandidateOut
from codeflash_engine.pipelines.common import Engine, files_of
from codeflash_engine.plugins.types import CodeFile, Task
from codeflash_engine.text.markdown import parse_markdown

ADAPTIVE_ATTEMPTS = 2


async def adaptive(
    engine: Engine,
    *,
    trace_id: str,
    original_source_code: str,
    chain: Sequence[Mapping[str, Any]],
    fields: Mapping[str, Any],
) -> CandidateOut:
    """One new candidate; its parent is the last candidate of the chain. The language is inferred."""
    bases = _bases(chain)
    texts = (original_source_code, *(str(c.get("source_code", "")) for c in chain))
    # no marker: Python, the language of every client release that omits the field
    spec = await engine.languages.detect_off_loop(*texts, default="python")
    job = CandidateJob(
        task=Task.ADAPTIVE,
        trace_id=trace_id,
        language=spec,
        language_version=None,
        original=files_of(original_source_code, "original_source_code"),
        fields=fields,
        n=ADAPTIVE_ATTEMPTS,
        parent_id=str(chain[-1]["optimization_id"]) if chain else None,
        base=bases[0] if bases else (),
        earlier=tuple(bases[1:]),
    )
    found = await candidates.generate(engine, job, engine.deadline())
    if not found:
        raise UpstreamFailed("the model produced no valid adaptive candidate")
    return found[0]


def _bases(chain: Sequence[Mapping[str, Any]]) -> list[tuple[CodeFile, ...]]:
    """The files of each candidate of the chain whose code holds a code block, newest first: an
    edit applies to the last attempt first, then to the earlier ones (the model may build on the
    best attempt rather than the last)."""
    bases = []
    for candidate in reversed(chain):
        blocks = parse_markdown(str(candidate.get("source_code", "")))
        if blocks:
            bases.append(tuple(CodeFile(path=b.path, code=b.code) for b in blocks))
    return bases
