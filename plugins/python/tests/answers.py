"""Model answers as the engine hands them to the plugin: edits applied through apply_diff."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from codeflash_engine import Answer, CodeFile, Target, Task
from codeflash_engine.plugins.answers import read_answer
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.types import CandidatesRequest


@functools.cache
def host() -> PluginHost:
    """The engine's builtins and the Python plugin, loaded from its entry point."""
    loaded = PluginHost(allow=["python"], strict=True)
    loaded.load()
    return loaded


def answers(
    texts: Sequence[str],
    original: Sequence[CodeFile],
    base: Sequence[CodeFile] = (),
    finish_reason: str | None = "stop",
) -> tuple[Answer, ...]:
    """``texts`` read as the engine reads model answers (``finish_reason`` as the provider said)."""
    return tuple(
        read_answer(host(), "python", t, original=original, base=base, finish_reason=finish_reason) for t in texts
    )


def optimize_request(
    texts: Sequence[str], original: Sequence[CodeFile], target: str | None = None
) -> CandidatesRequest:
    """The candidates request of an optimize call whose models answered ``texts``; ``target``
    None as the optimize endpoint sends it (the client names none)."""
    files = tuple(original)
    return CandidatesRequest(
        task=Task.OPTIMIZE,
        language="python",
        language_version="3.11.7",
        original=files,
        answers=answers(texts, files),
        target=Target.parse(target) if target is not None else None,
        fence_tags=("python", "py", "python3"),
    )
