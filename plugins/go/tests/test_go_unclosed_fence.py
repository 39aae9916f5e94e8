"""An answer that finished normally but forgot its closing fence is complete (issue 20, class 2)."""

from __future__ import annotations

import attrs
from test_go_candidates import FAST_SUM, FILES, HOST, block, request

from codeflash_engine.plugins.answers import read_answer


def _triage(text: str, finish_reason: str | None) -> list[str]:
    req = request(text)
    answer = read_answer(HOST, "go", text, original=FILES, finish_reason=finish_reason)
    got = HOST.call("postprocess_candidates", "go", request=attrs.evolve(req, answers=(answer,)))
    return [f.code for c in got for f in c.files]


def test_an_unclosed_last_fence_is_kept_whole() -> None:
    closed = block(FAST_SUM)
    unclosed = closed.rstrip().removesuffix("```")
    assert _triage(unclosed, "stop") == _triage(closed, "stop") != []
    assert "return total" in _triage(unclosed, "stop")[0]


def test_an_unclosed_fence_cut_by_the_token_limit_is_refused() -> None:
    assert _triage(block(FAST_SUM).rstrip().removesuffix("```"), "length") == []
