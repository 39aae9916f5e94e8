"""A realistic /ai/optimize workload, a fault-injecting fake LLM, and a load generator.

Shared by the operations tests (``tests/ops``) and the benchmarks (``benchmarks/bench_engine*.py``,
``benchmarks/load*.py``):

- :func:`optimize_body`: an /ai/optimize request for a 20-line Python function, as the CLI sends it;
  :func:`candidate_answer`: a model answer with a valid, distinct rewrite of that function (six
  answers give six candidates after deduplication, as real models mostly do);
- :class:`FaultMix`: a :class:`~codeflash_engine.testing.fake_llm.FakeLLM` responder answering
  a given fraction of calls with a fault (429, 500, a hang, a body that is not JSON, a garbage
  answer), the rest with :func:`candidate_answer`;
- :func:`run_load`: closed-loop (``concurrency`` requests always in flight) or open-loop (Poisson
  arrivals at ``rate`` per second) load against an engine, keeping one :class:`Outcome` per
  request: status, latency, the engine's overhead and LLM time headers, whether the answer is
  what the contract allows (:func:`answer_problem`).

Run the fake standalone (for benchmarks, in its own process)::

    python -m codeflash_engine.testing.load fake --port 8100 --latency 0.5 --fault-rate 0.1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import aiohttp
import attrs

from codeflash_engine.testing.contract import check_candidates
from codeflash_engine.testing.fake_llm import FakeLLM, FakeRequest, Fault, Reply

#: response headers the engine sets on every answer (see ``codeflash_engine.http.context``)
OVERHEAD_HEADER = "X-Codeflash-Overhead-Ms"
LLM_HEADER = "X-Codeflash-LLM-Ms"

BENCH_PATH = "pkg/orders.py"

BENCH_FUNCTION = '''def summarize_orders(orders, threshold):
    """Total and average amount per customer, largest totals first."""
    totals = {}
    counts = {}
    for order in orders:
        customer = order["customer"]
        amount = order["amount"]
        if amount < threshold:
            continue
        if customer not in totals:
            totals[customer] = 0
            counts[customer] = 0
        totals[customer] = totals[customer] + amount
        counts[customer] = counts[customer] + 1
    result = []
    for customer in sorted(totals):
        average = totals[customer] / counts[customer]
        result.append((customer, totals[customer], average))
    result.sort(key=lambda row: row[1], reverse=True)
    return result'''

_INITS = ("defaultdict(int)", "defaultdict(float)", "collections_default()")
_SORTS = ("lambda row: row[1]", "itemgetter(1)")


def _variant(index: int) -> str:
    """One of six distinct (after AST normalisation) faster versions of :data:`BENCH_FUNCTION`."""
    init = _INITS[index % 3]
    key = _SORTS[(index // 3) % 2]
    helper = "def collections_default():\n    return defaultdict(int)\n\n\n" if init == "collections_default()" else ""
    return (
        "from collections import defaultdict\n"
        "from operator import itemgetter\n\n\n"
        f"{helper}"
        "def summarize_orders(orders, threshold):\n"
        '    """Total and average amount per customer, largest totals first."""\n'
        f"    totals = {init}\n"
        f"    counts = {init}\n"
        "    for order in orders:\n"
        '        amount = order["amount"]\n'
        "        if amount >= threshold:\n"
        '            customer = order["customer"]\n'
        "            totals[customer] += amount\n"
        "            counts[customer] += 1\n"
        "    result = [(c, totals[c], totals[c] / counts[c]) for c in sorted(totals)]\n"
        f"    result.sort(key={key}, reverse=True)\n"
        "    return result"
    )


def candidate_answer(index: int) -> str:
    """A model's answer: a sentence of explanation and the rewrite in the contract's fence."""
    return (
        "Accumulate with a defaultdict and skip the membership test; build the result in one "
        f"comprehension (variant {index}).\n\n```python:{BENCH_PATH}\n{_variant(index)}\n```\n"
    )


def optimize_body(trace_id: str | None = None, *, n_candidates: int = 6, marker: str | None = None) -> dict[str, Any]:
    """The /ai/optimize body of CLI 0.20.6 for :data:`BENCH_FUNCTION` (``marker``: a comment in the code)."""
    code = BENCH_FUNCTION if marker is None else f"# {marker}\n{BENCH_FUNCTION}"
    return {
        "source_code": f"```python:{BENCH_PATH}\n{code}\n```",
        "dependency_code": "",
        "trace_id": trace_id or str(uuid.uuid4()),
        "language": "python",
        "language_version": "3.11.7",
        "experiment_metadata": None,
        "codeflash_version": "0.20.6",
        "current_username": None,
        "repo_owner": None,
        "repo_name": None,
        "is_async": False,
        "call_sequence": 1,
        "n_candidates": n_candidates,
        "is_numerical_code": False,
        "rerun_trace_id": None,
    }


# --- the fake's answers ---------------------------------------------------------------------------

FAULT_KINDS = ("rate_limited", "server_error", "hang", "not_json", "garbage")


@attrs.define
class FaultMix:
    """A FakeLLM responder: ``rate`` of the calls get a fault drawn from ``kinds``, the rest an answer.

    Answers cycle through the six variants of :func:`candidate_answer`. A ``hang`` holds the call
    for ``hang_seconds`` (the engine's call timeout must cut it); ``garbage`` is a 200 whose text
    holds no usable code. ``counts`` tallies what was answered, by kind (``ok`` for answers).
    """

    rate: float = 0.0
    kinds: Sequence[str] = FAULT_KINDS
    hang_seconds: float = 30.0
    seed: int | None = None
    counts: dict[str, int] = attrs.field(factory=dict)
    _rng: random.Random = attrs.field(init=False)
    _next: int = attrs.field(init=False, default=0)

    def __attrs_post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def __call__(self, request: FakeRequest) -> Reply | Fault:
        kind = self._rng.choice(list(self.kinds)) if self.rate > 0 and self._rng.random() < self.rate else "ok"
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind == "ok":
            self._next += 1
            return Reply(candidate_answer(self._next % 6))
        if kind == "rate_limited":
            return Fault.rate_limited(retry_after=0.2)
        if kind == "server_error":
            return Fault.server_error()
        if kind == "hang":
            return Fault.hang(self.hang_seconds)
        if kind == "not_json":
            return Fault.not_json()
        if kind == "garbage":
            return Reply("I am sorry, I cannot optimize this. ```python\ndef summarize_orders(:\n```")
        raise ValueError(f"unknown fault kind {kind!r}")


def fault_fake(
    *, latency: float = 0.5, rate: float = 0.0, seed: int | None = None, port: int = 0, hang_seconds: float = 30.0
) -> FakeLLM:
    """A FakeLLM answering :func:`candidate_answer` after ``latency`` s, with ``rate`` of faults."""
    return FakeLLM(
        port=port,
        latency=latency,
        default=FaultMix(rate=rate, seed=seed, hang_seconds=hang_seconds),
        keep_requests=False,
    )


# --- judging answers ------------------------------------------------------------------------------


def answer_problem(status: int, content_type: str, body: bytes, *, deep: bool = True) -> str | None:
    """Why an /ai/optimize answer breaks the contract (None when it is fine).

    A 200 must be JSON with ``optimizations``, each candidate one the CLI keeps (``deep=False``
    checks the keys only, not that the code compiles: cheaper for a load generator sharing the
    machine); anything else must be a JSON error envelope ``{"error": "..."}``.
    """
    if content_type != "application/json":
        return f"{status} with content type {content_type!r}"
    try:
        decoded = json.loads(body)
    except ValueError:
        return f"{status} with a body that is not JSON"
    if status != 200:
        if not (isinstance(decoded, dict) and set(decoded) == {"error"} and isinstance(decoded["error"], str)):
            return f"{status} without the error envelope: {str(decoded)[:200]}"
        return None
    if not isinstance(decoded, dict) or set(decoded) != {"optimizations"}:
        return f"200 without 'optimizations': {str(decoded)[:200]}"
    if not deep:
        keys = {"source_code", "explanation", "optimization_id", "parent_id", "model"}
        if not isinstance(decoded["optimizations"], list) or any(
            not isinstance(c, dict) or not keys <= set(c) for c in decoded["optimizations"]
        ):
            return "200 with a candidate missing keys"
        return None
    try:
        # a load run checks the shape of every answer; an empty list is a valid 200 there
        check_candidates(decoded["optimizations"], empty_ok=True)
    except AssertionError as exc:
        return f"200 with a candidate the CLI would drop or crash on: {exc}"
    return None


# --- load generation ------------------------------------------------------------------------------


@attrs.frozen
class Outcome:
    """One request as the load generator saw it.

    ``status`` is None when no HTTP answer came (``error`` says why: a refused or reset
    connection, or ``timeout`` when nothing came within the generator's limit).
    """

    trace_id: str
    started: float
    seconds: float
    status: int | None
    error: str | None = None
    problem: str | None = None
    overhead_ms: float | None = None
    llm_ms: float | None = None
    candidates: int = 0


def _header_ms(headers: Any, name: str) -> float | None:
    value = headers.get(name)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


async def one_request(
    session: aiohttp.ClientSession,
    url: str,
    api_key: str,
    *,
    limit: float,
    body: dict[str, Any] | None = None,
    marker: bool = False,
    deep: bool = True,
) -> Outcome:
    """POST one /ai/optimize (``body`` or :func:`optimize_body`) and judge the answer."""
    trace_id = str(uuid.uuid4())
    if body is None:
        body = optimize_body(trace_id, marker=trace_id if marker else None)
    else:
        trace_id = str(body.get("trace_id", trace_id))
    headers = {"Authorization": f"Bearer {api_key}", "X-Request-Id": trace_id.replace("-", "")}
    started = time.perf_counter()
    try:
        async with asyncio.timeout(limit):
            async with session.post(url, json=body, headers=headers) as resp:
                raw = await resp.read()
                status, content_type, resp_headers = resp.status, resp.content_type, resp.headers
    except TimeoutError:
        return Outcome(trace_id, started, time.perf_counter() - started, None, error="timeout")
    except (aiohttp.ClientError, OSError) as exc:
        return Outcome(trace_id, started, time.perf_counter() - started, None, error=type(exc).__name__)
    seconds = time.perf_counter() - started
    problem = answer_problem(status, content_type, raw, deep=deep)
    candidates = 0
    if status == 200 and problem is None:
        candidates = len(json.loads(raw)["optimizations"])
    return Outcome(
        trace_id,
        started,
        seconds,
        status,
        problem=problem,
        overhead_ms=_header_ms(resp_headers, OVERHEAD_HEADER),
        llm_ms=_header_ms(resp_headers, LLM_HEADER),
        candidates=candidates,
    )


async def run_load(
    url: str,
    api_key: str,
    *,
    duration: float | None = None,
    requests: int | None = None,
    concurrency: int = 50,
    rate: float | None = None,
    limit: float = 300.0,
    marker: bool = False,
    stop: asyncio.Event | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    seed: int | None = None,
    deep: bool = True,
    pause_on_error: float = 0.0,
) -> list[Outcome]:
    """Send /ai/optimize requests to ``url`` until ``duration`` s or ``requests`` have been sent.

    Closed loop with ``concurrency`` in flight, or, with ``rate``, open loop: Poisson arrivals at
    ``rate`` per second whatever the answers (at most ``concurrency`` * 10 in flight). ``deep``:
    see :func:`answer_problem`; ``pause_on_error``: seconds a closed-loop sender waits after a
    request that got no answer (a refused connection), instead of retrying at once. ``stop``
    ends the sending early. Every request sent is waited for (up to ``limit`` seconds each).
    """
    if duration is None and requests is None:
        raise ValueError("give a duration or a number of requests")
    outcomes: list[Outcome] = []
    ends = time.perf_counter() + duration if duration is not None else float("inf")
    sent = 0

    def more() -> bool:
        nonlocal sent
        if (stop is not None and stop.is_set()) or time.perf_counter() >= ends:
            return False
        if requests is not None and sent >= requests:
            return False
        sent += 1
        return True

    def keep(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        if rate is None:

            async def worker() -> None:
                while more():
                    outcome = await one_request(session, url, api_key, limit=limit, marker=marker, deep=deep)
                    keep(outcome)
                    if outcome.status is None and pause_on_error > 0:
                        await asyncio.sleep(pause_on_error)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        else:
            rng = random.Random(seed)
            tasks: set[asyncio.Task[None]] = set()
            bound = asyncio.Semaphore(concurrency * 10)

            async def fire() -> None:
                try:
                    keep(await one_request(session, url, api_key, limit=limit, marker=marker, deep=deep))
                finally:
                    bound.release()

            next_at = time.perf_counter()
            while more():
                await bound.acquire()
                task = asyncio.create_task(fire())
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                next_at += rng.expovariate(rate)
                delay = next_at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            if tasks:
                await asyncio.gather(*tasks)
    return outcomes


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def summarize(
    outcomes: Iterable[Outcome], *, llm_latency_s: float = 0.0, wall_s: float | None = None
) -> dict[str, Any]:
    """Latency percentiles, statuses, errors and overheads of a run (milliseconds).

    ``overhead`` is end-to-end time minus ``llm_latency_s`` (the fake's fixed latency: the
    slowest LLM call of a request), over the valid 200s (with injected faults it includes retry
    waits); ``engine_overhead`` is what the engine reports in :data:`OVERHEAD_HEADER` (its time
    minus the time its LLM calls were in flight, retry waits included in the latter).
    """
    done = list(outcomes)
    ms = [o.seconds * 1000 for o in done if o.status is not None]
    clean = [o for o in done if o.status == 200 and o.problem is None]
    statuses: dict[str, int] = {}
    for o in done:
        key = str(o.status) if o.status is not None else (o.error or "no answer")
        statuses[key] = statuses.get(key, 0) + 1
    overhead = [o.seconds * 1000 - llm_latency_s * 1000 for o in clean]
    engine = [o.overhead_ms for o in done if o.overhead_ms is not None]
    first = min((o.started for o in done), default=0.0)
    last = max((o.started + o.seconds for o in done), default=0.0)
    wall = wall_s if wall_s is not None else (last - first)

    def pct(values: Sequence[float]) -> dict[str, float]:
        return {
            "p50": round(percentile(values, 50), 1),
            "p90": round(percentile(values, 90), 1),
            "p99": round(percentile(values, 99), 1),
            "max": round(max(values), 1) if values else float("nan"),
        }

    return {
        "requests": len(done),
        "rps": round(len(done) / wall, 1) if wall > 0 else float("nan"),
        "statuses": dict(sorted(statuses.items())),
        "problems": sum(1 for o in done if o.problem is not None),
        "latency_ms": pct(ms),
        "overhead_ms": pct(overhead),
        "engine_overhead_ms": pct(engine),
        "mean_latency_ms": round(statistics.fmean(ms), 1) if ms else float("nan"),
    }


# --- standalone fake ------------------------------------------------------------------------------


async def _serve_fake(args: argparse.Namespace) -> None:
    kinds = tuple(k for k in args.kinds.split(",") if k)
    fake = FakeLLM(
        host=args.host,
        port=args.port,
        latency=args.latency,
        default=FaultMix(rate=args.fault_rate, kinds=kinds, seed=args.seed, hang_seconds=args.hang),
        keep_requests=False,
    )
    await fake.serve_until_signalled()
    responder = fake.default
    if isinstance(responder, FaultMix):
        print(json.dumps({"served": fake.served, "answers": responder.counts}), flush=True)


def main(argv: list[str] | None = None) -> None:
    """``python -m codeflash_engine.testing.load fake ...``: the fault-injecting fake, until SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m codeflash_engine.testing.load")
    sub = parser.add_subparsers(dest="command", required=True)
    fake = sub.add_parser("fake", help="serve the fake LLM with benchmark answers and injected faults")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=0)
    fake.add_argument("--latency", type=float, default=0.5, help="seconds before each answer")
    fake.add_argument("--fault-rate", type=float, default=0.0, help="fraction of calls answered with a fault")
    fake.add_argument("--kinds", default=",".join(FAULT_KINDS), help="comma-separated fault kinds")
    fake.add_argument("--hang", type=float, default=30.0, help="seconds a hang lasts")
    fake.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_fake(args))
    sys.exit(0)


if __name__ == "__main__":
    main()
