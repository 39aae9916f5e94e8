"""A plugin's thread (codeflash_engine.plugins.lanes): calls one at a time, the time limit on the
run only, an overrunning call left behind in a retired thread, a stuck plugin refused at once."""

from __future__ import annotations

import asyncio
import gc
import itertools
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from codeflash_engine.plugins import lanes

T = TypeVar("T")


@pytest.fixture
def lane() -> Iterator[lanes.Lane]:
    made = lanes.Lane("toy")
    yield made
    made.close()


async def bounded(call: Awaitable[T]) -> T:
    """A call of the lane that must end: a lane left locked fails the test instead of hanging it."""
    return await asyncio.wait_for(call, 10)


def sleeper(seconds: float, log: list[tuple[str, float, float]], name: str) -> Callable[[], str]:
    def work() -> str:
        started = time.monotonic()
        time.sleep(seconds)
        log.append((name, started, time.monotonic()))
        return str(threading.get_ident())

    return work


def blocked(gate: threading.Event, seen: list[str]) -> Callable[[], str]:
    def work() -> str:
        seen.append(str(threading.get_ident()))
        gate.wait(10)
        return "late"

    return work


async def test_calls_run_one_at_a_time_in_order_and_the_limit_counts_only_the_run(lane: lanes.Lane) -> None:
    log: list[tuple[str, float, float]] = []
    # three calls of 0.2 s each under a 0.35 s limit: the third waits 0.4 s, yet is not cut
    results = await bounded(asyncio.gather(*(lane.run(sleeper(0.2, log, f"c{i}"), 0.35) for i in range(3))))
    assert [name for name, _, _ in log] == ["c0", "c1", "c2"]
    for (_, _, ended), (_, started, _) in itertools.pairwise(log):
        assert started >= ended  # never two at once
    assert len(set(results)) == 1  # one thread served them all
    assert lane.overrunning == 0


async def test_an_overrunning_call_is_left_behind_and_the_next_gets_a_new_thread(lane: lanes.Lane) -> None:
    gate = threading.Event()
    seen: list[str] = []
    started = time.monotonic()
    with pytest.raises(lanes.Overran):
        await bounded(lane.run(blocked(gate, seen), 0.2))
    assert 0.15 < time.monotonic() - started < 1.5
    assert lane.overrunning == 1
    try:
        log: list[tuple[str, float, float]] = []
        served_by = await bounded(lane.run(sleeper(0.01, log, "next"), 1.0))
        assert served_by != seen[0]  # a new thread, while the hung call still holds the old one
        assert not gate.is_set() and [name for name, _, _ in log] == ["next"]
    finally:
        gate.set()
    for _ in range(100):
        if lane.overrunning == 0:
            break
        await asyncio.sleep(0.02)
    assert lane.overrunning == 0  # counted back when the late call returned


async def test_a_plugin_with_too_many_calls_overrunning_is_refused_at_once_until_one_returns(
    lane: lanes.Lane,
) -> None:
    # two, as docs/plugins.md promises plugin authors
    gates = [threading.Event() for _ in range(2)]
    seen: list[str] = []
    try:
        for gate in gates:
            with pytest.raises(lanes.Overran):
                await bounded(lane.run(blocked(gate, seen), 0.1))
        ran: list[str] = []
        started = time.monotonic()
        with pytest.raises(lanes.Stuck, match="2 earlier calls are still running"):
            await bounded(lane.run(lambda: ran.append("x"), 5.0))
        assert time.monotonic() - started < 0.1 and ran == []
        gates[0].set()
        for _ in range(100):
            if lane.overrunning < 2:
                break
            await asyncio.sleep(0.02)
        assert await bounded(lane.run(lambda: "again", 5.0)) == "again"
    finally:
        for gate in gates:
            gate.set()


async def test_an_overrunning_call_does_not_keep_the_collector_paused(lane: lanes.Lane) -> None:
    gate = threading.Event()

    def paused_and_hung() -> None:
        gc.disable()  # as the host's _without_collections does for every call
        try:
            gate.wait(10)
        finally:
            gc.enable()

    assert gc.isenabled()
    try:
        with pytest.raises(lanes.Overran):
            await bounded(lane.run(paused_and_hung, 0.2))
        assert gc.isenabled()
    finally:
        gate.set()
        gc.enable()


async def test_a_cancelled_request_keeps_the_lane_busy_until_its_call_really_ends(lane: lanes.Lane) -> None:
    log: list[tuple[str, float, float]] = []
    first = asyncio.create_task(lane.run(sleeper(0.3, log, "cancelled"), 5.0))
    await asyncio.sleep(0.05)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await bounded(lane.run(sleeper(0.01, log, "after"), 5.0))
    (_, _, ended), (_, started, _) = log
    assert [name for name, _, _ in log] == ["cancelled", "after"]
    assert started >= ended  # the next call did not overlap the one still running
    assert lane.overrunning == 0


async def test_a_failing_call_raises_its_own_error_and_frees_the_lane(lane: lanes.Lane) -> None:
    def broken() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        await bounded(lane.run(broken, 1.0))
    assert await bounded(lane.run(lambda: 42, 1.0)) == 42


async def test_a_hung_call_whose_request_is_gone_is_retired_by_the_call_waiting_behind_it(lane: lanes.Lane) -> None:
    gate = threading.Event()
    seen: list[str] = []
    hung = asyncio.create_task(lane.run(blocked(gate, seen), 0.2))
    await asyncio.sleep(0.05)
    hung.cancel()  # its client hung up: nobody times this call any more
    with pytest.raises(asyncio.CancelledError):
        await hung
    try:
        log: list[tuple[str, float, float]] = []
        started = time.monotonic()
        served_by = await bounded(lane.run(sleeper(0.01, log, "behind"), 0.2))
        assert served_by != seen[0] and not gate.is_set()
        assert time.monotonic() - started < 1.0  # found once it had run past the limit, not at its end
        assert lane.overrunning == 1
    finally:
        gate.set()


async def test_a_request_gone_while_its_call_waits_never_runs_it(lane: lanes.Lane) -> None:
    gate = threading.Event()
    seen: list[str] = []
    ran: list[str] = []
    first = asyncio.create_task(lane.run(blocked(gate, seen), 5.0))
    queued = asyncio.create_task(lane.run(lambda: ran.append("queued"), 5.0))
    await asyncio.sleep(0.05)
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    gate.set()
    assert await bounded(first) == "late"
    assert await bounded(lane.run(lambda: "served", 5.0)) == "served"  # the worker is still there
    assert ran == []


async def test_a_retired_worker_ends_with_its_late_call_so_calls_never_overlap_again(lane: lanes.Lane) -> None:
    gate = threading.Event()
    seen: list[str] = []
    with pytest.raises(lanes.Overran):
        await bounded(lane.run(blocked(gate, seen), 0.1))
    gate.set()
    for _ in range(100):
        if lane.overrunning == 0:
            break
        await asyncio.sleep(0.02)
    log: list[tuple[str, float, float]] = []
    await bounded(asyncio.gather(*(lane.run(sleeper(0.05, log, f"c{i}"), 5.0) for i in range(6))))
    spans = sorted((started, ended) for _, started, ended in log)
    for (_, ended), (started, _) in itertools.pairwise(spans):
        assert started >= ended  # one worker left: never two at once


async def test_a_call_that_waited_is_cut_a_limit_after_it_started_not_after_its_wait(lane: lanes.Lane) -> None:
    log: list[tuple[str, float, float]] = []
    gate = threading.Event()
    seen: list[str] = []
    first = asyncio.create_task(lane.run(sleeper(0.1, log, "first"), 5.0))
    started = time.monotonic()
    try:
        with pytest.raises(lanes.Overran):
            await bounded(lane.run(blocked(gate, seen), 1.0))
        # it started at about 0.1 s: cut at about 1.1 s, not at two limits (2.0 s)
        assert 1.0 <= time.monotonic() - started < 1.6
    finally:
        gate.set()
    await first


async def started(seen: list[str]) -> None:
    """Until the blocked call has started in the worker (at most 5 s)."""
    for _ in range(5000):
        if seen:
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the first call never started")


async def test_tenants_take_turns_and_each_keeps_its_order(lane: lanes.Lane) -> None:
    """A tenant with many calls waiting makes its own calls wait, not another tenant's: the worker
    takes one call of each tenant with calls waiting in turn, each tenant's calls in order."""
    gate, seen, ran = threading.Event(), list[str](), list[str]()

    def note(name: str) -> Callable[[], str]:
        def work() -> str:
            ran.append(name)
            return name

        return work

    first = asyncio.ensure_future(lane.run(blocked(gate, seen), 10, tenant="a"))
    await started(seen)  # the worker is busy with a's first call
    calls = [lane.run(note(f"a{i}"), 10, tenant="a") for i in range(1, 4)]
    calls += [lane.run(note("b1"), 10, tenant="b"), lane.run(note("c1"), 10, tenant="c")]
    calls += [lane.run(note("b2"), 10, tenant="b")]
    pending = [asyncio.ensure_future(c) for c in calls]
    await asyncio.sleep(0.05)  # every call queued
    gate.set()
    await bounded(asyncio.gather(first, *pending))
    assert ran == ["a1", "b1", "c1", "a2", "b2", "a3"]


def test_the_fair_queue_takes_one_item_of_each_tenant_in_turn() -> None:
    q = lanes.FairQueue()
    for item, tenant in [(1, "x"), (2, "x"), (3, None), (4, "y"), (5, "x"), (6, None)]:
        q.put(item, tenant)
    assert [q.get() for _ in range(6)] == [1, 3, 4, 2, 6, 5]
    assert q.get_nowait() is None
    q.put(7, "y")  # a tenant that left the ring comes back at its end
    q.put(8, "x")
    assert [q.get_nowait(), q.get_nowait(), q.get_nowait()] == [7, 8, None]


async def test_the_host_queues_each_organization_or_user_on_its_own() -> None:
    """Through the plugin host: the turn is the caller's organization, else its user."""
    from codeflash_engine.infra.logging import user_id_var
    from codeflash_engine.infra.records import organization_id_var
    from codeflash_engine.plugins.manager import PluginHost

    host = PluginHost(builtins=())
    gate, seen, ran = threading.Event(), list[str](), list[str]()

    def note(name: str) -> str:
        ran.append(name)
        return name

    async def as_caller(user: str, organization: int | None, func: Callable[..., str], *args: object) -> str:
        user_id_var.set(user)
        organization_id_var.set(organization)
        return str(await host.in_thread(None, func, *args))

    try:
        first = asyncio.ensure_future(as_caller("u1", 7, blocked(gate, seen)))
        await started(seen)
        calls = [as_caller("u1", 7, note, "org7-u1-a"), as_caller("u2", 7, note, "org7-u2")]
        calls += [as_caller("u1", 7, note, "org7-u1-b"), as_caller("u3", None, note, "u3")]
        calls += [as_caller("u4", None, note, "u4")]
        pending = [asyncio.ensure_future(c) for c in calls]
        await asyncio.sleep(0.05)
        gate.set()
        await bounded(asyncio.gather(first, *pending))
    finally:
        gate.set()
        host.close()
    # one organization is one tenant, whichever of its users calls; a user without one is another
    assert ran == ["org7-u1-a", "u3", "u4", "org7-u2", "org7-u1-b"]


async def test_a_request_gone_from_a_call_that_later_fails_leaves_no_unretrieved_error(lane: lanes.Lane) -> None:
    """A call whose request went away, running or still queued, ends without the loop reporting an
    error nobody retrieved or a failing callback (noise in the operator's log for every gone client)."""
    loop = asyncio.get_running_loop()
    reports: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: reports.append(context))
    gate, seen = threading.Event(), list[str]()

    def fails() -> str:
        seen.append("running")
        gate.wait(10)
        raise RuntimeError("late failure")

    running = asyncio.ensure_future(lane.run(fails, 10))
    await started(seen)
    queued = asyncio.ensure_future(lane.run(lambda: "never", 10))
    await asyncio.sleep(0.01)
    running.cancel()
    queued.cancel()
    for task in (running, queued):
        with pytest.raises(asyncio.CancelledError):
            await bounded(task)
    gate.set()
    assert await bounded(lane.run(lambda: "next", 10)) == "next"  # the failed call has ended
    await asyncio.sleep(0.05)
    del running, queued
    gc.collect()
    await asyncio.sleep(0.01)
    loop.set_exception_handler(None)
    assert reports == []


async def test_closing_a_lane_cancels_the_calls_still_queued(lane: lanes.Lane) -> None:
    gate, seen = threading.Event(), list[str]()
    running = asyncio.ensure_future(lane.run(blocked(gate, seen), 10))
    await started(seen)
    queued = asyncio.ensure_future(lane.run(lambda: "never", 10))
    await asyncio.sleep(0.01)
    lane.close()
    with pytest.raises(asyncio.CancelledError):
        await bounded(queued)
    gate.set()
    assert await bounded(running) == "late"


async def test_workers_are_daemon_threads_so_a_hung_call_never_holds_up_the_exit(lane: lanes.Lane) -> None:
    assert await bounded(lane.run(lambda: threading.current_thread().daemon, 10)) is True
