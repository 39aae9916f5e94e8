"""Running the service (:mod:`codeflash_engine.serve`), in this process and in forks of it:

- the listening socket (family by host, reusable, inheritable by the workers, backlog 1024);
- a worker's signals (the first stops, later ones are only logged) and its shutdown (both
  sockets served, a connection accepted just before the stop still gets its answer, done
  within a second), and a worker that cannot start exiting with EX_CONFIG;
- ``run``: one worker served here, several under a Supervisor, an unusable port refused;
- the cfapi socket next to port 8000 only;
- the Supervisor: restarts with a doubling pause reset by a stable worker, EX_CONFIG stopping
  everything, SIGTERM forwarded once and the exit status, the kill after the deadline, the
  multiprocess metrics folder, and how a worker's end is described.

Forked workers run a stand-in for ``_worker`` (the real one is run by tests/ops/test_serve.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from codeflash_engine import app as app_module
from codeflash_engine import serve
from codeflash_engine.app import create_app
from codeflash_engine.plugins.manager import PluginLoadError
from codeflash_engine.serve import EX_CONFIG, Supervisor, _describe
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import API_KEY

# --- the listening socket ---------------------------------------------------------------------


def backlog(port: int) -> int:
    """The accept backlog of the socket listening on ``port`` (``ss``: Send-Q of a listener)."""
    out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return int(out.split()[2])


def test_the_listening_socket_is_reusable_inheritable_with_a_1024_backlog() -> None:
    sock = serve._bind("127.0.0.1", 0)
    try:
        assert sock.family == socket.AF_INET
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) != 0
        assert sock.get_inheritable()  # the forked workers accept on it
        if shutil.which("ss") is None:  # pragma: no cover - iproute2 is in the test images
            pytest.skip("no ss to read the backlog with")
        assert backlog(sock.getsockname()[1]) == 1024
    finally:
        sock.close()


def test_an_ipv6_host_gets_an_ipv6_socket() -> None:
    try:
        sock = serve._bind("::1", 0)
    except OSError:  # pragma: no cover - no IPv6 loopback here
        pytest.skip("no IPv6 loopback")
    with sock:
        assert sock.family == socket.AF_INET6


# --- a worker ---------------------------------------------------------------------------------


@contextlib.contextmanager
def loop_signals(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    try:
        yield
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


async def test_the_first_signal_stops_a_worker_and_later_ones_are_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="codeflash_engine.serve")
    loop = asyncio.get_running_loop()
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    with loop_signals(loop):
        stop = asyncio.Event()
        serve._on_signals(loop, stop)
        # both signals are the loop's now (else the kills below would end the test run)
        assert all(signal.getsignal(s) is not before[s] for s in before)
        os.kill(os.getpid(), signal.SIGINT)
        async with asyncio.timeout(2):
            await stop.wait()
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(100):
            if len(caplog.records) >= 2:
                break
            await asyncio.sleep(0.01)
    lines = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert lines == [
        (logging.INFO, "received SIGINT: shutting down gracefully"),
        (
            logging.WARNING,
            "received SIGTERM again: already shutting down (in-flight requests are finishing); SIGKILL forces",
        ),
    ]


@pytest.fixture
def engine_settings_(fake_llm_settings: Callable[..., Settings]) -> Settings:
    settings: Settings = fake_llm_settings(
        models="openai:gpt-4.1=1", codeflash_engine_api_keys=API_KEY, codeflash_engine_loop_monitor_interval=0
    )
    return settings


async def get(port: int, path: str, writer_reader: Any = None) -> bytes:
    reader, writer = writer_reader or await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        async with asyncio.timeout(5):
            return bytes(await reader.read())
    finally:
        writer.close()


async def test_a_worker_serves_both_sockets_and_shuts_down_in_order(engine_settings_: Settings) -> None:
    app = create_app(engine_settings_)
    sock, cfapi = serve._bind("127.0.0.1", 0), serve._bind("127.0.0.1", 0)
    port, cfapi_port = sock.getsockname()[1], cfapi.getsockname()[1]
    loop = asyncio.get_running_loop()
    with loop_signals(loop), sock, cfapi:
        task = asyncio.create_task(serve._serve(app, sock, 5.0, cfapi))
        for _ in range(200):
            with contextlib.suppress(OSError):
                if (await get(port, "/healthcheck")).startswith(b"HTTP/1.1 200"):
                    break
            await asyncio.sleep(0.02)
        assert (await get(cfapi_port, "/healthcheck")).startswith(b"HTTP/1.1 200")  # the same app on both
        early = await asyncio.open_connection("127.0.0.1", port)  # accepted, its request not sent yet
        await asyncio.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)
        stopped = time.monotonic()
        await asyncio.sleep(0.1)
        with pytest.raises(OSError):  # no new connection while the ones accepted settle
            await asyncio.open_connection("127.0.0.1", port)
        # a connection accepted just before the stop still has its request answered
        assert (await get(port, "/healthcheck", early)).startswith(b"HTTP/1.1 200")
        async with asyncio.timeout(5):
            await task
        assert time.monotonic() - stopped < 1.0  # a quarter of a second to settle, not more
        with pytest.raises(OSError):
            await get(port, "/healthcheck")  # no longer listening


@pytest.fixture
def restored_process_state() -> Iterator[None]:
    """_worker, run and the supervisor set signal handlers, the root logger and the metrics mode: put them back."""
    from prometheus_client import values

    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    root = logging.getLogger()
    level, kept = root.level, list(root.handlers)
    value_class = values.ValueClass
    metrics_dir = os.environ.get(serve.MULTIPROC_ENV)
    yield
    values.ValueClass = value_class  # the supervisor switches it to multiprocess mode
    if metrics_dir is None:  # and points the variable at a folder of its own
        os.environ.pop(serve.MULTIPROC_ENV, None)
    else:
        os.environ[serve.MULTIPROC_ENV] = metrics_dir
    for signum, handler in handlers.items():
        signal.signal(signum, handler)
    for added in root.handlers[:]:
        if added not in kept:
            root.removeHandler(added)
    root.setLevel(level)


@pytest.mark.usefixtures("restored_process_state")
def test_a_worker_whose_configuration_is_unusable_exits_with_ex_config(
    fake_llm_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    settings = fake_llm_settings(models="nonsense=x")
    with serve._bind("127.0.0.1", 0) as sock, pytest.raises(SystemExit) as exited:
        serve._worker(settings, sock)
    assert exited.value.code == EX_CONFIG == os.EX_CONFIG  # sysexits.h: what service managers know
    assert "codeflash-engine: cannot start:" in capsys.readouterr().err
    # its handlers are back to the defaults, not the supervisor's
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.usefixtures("restored_process_state")
def test_a_plugin_that_cannot_load_in_strict_mode_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, engine_settings_: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(settings: Settings) -> None:
        raise PluginLoadError("plugin 'broken' could not be loaded: no module named broken")

    monkeypatch.setattr(app_module, "create_app", refuse)
    with serve._bind("127.0.0.1", 0) as sock, pytest.raises(SystemExit) as exited:
        serve._worker(engine_settings_, sock)
    assert exited.value.code == EX_CONFIG
    err = capsys.readouterr().err
    assert "codeflash-engine: cannot start: plugin 'broken' could not be loaded: no module named broken" in err


# --- run ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("restored_process_state")
def test_run_serves_one_worker_here_and_several_under_a_supervisor(
    monkeypatch: pytest.MonkeyPatch, engine_settings_: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="codeflash_engine.serve")
    served: list[tuple[Settings, socket.socket, socket.socket | None]] = []
    supervised: list[int] = []

    class FakeSupervisor:
        def __init__(self, settings: Settings, sock: socket.socket, workers: int, cfapi: Any = None) -> None:
            supervised.append(workers)
            sock.close()

        def run(self) -> int:
            return 3

    monkeypatch.setattr(serve, "_worker", lambda settings, sock, cfapi=None: served.append((settings, sock, cfapi)))
    monkeypatch.setattr(serve, "Supervisor", FakeSupervisor)
    serve.run(engine_settings_, host="127.0.0.1", port=0)  # one worker unless told
    assert supervised == []
    [(settings, sock, cfapi)] = served
    assert settings is engine_settings_ and sock.family == socket.AF_INET and cfapi is None
    port = sock.getsockname()[1]
    sock.close()
    # the line the tests and operators read the port from
    assert f"codeflash-engine listening on http://127.0.0.1:{port} with 1 worker(s)" in caplog.text
    with pytest.raises(SystemExit) as exited:
        serve.run(engine_settings_, host="127.0.0.1", port=0, workers=2)
    assert exited.value.code == 3 and supervised == [2] and len(served) == 1


@pytest.mark.usefixtures("restored_process_state")
def test_run_refuses_a_port_it_cannot_listen_on(engine_settings_: Settings) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit, match=f"codeflash-engine: cannot listen on 127.0.0.1:{port}: "):
            serve.run(engine_settings_, host="127.0.0.1", port=port)


def test_the_default_cfapi_port_is_tried_next_to_port_8000_only(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    tried: list[tuple[str, int]] = []
    real_bind = serve._bind

    def bind(host: str, port: int) -> socket.socket:
        tried.append((host, port))
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(serve, "_bind", bind)
    for ai_port in (7999, 8001, 80):
        assert serve._bind_cfapi(Settings(), "127.0.0.1", ai_port) is None
    assert tried == []
    # the default port taken: a warning, no socket, the start goes on
    assert serve._bind_cfapi(Settings(), "127.0.0.1", 8000) is None
    assert tried == [("127.0.0.1", 3001)]
    # bound: the log says where (a port of its own here, not 3001, which may be taken)
    monkeypatch.setattr(serve, "_bind", lambda host, port: real_bind(host, 0))
    caplog.set_level(logging.INFO, logger="codeflash_engine.serve")
    sock = serve._bind_cfapi(Settings(), "127.0.0.1", 8000)
    assert sock is not None
    with sock:
        port = sock.getsockname()[1]
        assert f"cfapi (the CLI's second service) on http://127.0.0.1:{port}" in caplog.text


# --- the supervisor -----------------------------------------------------------------------------


@attrs.define
class FakeProcess:
    """What the supervisor reads of a reaped worker."""

    pid: int | None
    exitcode: int | None
    joined: bool = False
    #: what multiprocessing.connection.wait watches: a pipe nobody writes (never ready)
    sentinel: int = -1

    def join(self) -> None:
        self.joined = True


@pytest.fixture
def supervisor(engine_settings_: Settings) -> Iterator[Supervisor]:
    sock = serve._bind("127.0.0.1", 0)
    sup = Supervisor(engine_settings_.model_copy(update={"codeflash_engine_shutdown_grace": 7.0}), sock, 2)
    yield sup
    sup._close_socket()


def died(sup: Supervisor, pid: int, code: int | None, lived: float) -> FakeProcess:
    proc = FakeProcess(pid, code)
    sup.children[pid] = (proc, time.monotonic() - lived)  # type: ignore[assignment]
    sup._reap(pid)
    return proc


def test_a_dead_worker_is_replaced_after_a_pause_that_doubles_up_to_30_s(
    supervisor: Supervisor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="codeflash_engine.serve")
    pauses = []
    for pid in range(1, 10):
        now = time.monotonic()
        proc = died(supervisor, pid, 1, lived=1.0)
        assert proc.joined and pid not in supervisor.children
        pauses.append(round(supervisor.pending[-1] - now, 1))
    assert pauses == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert supervisor.exit_code == 0 and not supervisor.stopping
    assert "worker 1 died (exit status 1) after 1.0 s; replacing it in 0.5 s" in caplog.text
    # a worker that lived 30 s resets the pause; one that lived a little less does not
    died(supervisor, 20, -9, lived=29.0)
    assert round(supervisor.pending[-1] - time.monotonic(), 1) == 30.0
    died(supervisor, 21, -9, lived=30.5)
    assert round(supervisor.pending[-1] - time.monotonic(), 1) == 0.5
    died(supervisor, 22, -9, lived=1.0)
    assert round(supervisor.pending[-1] - time.monotonic(), 1) == 1.0
    assert "worker 21 died (killed by SIGKILL) after 30.5 s" in caplog.text


@pytest.fixture
def sleepers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Real processes for the supervisor to signal (sleeping; killed at the end)."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)


def sleeper(procs: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    procs.append(proc)
    return proc


def test_a_worker_that_cannot_start_stops_the_others_with_ex_config(
    supervisor: Supervisor, sleepers: list[subprocess.Popen[bytes]]
) -> None:
    other = sleeper(sleepers)
    supervisor.children[other.pid] = (FakeProcess(other.pid, None), time.monotonic())  # type: ignore[assignment]
    supervisor.pending.append(time.monotonic() + 100)
    started = time.monotonic()
    died(supervisor, 5, EX_CONFIG, lived=0.1)
    assert supervisor.exit_code == EX_CONFIG and supervisor.stopping
    assert supervisor.pending == []  # no replacement
    assert supervisor.sock is None  # the parent's copy is closed
    assert other.wait(5) == -signal.SIGTERM
    # the deadline: the shutdown grace (7 s) plus the margin for the recorder and the pools
    assert supervisor.stop_deadline - started == pytest.approx(7.0 + 25.0, abs=0.5)
    assert supervisor.stopped_at - started == pytest.approx(0.0, abs=0.5)
    # workers exiting afterwards keep EX_CONFIG as the status
    died(supervisor, 6, 1, lived=0.1)
    assert supervisor.exit_code == EX_CONFIG


def test_a_worker_exiting_badly_while_stopping_makes_the_status_1(supervisor: Supervisor) -> None:
    supervisor.stopping = True
    died(supervisor, 7, 0, lived=3.0)
    assert supervisor.exit_code == 0 and supervisor.pending == []
    died(supervisor, 8, -15, lived=3.0)
    assert supervisor.exit_code == 1 and supervisor.pending == []


def test_sigterm_is_forwarded_once(
    supervisor: Supervisor, sleepers: list[subprocess.Popen[bytes]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="codeflash_engine.serve")
    worker = sleeper(sleepers)
    supervisor.children[worker.pid] = (FakeProcess(worker.pid, None), time.monotonic())  # type: ignore[assignment]
    supervisor._on_signal(signal.SIGTERM, None)
    assert worker.wait(5) == -signal.SIGTERM
    assert supervisor.stopping and supervisor.sock is None
    deadline = supervisor.stop_deadline
    supervisor._on_signal(signal.SIGINT, None)
    assert supervisor.stop_deadline == deadline  # not stopped a second time
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert messages == [
        (logging.INFO, "received SIGTERM: stopping 1 worker(s)"),
        (logging.WARNING, "received SIGINT again: already stopping"),
    ]


def test_replacements_start_when_due(supervisor: Supervisor, monkeypatch: pytest.MonkeyPatch) -> None:
    spawned: list[float] = []
    monkeypatch.setattr(supervisor, "_spawn", lambda: spawned.append(time.monotonic()))
    now = time.monotonic()
    supervisor.pending = [now - 1, now + 0.15, now + 100]
    started = time.monotonic()
    supervisor._step()  # no worker to wait for: sleeps until the next one is due (not half a second)
    assert time.monotonic() - started < 0.4
    supervisor._step()
    assert len(spawned) == 2 and supervisor.restarts == 2
    assert supervisor.pending == [now + 100]
    assert all(t >= now + 0.15 for t in spawned[1:])
    supervisor.stopping = True
    supervisor.pending = [now - 1]
    started = time.monotonic()
    supervisor._step()  # stopping: nothing more is started
    assert len(spawned) == 2 and supervisor.restarts == 2
    assert 0.4 < time.monotonic() - started < 1.0  # it looks again every half second
    # past the deadline with every worker gone: nothing to kill, the status stays
    supervisor.stop_deadline = time.monotonic() - 1
    supervisor._step()
    assert supervisor.exit_code == 0 and supervisor.stop_deadline < float("inf")


def test_workers_still_running_after_the_deadline_are_killed(
    supervisor: Supervisor, sleepers: list[subprocess.Popen[bytes]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="codeflash_engine.serve")
    worker = sleeper(sleepers)
    read, write = os.pipe()
    proc = FakeProcess(worker.pid, None, sentinel=read)
    try:
        supervisor.children[worker.pid] = (proc, time.monotonic())  # type: ignore[assignment]
        supervisor.stopping = True
        supervisor.stopped_at = time.monotonic() - 31  # SIGTERM was sent 31 s ago (grace 7 s + margin 25 s)
        supervisor.stop_deadline = supervisor.stopped_at + 32
        supervisor._step()
        assert worker.poll() is None  # before the deadline: left alone
        supervisor.stopped_at -= 2  # and now 33 s ago
        supervisor.stop_deadline -= 2
        supervisor._step()
    finally:
        os.close(read)
        os.close(write)
    assert worker.wait(5) == -signal.SIGKILL
    assert supervisor.exit_code == 1 and supervisor.stop_deadline == float("inf")
    # how long after SIGTERM, not how long after the deadline (it said "0 s" before)
    [seconds] = re.findall(r"workers still running (\d+) s after SIGTERM: killing them", caplog.text)
    assert 33 <= int(seconds) <= 34


def test_how_a_worker_ended_is_described() -> None:
    assert _describe(None) == "still running"
    assert _describe(0) == "exit status 0"
    assert _describe(3) == "exit status 3"
    assert _describe(-9) == "killed by SIGKILL"
    assert _describe(-1) == "killed by SIGHUP"
    assert _describe(-200) == "killed by signal 200"


@pytest.mark.usefixtures("restored_process_state")
def test_the_metrics_folder_is_made_or_emptied_and_removed_only_when_made(
    supervisor: Supervisor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from prometheus_client import values

    single = values.ValueClass
    given = tmp_path / "given"
    given.mkdir()
    (given / "counter_1.db").write_bytes(b"")
    (given / "keep.txt").write_text("x")
    monkeypatch.setenv(serve.MULTIPROC_ENV, str(given))
    supervisor._prepare_metrics()
    assert supervisor.metrics_dir == str(given) and sorted(p.name for p in given.iterdir()) == ["keep.txt"]
    # prometheus_client was imported before the variable was set: its values are switched now
    assert values.ValueClass is not single
    supervisor._cleanup_metrics()
    assert given.exists()
    monkeypatch.delenv(serve.MULTIPROC_ENV)
    other = Supervisor(supervisor.settings, serve._bind("127.0.0.1", 0), 1)
    try:
        other._prepare_metrics()
        made = Path(os.environ[serve.MULTIPROC_ENV])
        assert other.metrics_dir == str(made) and made.is_dir()
        other._cleanup_metrics()
        assert not made.exists()
        other._cleanup_metrics()  # already gone (removed by hand, say): no error at exit
    finally:
        other._close_socket()


# --- the whole supervisor, with forked stand-in workers ----------------------------------------


def stand_in(settings: Settings, sock: socket.socket, cfapi: socket.socket | None = None) -> None:
    """A worker that exits as its settings' environment says: at once with a code, or on SIGTERM."""
    if settings.environment == "parent":  # a worker may start processes of its own
        child = multiprocessing.get_context("fork").Process(target=os._exit, args=(0,))
        child.start()
        child.join()
        os._exit(5)
    if settings.environment.startswith("crash-once:"):  # dies at once the first time only
        mark = Path(settings.environment.partition(":")[2])
        if not mark.exists():
            mark.write_text("crashed")
            os._exit(3)
        settings = settings.model_copy(update={"environment": "-1"})
    code = int(settings.environment)
    if code >= 0:
        os._exit(code)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    time.sleep(10)
    os._exit(1)


def bounded_run(sup: Supervisor, seconds: float = 5.0) -> int:
    """``sup.run()``, ended after ``seconds`` whatever happens (its workers killed, nothing restarted)."""

    def end() -> None:
        sup.stopping = True
        sup.pending.clear()
        for proc, _ in list(sup.children.values()):
            if proc.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)

    watchdog = threading.Timer(seconds, end)
    watchdog.start()
    try:
        return sup.run()
    finally:
        watchdog.cancel()


@pytest.mark.usefixtures("restored_process_state")
def test_the_supervisor_stops_on_ex_config(monkeypatch: pytest.MonkeyPatch, engine_settings_: Settings) -> None:
    monkeypatch.setattr(serve, "_worker", stand_in)
    monkeypatch.delenv(serve.MULTIPROC_ENV, raising=False)
    settings = engine_settings_.model_copy(update={"environment": str(EX_CONFIG)})
    sup = Supervisor(settings, serve._bind("127.0.0.1", 0), 2)
    assert bounded_run(sup) == EX_CONFIG
    assert sup.children == {} and sup.restarts == 0 and sup.sock is None


@pytest.mark.usefixtures("restored_process_state")
def test_the_supervisor_exits_0_once_its_workers_stopped_on_sigterm(
    monkeypatch: pytest.MonkeyPatch, engine_settings_: Settings
) -> None:
    monkeypatch.setattr(serve, "_worker", stand_in)
    monkeypatch.delenv(serve.MULTIPROC_ENV, raising=False)
    sup = Supervisor(engine_settings_.model_copy(update={"environment": "-1"}), serve._bind("127.0.0.1", 0), 2)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        started = time.monotonic()
        assert bounded_run(sup) == 0
        assert time.monotonic() - started < 4
    finally:
        timer.cancel()
    assert sup.children == {} and sup.sock is None and sup.metrics_dir is not None
    assert not Path(sup.metrics_dir).exists()  # its own folder, removed


@pytest.mark.usefixtures("restored_process_state")
def test_a_worker_is_not_daemonic_and_may_start_processes(
    monkeypatch: pytest.MonkeyPatch, engine_settings_: Settings
) -> None:
    monkeypatch.setattr(serve, "_worker", stand_in)
    sup = Supervisor(engine_settings_.model_copy(update={"environment": "parent"}), serve._bind("127.0.0.1", 0), 1)
    try:
        sup._spawn()
        [(proc, _)] = sup.children.values()
        proc.join(10)
        assert proc.exitcode == 5  # a daemonic process may not have children: it would fail with 1
    finally:
        sup._close_socket()


@pytest.mark.usefixtures("restored_process_state")
def test_the_only_worker_dying_is_replaced_not_the_end(
    monkeypatch: pytest.MonkeyPatch, engine_settings_: Settings, tmp_path: Path
) -> None:
    monkeypatch.setattr(serve, "_worker", stand_in)
    monkeypatch.delenv(serve.MULTIPROC_ENV, raising=False)
    settings = engine_settings_.model_copy(update={"environment": f"crash-once:{tmp_path / 'mark'}"})
    sup = Supervisor(settings, serve._bind("127.0.0.1", 0), 1)

    def stop_once_replaced() -> None:
        ends = time.monotonic() + 4
        while sup.restarts == 0 and time.monotonic() < ends:
            time.sleep(0.02)
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = threading.Thread(target=stop_once_replaced)
    stopper.start()
    try:
        assert bounded_run(sup) == 0
    finally:
        stopper.join()
    assert sup.restarts == 1  # supervised on while its one worker waited to be replaced
