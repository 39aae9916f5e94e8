"""Running the service: one process, or several forked worker processes sharing one listening socket."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys

from aiohttp import web

from codeflash_engine.errors import EngineError
from codeflash_engine.infra.logging import configure_logging
from codeflash_engine.plugins.manager import PluginLoadError
from codeflash_engine.settings import Settings

log = logging.getLogger(__name__)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def _worker(settings: Settings, sock: socket.socket) -> None:
    from codeflash_engine.app import create_app

    configure_logging(settings.codeflash_engine_log_level)
    try:
        app = create_app(settings)
        web.run_app(
            app,
            sock=sock,
            print=None,
            shutdown_timeout=settings.codeflash_engine_shutdown_grace,
            access_log=None,
            handle_signals=True,
        )
    except (EngineError, PluginLoadError) as exc:  # configuration problems: a message, not a traceback
        message = exc.message if isinstance(exc, EngineError) else str(exc)
        log.error("codeflash-engine cannot start: %s", message)
        sys.exit(f"codeflash-engine: cannot start: {message}")


def run(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until SIGINT/SIGTERM. With ``workers`` > 1, a parent supervises N children."""
    configure_logging(settings.codeflash_engine_log_level)
    try:
        sock = _bind(host, port)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", host, port, exc)
        sys.exit(f"codeflash-engine: cannot listen on {host}:{port}: {exc.strerror}")
    log.info("codeflash-engine listening on http://%s:%s with %d worker(s)", host, sock.getsockname()[1], workers)
    if workers == 1:
        _worker(settings, sock)
        return
    ctx = multiprocessing.get_context("fork")
    children = [ctx.Process(target=_worker, args=(settings, sock), daemon=False) for _ in range(workers)]
    for child in children:
        child.start()

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            if child.pid and child.is_alive():
                os.kill(child.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for child in children:
        child.join()
