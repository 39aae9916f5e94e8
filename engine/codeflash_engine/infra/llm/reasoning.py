"""Reasoning that a model wrote into its answer's text, taken out before anyone reads the answer.

Reasoning models served by OpenAI-compatible servers without a reasoning parser (DeepSeek-R1 and
its distillations, Qwen3, QwQ on vLLM, LM Studio or older Ollama) put their chain of thought in
the message itself, as ``<think>...</think>`` before the answer. It often holds draft code blocks
and always prose that is not the answer's explanation. Servers whose chat template opens the tag
in the prompt send only the closing ``</think>``; a model cut off while thinking sends no closing
tag at all.
"""

from __future__ import annotations

import re

#: the opening tags models use, at the very start of the text (after blank space)
_OPENING = re.compile(r"\A\s*<(think|thinking|reasoning)>", re.IGNORECASE)


def without_reasoning(text: str) -> str:
    """``text`` less a leading reasoning section.

    * ``<think>…</think>`` (or ``<thinking>``, ``<reasoning>``) at the start: everything up to the
      closing tag goes; with no closing tag the whole text was reasoning, and "" is left.
    * A ``</think>`` with no opening tag before it (the template opened it), outside any code
      block: everything up to it goes.

    Tags anywhere else are the answer's own (an answer may write about ``<think>`` in its code)
    and stay.
    """
    opening = _OPENING.match(text)
    if opening is not None:
        closing = f"</{opening.group(1)}>"
        end = text.lower().find(closing.lower(), opening.end())
        return "" if end < 0 else text[end + len(closing) :].lstrip()
    end = text.find("</think>")
    if end >= 0 and "<think>" not in text[:end] and text.count("```", 0, end) % 2 == 0:
        return text[end + len("</think>") :].lstrip()
    return text
