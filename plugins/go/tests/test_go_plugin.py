"""The Go plugin's own tests, beside the conformance suite (which conftest.py turns on).

The kit's fixtures are available here: ``plugin_engine_client`` (the whole engine with this
plugin, over ``fake_llm``), ``sample_requests`` (the client's request bodies for the samples),
``language_samples`` and ``plugin_host_factory``.
"""

from __future__ import annotations

from typing import Any

from codeflash_engine.testing.contract import check_candidates
from codeflash_engine.testing.engine import call
from codeflash_engine.testing.fake_llm import FakeLLM
from codeflash_engine.testing.plugin_kit import LanguageSamples
from codeflash_engine.testing.plugin_kit.fixtures import API_KEY

from codeflash_engine_go import syntax


def test_an_unclosed_bracket_is_reported_where_it_opens() -> None:
    [problem] = syntax.problems("func f() {\n    g(1,\n")
    assert (problem.line, problem.column) == (2, 6)


async def test_optimize_through_the_engine(
    plugin_engine_client: Any, fake_llm: FakeLLM, language_samples: LanguageSamples, sample_requests: dict[str, Any]
) -> None:
    fake_llm.reply(language_samples.improved[0])
    status, body = await call(plugin_engine_client, "/ai/optimize", sample_requests["/ai/optimize"], key=API_KEY)
    assert status == 200, body
    check_candidates(body["optimizations"], python=False)
    assert len(body["optimizations"]) == 1
