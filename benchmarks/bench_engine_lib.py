"""Processes and measures shared by ``bench_engine.py`` and ``load_engine.py``.

Everything runs as separate processes on loopback, as in production: the fake LLM
(``python -m codeflash_engine.testing.load fake``), the engine (``codeflash-engine serve``), a
bare aiohttp passthrough (the floor: six calls to the fake per request, one shared session), and
the load generator in the calling process. CPU is read from ``/proc`` for a process and its
children (the workers), so it stays meaningful when other work shares the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import httpx2
import openai
from aiohttp import web

VENV_BIN = Path(sys.executable).parent
API_KEY = "cf-" + "b" * 43
_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- /proc ---------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()
    except OSError:
        return None


def tree(pid: int) -> list[int]:
    """``pid`` and its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by ``pid`` and each live descendant."""
    out = {}
    for p in tree(pid):
        fields = _stat(p)
        if fields is not None:
            out[p] = (int(fields[11]) + int(fields[12])) / _TICK
    return out


def cpu_spent(before: Mapping[int, float], after: Mapping[int, float]) -> float:
    """CPU seconds between two :func:`cpu_seconds` readings (processes that came or went included)."""
    return sum(cpu - before.get(p, 0.0) for p, cpu in after.items())


def rss_bytes(pid: int) -> dict[int, int]:
    """Resident memory of ``pid`` and each live descendant."""
    out = {}
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/statm") as f:
                out[p] = int(f.read().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            pass
    return out


class MemoryPeak:
    """Samples the resident memory of a process tree every ``interval`` s in the background."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_total = 0
        self.peak_worker = 0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> MemoryPeak:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            sizes = rss_bytes(self.pid)
            self.peak_total = max(self.peak_total, sum(sizes.values()))
            self.peak_worker = max(self.peak_worker, max(sizes.values(), default=0))
            await asyncio.sleep(self.interval)


# --- processes -----------------------------------------------------------------------------------


class Proc:
    """A child process with its log file; stopped by SIGTERM (then SIGKILL) on exit."""

    def __init__(self, args: list[str], env: Mapping[str, str] | None = None, name: str = "proc") -> None:
        self.log_path = Path(tempfile.mkstemp(prefix=f"cfe-bench-{name}-", suffix=".log")[1])
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            args, env={**os.environ, **(env or {})}, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def terminate(self, timeout: float = 90.0) -> int | None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self._log.close()
        return self.popen.returncode

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_http(url: str, timeout: float = 60.0) -> None:
    """Until ``url`` answers 200 (GET)."""
    ends = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > ends:
            raise RuntimeError(f"{url} did not come up")
        time.sleep(0.1)


@contextlib.contextmanager
def fake_llm(latency: float = 0.5, fault_rate: float = 0.0, hang: float = 30.0, seed: int = 1) -> Iterator[str]:
    """The fault-injecting fake LLM in its own process; yields its URL."""
    port = free_port()
    proc = Proc(
        [
            str(VENV_BIN / "python"),
            "-m",
            "codeflash_engine.testing.load",
            "fake",
            "--port",
            str(port),
            "--latency",
            str(latency),
            "--fault-rate",
            str(fault_rate),
            "--hang",
            str(hang),
            "--seed",
            str(seed),
        ],
        name="fake",
    )
    with _listening(proc, port) as url:
        yield url


@contextlib.contextmanager
def _listening(proc: Proc, port: int) -> Iterator[str]:
    """The URL of a fake LLM process once it says it listens (ended on exit)."""
    try:
        ends = time.monotonic() + 30
        while "listening" not in proc.text():
            if time.monotonic() > ends or proc.popen.poll() is not None:
                raise RuntimeError(f"the fake LLM did not start: {proc.text()}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()


@contextlib.contextmanager
def heavy_tail_fake(median: float, sigma: float, jitter: float = 0.0, seed: int = 1) -> Iterator[str]:
    """The fake LLM with lognormal latency in its own process (this file's ``heavy-fake`` mode).

    Every answer is one of the six distinct candidates of ``testing.load``, in turn per
    /ai/optimize request (the request is told by the trace id the load generator writes into the
    code, ``marker=True``), and each drawn delay is keyed by that trace id: read them with
    :func:`drawn_delays`.
    """
    port = free_port()
    proc = Proc(
        [str(VENV_BIN / "python"), __file__, "heavy-fake", str(port), str(median), str(sigma), str(jitter), str(seed)],
        name="heavy-fake",
    )
    with _listening(proc, port) as url:
        yield url


def drawn_delays(fake_url: str) -> dict[str, list[float]]:
    """The delays the heavy-tail fake drew so far, per key (the trace id of marked requests)."""
    with urllib.request.urlopen(f"{fake_url}/_fake/delays", timeout=30) as resp:
        served = json.loads(resp.read())["delays"]
    out: dict[str, list[float]] = {}
    for drawn in served:
        out.setdefault(drawn["key"], []).append(float(drawn["delay"]))
    return out


@contextlib.contextmanager
def staggered_fake(first: float, step: float) -> Iterator[tuple[str, Path]]:
    """The fake LLM answering the calls of each /ai/optimize one after another (this file's
    ``staggered-fake`` mode): the k-th call of a request (told by the trace id the load writes into
    the code) after ``first + k * step`` seconds. Yields its URL and a file where the time each
    answer is due out (epoch seconds) is appended, a JSON line per answer: read it with
    :func:`last_answers`."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-staggered-") as tmp:
        sends = Path(tmp) / "sends.jsonl"
        proc = Proc(
            [str(VENV_BIN / "python"), __file__, "staggered-fake", str(port), str(first), str(step), str(sends)],
            name="staggered-fake",
        )
        with _listening(proc, port) as url:
            yield url, sends


def last_answers(sends: Path) -> dict[str, float]:
    """Per marked trace id, when the fake sent its last answer (epoch seconds)."""
    out: dict[str, float] = {}
    for line in sends.read_text().splitlines():
        item = json.loads(line)
        out[item["key"]] = max(out.get(item["key"], 0.0), float(item["send"]))
    return out


_TRACE_MARK = re.compile(r"# ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def _request_key(request: Any) -> str:
    """The /ai/optimize request a fake's call belongs to: the trace id the load marked in the
    code, else (an unmarked call) a hash of its prompt."""
    from codeflash_engine.testing.fake_llm import prompt_key

    found = _TRACE_MARK.search(request.text)
    return found.group(1) if found else prompt_key(request)


def _serve_heavy_fake(port: int, median: float, sigma: float, jitter: float, seed: int) -> None:
    from codeflash_engine.testing.fake_llm import FakeLLM, FakeRequest, Reply
    from codeflash_engine.testing.load import candidate_answer

    answered: dict[str, int] = {}

    def respond(request: FakeRequest) -> Reply:
        k = _request_key(request)
        answered[k] = answered.get(k, 0) + 1
        return Reply(candidate_answer(answered[k] % 6))

    fake = FakeLLM(
        port=port,
        latency_median=median,
        latency_sigma=sigma,
        latency_jitter=jitter,
        seed=seed,
        default=respond,
        keep_requests=False,
        delay_key=_request_key,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(fake.serve_until_signalled())


def _serve_staggered_fake(port: int, first: float, step: float, sends: str) -> None:
    from codeflash_engine.testing.fake_llm import FakeLLM, FakeRequest, Reply
    from codeflash_engine.testing.load import candidate_answer

    answered: dict[str, int] = {}
    log = open(sends, "a", encoding="utf-8")  # noqa: SIM115 - open for the process's life

    def respond(request: FakeRequest) -> Reply:
        key = _request_key(request)
        k = answered[key] = answered.get(key, -1) + 1
        latency = first + k * step
        log.write(json.dumps({"key": key, "send": time.time() + latency}) + "\n")
        log.flush()
        return Reply(candidate_answer(k % 6), latency=latency)

    fake = FakeLLM(port=port, default=respond, keep_requests=False)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(fake.serve_until_signalled())


def engine_env(fake_url: str, **extra: str) -> dict[str, str]:
    """Environment for an engine talking to the fake: no rate limit in the way, enough LLM slots."""
    env = {
        "OPENAI_API_KEY": "sk-bench-0123456789abcdef",
        "OPENAI_BASE_URL": f"{fake_url}/v1",
        "CODEFLASH_ENGINE_MODELS": "openai:gpt-4.1=1",
        "CODEFLASH_ENGINE_API_KEYS": API_KEY,
        "RATE_LIMIT_MAX": "1000000000",
        "CODEFLASH_ENGINE_LLM_CONCURRENCY": "4096",
        "CODEFLASH_ENGINE_LLM_CONCURRENCY_PER_KEY": "4096",  # one key stands for every tenant here
        "CODEFLASH_ENGINE_LOG_LEVEL": "INFO",
        "CODEFLASH_ENGINE_LOOP_MONITOR_INTERVAL": "0.005",
    }
    for name in ("ANTHROPIC_API_KEY", "AZURE_OPENAI_API_KEY", "AWS_ACCESS_KEY_ID", "DATABASE_URL", "SENTRY_DSN"):
        env[name] = ""
    env.update(extra)
    return env


@contextlib.contextmanager
def engine(fake_url: str, workers: int = 1, *, probe: str | None = None, **extra: str) -> Iterator[tuple[str, Proc]]:
    """``codeflash-engine serve`` on a free port; yields (base URL, process).

    With ``probe`` (a path prefix), the engine runs under ``engine_probe.py``, which records the
    longest single event-loop callback there (read it with :func:`engine_probe.longest_callback`).
    """
    port = free_port()
    serve = ["serve", "--port", str(port), "--workers", str(workers)]
    command = [str(VENV_BIN / "codeflash-engine"), *serve]
    if probe is not None:
        command = [str(VENV_BIN / "python"), str(Path(__file__).parent / "engine_probe.py"), *serve]
        extra = {**extra, "BENCH_PROBE_FILE": probe}
    proc = Proc(command, env=engine_env(fake_url, **extra), name="engine")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthcheck")
        if workers > 1:  # every worker up (each answers /healthcheck once its app is ready)
            ends = time.monotonic() + 60
            while len(tree(proc.pid)) < workers + 1 and time.monotonic() < ends:
                time.sleep(0.1)
            time.sleep(2.0)
        yield base, proc
    finally:
        proc.terminate()


@contextlib.contextmanager
def passthrough(fake_url: str, *, sdk: bool = False, calls: int = 6) -> Iterator[tuple[str, Proc]]:
    """The floor: a bare aiohttp server making ``calls`` calls to the fake per request (six, as
    the engine's fan-out), over one shared aiohttp session; with ``sdk``, through the OpenAI SDK
    instead, configured and called as the engine calls it (aiohttp transport, retries off, the
    generic ``post``): the floor of the provider layer the engine keeps. ``calls=1`` is
    PERFORMANCE.md's anchor unit, "a bare aiohttp passthrough": one request in, one call out."""
    port = free_port()
    proc = Proc(
        [
            str(VENV_BIN / "python"),
            __file__,
            "passthrough-sdk" if sdk else "passthrough",
            str(port),
            fake_url,
            str(calls),
        ],
        name="passthrough",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthcheck")
        yield base, proc
    finally:
        proc.terminate()


def scrape(base: str) -> dict[str, float]:
    """The engine's /metrics as {sample with labels: value} (histogram buckets left out)."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or "_bucket{" in line or not line.strip():
            continue
        name, _, value = line.rpartition(" ")
        with contextlib.suppress(ValueError):
            out[name] = float(value)
    return out


def metric(samples: Mapping[str, float], name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for key, value in samples.items():
        base, _, rest = key.partition("{")
        if base != name:
            continue
        if all(re.search(rf'{k}="{re.escape(v)}"', rest) for k, v in labels.items()):
            total += value
    return total


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2)}


# --- the passthrough server ----------------------------------------------------------------------

_SYSTEM = "You are a performance engineer. " * 75  # about the engine's system prompt (2.4 kB)


def _passthrough_app(fake_url: str, *, sdk: bool = False, calls: int = 6) -> web.Application:
    app = web.Application()
    sessions: list[aiohttp.ClientSession] = []
    clients: list[openai.AsyncOpenAI] = []

    async def session_ctx(app: web.Application) -> Any:
        if sdk:
            limits = httpx2.Limits(max_connections=1000, max_keepalive_connections=1000, keepalive_expiry=30.0)
            http_client = openai.DefaultAioHttpClient(limits=limits, timeout=httpx2.Timeout(60.0, connect=10.0))
            clients.append(
                openai.AsyncOpenAI(
                    api_key="sk-bench", base_url=f"{fake_url}/v1", max_retries=0, timeout=60.0, http_client=http_client
                )
            )
            yield
            await clients[0].close()
            return
        sessions.append(aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)))
        yield
        await sessions[0].close()

    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        payload = {
            "model": "gpt-4.1",
            "messages": [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": body["source_code"]}],
        }
        headers = {"Authorization": "Bearer sk-bench"}

        async def one() -> str:
            if sdk:
                data: Any = await clients[0].post("/chat/completions", cast_to=object, body=payload)
            else:
                async with sessions[0].post(f"{fake_url}/v1/chat/completions", json=payload, headers=headers) as resp:
                    data = await resp.json()
            return str(data["choices"][0]["message"]["content"])

        texts = await asyncio.gather(*(one() for _ in range(calls)))
        return web.json_response(
            {
                "optimizations": [
                    {
                        "source_code": text[text.index("```") :],
                        "explanation": text[: text.index("```")].strip(),
                        "optimization_id": str(uuid.uuid4()),
                        "parent_id": None,
                        "model": "gpt-4.1",
                    }
                    for text in texts
                ]
            }
        )

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.cleanup_ctx.append(session_ctx)
    app.router.add_post("/ai/optimize", handle)
    app.router.add_get("/healthcheck", health)
    return app


if __name__ == "__main__" and len(sys.argv) == 7 and sys.argv[1] == "heavy-fake":
    _serve_heavy_fake(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]))
elif __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "staggered-fake":
    _serve_staggered_fake(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
elif __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] in ("passthrough", "passthrough-sdk"):
    web.run_app(
        _passthrough_app(sys.argv[3], sdk=sys.argv[1] == "passthrough-sdk", calls=int(sys.argv[4])),
        host="127.0.0.1",
        port=int(sys.argv[2]),
        print=None,
        access_log=None,
    )
elif __name__ == "__main__":
    print(json.dumps({"usage": "imported by bench_engine.py and load_engine.py"}))
