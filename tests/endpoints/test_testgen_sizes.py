"""/ai/testgen on numerical code (issue 20, class 3): oversized arrays and tensors in the model's
tests come back capped to the budget, keeping their dimensions and dtype."""

from __future__ import annotations

import endpoint_samples as s

from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM

ANSWER = """Tests with large inputs.

```python
import numpy as np
from pkg.sorter import sort_list


def test_large_matrix():
    data = np.random.rand(10**5, 10**4).astype(np.float32)
    flat = list(data[:, 0])
    assert sort_list(flat) == sorted(flat)


def test_small():
    data = np.zeros((4, 3), dtype=np.int64)
    assert sort_list(list(data[0])) == [0, 0, 0]
```
"""


async def test_numerical_tests_are_capped(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(ANSWER)
    status, body = await call(engine_client, "/ai/testgen", s.testgen(is_numerical_code=True))
    assert status == 200, body
    for key in ("generated_tests", "instrumented_behavior_tests", "instrumented_perf_tests"):
        assert "np.random.rand(316, 316).astype(np.float32)" in body[key], body[key]
        assert "np.zeros((4, 3), dtype=np.int64)" in body[key]
        compile(body[key], key, "exec")
