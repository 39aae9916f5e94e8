"""Generated tests for Go: the answer's test file, checked.

The client of this language runs the tests as sent, so the three variants are the same file.
Make this smarter as needed: fix the package or imports of the test, remove copies of the code
under test the model pasted in, rename tests so that two generated files never clash.
"""

from __future__ import annotations

from codeflash_engine.plugins.types import GeneratedTests, TestsRequest
from codeflash_engine.text.markdown import extract_code_blocks

from codeflash_engine_go import syntax


def clean_tests(request: TestsRequest) -> GeneratedTests:
    """The first code block of the answer; ValueError when there is none or it does not parse."""
    blocks = extract_code_blocks(
        request.answer, language_tags=request.fence_tags or (request.language,), default_language=request.language
    )
    if not blocks or not blocks[0].code.strip():
        raise ValueError("the answer holds no test code block")
    code = blocks[0].code.strip() + "\n"
    found = syntax.problems(code)
    if found:
        raise ValueError(f"the generated test does not parse: {found[0]}")
    return GeneratedTests(generated=code, instrumented_behavior=code, instrumented_perf=code)
