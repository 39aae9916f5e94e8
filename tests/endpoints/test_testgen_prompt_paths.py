"""/ai/testgen: the model is shown the context files' paths relative to the project, as the
client names the target's own file, and never the user's directories (the client sends the files
of context classes by their absolute path)."""

from __future__ import annotations

import endpoint_samples as s

from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM

MODELS = (
    "```python:/tmp/project/pkg/models.py\nclass Item:\n    def __init__(self, price):\n        self.price = price\n```"
)


async def test_the_prompt_names_context_files_relative_to_the_project(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(s.TESTS_ANSWER)
    body = s.testgen(source_code_being_tested=f"{MODELS}\n{s.SORTER_MD}")
    status, out = await call(engine_client, "/ai/testgen", body)
    assert status == 200, out
    [request] = fake_llm.requests
    assert "/tmp/project" not in request.text
    assert "```python:pkg/models.py\nclass Item:" in request.text
    assert "```python:pkg/sorter.py\n" in request.text
    assert "codeflash_behavior_call(sort_list" in out["instrumented_behavior_tests"].replace("_async", "")
