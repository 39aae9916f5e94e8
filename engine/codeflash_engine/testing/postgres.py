"""A throwaway PostgreSQL server from the system binaries, for tests and benchmarks.

Uses ``DATABASE_URL`` when it is set. Otherwise finds ``initdb``/``pg_ctl`` (``pg_config
--bindir`` or ``/usr/lib/postgresql/*/bin``), creates a cluster in a temporary folder, starts it
on a free loopback port (as the ``postgres`` user when running as root: initdb refuses root),
and removes everything on exit.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries on this machine."""


def find_bindir() -> Path:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        if out and (Path(out) / "pg_ctl").exists():
            return Path(out)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise PostgresUnavailable("PostgreSQL binaries (initdb, pg_ctl) not found; install Debian's postgresql")


#: starts tried when the port turns out to be taken
_PORT_ATTEMPTS = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayPostgres:
    """A running temporary cluster; ``dsn`` connects as the superuser ``postgres``."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="cfe-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, text=True)

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        # PostgreSQL binds its port itself: a port picked free may be taken before it starts, so a
        # start that fails on a taken port is tried again on another one
        for attempt in range(_PORT_ATTEMPTS):
            try:
                self.restart()
                return
            except subprocess.CalledProcessError:
                if attempt + 1 == _PORT_ATTEMPTS or not self._port_taken():
                    raise
                self.port = _free_port()

    def _port_taken(self) -> bool:
        log = self.root / "server.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return "could not bind" in text or "already in use" in text or "could not create any TCP/IP sockets" in text

    def restart(self) -> None:
        """Start (or start again after :meth:`stop`) on the same port and data."""
        opts = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "30",
            "-o",
            opts,
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def cleanup(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@contextlib.contextmanager
def scratch_database(server_dsn: str | None = None, prefix: str = "cfe_scratch") -> Iterator[str]:
    """The DSN of a new, empty database in ``server_dsn``'s server (a throwaway server when None),
    dropped (connections and all) at the end."""
    if server_dsn is None:
        with throwaway_postgres() as server, scratch_database(server.dsn, prefix) as dsn:
            yield dsn
        return
    import asyncio

    import asyncpg  # type: ignore[import-untyped]

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(server_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield server_dsn.rpartition("/")[0] + "/" + name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
