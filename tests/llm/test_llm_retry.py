"""Retry policy, Retry-After parsing, model health, deadlines, redaction: pure units."""

from __future__ import annotations

import email.utils
import random
import time

import pytest

from codeflash_engine.infra.llm.deadline import Deadline
from codeflash_engine.infra.llm.errors import ErrorKind, LLMError
from codeflash_engine.infra.llm.providers import anthropic_system, anthropic_user_content, parse_retry_after
from codeflash_engine.infra.llm.redact import REDACTED, Redactor
from codeflash_engine.infra.llm.retry import ModelHealth, RetryPolicy
from codeflash_engine.plugins.types import Prompt


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    policy = RetryPolicy()
    rng = random.Random(7)
    for retry, nominal in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]:
        for _ in range(50):
            delay = policy.delay(retry, rng=rng)
            assert delay is not None
            assert nominal * 0.75 <= delay <= min(8.0, nominal * 1.25)


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    policy = RetryPolicy(retry_after_cap=60)
    delay = policy.delay(1, 3.0, rng=random.Random(1))
    assert delay is not None and 3.0 <= delay <= 3.0 * 1.125
    assert policy.delay(1, 61.0) is None  # longer than the cap: give this model up now


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "0.5"}) == 0.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    parsed = parse_retry_after({"retry-after": date})
    assert parsed is not None and 28 <= parsed <= 31
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    assert parse_retry_after(None) is None


def test_health_cools_a_model_down_after_repeated_failures() -> None:
    health = ModelHealth(allowed_fails=3, cooldown=0.2)
    err = LLMError("x", kind=ErrorKind.SERVER_ERROR)
    bad_request = LLMError("x", kind=ErrorKind.BAD_REQUEST)
    for _ in range(5):
        assert not health.failed("openai:m", bad_request)  # the request's fault, not the model's
    assert not health.failed("openai:m", err)
    assert not health.failed("openai:m", err)
    assert health.failed("openai:m", err)
    assert health.cooling("openai:m")
    time.sleep(0.25)
    assert not health.cooling("openai:m")
    health.failed("openai:m", err)
    health.succeeded("openai:m")
    assert not health.failed("openai:m", err)  # the count started over


def test_documented_defaults() -> None:
    """The numbers the module docstring promises (and LiteLLM's router uses: 3 failures, 5 s)."""
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.base_delay, policy.max_delay) == (3, 0.5, 8.0)
    assert (policy.jitter, policy.retry_after_cap) == (0.25, 60.0)
    health = ModelHealth()
    assert (health.allowed_fails, health.cooldown) == (3, 5.0)


def test_jitter_spreads_both_ways() -> None:
    policy = RetryPolicy()
    rng = random.Random(3)
    backoffs = [policy.delay(2, rng=rng) for _ in range(200)]
    assert min(b for b in backoffs if b is not None) < 0.85 and max(b for b in backoffs if b is not None) > 1.15
    waits = [policy.delay(1, 4.0, rng=rng) for _ in range(200)]
    assert all(w is not None and 4.0 <= w <= 4.0 * 1.125 for w in waits)
    assert max(w for w in waits if w is not None) > 4.0 * 1.1


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        (None, "backoff"),
        (0.0, "backoff"),  # "retry-after: 0" is no reason to hammer the provider
        (-1.0, "backoff"),
        (0.01, "honoured"),
        (60.0, "honoured"),  # the cap itself is still honoured
        (60.5, "give up"),
    ],
)
def test_retry_after_table(retry_after: float | None, expected: str) -> None:
    delay = RetryPolicy().delay(1, retry_after, rng=random.Random(5))
    if expected == "give up":
        assert delay is None
    elif expected == "backoff":
        assert delay is not None and 0.375 <= delay <= 0.625
    else:
        assert retry_after is not None and delay is not None and retry_after <= delay <= retry_after * 1.125


def test_a_success_ends_a_cooldown_and_the_count() -> None:
    health = ModelHealth(allowed_fails=3, cooldown=60.0)
    err = LLMError("x", kind=ErrorKind.OVERLOADED)
    assert not health.cooling("openai:never-called")
    for _ in range(2):
        assert not health.failed("openai:m", err)
    assert health.failed("openai:m", err)
    assert health.cooling("openai:m") and not health.cooling("openai:other")
    health.succeeded("openai:m")  # a call that went through anyway (the last model of the mix)
    assert not health.cooling("openai:m")
    # the count starts over after a success ...
    assert not health.failed("openai:m", err)
    health.succeeded("openai:m")
    assert not health.failed("openai:m", err)
    assert not health.failed("openai:m", err)
    assert health.failed("openai:m", err)
    # ... and after a cooldown began: three more failures for the next one
    health.succeeded("openai:m")
    for _ in range(3):
        health.failed("openai:m", err)
    assert health.cooling("openai:m")
    assert not health.failed("openai:m", err)
    assert not health.failed("openai:m", err)
    assert health.failed("openai:m", err)


def test_deadline() -> None:
    d = Deadline.after(10)
    assert not d.expired and 9 < d.remaining() <= 10
    assert d.cap(3) == 3 and d.cap(100) <= 10
    assert Deadline.after(-1).expired and Deadline.after(-1).remaining() == 0
    assert Deadline.never().remaining() == float("inf")
    assert d.sooner(1).remaining() <= 1 and d.sooner(100).at == d.at


def test_anthropic_cache_marks_cover_the_system_prompt_and_the_stable_prefix() -> None:
    prompt = Prompt(system="You optimize code.", user="CONTEXT...question", cache_prefix_chars=10)
    assert anthropic_system(prompt) == [
        {"type": "text", "text": "You optimize code.", "cache_control": {"type": "ephemeral"}}
    ]
    assert anthropic_user_content(prompt) == [
        {"type": "text", "text": "CONTEXT...", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "question"},
    ]
    whole = Prompt(system="", user="abc", cache_prefix_chars=99)
    assert anthropic_system(whole) is None
    assert anthropic_user_content(whole) == [{"type": "text", "text": "abc", "cache_control": {"type": "ephemeral"}}]
    assert anthropic_user_content(Prompt(system="s", user="abc")) == "abc"


@pytest.mark.parametrize(
    "text",
    [
        "Incorrect API key provided: sk-fake-0*************************9xyz. You can find it",
        "bad key sk-fake-0123456789abcdefghij9xyz",
        "header Authorization: Bearer sk-fake-0123456789abcdefghij9xyz",
        '{"x-api-key": "whatever-it-was"}',
        "starts sk-fake-0 and ends ghij9xyz",
        "aws AKIAFAKE0123456789AB",
    ],
)
def test_redactor_removes_keys_in_any_form(text: str) -> None:
    redact = Redactor(["sk-fake-0123456789abcdefghij9xyz"])
    out = redact(text)
    for fragment in ("sk-fake-0123456789abcdefghij9xyz", "sk-fake-0", "ghij9xyz", "AKIAFAKE", "whatever-it-was"):
        assert fragment not in out
    assert REDACTED in out


def test_redactor_leaves_ordinary_messages_alone() -> None:
    message = "The model `gpt-4.1-nano` does not exist or you do not have access to it."
    assert Redactor(["sk-fake-0123456789abcdefghij9xyz"])(message) == message
