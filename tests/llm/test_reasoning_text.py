"""A reasoning model's thinking, written into the answer's text by an OpenAI-compatible server
without a reasoning parser, never reaches the pipelines: not its draft code, not its prose."""

from __future__ import annotations

import pytest

from codeflash_engine.infra.llm.reasoning import without_reasoning

FINAL = "Timsort is O(n log n).\n\n```python:pkg/sorter.py\ndef sort_list(xs):\n    return sorted(xs)\n```"
DRAFT = "Bubble sort is slow. Draft:\n```python:pkg/sorter.py\ndef sort_list(xs):\n    return list(sorted(xs))\n```\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"<think>\n{DRAFT}</think>\n\n{FINAL}", FINAL),
        (f"  \n<think>{DRAFT}</think>{FINAL}", FINAL),
        (f"<THINK>\n{DRAFT}</THINK>\n{FINAL}", FINAL),
        (f"<thinking>\n{DRAFT}</thinking>\n{FINAL}", FINAL),
        (f"<reasoning>\n{DRAFT}</reasoning>\n{FINAL}", FINAL),
        # the chat template opened the tag: only the closing one is in the text
        (f"{DRAFT}</think>\n\n{FINAL}", FINAL),
        (f"</think>\n\n{FINAL}", FINAL),  # the template opened it and nothing was thought
        (f"```python\ndef f(): ...\n```\nThat draft is slow.\n</think>\n{FINAL}", FINAL),
        # cut off while thinking: nothing of it is an answer
        (f"<think>\n{DRAFT}", ""),
        # no reasoning
        (FINAL, FINAL),
        ("def sort_list(xs):\n    return sorted(xs)\n", "def sort_list(xs):\n    return sorted(xs)\n"),
        ("", ""),
    ],
)
def test_a_leading_reasoning_section_is_taken_out(text: str, expected: str) -> None:
    assert without_reasoning(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # tags the answer writes about, in its explanation or code, are its own
        "Wrap the steps in <think> tags.\n```python\nTAG = '<think>'\n```",
        "```python\nOPEN, CLOSE = '<think>', '</think>'\n```",
        "Close it:\n```python\nCLOSE = '</think>'\n```",
        "Models wrap their thoughts in <think> and </think>.\n```python\nx = 1\n```",
    ],
)
def test_tags_that_do_not_open_the_answer_stay(text: str) -> None:
    assert without_reasoning(text) == text
