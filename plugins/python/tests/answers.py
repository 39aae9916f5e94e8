"""Model answers as the engine hands them to the plugin: edits applied through apply_diff."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from codeflash_engine import Answer, CodeFile
from codeflash_engine.plugins.answers import read_answer
from codeflash_engine.plugins.manager import PluginHost


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
