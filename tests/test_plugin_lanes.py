"""A plugin's lane (codeflash_engine.plugins.lanes) and worker process (.workers): calls one at a
time in a forked process, the time limit on the run only, an overrunning call stopped with its
process, a crash costing only its call, tenants taking turns, nothing inherited held open."""

from __future__ import annotations

import asyncio
import ctypes
import gc
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from codeflash_engine.plugins import lanes
from codeflash_engine.plugins.workers import RemoteError

T = TypeVar("T")

#: what the worker process has run, in order (its own copy: kept from call to call)
RAN: list[str] = []


def handle(request: Any) -> tuple[bool, Any, Any]:
    """The toy plugin's worker: ``request`` is (what, *arguments)."""
    what, *args = request
    if what == "sleep":  # (seconds, name, log file): the run's span is appended to the log
        seconds, name, log = args
        started = time.time()
        time.sleep(seconds)
        with open(log, "a") as out:
            out.write(f"{name} {started} {time.time()}\n")
        return True, os.getpid(), None
    if what == "block":  # (marker, gate): mark the start, then wait for the gate file
        marker, gate = args
        Path(marker).touch()
        for _ in range(20_000):
            if Path(gate).exists():
                return True, "late", None
            time.sleep(0.001)
        return True, "never opened", None
    if what == "native-hang":  # backtracks for hours inside the regex engine, holding the GIL
        re.match(r"(a+)+$", "a" * 64 + "b")
    if what == "crash":
        ctypes.string_at(0)
    if what == "raise":
        raise ValueError(args[0])
    if what == "unpicklable":
        raise Unpicklable(args[0])
    if what == "note":
        RAN.append(args[0])
        return True, args[0], ["journal", args[0]]
    if what == "ran":
        return True, list(RAN), None
    if what == "streams":
        return True, [os.readlink(f"/proc/self/fd/{fd}") for fd in (0, 1, 2)], None
    if what == "fds":  # (scandir: a test makes listdir of /proc fail, the way a system without /proc does)
        return True, [target for target, _ in descriptors().values()], None
    if what == "fd-map":
        return True, descriptors(), None
    if what == "morph":
        raise Morphing(args[0])
    if what == "unsendable":
        return True, lambda: None, None
    return True, os.getpid(), None


def descriptors() -> dict[int, tuple[str, bool]]:
    """This process's open descriptors: number -> (what it points at, inheritable)."""
    with os.scandir("/proc/self/fd") as listing:
        numbers = [int(entry.name) for entry in listing]
    out = {}
    for fd in numbers:
        try:
            out[fd] = (os.readlink(f"/proc/self/fd/{fd}"), os.get_inheritable(fd))
        except OSError:
            continue  # the listing's own descriptor, closed by now
    return out


class Morphing(Exception):
    """Comes back from a pickle as a plain ValueError."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (ValueError, self.args)


class Unpicklable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.lock = __import__("threading").Lock()  # a lock never travels as a pickle


@pytest.fixture
async def lane() -> AsyncIterator[lanes.Lane]:
    made = lanes.Lane("toy", handle)
    yield made
    made.close()


async def bounded(call: Awaitable[T]) -> T:
    """A call of the lane that must end: a lane left locked fails the test instead of hanging it."""
    return await asyncio.wait_for(call, 20)


async def value(lane: lanes.Lane, *request: Any, limit: float = 10.0, tenant: Any = None) -> Any:
    ok, result, _ = await bounded(lane.run(request, limit, tenant))
    assert ok, result
    return result


def spans(log: Path) -> list[tuple[str, float, float]]:
    return [(n, float(a), float(b)) for n, a, b in (line.split() for line in log.read_text().splitlines())]


async def started(marker: Path) -> None:
    """Until the blocked call has started in the process (at most 10 s)."""
    for _ in range(10_000):
        if marker.exists():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the blocked call never started")


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def until_gone(pid: int) -> None:
    for _ in range(250):
        if gone(pid):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"process {pid} still runs")


async def test_calls_run_one_at_a_time_in_order_in_one_process_and_the_limit_counts_only_the_run(
    lane: lanes.Lane, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    # three calls of 0.2 s each under a 0.35 s limit: the third waits 0.4 s, yet is not cut
    calls = [lane.run(("sleep", 0.2, f"c{i}", str(log)), 0.35) for i in range(3)]
    answers = await bounded(asyncio.gather(*calls))
    assert [name for name, _, _ in spans(log)] == ["c0", "c1", "c2"]
    for (_, _, ended), (_, begun, _) in itertools.pairwise(spans(log)):
        assert begun >= ended  # never two at once
    pids = {pid for ok, pid, _ in answers if ok}
    assert pids == {lane.pid} and lane.pid != os.getpid()  # one process, not the engine's
    assert lane.started == 1


async def test_state_kept_between_calls_lives_in_the_process(lane: lanes.Lane) -> None:
    RAN.clear()
    await value(lane, "note", "a")
    await value(lane, "note", "b")
    assert await value(lane, "ran") == ["a", "b"]
    assert RAN == []  # the engine's own copy never moved


async def test_an_overrunning_call_is_stopped_with_its_process_and_the_next_gets_a_new_one(
    lane: lanes.Lane, tmp_path: Path
) -> None:
    first = await value(lane, "pid")
    begun = time.monotonic()
    with pytest.raises(lanes.Overran):
        await bounded(lane.run(("block", str(tmp_path / "m"), str(tmp_path / "gate")), 0.2))
    assert 0.15 < time.monotonic() - begun < 1.5
    await until_gone(first)  # killed and reaped: no zombie left either
    assert lane.replaced == 1
    second = await value(lane, "pid")
    assert second != first and lane.started == 2 and lane.replaced == 1


async def test_a_call_stuck_in_native_code_holding_the_gil_is_stopped_and_the_loop_kept_serving(
    lane: lanes.Lane,
) -> None:
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.005)

    beat = asyncio.create_task(ticker())
    try:
        with pytest.raises(lanes.Overran):
            await bounded(lane.run(("native-hang",), 0.5))
    finally:
        beat.cancel()
    assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.1  # the event loop never stalled
    assert await value(lane, "note", "after") == "after"


async def test_a_crashed_process_fails_its_call_only(lane: lanes.Lane) -> None:
    first = await value(lane, "pid")
    with pytest.raises(lanes.Died, match=r"killed by signal 11 \(SIGSEGV\)"):
        await bounded(lane.run(("crash",), 5.0))
    assert gone(first) and lane.replaced == 1
    assert await value(lane, "pid") not in (first, os.getpid())


async def test_a_failing_call_answers_its_own_error_and_frees_the_lane(lane: lanes.Lane) -> None:
    ok, error, _ = await bounded(lane.run(("raise", "bad input"), 1.0))
    assert not ok and isinstance(error, ValueError) and str(error) == "bad input"
    ok, error, _ = await bounded(lane.run(("unpicklable", "held a lock"), 1.0))
    assert not ok and isinstance(error, RemoteError)
    assert str(error) == "Unpicklable: held a lock" and "test_plugin_lanes.py" in error.trace
    assert await value(lane, "note", "next") == "next"
    assert lane.started == 1 and lane.replaced == 0  # an error is an answer: the process stays


async def test_the_journal_comes_back_with_the_answer(lane: lanes.Lane) -> None:
    assert await bounded(lane.run(("note", "x"), 1.0)) == (True, "x", ["journal", "x"])


async def test_a_cancelled_request_keeps_the_lane_busy_until_its_call_really_ends(
    lane: lanes.Lane, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    first = asyncio.create_task(lane.run(("sleep", 0.3, "cancelled", str(log)), 5.0))
    await asyncio.sleep(0.1)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await value(lane, "sleep", 0.01, "after", str(log))
    (_, _, ended), (_, begun, _) = spans(log)
    assert [name for name, _, _ in spans(log)] == ["cancelled", "after"]
    assert begun >= ended  # the next call did not overlap the one still running
    assert lane.started == 1  # nor did it meet the late answer: same process, its own answer


async def test_a_request_gone_while_its_call_waits_never_runs_it(lane: lanes.Lane, tmp_path: Path) -> None:
    RAN.clear()
    marker, gate = tmp_path / "m", tmp_path / "gate"
    first = asyncio.create_task(lane.run(("block", str(marker), str(gate)), 5.0))
    await started(marker)
    queued = asyncio.create_task(lane.run(("note", "queued"), 5.0))
    await asyncio.sleep(0.05)
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    gate.touch()
    assert await bounded(first) == (True, "late", None)
    assert await value(lane, "ran") == []


async def test_a_call_that_waited_is_cut_a_limit_after_it_started_not_after_its_wait(
    lane: lanes.Lane, tmp_path: Path
) -> None:
    first = asyncio.create_task(lane.run(("sleep", 0.3, "first", str(tmp_path / "log")), 5.0))
    begun = time.monotonic()
    with pytest.raises(lanes.Overran):
        await bounded(lane.run(("block", str(tmp_path / "m"), str(tmp_path / "gate")), 1.0))
    # it started at about 0.3 s: cut at about 1.3 s, not at two limits (2.0 s)
    assert 1.2 <= time.monotonic() - begun < 1.8
    await first


async def test_tenants_take_turns_and_each_keeps_its_order(lane: lanes.Lane, tmp_path: Path) -> None:
    """A tenant with many calls waiting makes its own calls wait, not another tenant's: the lane
    takes one call of each tenant with calls waiting in turn, each tenant's calls in order."""
    RAN.clear()
    marker, gate = tmp_path / "m", tmp_path / "gate"
    first = asyncio.ensure_future(lane.run(("block", str(marker), str(gate)), 10, "a"))
    await started(marker)  # the process is busy with a's first call
    calls = [lane.run(("note", f"a{i}"), 10, "a") for i in range(1, 4)]
    calls += [lane.run(("note", "b1"), 10, "b"), lane.run(("note", "c1"), 10, "c")]
    calls += [lane.run(("note", "b2"), 10, "b")]
    pending = [asyncio.ensure_future(c) for c in calls]
    await asyncio.sleep(0.05)  # every call queued
    gate.touch()
    await bounded(asyncio.gather(first, *pending))
    assert await value(lane, "ran") == ["a1", "b1", "c1", "a2", "b2", "a3"]


def test_the_fair_queue_takes_one_item_of_each_tenant_in_turn() -> None:
    q = lanes.FairQueue()
    for item, tenant in [(1, "x"), (2, "x"), (3, None), (4, "y"), (5, "x"), (6, None)]:
        q.put(item, tenant)
    assert [q.get() for _ in range(6)] == [1, 3, 4, 2, 6, 5]
    assert q.get_nowait() is None


async def test_closing_a_lane_cancels_the_calls_still_queued_and_stops_the_process(
    lane: lanes.Lane, tmp_path: Path
) -> None:
    marker = tmp_path / "m"
    running = asyncio.ensure_future(lane.run(("block", str(marker), str(tmp_path / "gate")), 10))
    await started(marker)
    pid = lane.pid
    assert pid is not None
    queued = asyncio.ensure_future(lane.run(("note", "never"), 10))
    await asyncio.sleep(0.05)
    lane.close()
    with pytest.raises(asyncio.CancelledError):
        await bounded(queued)
    with pytest.raises((asyncio.CancelledError, lanes.Died)):
        await bounded(running)
    await until_gone(pid)


async def test_the_process_holds_no_descriptor_it_inherited_but_its_channel(lane: lanes.Lane) -> None:
    """A connection the engine closes is closed for real, whatever its plugins' processes do; the
    standard streams stay (a plugin's log lines go where the engine's go)."""
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        mine = os.readlink(f"/proc/self/fd/{listener.fileno()}")
        targets = await value(lane, "fds")
    finally:
        listener.close()
    assert mine not in targets
    assert sum(t.startswith("socket:") for t in targets) == 1  # its own end of the channel
    streams = await value(lane, "streams")
    assert streams == [os.readlink(f"/proc/self/fd/{fd}") for fd in (0, 1, 2)]


async def test_the_process_outlives_signals_to_its_group_until_the_engine_ends_it(lane: lanes.Lane) -> None:
    pid = await value(lane, "pid")
    os.kill(pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    os.kill(pid, signal.SIGTERM)  # and so does systemd's stop: the engine still drains its requests
    await asyncio.sleep(0.05)
    assert await value(lane, "pid") == pid
    lane.close()
    await until_gone(pid)


# --- through the plugin host ----------------------------------------------------------------------


def _context(host: Any) -> tuple[int, str | None, str | None, str | None, int | None]:
    from codeflash_engine.infra.logging import request_id_var, trace_id_var, user_id_var
    from codeflash_engine.infra.records import organization_id_var

    return os.getpid(), request_id_var.get(), trace_id_var.get(), user_id_var.get(), organization_id_var.get()


def _block(host: Any, marker: str, gate: str) -> str:
    return str(handle(("block", marker, gate))[1])


def _note(host: Any, name: str) -> str:
    RAN.append(name)
    return name


def _ran(host: Any) -> list[str]:
    return list(RAN)


class Failing:
    """A language whose validate hook raises."""

    @staticmethod
    def spec() -> Any:
        from codeflash_engine.plugins.types import LanguageSpec

        return LanguageSpec(name="failing", extensions=(".fail",))

    from codeflash_engine import hookimpl

    @hookimpl
    def register_languages(self, register: Any) -> None:
        register(self.spec())

    @hookimpl
    def validate(self, code: str) -> Any:
        raise RuntimeError(f"cannot read {code!r}")


async def test_the_host_runs_a_function_in_the_plugins_process_in_the_callers_context() -> None:
    from codeflash_engine.infra.logging import request_id_var, trace_id_var, user_id_var
    from codeflash_engine.infra.records import organization_id_var
    from codeflash_engine.plugins.manager import PluginHost

    host = PluginHost(builtins=())
    request_id_var.set("req-1")
    trace_id_var.set("trace-1")
    user_id_var.set("user-1")
    organization_id_var.set(7)
    try:
        pid, *context = await bounded(host.in_worker(None, _context))
    finally:
        host.close()
    assert pid != os.getpid()
    assert context == ["req-1", "trace-1", "user-1", 7]


async def test_a_hook_failing_in_the_process_is_recorded_by_the_engine() -> None:
    from codeflash_engine.plugins.manager import PluginFailed, PluginHost

    host = PluginHost(builtins=())
    host.register(Failing(), "failing")
    noted: list[tuple[str, str]] = []
    host.on_failure = lambda plugin, hook: noted.append((plugin, hook))
    try:
        with pytest.raises(PluginFailed, match="RuntimeError: cannot read 'x = 1'") as failed:
            await bounded(host.run("validate", "failing", code="x = 1"))
    finally:
        host.close()
    assert (failed.value.plugin, failed.value.hook, failed.value.language) == ("failing", "validate", "failing")
    assert noted == [("failing", "validate")]
    assert host.failure_counts() == {("failing", "validate"): 1}
    (failure,) = host.failures()["failing"]
    assert failure.error == "RuntimeError: cannot read 'x = 1'" and failure.language == "failing"


async def test_a_call_past_the_time_limit_is_a_recorded_failure_and_a_restart(tmp_path: Path) -> None:
    from codeflash_engine.plugins.manager import PluginFailed, PluginHost

    host = PluginHost(builtins=(), timeout=0.3)
    try:
        with pytest.raises(PluginFailed, match=r"no answer within 0.3 s \(its process was stopped\)"):
            await bounded(host.in_worker(None, _block, str(tmp_path / "m"), str(tmp_path / "gate"), hook="toy"))
        assert await bounded(host.in_worker(None, _note, "after")) == "after"
        assert host.restarts() == {"builtin": 1}
        assert host.failure_counts() == {("builtin", "toy"): 1}
    finally:
        host.close()


async def test_the_host_queues_each_organization_or_user_on_its_own(tmp_path: Path) -> None:
    """Through the plugin host: the turn is the caller's organization, else its user."""
    from codeflash_engine.infra.logging import user_id_var
    from codeflash_engine.infra.records import organization_id_var
    from codeflash_engine.plugins.manager import PluginHost

    host = PluginHost(builtins=())
    marker, gate = tmp_path / "m", tmp_path / "gate"

    async def as_caller(user: str, organization: int | None, func: Any, *args: object) -> object:
        user_id_var.set(user)
        organization_id_var.set(organization)
        return await host.in_worker(None, func, *args)

    try:
        RAN.clear()
        first = asyncio.ensure_future(as_caller("u1", 7, _block, str(marker), str(gate)))
        await started(marker)
        calls = [as_caller("u1", 7, _note, "org7-u1-a"), as_caller("u2", 7, _note, "org7-u2")]
        calls += [as_caller("u1", 7, _note, "org7-u1-b"), as_caller("u3", None, _note, "u3")]
        calls += [as_caller("u4", None, _note, "u4")]
        pending = [asyncio.ensure_future(c) for c in calls]
        await asyncio.sleep(0.05)
        gate.touch()
        await bounded(asyncio.gather(first, *pending))
        ran = await bounded(host.in_worker(None, _ran))
    finally:
        host.close()
    # one organization is one tenant, whichever of its users calls; a user without one is another
    assert ran == ["org7-u1-a", "u3", "u4", "org7-u2", "org7-u1-b"]


def test_a_plugin_process_dies_with_the_engine_s_worker(tmp_path: Path) -> None:
    """A worker killed outright (SIGKILL: nothing of it runs any more) takes its plugins' processes
    with it, even one busy in a call: none is left behind holding memory or a core."""
    import subprocess
    import sys

    script = tmp_path / "worker.py"
    script.write_text(
        "import asyncio, os, sys, time\n"
        "from codeflash_engine.plugins import lanes\n"
        "def handle(request):\n"
        "    time.sleep(600) if request == 'hang' else None\n"
        "    return True, os.getpid(), None\n"
        "async def main():\n"
        "    lane = lanes.Lane('doomed', handle)\n"
        "    ok, pid, _ = await lane.run('pid', 10)\n"
        "    print(pid, flush=True)\n"
        "    asyncio.ensure_future(lane.run('hang', 600))\n"
        "    await asyncio.sleep(600)\n"
        "asyncio.run(main())\n"
    )
    worker = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None
        child = int(worker.stdout.readline())
        time.sleep(0.2)  # the hanging call has reached the process
        assert not gone(child)
    finally:
        worker.kill()
        worker.wait(10)
    for _ in range(250):
        if gone(child) or _zombie(child):
            return
        time.sleep(0.02)
    raise AssertionError(f"the plugin's process {child} outlived its engine worker")


def _zombie(pid: int) -> bool:
    """Ended, waiting for its new parent (init) to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


async def test_a_process_is_signalled_once_however_often_it_is_stopped(
    lane: lanes.Lane, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its pid may belong to another process once it is reaped: a second stop sends nothing."""
    from codeflash_engine.plugins import workers

    await value(lane, "pid")
    process = lane._process
    assert process is not None
    sent: list[tuple[int, int]] = []
    real_kill = os.kill

    def kill(pid: int, signum: int) -> None:
        if signum:  # 0 only asks whether it runs (until_gone)
            sent.append((pid, signum))
        real_kill(pid, signum)

    monkeypatch.setattr(workers.os, "kill", kill)
    process.kill()
    process.kill()  # at once, before it is reaped
    await until_gone(process.pid)
    process.kill()  # and after
    process.close()
    assert sent == [(process.pid, signal.SIGKILL)]


@pytest.mark.parametrize("timeout", [0.0, -1.0])
def test_a_call_with_no_time_left_is_a_timeout_and_stops_the_process(timeout: float) -> None:
    """Not a refused socket timeout (negative) nor a non-blocking send taken for a dead process (0)."""
    from codeflash_engine.plugins import workers

    process = workers.PluginProcess.start("toy", handle)
    try:
        assert process.call(("note", "warm"), 10.0)[:2] == (True, "warm")
        with pytest.raises(TimeoutError):
            process.call(("note", "late"), timeout)
        assert "killed by signal 9" in process.ended()
    finally:
        process.close()


def test_how_a_killed_process_ended_is_told_while_its_reaper_is_still_at_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reaper thread has collected the status but not kept it yet: asking waits for it (a wait
    of one's own would find no child, and say only "ended")."""
    from codeflash_engine.plugins import workers

    real_waitpid = os.waitpid

    def slow_to_keep(pid: int, options: int) -> tuple[int, int]:
        reaped = real_waitpid(pid, options)
        if threading.current_thread().name.startswith("reap-"):
            time.sleep(0.3)
        return reaped

    monkeypatch.setattr(workers.os, "waitpid", slow_to_keep)
    process = workers.PluginProcess.start("toy", handle)
    process.kill()
    time.sleep(0.1)  # the reaper has the status by now, and keeps it 0.2 s later
    assert process.ended() == "killed by signal 9 (SIGKILL)"


# --- the worker process itself (plugins.workers) ---------------------------------------------------


@pytest.fixture
def fd_three(tmp_path: Path) -> Iterator[None]:
    """Descriptor 3 (the first one past the standard streams) open on a file of the test's own
    while the test runs, so a child inherits it; whatever held it is put back afterwards."""
    try:
        saved: int | None = os.dup(3)
    except OSError:
        saved = None
    own = os.open(tmp_path / "three", os.O_CREAT | os.O_RDWR)
    os.dup2(own, 3)
    os.close(own)
    try:
        yield
    finally:
        if saved is None:
            os.close(3)
        else:
            os.dup2(saved, 3)
            os.close(saved)


@pytest.mark.usefixtures("fd_three")
@pytest.mark.parametrize("proc", ["listed", "missing"])
def test_every_inherited_descriptor_points_at_dev_null_not_inheritable(
    proc: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Descriptor 3 up: each one but the channel is /dev/null in the child, and not handed on to a
    program it starts; without /proc to list them, every number up to the limit is."""
    from codeflash_engine.plugins import workers

    if proc == "missing":
        listdir = os.listdir

        def no_proc(path: Any = ".") -> list[str]:
            if str(path).startswith("/proc"):
                raise FileNotFoundError(path)
            return listdir(path)

        monkeypatch.setattr(workers.os, "listdir", no_proc)
    listener = socket.create_server(("127.0.0.1", 0))
    inherited = listener.fileno()
    process = workers.PluginProcess.start("toy", handle)
    try:
        ok, fds, _ = process.call(("fd-map",), 10.0)
    finally:
        listener.close()
        process.close()
    assert ok, fds
    others = {fd: seen for fd, seen in fds.items() if fd > 2 and not seen[0].startswith("socket:")}
    assert 3 in others and inherited in others
    assert set(others.values()) == {(os.devnull, False)}, others
    assert sum(target.startswith("socket:") for target, _ in fds.values()) == 1


def test_an_exception_that_comes_back_as_another_kind_travels_as_a_remote_error() -> None:
    from codeflash_engine.plugins import workers

    process = workers.PluginProcess.start("toy", handle)
    try:
        ok, error, _ = process.call(("morph", "changed on the way"), 10.0)
    finally:
        process.close()
    assert not ok
    assert isinstance(error, RemoteError) and error.kind == "Morphing"
    assert str(error) == "Morphing: changed on the way"


def test_an_answer_that_cannot_travel_fails_its_call_and_the_process_serves_on() -> None:
    from codeflash_engine.plugins import workers

    process = workers.PluginProcess.start("toy", handle)
    try:
        ok, error, _ = process.call(("unsendable",), 10.0)
        assert not ok and isinstance(error, Exception), error
        assert "pickle" in f"{type(error).__name__} {error}".lower()
        assert process.call(("note", "after"), 10.0)[:2] == (True, "after")
    finally:
        process.close()


def test_a_remote_error_keeps_the_message_s_first_1000_characters_and_the_trace_s_last_4000() -> None:
    from codeflash_engine.plugins import workers

    process = workers.PluginProcess.start("toy", handle)
    try:
        ok, error, _ = process.call(("unpicklable", "m" * 5000 + "END"), 10.0)
    finally:
        process.close()
    assert not ok and isinstance(error, RemoteError)
    assert str(error) == "Unpicklable: " + "m" * 1000
    assert len(error.trace) == 4000 and error.trace.endswith("END\n")


def test_a_call_with_no_time_left_to_a_process_that_reads_nothing_fails_at_once() -> None:
    """A stopped (or hung) process leaves a large call unsent: the send gives up at the deadline
    (a timeout: the process is stopped), not a second later, and not as a dead process."""
    from codeflash_engine.plugins import workers

    process = workers.PluginProcess.start("toy", handle)
    try:
        assert process.call(("note", "warm"), 10.0)[:2] == (True, "warm")
        os.kill(process.pid, signal.SIGSTOP)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            process.call(("note", "x" * (8 << 20)), 0.0)
        assert time.monotonic() - started < 0.5
        assert process.ended() == "killed by signal 9 (SIGKILL)"
    finally:
        process.close()


def test_a_call_on_a_broken_channel_stops_the_process_and_says_how_it_ended() -> None:
    """A channel that fails while the process still lives (here: stopped, so it can neither read
    nor end) fails the call as a gone process, which is then really gone: asking how it ended
    never waits for a process that would not end by itself."""
    from codeflash_engine.plugins import workers

    process = workers.PluginProcess.start("toy", handle)
    os.kill(process.pid, signal.SIGSTOP)
    process._sock.shutdown(socket.SHUT_WR)  # the engine's side of the channel broken
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            process.call(("note", "lost"), 10.0)
        except BaseException as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    caller.join(10)
    try:
        assert not caller.is_alive(), "the call waited for a process that cannot end"
        assert isinstance(outcome[0], workers.WorkerGone)
        assert str(outcome[0]) == "killed by signal 9 (SIGKILL)"
    finally:
        if caller.is_alive():  # not killed by the call: end it here
            os.kill(process.pid, signal.SIGKILL)


# --- the lane's own edges (plugins.lanes) -------------------------------------------------------


async def test_a_late_failure_nobody_awaits_is_read_and_a_cancelled_wait_left_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A request cancelled just as its call failed leaves the failure read (no "never retrieved"
    error in the log); one cancelled while it waited has nothing to read."""
    loop = asyncio.get_running_loop()
    failed: asyncio.Future[Any] = loop.create_future()
    failed.set_exception(ValueError("late"))
    lanes._retrieved(failed)
    cancelled: asyncio.Future[Any] = loop.create_future()
    cancelled.cancel()
    lanes._retrieved(cancelled)
    del failed
    gc.collect()
    assert "never retrieved" not in caplog.text


async def test_a_call_that_fails_on_the_engine_s_side_leaves_no_process_in_an_unknown_state(
    lane: lanes.Lane,
) -> None:
    """A request that cannot be sent (here: not picklable) fails its own call; the process, whose
    channel may hold half a frame, is replaced for the next one."""
    first = await value(lane, "pid")
    with pytest.raises(Exception, match="pickle"):
        await bounded(lane.run(("note", threading.Lock()), 10.0))
    assert await value(lane, "pid") != first
    assert lane.pid is not None and lane.pid != first


def test_a_lane_never_closed_does_not_keep_the_interpreter_from_exiting(tmp_path: Path) -> None:
    """Its dispatcher thread waits for calls forever: a daemon, so an embedding program ends."""
    script = "from codeflash_engine.plugins import lanes\nlanes.Lane('toy', print)\nprint('made')\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=20)
    assert done.returncode == 0 and done.stdout == "made\n", done.stderr
