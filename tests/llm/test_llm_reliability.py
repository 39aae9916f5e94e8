"""Retries, fail-fast, Retry-After, fallbacks, cooldowns, deadlines and concurrency bounds,
through the real SDKs against the fake server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from codeflash_engine.infra.llm import (
    Completion,
    Deadline,
    DeadlineExceeded,
    LLMClient,
    LLMError,
    ModelChoice,
    ModelHealth,
    ModelMix,
    RetryPolicy,
    open_llm_client,
)
from codeflash_engine.infra.recorder import MemorySink, Recorder
from codeflash_engine.plugins.types import Prompt
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import FakeLLM, FakeRequest, Fault, Reply
from codeflash_engine.testing.llm_fixtures import FAST_RETRIES

PROMPT = Prompt(system="system", user="optimize this")
OPENAI = ModelChoice("openai", "gpt-4.1")
AZURE = ModelChoice("azure", "gpt-4.1")
ANTHROPIC = ModelChoice("anthropic", "claude-sonnet-4-6")
BEDROCK = ModelChoice("bedrock", "us.anthropic.claude-sonnet-4-6")
CHOICES = {"openai": OPENAI, "azure": AZURE, "anthropic": ANTHROPIC, "bedrock": BEDROCK}
ALL = "openai:gpt-4.1=1,azure:gpt-4.1=1,anthropic:claude-sonnet-4-6=1,bedrock:us.anthropic.claude-sonnet-4-6=1"


@pytest.fixture
def client_for(fake_llm_settings: Callable[..., Settings], llm_recorder: Recorder) -> Callable[..., Any]:
    """``async with client_for(policy=..., **settings) as client``: every provider at the fake."""

    @asynccontextmanager
    async def make(
        *, policy: RetryPolicy = FAST_RETRIES, health: ModelHealth | None = None, models: str = ALL, **overrides: Any
    ) -> AsyncIterator[LLMClient]:
        settings = fake_llm_settings("openai", "azure", "anthropic", "bedrock", models=models, **overrides)
        async with open_llm_client(settings, llm_recorder, policy=policy, health=health) as client:
            yield client

    return make


async def once(client: LLMClient, model: ModelChoice, deadline: float = 10.0, **kw: Any) -> Completion:
    kw.setdefault("fallbacks", ())
    return await client.complete(
        PROMPT, model=model, call_type="optimize", trace_id="trace", deadline=Deadline.after(deadline), **kw
    )


TRANSIENT = {
    "429": Fault.rate_limited(retry_after=0.01),
    "500": Fault.server_error(500),
    "502": Fault.server_error(502),
    "503": Fault.server_error(503),
    "504": Fault.server_error(504),
    "529": Fault.overloaded(),
    "cut": Fault.cut(),
    "html": Fault.not_json(),
    "truncated-json": Fault.bad_json(),
}
TRANSIENT_KINDS = {
    "429": "rate_limited",
    "500": "server_error",
    "502": "server_error",
    "503": "server_error",
    "504": "server_error",
    "529": "overloaded",
    "cut": "connection",
    "html": "malformed",
    "truncated-json": "malformed",
}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("fault", list(TRANSIENT))
async def test_transient_faults_are_retried(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink, provider: str, fault: str
) -> None:
    fake_llm.fail(TRANSIENT[fault], times=1)
    async with client_for() as client:
        done = await once(client, CHOICES[provider])
    assert done.text == Reply().text and done.attempts == 2
    assert len(fake_llm.requests) == 2
    await llm_recorder.close()
    (record,) = llm_sink.llm_calls  # retries of one call are one record
    assert record.outcome == "ok" and record.provider == provider


@pytest.mark.parametrize("provider", ["azure", "bedrock"])
@pytest.mark.parametrize("fault", ["429", "529", "cut", "html"])
async def test_transient_faults_are_retried_on_the_cloud_twins(
    fake_llm: FakeLLM, client_for: Any, provider: str, fault: str
) -> None:
    fake_llm.fail(TRANSIENT[fault], times=1)
    async with client_for() as client:
        done = await once(client, CHOICES[provider])
    assert done.attempts == 2 and done.provider == provider


@pytest.mark.parametrize("fault", list(TRANSIENT))
async def test_a_fault_that_persists_is_reported_with_its_kind(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink, fault: str
) -> None:
    fake_llm.fail(TRANSIENT[fault])
    async with client_for() as client:
        with pytest.raises(LLMError) as err:
            await once(client, OPENAI)
    assert err.value.kind == TRANSIENT_KINDS[fault] and err.value.transient
    assert err.value.attempts == 3 and len(fake_llm.requests) == 3
    await llm_recorder.close()
    (record,) = llm_sink.llm_calls
    assert (record.outcome, record.error_class, record.tokens_in, record.cost_usd) == (
        "error",
        TRANSIENT_KINDS[fault],
        0,
        0.0,
    )


async def test_a_hang_times_out_and_is_retried(fake_llm: FakeLLM, client_for: Any) -> None:
    fake_llm.fail(Fault.hang(), times=1)
    started = time.monotonic()
    async with client_for(codeflash_engine_llm_timeout=0.3) as client:
        done = await once(client, ANTHROPIC)
    assert done.attempts == 2 and 0.3 <= time.monotonic() - started < 2


async def test_a_hang_that_persists_is_a_timeout(fake_llm: FakeLLM, client_for: Any) -> None:
    fake_llm.fail(Fault.hang())
    async with client_for(codeflash_engine_llm_timeout=0.2) as client:
        with pytest.raises(LLMError) as err:
            await once(client, OPENAI)
    assert err.value.kind == "timeout" and err.value.attempts == 3


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (Fault.bad_request(), "bad_request"),
        (Fault.unauthorized(), "auth"),
        (Fault.status_code(403, "forbidden"), "auth"),
        (Fault.not_found(), "not_found"),
        (Fault.status_code(422, "unprocessable"), "bad_request"),
        (Fault.status_code(418, "teapot"), "unknown"),
    ],
)
@pytest.mark.parametrize("provider", ["openai", "azure", "anthropic", "bedrock"])
async def test_other_errors_fail_fast(
    fake_llm: FakeLLM,
    client_for: Any,
    llm_recorder: Recorder,
    llm_sink: MemorySink,
    fault: Fault,
    kind: str,
    provider: str,
) -> None:
    fake_llm.fail(fault)
    async with client_for() as client:
        with pytest.raises(LLMError) as err:
            await once(client, CHOICES[provider])
    assert err.value.kind == kind and not err.value.transient
    assert err.value.attempts == 1 and len(fake_llm.requests) == 1
    assert err.value.status_code == fault.status and err.value.provider == provider
    await llm_recorder.close()
    assert [r.error_class for r in llm_sink.llm_calls] == [kind]


async def test_retry_after_is_honoured(fake_llm: FakeLLM, client_for: Any) -> None:
    fake_llm.fail(Fault.rate_limited(retry_after=0.4), times=1)
    async with client_for() as client:  # backoff alone would wait about 10 ms
        started = time.monotonic()
        done = await once(client, OPENAI)
        waited = fake_llm.requests[1].received - fake_llm.requests[0].received
    assert done.attempts == 2
    assert 0.4 <= waited < 1.0 and time.monotonic() - started >= 0.4


async def test_retry_after_as_an_http_date_is_honoured(fake_llm: FakeLLM, client_for: Any) -> None:
    import email.utils

    fake_llm.add(lambda req: Fault.rate_limited(header=email.utils.formatdate(time.time() + 1.5, usegmt=True)), times=1)
    async with client_for() as client:
        done = await once(client, ANTHROPIC)
    waited = fake_llm.requests[1].received - fake_llm.requests[0].received
    assert done.attempts == 2 and waited >= 0.4  # the date has one-second resolution


async def test_retry_after_above_the_cap_falls_back_at_once(fake_llm: FakeLLM, client_for: Any) -> None:
    fake_llm.fail(Fault.rate_limited(retry_after=30), api="openai")
    started = time.monotonic()
    async with client_for(policy=RetryPolicy(base_delay=0.01, retry_after_cap=5)) as client:
        done = await once(client, OPENAI, fallbacks=[ANTHROPIC])
    assert time.monotonic() - started < 2
    assert done.provider == "anthropic" and done.requested == OPENAI and done.fell_back
    assert [r.api for r in fake_llm.requests] == ["openai", "anthropic"]


async def test_fallback_to_the_next_model_of_the_mix(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.fail(Fault.server_error(), api="openai")
    fake_llm.reply("from azure", api="azure")
    async with client_for() as client:
        done = await client.complete(
            PROMPT, model=OPENAI, call_type="rank", trace_id="t", deadline=Deadline.after(10)
        )  # default fallbacks: the rest of the client's mix, in order
    assert (done.text, done.provider, done.requested) == ("from azure", "azure", OPENAI)
    assert [r.api for r in fake_llm.requests] == ["openai"] * 3 + ["azure"]
    await llm_recorder.close()
    assert [(r.provider, r.outcome, r.error_class) for r in llm_sink.llm_calls] == [
        ("openai", "error", "server_error"),
        ("azure", "ok", None),
    ]


async def test_fallback_after_a_permanent_error_too(fake_llm: FakeLLM, client_for: Any) -> None:
    fake_llm.fail(Fault.not_found(), model="gpt-4.1", api="openai")
    async with client_for() as client:
        done = await once(client, OPENAI, fallbacks=[ANTHROPIC])
    assert done.provider == "anthropic" and len(fake_llm.requests) == 2


async def test_every_model_failing_raises_the_last_error(fake_llm: FakeLLM, client_for: Any) -> None:
    fake_llm.fail(Fault.server_error(503))
    async with client_for() as client:
        with pytest.raises(LLMError) as err:
            await once(client, OPENAI, fallbacks=[ANTHROPIC])
    assert err.value.provider == "anthropic" and err.value.status_code == 503
    assert len(fake_llm.requests) == 6


async def test_a_model_that_keeps_failing_cools_down(fake_llm: FakeLLM, client_for: Any) -> None:
    fake_llm.fail(Fault.server_error(), api="openai")
    health = ModelHealth(allowed_fails=2, cooldown=30)
    async with client_for(health=health, policy=RetryPolicy(max_attempts=1)) as client:
        for _ in range(2):
            assert (await once(client, OPENAI, fallbacks=[ANTHROPIC])).provider == "anthropic"
        before = len(fake_llm.requests_for(api="openai"))
        done = await once(client, OPENAI, fallbacks=[ANTHROPIC])
    assert done.provider == "anthropic"
    assert len(fake_llm.requests_for(api="openai")) == before == 2  # routed around while cooling
    assert health.cooling(OPENAI.key)


async def test_fan_out_splits_by_weight_and_keeps_call_order(fake_llm: FakeLLM, client_for: Any) -> None:
    fake_llm.add(lambda req: Reply(f"{req.api}:{req.model}"))
    mix = ModelMix.parse("openai:gpt-4.1=3,anthropic:claude-sonnet-4-6=2")
    async with client_for() as client:
        results = await client.fan_out(
            PROMPT, n=6, call_type="optimize", trace_id="t", deadline=Deadline.after(10), mix=mix
        )
    assert [r.text for r in results if isinstance(r, Completion)] == ["openai:gpt-4.1"] * 4 + [
        "anthropic:claude-sonnet-4-6"
    ] * 2


async def test_fan_out_falls_back_and_returns_failures_as_values(fake_llm: FakeLLM, client_for: Any) -> None:
    mix = ModelMix.parse("openai:gpt-4.1=1,anthropic:claude-sonnet-4-6=1")
    fake_llm.fail(Fault.overloaded(), api="anthropic")
    async with client_for() as client:
        fell_back = await client.fan_out(
            PROMPT, n=4, call_type="optimize", trace_id="t", deadline=Deadline.after(10), mix=mix
        )
        assert [r.provider for r in fell_back if isinstance(r, Completion)] == ["openai"] * 4
        assert [r.fell_back for r in fell_back if isinstance(r, Completion)] == [False, False, True, True]
        fake_llm.reset()
        fake_llm.fail(Fault.bad_request("prompt too long"))
        failed = await client.fan_out(
            PROMPT, n=3, call_type="optimize", trace_id="t", deadline=Deadline.after(10), mix=mix
        )
    assert len(failed) == 3 and all(isinstance(r, LLMError) and r.kind == "bad_request" for r in failed)


async def test_no_call_starts_after_the_deadline(fake_llm: FakeLLM, client_for: Any) -> None:
    async with client_for() as client:
        with pytest.raises(DeadlineExceeded):
            await once(client, OPENAI, deadline=-1)
        results = await client.fan_out(PROMPT, n=3, call_type="x", trace_id=None, deadline=Deadline.after(-1))
    assert all(isinstance(r, DeadlineExceeded) for r in results)
    assert fake_llm.requests == []


async def test_a_call_in_flight_is_cut_at_the_deadline_without_fallback(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.fail(Fault.hang())
    started = time.monotonic()
    async with client_for() as client:
        with pytest.raises(DeadlineExceeded) as err:
            await once(client, OPENAI, deadline=0.3, fallbacks=[ANTHROPIC])
    assert 0.3 <= time.monotonic() - started < 10  # cut at the deadline, not left hanging
    assert err.value.status == 504 and len(fake_llm.requests) == 1
    await llm_recorder.close()
    assert [r.error_class for r in llm_sink.llm_calls] == ["deadline"]


async def test_no_retry_is_started_that_would_end_past_the_deadline(fake_llm: FakeLLM, client_for: Any) -> None:
    fake_llm.fail(Fault.rate_limited(retry_after=30), api="openai")
    started = time.monotonic()
    async with client_for() as client:
        with pytest.raises(LLMError) as err:
            await once(client, OPENAI, deadline=15.0)
    assert time.monotonic() - started < 10  # given up at once, not after waiting out the deadline
    assert err.value.kind == "rate_limited" and err.value.attempts == 1


async def test_concurrent_calls_per_provider_are_bounded(fake_llm: FakeLLM, client_for: Any) -> None:
    in_flight = peak = 0

    async def slow(req: FakeRequest) -> Reply:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return Reply("ok")

    fake_llm.add(slow)
    async with client_for(codeflash_engine_llm_concurrency=3) as client:
        started = time.monotonic()
        results = await asyncio.gather(*(once(client, OPENAI) for _ in range(9)))
        elapsed = time.monotonic() - started
    assert len(results) == 9 and peak == 3
    assert elapsed >= 0.15  # three waves of three


async def test_waiting_for_a_slot_respects_the_deadline(fake_llm: FakeLLM, client_for: Any) -> None:
    fake_llm.fail(Fault.hang(), times=1)
    async with client_for(codeflash_engine_llm_concurrency=1) as client:
        hung = asyncio.create_task(once(client, OPENAI, deadline=5))
        await asyncio.sleep(0.1)
        with pytest.raises(DeadlineExceeded, match="free LLM slot"):
            await once(client, OPENAI, deadline=0.2)
        hung.cancel()
    assert len(fake_llm.requests) == 1


async def test_a_cancelled_call_is_recorded(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.fail(Fault.hang())
    async with client_for() as client:
        task = asyncio.create_task(once(client, OPENAI))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    await llm_recorder.close()
    assert [(r.outcome, r.error_class) for r in llm_sink.llm_calls] == [("cancelled", "cancelled")]


async def test_a_deadline_that_never_comes_still_waits_for_slots(fake_llm: FakeLLM, client_for: Any) -> None:
    fake_llm.latency = 0.02
    async with client_for(codeflash_engine_llm_concurrency=1) as client:
        results = await asyncio.gather(
            *(
                client.complete(PROMPT, model=OPENAI, call_type="x", trace_id=None, deadline=Deadline.never())
                for _ in range(3)
            )
        )
    assert [r.attempts for r in results] == [1, 1, 1]
