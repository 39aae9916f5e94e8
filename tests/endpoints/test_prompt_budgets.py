"""Worst-case requests render prompts that fit the smallest window of the default mix (issue 22).

The default mix with both providers configured is gpt-5-mini (400k window, 128k answer) and
claude-sonnet-4-6 (200k window, 64k answer): every prompt must leave the answer room of the
model it goes to, whichever model that is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from codeflash_engine.app import create_app
from codeflash_engine.infra.llm.models import ModelTable
from codeflash_engine.pipelines.budget import CHARS_PER_TOKEN
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import API_KEY, EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM
from codeflash_engine.text.cuts import cut_pair

DEFAULT_MIX = "openai:gpt-5-mini=3,anthropic:claude-sonnet-4-6=2"
TRACE = "746ac121-3c5f-4953-9f5d-0a2a4aa8d41c"
SOURCE = "```python:pkg/sorter.py\ndef sort_list(xs):\n    return sorted(xs)\n```"


@pytest.fixture
async def client(
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]], fake_llm_settings: Callable[..., Settings]
) -> EngineClient:
    settings = fake_llm_settings(
        "openai",
        "anthropic",
        models=DEFAULT_MIX,
        codeflash_engine_api_keys=API_KEY,
        codeflash_engine_request_deadline=30,
    )
    return await aiohttp_client(create_app(settings))


def big_list(shift: int) -> str:
    values = list(range(2000))
    values[1000 + shift] = -1  # each test's values part somewhere in the middle
    return repr(values)


def repair_body() -> dict[str, Any]:
    return {
        "trace_id": TRACE,
        "optimization_id": "o1",
        "original_source_code": SOURCE,
        "modified_source_code": SOURCE,
        "language": "python",
        "test_diffs": [
            {
                "scope": "return_value",
                "original_pass": True,
                "candidate_pass": True,
                "original_value": repr(list(range(2000))),
                "candidate_value": big_list(i % 25),  # 25 different, 5 the same as another
                "test_src_code": f"def test_{i}():\n    assert sort_list(list(range(2000))) == list(range(2000))\n",
                "candidate_pytest_error": None,
                "original_pytest_error": None,
            }
            for i in range(30)
        ],
    }


def profile(lines: int) -> str:
    rows = "".join(
        f"| {i + 1} | {1000 * (i % 17 + 1)} | 1000 | {100 / lines:.3f} | x_{i} = y_{i} + {i} |\n" for i in range(lines)
    )
    return (
        "# Timer unit: 1e-09 s\n## Function: sort_list\n## Total time: 0.5 s\n"
        "| Hits | Time | Per Hit | % Time | Line Contents |\n|---:|---:|---:|---:|:---|\n" + rows
    )


MIB = 1024 * 1024
HUGE_CODE = "```python:pkg/sorter.py\n" + ("def sort_list(xs):\n    return sorted(xs)\n" * (MIB // 42)) + "```"
HUGE_DEPENDENCY = "```python:pkg/util.py\n" + ("LIMIT_VALUES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n" * (MIB // 48)) + "```"

CASES: dict[str, tuple[str, Any]] = {
    "30 large diffs of a 2,000-element list": ("/ai/code_repair", repair_body()),
    "a file of 1 MiB, the most one may hold (workflow-gen)": (
        "/ai/workflow-gen",
        {"repo_files": {"pyproject.toml": "[project]\nname = 'p'\n" + "# padding line of a huge file\n" * 34_000}},
    ),
    "a 1 MiB source and a 1 MiB context (optimize)": (
        "/ai/optimize",
        {"trace_id": TRACE, "source_code": HUGE_CODE, "dependency_code": HUGE_DEPENDENCY, "n_candidates": 1},
    ),
    "a 500-line profile (line profiler)": (
        "/ai/optimize-line-profiler",
        {"trace_id": TRACE, "source_code": SOURCE, "line_profiler_results": profile(500), "n_candidates": 1},
    ),
    "two 500-line profiles (refinement)": (
        "/ai/refinement",
        [
            {
                "trace_id": TRACE,
                "optimization_id": "o1",
                "original_source_code": SOURCE,
                "optimized_source_code": SOURCE,
                "original_line_profiler_results": profile(500),
                "optimized_line_profiler_results": profile(500),
            }
        ],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_worst_case_prompts_fit_the_smallest_window(case: str, client: EngineClient, fake_llm: FakeLLM) -> None:
    path, body = CASES[case]
    await call(client, path, body)
    assert fake_llm.requests, "no LLM call was made"
    table = ModelTable.default()
    for request in fake_llm.requests:
        provider = "anthropic" if request.api == "anthropic" else "openai"
        info = table.lookup(provider, request.model)
        assert info is not None
        estimated = len(request.text) / CHARS_PER_TOKEN
        print(f"{case}: {request.model} {len(request.text):,} characters, ~{estimated:,.0f} tokens")
        assert estimated + info.max_output <= info.context_window, (case, request.model, len(request.text))
        # and the smallest window of the mix, whichever model got this call
        assert estimated + 64_000 <= 200_000
    if case.startswith("30") or case.startswith("a 1 MiB"):
        assert "shortened to fit" in fake_llm.requests[0].text
    if path == "/ai/workflow-gen":  # it keeps 12,000 characters of a file, and says so
        assert "characters cut ...]" in fake_llm.requests[0].text


async def test_identical_differences_are_merged(client: EngineClient, fake_llm: FakeLLM) -> None:
    await call(client, "/ai/code_repair", repair_body())
    text = fake_llm.requests[0].text
    assert text.count("--- difference") == 25
    assert "the same difference in 2 tests" in text
    assert "30 test differences shown as 25" in text


def test_a_cut_pair_still_shows_where_the_values_part() -> None:
    a, b = repr(list(range(2000))), big_list(3)
    short_a, short_b = cut_pair(a, b, 400)
    assert short_a is not None and short_b is not None
    assert len(short_a) < 500 and "-1" in short_b and "1003" in short_a
    assert "characters cut" in short_a and "characters cut" in short_b
