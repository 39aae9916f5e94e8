"""/ai/optimize-line-profiler asks about the function the line profile is about (pipelines/optimize.py):
what the mutation run of optimize.py found untested."""

from __future__ import annotations

import endpoint_samples as s

from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM

#: the profiled function second: without the profile's name the first function would be taken
TWO_FUNCTIONS = (
    f"```python:pkg/sorter.py\ndef swap(out, j):\n    out[j], out[j + 1] = out[j + 1], out[j]\n\n{s.SORTER_CODE}\n```"
)


async def test_the_line_profiled_function_is_the_one_the_prompt_names(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """The prompt of a line-profiler request names the function of its "## Function:" header, not
    the first function of the code; a plain optimize request of the same code names the first."""
    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(
        engine_client, "/ai/optimize-line-profiler", s.line_profiler(source_code=TWO_FUNCTIONS, n_candidates=1)
    )
    assert status == 200, body
    (profiled,) = fake_llm.requests
    assert profiled.user.startswith("Optimize `sort_list`")
    fake_llm.requests.clear()
    status, body = await call(engine_client, "/ai/optimize", s.optimize(source_code=TWO_FUNCTIONS, n_candidates=1))
    assert status == 200, body
    (plain,) = fake_llm.requests
    assert plain.user.startswith("Optimize `swap`")
