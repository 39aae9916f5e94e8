"""Model answers as plugins receive them: an edit already applied through the ``apply_diff`` hook.

Shared by the candidate pipelines and the plugin kit, so that the kit feeds a plugin exactly what
the engine would.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import attrs

from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.types import Answer, CodeFile, DiffRequest, DiffResult
from codeflash_engine.text.edits import detect_format
from codeflash_engine.text.prose import explanation_of

log = logging.getLogger(__name__)


def read_answer(
    host: PluginHost,
    language: str,
    text: str,
    *,
    original: Sequence[CodeFile],
    base: Sequence[CodeFile] = (),
    earlier: Sequence[Sequence[CodeFile]] = (),
    finish_reason: str | None = None,
    model: str | None = None,
) -> Answer:
    """One answer, its edit (SEARCH/REPLACE, V4A, unified diff) applied when it is one.

    When the request improves a candidate (refinement, repair, adaptive: ``base``), the model
    was shown that candidate, so an edit is applied to it first (its files over the original's),
    then to each of ``earlier`` (other candidates the model was shown, newest first: adaptive's
    earlier attempts, which it may build on instead), then to the original. An edit that
    applies to none gets ``edit_error``. Runs the ``apply_diff`` hook in the calling thread:
    call it from the plugin's thread.
    """
    answer = Answer(text=text, finish_reason=finish_reason, model=model, prose=explanation_of(text))
    if detect_format(text) is None:
        return answer
    files = {f.path: f.code for f in original if f.path}
    targets = [
        {**files, **{f.path: f.code for f in candidate if f.path}} for candidate in (base, *earlier) if candidate
    ]
    result: DiffResult | None = None
    for attempt in [*targets, files]:
        result = host.call("apply_diff", language, request=DiffRequest(language=language, files=attempt, edit=text))
        if result is not None and result.ok and result.files:
            edited = tuple(CodeFile(path=path, code=code) for path, code in result.files.items())
            return attrs.evolve(answer, edited=edited)
    error = result.errors[0][:300] if result is not None and result.errors else "the edit changes nothing"
    log.info("edit did not apply: %s", error)
    return attrs.evolve(answer, edit_error=error)
