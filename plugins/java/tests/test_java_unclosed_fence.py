"""An answer that finished normally but forgot its closing fence is complete (issue 20, class 2):
dropping the last closing fence of every answer changes no candidate."""

from __future__ import annotations

import attrs
import pytest
from java_cases import case_names, host, load_request

from codeflash_engine.plugins.answers import read_answer


@pytest.mark.parametrize("name", case_names())
def test_an_unclosed_last_fence_is_kept_whole(name: str) -> None:
    request = load_request(name)
    unclosed = []
    for answer in request.answers:
        text = answer.text.rstrip()
        if text.endswith("```") and answer.edited is None:
            text = text[: -len("```")]
        again = read_answer(host(), request.language, text, original=request.original, finish_reason="stop")
        unclosed.append(again)
    closed = tuple(attrs.evolve(a, finish_reason="stop") for a in request.answers)
    triage = host().call
    before = triage("postprocess_candidates", request.language, request=attrs.evolve(request, answers=closed))
    after = triage("postprocess_candidates", request.language, request=attrs.evolve(request, answers=tuple(unclosed)))
    assert [c.files for c in after] == [c.files for c in before]
    assert before  # the case has candidates to compare
