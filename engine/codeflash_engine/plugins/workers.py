"""A plugin's worker process: a fork of the engine's worker that runs the plugin's calls, one at a time.

The process is forked when the plugin gets its first call, so it holds the plugins exactly as the
engine loaded them (entry points, builtins and plugins registered in-process alike). It talks to
the engine over a socket pair: each call is one frame (an 8-byte length, then a pickle) each way.
Right after the fork the child lets go of everything it inherited but that socket and the standard
streams: every other descriptor is pointed at ``/dev/null``, so a client connection or a database
socket the engine closes is closed for real, whatever the child is doing. It ignores SIGINT and
SIGTERM (sent to the whole process group, they would cut the calls of the requests the engine is
still draining: the engine ends it), dies with its parent (``PR_SET_PDEATHSIG`` on Linux) and ends
when its socket closes.

The child's answer to a call is ``(ok, value, journal)``: ``value`` is the result, or the exception
when ``ok`` is false; ``journal`` is what :func:`serve` was given to report (the plugin host's failure
records, which the engine keeps). An exception that cannot travel as a pickle is replaced by a
:class:`RemoteError` holding its kind, message and traceback.

A call that must stop (past its time limit) is stopped by killing the process (:meth:`PluginProcess.kill`):
the plugin's next call gets a new one. A process that ends while a call runs (a crash in native
code, ``os._exit`` in the plugin) fails that call with :class:`WorkerGone`.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import signal
import socket
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from typing import Any

from codeflash_engine.infra import frames

#: what the child runs for each call: the unpickled request -> (ok, value, journal)
Handler = Callable[[Any], tuple[bool, Any, Any]]


class WorkerGone(Exception):
    """The plugin's process ended before it answered (its exit status says how)."""


class RemoteError(Exception):
    """An exception raised in the plugin's process that could not be sent back as itself."""

    def __init__(self, kind: str, message: str, trace: str) -> None:
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind
        self.trace = trace

    def __reduce__(self) -> tuple[Any, ...]:
        return (RemoteError, (self.kind, str(self).partition(": ")[2], self.trace))


def _portable(exc: BaseException) -> BaseException:
    """``exc`` when it survives a pickle round trip, else a :class:`RemoteError` that says the same."""
    try:
        back = pickle.loads(pickle.dumps(exc))
    except Exception:
        back = None
    if isinstance(back, BaseException) and type(back) is type(exc):
        return exc
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return RemoteError(type(exc).__name__, str(exc)[:1000], trace[-4000:])


def _release_inherited(keep: int) -> None:
    """Point every inherited descriptor but 0-2 and ``keep`` at /dev/null (never closed: a stale
    object closing "its" number later must not hit a descriptor opened since)."""
    null = os.open(os.devnull, os.O_RDWR)
    try:
        names = os.listdir("/proc/self/fd")
        fds = [int(name) for name in names]
    except OSError:  # no /proc: every number up to the limit
        fds = list(range(3, min(os.sysconf("SC_OPEN_MAX"), 65536)))
    for fd in fds:
        if fd > 2 and fd not in (keep, null):
            with contextlib.suppress(OSError):
                os.dup2(null, fd, inheritable=False)
    os.close(null)


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(0)


def _child(sock: socket.socket, handle: Handler, parent: int) -> None:
    """The child's life: settle in, then answer calls until the socket closes."""
    signal.set_wakeup_fd(-1)
    # a terminal's Ctrl-C or systemd's stop reaches the whole group: the engine's worker drains
    # its requests first (they may still need this process), then closes the socket or kills it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent(parent)
    _release_inherited(sock.fileno())
    gc.freeze()  # the inherited heap is never collected here: fewer pages copied
    while True:
        try:
            body = frames.recv_frame(sock)
        except EOFError:
            return
        try:
            ok, value, journal = handle(pickle.loads(body))
        except BaseException as exc:
            ok, value, journal = False, exc, None
        if not ok:
            value = _portable(value)
        try:
            frame = frames.pickled((ok, value, journal))
        except Exception as exc:
            frame = frames.pickled((False, _portable(exc), journal))
        sock.sendall(frame)


class PluginProcess:
    """The engine's side of one plugin's worker process (blocking: the lane's dispatcher thread
    drives it, so the next call goes out as soon as one is answered, whatever the event loop does)."""

    def __init__(self, name: str, pid: int, sock: socket.socket) -> None:
        self.name = name
        self.pid = pid
        self._sock = sock
        self._status: int | None = None
        self._killed = False
        self._reaper: threading.Thread | None = None

    @classmethod
    def start(cls, name: str, handle: Handler) -> PluginProcess:
        """Fork the worker; ``handle`` answers each call in the child."""
        ours, theirs = socket.socketpair()
        parent = os.getpid()
        with warnings.catch_warnings():
            # Python 3.12+ warns about forking a process with threads: the child only runs plugin
            # code on its own socket, and its inherited locks that matter are reset at fork
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child (its behaviour is tested from the parent)
            try:
                ours.close()
                _child(theirs, handle, parent)
            finally:
                os._exit(0)
        theirs.close()
        return cls(name, pid, ours)

    def call(self, request: object, timeout: float) -> tuple[bool, Any, Any]:
        """Send one call and wait at most ``timeout`` s for its answer: :class:`TimeoutError` past
        it (the process is then killed: its late answer would be taken for the next call's),
        :class:`WorkerGone` when the process ends first (or its channel breaks: it is then killed)."""
        deadline = time.monotonic() + timeout
        try:
            self._sock.settimeout(max(timeout, 0.001))  # 0 would make it non-blocking, < 0 is refused
            self._sock.sendall(frames.pickled(request))
            body = frames.recv_frame(self._sock, deadline)
        except TimeoutError:
            self.kill()
            raise
        except (EOFError, OSError) as exc:
            self.kill()  # ended already (its status stays what it died of), or its channel broke: it goes
            raise WorkerGone(self.ended()) from exc
        answer: tuple[bool, Any, Any] = pickle.loads(body)
        return answer

    def _close_socket(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()

    def kill(self) -> None:
        """Stop the process now (SIGKILL); it is reaped in a thread (a large process takes a while
        to tear down, which nobody waits for). Signalled before its socket is closed: a process
        waiting for its next call would otherwise end on its own, and say so."""
        if not self._killed and self._status is None:  # a second signal could reach a process that reused the pid
            self._killed = True
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            self._reaper = threading.Thread(target=self._reap, name=f"reap-{self.name}", daemon=True)
            self._reaper.start()
        self._close_socket()

    def close(self) -> None:
        """End the process (at shutdown: nothing it does is still awaited)."""
        self.kill()

    def _reap(self) -> None:
        if self._status is not None:
            return
        with contextlib.suppress(ChildProcessError):
            pid, status = os.waitpid(self.pid, 0)
            if pid == self.pid:
                self._status = status

    def ended(self) -> str:
        """How the process ended, in words ("killed by signal 9", "exited with status 3")."""
        if self._reaper is not None:  # killed: its reaper holds the status (a second wait would find no child)
            self._reaper.join()
        else:
            self._reap()
        if self._status is None:
            return "ended"
        if os.WIFSIGNALED(self._status):
            number = os.WTERMSIG(self._status)
            with contextlib.suppress(ValueError):
                return f"killed by signal {number} ({signal.Signals(number).name})"
            return f"killed by signal {number}"
        return f"exited with status {os.waitstatus_to_exitcode(self._status)}"
