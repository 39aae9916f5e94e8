"""The straggler cut-off of fan-outs (issue 19), and the fake LLM's heavy-tailed latency, through
the real SDKs against the fake server."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from codeflash_engine.infra.llm import Completion, Deadline, LLMClient, LLMError, open_llm_client
from codeflash_engine.infra.llm.stragglers import StragglerPolicy
from codeflash_engine.infra.recorder import MemorySink, Recorder
from codeflash_engine.plugins.types import Prompt
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import FakeLLM, FakeRequest, Fault, Reply
from codeflash_engine.testing.llm_fixtures import FAST_RETRIES

PROMPT = Prompt(system="system", user="optimize this")

#: a grace of 0.3 s at least, 0.6 s at most: fast tests, and still far above loopback jitter
QUICK = {
    "codeflash_engine_straggler_min_wait": 0.3,
    "codeflash_engine_straggler_max_wait": 0.6,
}


@pytest.fixture
def client_for(fake_llm_settings: Callable[..., Settings], llm_recorder: Recorder) -> Callable[..., Any]:
    """``async with client_for(**settings) as client``: one OpenAI model at the fake."""

    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[LLMClient]:
        settings = fake_llm_settings("openai", models="openai:gpt-4.1=1", **overrides)
        async with open_llm_client(settings, llm_recorder, policy=FAST_RETRIES) as client:
            yield client

    return make


def scripted(answers: Sequence[Reply | Fault]) -> Callable[[FakeRequest], Reply | Fault]:
    """A responder answering the requests in the order they arrive with ``answers`` (then the last)."""
    counter = itertools.count()

    def respond(request: FakeRequest) -> Reply | Fault:
        return answers[min(next(counter), len(answers) - 1)]

    return respond


def fast(i: int) -> Reply:
    return Reply(f"fast {i}", latency=0.02)


async def each(client: LLMClient, n: int = 6) -> tuple[list[tuple[int, Completion | LLMError]], float]:
    """Every ``(index, result)`` of a fan-out, and the seconds it took."""
    started = time.monotonic()
    out = [
        item
        async for item in client.fan_out_each(
            PROMPT, n=n, call_type="optimize", trace_id="trace", deadline=Deadline.after(30)
        )
    ]
    return out, time.monotonic() - started


async def records(recorder: Recorder, sink: MemorySink) -> list[tuple[str, str | None, int]]:
    await recorder.close()
    return sorted((r.outcome, r.error_class, r.attempts) for r in sink.llm_calls)


def test_the_quorum_is_two_thirds_rounded_up_and_the_grace_is_bounded() -> None:
    policy = StragglerPolicy()
    assert [policy.quorum(n) for n in (1, 2, 3, 4, 5, 6, 9, 12)] == [None, 2, 2, 3, 4, 4, 6, 8]
    assert StragglerPolicy(quorum_fraction=0.667).quorum(6) == 4
    assert StragglerPolicy(quorum_fraction=0.5).quorum(6) == 3
    assert StragglerPolicy(enabled=False).quorum(6) is None
    assert [policy.grace(s) for s in (0.01, 2.0, 100.0)] == [0.5, 1.0, 10.0]
    settings = Settings(codeflash_engine_straggler_quorum=0.5, codeflash_engine_straggler_max_wait=0.1)
    assert StragglerPolicy.from_settings(settings) == StragglerPolicy(quorum_fraction=0.5, max_wait=0.5)


def test_the_quorum_is_at_least_one_call_and_at_most_all() -> None:
    assert StragglerPolicy(quorum_fraction=0.5).quorum(2) == 1
    assert StragglerPolicy(quorum_fraction=0.001).quorum(6) == 1  # a sliver of a call still waits for one
    assert StragglerPolicy(quorum_fraction=1.0).quorum(6) == 6
    assert StragglerPolicy(quorum_fraction=1.0).quorum(2) == 2


@pytest.mark.parametrize(
    "field, value",
    [
        ("quorum_fraction", 0.0),
        ("quorum_fraction", -0.5),
        ("quorum_fraction", 1.01),
        ("factor", -0.01),
        ("min_wait", -0.01),
        ("max_wait", -0.01),
    ],
)
def test_a_policy_out_of_range_is_refused(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        StragglerPolicy(**{field: value})


def test_the_edges_of_each_range_are_accepted() -> None:
    edge = StragglerPolicy(quorum_fraction=1.0, factor=0.0, min_wait=0.0, max_wait=0.0)
    assert edge.quorum(3) == 3 and edge.grace(5.0) == 0.0
    assert StragglerPolicy(quorum_fraction=0.01).quorum(100) == 1


async def test_stragglers_are_cut_once_the_quorum_is_in_and_recorded(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.add(scripted([fast(i) for i in range(4)] + [Reply("slow", latency=25.0)]))
    async with client_for(**QUICK) as client:
        results, seconds = await each(client)
    assert sorted(r.text for _, r in results if isinstance(r, Completion)) == [f"fast {i}" for i in range(4)]
    assert len({index for index, _ in results}) == 4
    assert seconds < 10  # the quorum after ~0.02 s, then the 0.3 s floor; not the stragglers' 25 s
    assert await records(llm_recorder, llm_sink) == [("cancelled", "straggler", 1)] * 2 + [("ok", None, 1)] * 4


async def test_a_cut_call_is_recorded_with_its_retries(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    # the fifth request fails and is retried; the sixth and the retry hang
    fake_llm.add(scripted([fast(i) for i in range(4)] + [Fault.server_error(), Fault.hang()]))
    async with client_for(**QUICK) as client:
        results, _ = await each(client)
    assert len(results) == 4 and len(fake_llm.requests) == 7
    assert await records(llm_recorder, llm_sink) == [
        ("cancelled", "straggler", 1),
        ("cancelled", "straggler", 2),
        *[("ok", None, 1)] * 4,
    ]


async def test_a_late_answer_within_the_grace_is_kept(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.add(scripted([fast(i) for i in range(4)] + [Reply("late", latency=0.15), Reply("slow", latency=25.0)]))
    async with client_for(**QUICK) as client:
        results, seconds = await each(client)
    assert sorted(r.text for _, r in results if isinstance(r, Completion)) == [f"fast {i}" for i in range(4)] + ["late"]
    assert seconds < 10  # not the straggler's 25 s
    assert [r.outcome for r in llm_sink.llm_calls if r.outcome != "ok"] == ["cancelled"]


async def test_nothing_is_cut_when_latencies_are_tight(
    client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    # 500 ms ± 50 ms, as in the second target, with the default policy
    async with FakeLLM(latency_median=0.5, latency_jitter=0.05, seed=3) as fake:
        fake.default = Reply("tight")
        settings = Settings(**fake.settings_values(("openai",), models="openai:gpt-4.1=1"))
        async with open_llm_client(settings, llm_recorder, policy=FAST_RETRIES) as client:
            for _ in range(3):
                results, _seconds = await each(client)
                assert len(results) == 6 and all(isinstance(r, Completion) for _, r in results)
    assert len(fake.delays) == 18 and all(0.45 <= d.delay <= 0.55 for d in fake.delays)
    assert {outcome for outcome, _, _ in await records(llm_recorder, llm_sink)} == {"ok"}


async def test_failures_are_yielded_but_do_not_count_toward_the_quorum(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    answers: list[Reply | Fault] = [Fault.bad_request()] * 3 + [fast(0), fast(1), Reply("slow", latency=1.0)]
    fake_llm.add(scripted(answers))
    async with client_for(**QUICK) as client:
        results, seconds = await each(client)
    assert len(results) == 6  # three successes never make a quorum of four: the slow one is waited for
    assert sum(isinstance(r, LLMError) for _, r in results) == 3
    assert "slow" in [r.text for _, r in results if isinstance(r, Completion)]
    assert seconds >= 1.0


async def test_the_policy_can_be_turned_off(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.add(scripted([fast(i) for i in range(4)] + [Reply("slow", latency=1.2)]))
    async with client_for(codeflash_engine_straggler_cutoff=False, **QUICK) as client:
        results, seconds = await each(client)
    assert len(results) == 6 and seconds >= 1.2
    assert {outcome for outcome, _, _ in await records(llm_recorder, llm_sink)} == {"ok"}


async def test_a_single_call_is_never_cut(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.default = Reply("only", latency=1.0)  # longer than the grace
    async with client_for(**QUICK) as client:
        results, _ = await each(client, n=1)
        collected = await client.fan_out(PROMPT, n=1, call_type="testgen", trace_id="t", deadline=Deadline.after(30))
    assert [r.text for _, r in results if isinstance(r, Completion)] == ["only"]
    assert [r.text for r in collected if isinstance(r, Completion)] == ["only"]


async def test_fan_out_collects_what_the_cut_off_kept(fake_llm: FakeLLM, client_for: Any) -> None:
    fake_llm.add(scripted([fast(i) for i in range(4)] + [Reply("slow", latency=5.0)]))
    async with client_for(**QUICK) as client:
        results = await client.fan_out(PROMPT, n=6, call_type="optimize", trace_id="t", deadline=Deadline.after(30))
    assert sorted(r.text for r in results if isinstance(r, Completion)) == [f"fast {i}" for i in range(4)]


async def test_a_caller_that_stops_early_cancels_the_rest(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.add(scripted([fast(0), Reply("slow", latency=5.0)]))
    async with client_for(**QUICK) as client:
        async for _ in client.fan_out_each(
            PROMPT, n=6, call_type="optimize", trace_id="t", deadline=Deadline.after(30)
        ):
            break
    assert await records(llm_recorder, llm_sink) == [("cancelled", "cancelled", 1)] * 5 + [("ok", None, 1)]


# --- the fake's heavy-tailed latency ------------------------------------------------------------


async def test_lognormal_latency_is_seeded_recorded_and_served() -> None:
    def draws(seed: int) -> list[float]:
        fake = FakeLLM(latency_median=0.8, latency_sigma=0.9, seed=seed)
        return [fake.draw_latency() for _ in range(2000)]

    assert draws(7) == draws(7) != draws(8)
    values = sorted(draws(7))
    assert 0.7 < values[1000] < 0.9  # the median
    assert values[1900] > 3.0  # the tail: p95 ~ 0.8 * e^(0.9 * 1.645) ~ 3.5 s

    async with FakeLLM(latency_median=0.05, latency_sigma=0.5, seed=1) as fake:
        fake.default = Reply("x")
        async with aiohttp.ClientSession() as session:
            for user in ("a", "a", "b"):
                body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": user}]}
                async with session.post(f"{fake.openai_base_url}/chat/completions", json=body) as resp:
                    assert resp.status == 200
            async with session.get(f"{fake.url}/_fake/delays") as resp:
                served = (await resp.json())["delays"]
    assert [d["delay"] for d in served] == [d.delay for d in fake.delays]
    keys = [d.key for d in fake.delays]
    assert keys[0] == keys[1] != keys[2]
    assert fake.wait_for_all() == {keys[0]: max(d.delay for d in fake.delays[:2]), keys[2]: fake.delays[2].delay}


def test_the_command_line_takes_the_latency_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    from codeflash_engine.testing import fake_llm as module

    seen: dict[str, Any] = {}

    async def serve(self: FakeLLM) -> None:
        seen.update(median=self.latency_median, sigma=self.latency_sigma, draw=self.draw_latency())

    monkeypatch.setattr(FakeLLM, "serve_until_signalled", serve)
    with pytest.raises(SystemExit):
        module.main(["--latency-median", "0.8", "--latency-sigma", "0.9", "--seed", "7"])
    first = seen["draw"]
    with pytest.raises(SystemExit):
        module.main(["--latency-median", "0.8", "--latency-sigma", "0.9", "--seed", "7"])
    assert seen["median"] == 0.8 and seen["sigma"] == 0.9 and seen["draw"] == first


async def test_the_grace_is_a_multiple_of_the_time_the_quorum_took(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    """The quorum takes 0.4 s, so the others get 0.4 s more (factor 1): a call of 1.6 s is cut
    at about 0.8 s, well before the 5 s ceiling."""
    fake_llm.add(scripted([Reply(f"q {i}", latency=0.4) for i in range(4)] + [Reply("late", latency=1.6)]))
    policy = {
        "codeflash_engine_straggler_factor": 1.0,
        "codeflash_engine_straggler_min_wait": 0.05,
        "codeflash_engine_straggler_max_wait": 5.0,
    }
    async with client_for(**policy) as client:
        results, seconds = await each(client)
    assert sorted(r.text for _, r in results if isinstance(r, Completion)) == [f"q {i}" for i in range(4)]
    assert 0.7 <= seconds < 1.4
    assert [o for o, _, _ in await records(llm_recorder, llm_sink)].count("cancelled") == 2


async def test_a_call_ending_after_the_grace_is_cut_even_when_others_ended_within_it(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    """Once the grace has run out the wait does not start over: with a grace of 0.1 s, the call
    that ends within it is kept and the one at 0.6 s is cut, without waiting for it."""
    fake_llm.add(scripted([fast(i) for i in range(4)] + [Reply("within", latency=0.06), Reply("after", latency=0.6)]))
    policy = {"codeflash_engine_straggler_min_wait": 0.1, "codeflash_engine_straggler_max_wait": 0.1}
    async with client_for(**policy) as client:
        results, seconds = await each(client)
    texts = sorted(r.text for _, r in results if isinstance(r, Completion))
    assert "after" not in texts and len(texts) in (4, 5)  # "within" is kept unless loopback was slow
    assert seconds < 0.5
    assert [o for o, _, _ in await records(llm_recorder, llm_sink)].count("cancelled") == 6 - len(texts)


async def test_each_call_records_its_own_latency(
    fake_llm: FakeLLM, client_for: Any, llm_recorder: Recorder, llm_sink: MemorySink
) -> None:
    fake_llm.add(scripted([Reply("slow", latency=0.3)]))
    async with client_for() as client:
        results, _ = await each(client, n=1)
    [(_, completion)] = results
    assert isinstance(completion, Completion) and 250 <= completion.latency_ms < 2000
    await llm_recorder.close()
    [record] = llm_sink.llm_calls
    assert 250 <= record.latency_ms < 2000
