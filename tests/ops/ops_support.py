"""Helpers of the operations tests: engines in subprocesses, the records in PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import attrs

from codeflash_engine.testing.fake_llm import API_KEY as FAKE_OPENAI_KEY
from codeflash_engine.testing.ports import ENGINE_LISTENING, port_from_output


async def admin(server_dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def llm_calls(dsn: str, trace_ids: Sequence[str] | None = None) -> dict[str, list[str]]:
    """The outcomes of the ``llm_calls`` rows per trace id (every trace when None)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT trace_id, outcome, user_id FROM llm_calls")
    finally:
        await conn.close()
    out: dict[str, list[str]] = {}
    for row in rows:
        if trace_ids is None or row["trace_id"] in trace_ids:
            out.setdefault(row["trace_id"], []).append(row["outcome"])
    return out


async def features_kept(dsn: str) -> dict[str, set[str]]:
    """What each trace's ``optimization_features`` row holds: ``original_code`` when it has one,
    and the keys of its ``extra``."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT trace_id, original_code IS NOT NULL AS coded, extra FROM optimization_features")
    finally:
        await conn.close()
    out: dict[str, set[str]] = {}
    for row in rows:
        extra = json.loads(row["extra"]) if isinstance(row["extra"], str) else dict(row["extra"] or {})
        out[row["trace_id"]] = {*extra, *(["original_code"] if row["coded"] else [])}
    return out


async def wait_for_rows(dsn: str, expected: int, *, timeout: float = 20.0) -> int:
    """Poll until ``llm_calls`` holds ``expected`` rows (the recorder writes in the background)."""
    ends = time.monotonic() + timeout
    count = -1
    while time.monotonic() < ends:
        conn = await asyncpg.connect(dsn)
        try:
            count = int(await conn.fetchval("SELECT count(*) FROM llm_calls"))
        finally:
            await conn.close()
        if count >= expected:
            return count
        await asyncio.sleep(0.2)
    return count


@attrs.define
class EngineProcess:
    """``codeflash-engine serve`` in a subprocess (its own session, so signals reach only it)."""

    popen: subprocess.Popen[bytes]
    base: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout)


def engine_env(fake_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEFLASH_", "ANTHROPIC", "AZURE", "AWS_"))}
    env.update(
        {
            "OPENAI_API_KEY": FAKE_OPENAI_KEY,
            "OPENAI_BASE_URL": f"{fake_url}/v1",
            "CODEFLASH_ENGINE_MODELS": "openai:gpt-4.1=1",
            "RATE_LIMIT_MAX": "1000000",
            "CODEFLASH_ENGINE_LOG_LEVEL": "INFO",
        }
    )
    env.pop("DATABASE_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(extra)
    return env


@contextlib.contextmanager
def engine_process(
    tmp_path: Path, env: dict[str, str], *, workers: int = 1, wait: bool = True
) -> Iterator[EngineProcess]:
    """Start the engine on a port it binds itself (``--port 0``, read back from its log; the log
    level must be INFO or lower); SIGKILL whatever is left at the end."""
    log_path = Path(tempfile.mkstemp(prefix="engine-", suffix=".log", dir=tmp_path)[1])
    exe = Path(sys.executable).with_name("codeflash-engine")
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(
            [str(exe), "serve", "--port", "0", "--workers", str(workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        port = port_from_output(log_path, ENGINE_LISTENING, popen)
    except RuntimeError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGKILL)
        popen.wait(10)
        raise
    proc = EngineProcess(popen, f"http://127.0.0.1:{port}", log_path)
    try:
        if wait:
            wait_ready(proc, workers)
        yield proc
    finally:
        if popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGKILL)
            popen.wait(10)


def wait_ready(proc: EngineProcess, workers: int = 1, timeout: float = 60.0) -> None:
    """Until /healthcheck answers and every worker has logged that it serves."""
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"the engine exited: {proc.log()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{proc.base}/healthcheck", timeout=2) as resp:
                if resp.status == 200 and (workers == 1 or proc.log().count("LLM providers:") >= workers):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the engine did not come up: {proc.log()[-3000:]}")


def bearer(key: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {key}"}
