"""Running the service: one process, or a supervisor with N forked workers sharing one socket.

One worker (the default) serves in this process. With ``--workers N`` the parent binds the
socket, forks N workers that all accept on it, and supervises them:

- a worker that dies (a crash, the OOM killer, ``kill -9``) is replaced, after a pause that
  doubles from 0.5 s up to 30 s while workers keep dying young (reset once one lived 30 s);
- a worker that cannot start because of its configuration (exit code :data:`EX_CONFIG`) is not
  replaced: the supervisor stops the others and exits with that code;
- SIGTERM or SIGINT is forwarded once to every worker; the parent closes its copy of the socket,
  waits for the workers to finish (up to the shutdown grace plus the recorder's drain, then
  SIGKILL) and exits 0 when they all exited cleanly.

Each worker shuts down gracefully on its first SIGTERM/SIGINT: it stops accepting, gives
connections accepted just before a moment to deliver their request, lets the requests in flight
finish for up to ``CODEFLASH_ENGINE_SHUTDOWN_GRACE`` seconds, drains the recorder into the
database and closes its pools. Later signals are ignored (SIGKILL forces).

Metrics with several workers use prometheus_client's multiprocess mode (see
:mod:`codeflash_engine.http.metrics`): the parent prepares ``PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import logging
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from multiprocessing.process import BaseProcess

from aiohttp import web

from codeflash_engine.errors import EngineError
from codeflash_engine.infra.logging import configure_logging
from codeflash_engine.plugins.manager import PluginLoadError
from codeflash_engine.settings import Settings

log = logging.getLogger(__name__)

#: exit status of a worker that cannot start because of its configuration (sysexits.h EX_CONFIG)
EX_CONFIG = 78
#: pause before replacing a dead worker: doubles from the first value up to the second
RESTART_BACKOFF = (0.5, 30.0)
#: a worker that lived this long resets the pause
STABLE_AFTER = 30.0
#: seconds past the shutdown grace the supervisor waits before killing workers (recorder drain and pools)
SHUTDOWN_MARGIN = 25.0
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


#: seconds between closing the listening socket and closing idle connections at shutdown: a
#: connection accepted just before has its request on the way, and closing it then would lose it
SETTLE = 0.25


def _on_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """First SIGTERM/SIGINT: set ``stop``; later ones: ignored, logged (SIGKILL forces)."""
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        if len(received) == 1:
            log.info("received %s: shutting down gracefully", signal.Signals(signum).name)
            stop.set()
            return
        log.warning(
            "received %s again: already shutting down (in-flight requests are finishing); SIGKILL forces",
            signal.Signals(signum).name,
        )

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)


async def _serve(app: web.Application, sock: socket.socket, grace: float, cfapi: socket.socket | None = None) -> None:
    """Serve ``app`` on ``sock`` until a signal, then shut down in order.

    1. stop accepting (the listening socket is closed in this process);
    2. wait :data:`SETTLE` for requests on connections accepted just before;
    3. close idle connections, let requests in flight finish for up to ``grace`` seconds (then
       cancel them), and run the application's cleanup: LLM clients, recorder drain, store.
    """
    from codeflash_engine.http.server import engine_runner  # after the metrics folder is set (see run)

    runner = engine_runner(app, access_log=None, shutdown_timeout=grace, handle_signals=False)
    stop = asyncio.Event()
    _on_signals(asyncio.get_running_loop(), stop)
    await runner.setup()
    try:
        sites = [web.SockSite(runner, s) for s in (sock, cfapi) if s is not None]  # the same app on both ports
        for site in sites:
            await site.start()
        await stop.wait()
        for site in sites:
            await site.stop()
        await asyncio.sleep(SETTLE)
    finally:
        await runner.cleanup()


def _worker(settings: Settings, sock: socket.socket, cfapi: socket.socket | None = None) -> None:
    """Serve on ``sock`` until a signal; exits with :data:`EX_CONFIG` when the configuration is unusable."""
    # forked from the supervisor: drop its handlers until the loop installs ours
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from codeflash_engine.app import create_app

    configure_logging(settings.codeflash_engine_log_level)
    try:
        app = create_app(settings)
        asyncio.run(_serve(app, sock, settings.codeflash_engine_shutdown_grace, cfapi))
    except (EngineError, PluginLoadError) as exc:  # configuration problems: a message, not a traceback
        message = exc.message if isinstance(exc, EngineError) else str(exc)
        log.error("codeflash-engine cannot start: %s", message)
        print(f"codeflash-engine: cannot start: {message}", file=sys.stderr, flush=True)
        sys.exit(EX_CONFIG)
    log.info("worker %d stopped", os.getpid())


def run(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until SIGINT/SIGTERM. With ``workers`` > 1, a parent supervises N children."""
    configure_logging(settings.codeflash_engine_log_level)
    try:
        sock = _bind(host, port)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", host, port, exc)
        sys.exit(f"codeflash-engine: cannot listen on {host}:{port}: {exc.strerror}")
    log.info("codeflash-engine listening on http://%s:%s with %d worker(s)", host, sock.getsockname()[1], workers)
    cfapi = _bind_cfapi(settings, host, port)
    if workers == 1:
        _worker(settings, sock, cfapi)
        return
    # the embedded mode prints one key for all workers instead of one per worker
    from codeflash_engine.infra.db.factory import prepare_embedded

    settings = prepare_embedded(settings)
    sys.exit(Supervisor(settings, sock, workers, cfapi=cfapi).run())


#: the CLI's ``local`` AI service port: serving there, the engine also serves cfapi on its port by default
CLI_LOCAL_PORT = 8000


def _bind_cfapi(settings: Settings, host: str, ai_port: int) -> socket.socket | None:
    """The socket of the CLI's second service (cfapi); None when turned off.

    ``/cfapi`` is served on the main port in any case; this second socket is for the CLI's
    ``local`` mode, which calls localhost:3001. Unless a port is asked for (``--cfapi-port``,
    ``CODEFLASH_ENGINE_CFAPI_PORT``; 0 turns it off), it is opened only next to the CLI's own
    port 8000. A port asked for that cannot be bound stops the start; the default one only gives
    a warning (the AI service still starts).
    """
    port = settings.codeflash_engine_cfapi_port
    explicit = "codeflash_engine_cfapi_port" in settings.model_fields_set
    if port == 0 or (not explicit and ai_port != CLI_LOCAL_PORT):
        return None
    try:
        sock = _bind(host, port)
    except OSError as exc:
        message = f"cannot listen on {host}:{port} for cfapi (the CLI's second service): {exc.strerror}"
        if explicit:
            log.error("%s", message)
            sys.exit(f"codeflash-engine: {message}; free the port, or pass --cfapi-port 0 to turn it off")
        log.warning("%s; serving without it (the CLI's cfapi calls will fail; --cfapi-port N moves it)", message)
        return None
    log.info("cfapi (the CLI's second service) on http://%s:%s", host, sock.getsockname()[1])
    return sock


class Supervisor:
    """Keeps ``workers`` worker processes serving on ``sock``; see the module docstring."""

    def __init__(
        self, settings: Settings, sock: socket.socket, workers: int, cfapi: socket.socket | None = None
    ) -> None:
        self.settings = settings
        self.sock: socket.socket | None = sock
        self.cfapi_sock = cfapi
        self.workers = workers
        self.ctx = multiprocessing.get_context("fork")
        self.children: dict[int, tuple[BaseProcess, float]] = {}  # pid -> (process, started)
        self.pending: list[float] = []  # when each worker to replace may start
        self.backoff = RESTART_BACKOFF[0]
        self.stopping = False
        self.stopped_at = 0.0  # when the stop began (monotonic)
        self.stop_deadline = float("inf")
        self.exit_code = 0
        self.metrics_dir: str | None = None
        self._own_metrics_dir = False
        self.restarts = 0

    # --- lifecycle ---------------------------------------------------------------------------------

    def run(self) -> int:
        """Supervise until every worker has exited after a stop; the exit code for the process."""
        self._prepare_metrics()
        for _ in range(self.workers):
            self._spawn()
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        try:
            while self.children or (self.pending and not self.stopping):
                self._step()
        finally:
            self._close_socket()
            self._cleanup_metrics()
        log.info("supervisor exiting with status %d", self.exit_code)
        return self.exit_code

    def _step(self) -> None:
        sentinels = {proc.sentinel: pid for pid, (proc, _) in self.children.items()}
        timeout = 0.5
        if self.pending and not self.stopping:
            timeout = max(0.0, min(timeout, min(self.pending) - time.monotonic()))
        ready = multiprocessing.connection.wait(list(sentinels), timeout=timeout) if sentinels else []
        if not sentinels:
            time.sleep(timeout)
        for sentinel in ready:
            self._reap(sentinels[sentinel])  # type: ignore[index]
        now = time.monotonic()
        if not self.stopping:
            due = [t for t in self.pending if t <= now]
            for t in due:
                self.pending.remove(t)
                self._spawn()
                self.restarts += 1
        elif now >= self.stop_deadline and self.children:
            log.error("workers still running %.0f s after SIGTERM: killing them", now - self.stopped_at)
            for proc, _ in self.children.values():
                if proc.pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(proc.pid, signal.SIGKILL)
            self.exit_code = 1
            self.stop_deadline = float("inf")

    def _spawn(self) -> None:
        assert self.sock is not None
        proc = self.ctx.Process(
            target=_worker, args=(self.settings, self.sock, self.cfapi_sock), daemon=False, name="codeflash-worker"
        )
        proc.start()
        assert proc.pid is not None
        self.children[proc.pid] = (proc, time.monotonic())
        log.info("worker %d started", proc.pid, extra={"worker_pid": proc.pid})

    def _reap(self, pid: int) -> None:
        proc, started = self.children.pop(pid)
        proc.join()
        code = proc.exitcode
        lived = time.monotonic() - started
        self._mark_dead(pid)
        if self.stopping:
            if code != 0 and self.exit_code == 0:
                self.exit_code = 1
            log.info("worker %d exited (%s)", pid, _describe(code), extra={"worker_pid": pid, "exit_code": code})
            return
        if code == EX_CONFIG:
            log.error("worker %d cannot start (configuration): stopping", pid, extra={"worker_pid": pid})
            self.exit_code = EX_CONFIG
            self._stop(signal.SIGTERM)
            return
        self.backoff = RESTART_BACKOFF[0] if lived >= STABLE_AFTER else self.backoff
        log.error(
            "worker %d died (%s) after %.1f s; replacing it in %.1f s",
            pid,
            _describe(code),
            lived,
            self.backoff,
            extra={"worker_pid": pid, "exit_code": code},
        )
        self.pending.append(time.monotonic() + self.backoff)
        self.backoff = min(RESTART_BACKOFF[1], self.backoff * 2)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.stopping:
            log.warning("received %s again: already stopping", signal.Signals(signum).name)
            return
        log.info("received %s: stopping %d worker(s)", signal.Signals(signum).name, len(self.children))
        self._stop(signal.SIGTERM)

    def _stop(self, signum: int) -> None:
        self.stopping = True
        self.pending.clear()
        self._close_socket()
        self.stopped_at = time.monotonic()
        self.stop_deadline = self.stopped_at + self.settings.codeflash_engine_shutdown_grace + SHUTDOWN_MARGIN
        for proc, _ in self.children.values():
            if proc.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signum)

    def _close_socket(self) -> None:
        """The workers keep their copies; the parent needs none once it will start no more workers."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.cfapi_sock is not None:
            self.cfapi_sock.close()
            self.cfapi_sock = None

    # --- multiprocess metrics ------------------------------------------------------------------

    def _prepare_metrics(self) -> None:
        path = os.environ.get(MULTIPROC_ENV)
        if path:
            os.makedirs(path, exist_ok=True)
            for stale in glob.glob(os.path.join(path, "*.db")):
                os.remove(stale)
        else:
            path = tempfile.mkdtemp(prefix="codeflash-engine-metrics-")
            os.environ[MULTIPROC_ENV] = path
            self._own_metrics_dir = True
        self.metrics_dir = path
        if "prometheus_client" in sys.modules:  # imported before the variable was set: switch it now
            from prometheus_client import values

            values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]

    def _mark_dead(self, pid: int) -> None:
        if self.metrics_dir is None:
            return
        from prometheus_client import multiprocess

        with contextlib.suppress(OSError):
            multiprocess.mark_process_dead(pid, self.metrics_dir)  # type: ignore[no-untyped-call]

    def _cleanup_metrics(self) -> None:
        if self._own_metrics_dir and self.metrics_dir is not None:
            shutil.rmtree(self.metrics_dir, ignore_errors=True)


def _describe(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit status {code}"
