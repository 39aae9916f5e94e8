"""``codeflash-engine`` with a probe that times every event-loop callback (benchmarks only).

The engine's own loop monitor reports *lag*: how late a timer fires, which adds up every callback
queued ahead of it (fifty requests finishing at once delay it by all their work, each piece short).
*Blocking* is one callback holding the loop: this probe wraps ``asyncio.events.Handle._run`` and
keeps the longest single run (waits for the GIL inside a callback included), writing it to
``$BENCH_PROBE_FILE.<pid>`` whenever it grows. It costs about a microsecond per callback, so the
CPU-per-request runs do not use it.

    python benchmarks/engine_probe.py serve --port 8000      # as ``codeflash-engine serve``
"""

from __future__ import annotations

import asyncio
import asyncio.events
import os
import time
from pathlib import Path
from typing import Any

from aiohttp import web_runner


def install(path: str) -> None:
    """Time every callback of every event loop in this process (and in forked workers), from the
    moment a site starts listening: start-up work before that keeps no request waiting."""
    original = asyncio.events.Handle._run
    start_site = web_runner.BaseSite.start
    longest = {"pid": 0, "seconds": 0.0}
    listening: set[int] = set()

    async def started_site(self: web_runner.BaseSite) -> None:
        await start_site(self)
        # from the next turn of the loop: the current callback may still be finishing start-up
        asyncio.get_running_loop().call_soon(listening.add, os.getpid())

    def timed_run(self: Any) -> None:
        started = time.perf_counter()
        original(self)  # Handle._run never raises: it reports exceptions to the loop's handler
        took = time.perf_counter() - started
        pid = os.getpid()
        if pid not in listening:
            return
        if longest["pid"] != pid:  # a forked worker starts its own record
            longest["pid"], longest["seconds"] = pid, 0.0
        if took > longest["seconds"]:
            longest["seconds"] = took
            Path(f"{path}.{pid}").write_text(f"{took:.6f} {self._callback!r:.200}\n")

    asyncio.events.Handle._run = timed_run  # type: ignore[method-assign]
    web_runner.BaseSite.start = started_site  # type: ignore[method-assign]


def longest_callback(path: str) -> tuple[float, str]:
    """(seconds, what) of the longest callback any probed process recorded under ``path``."""
    best = (0.0, "")
    for file in Path(path).parent.glob(Path(path).name + ".*"):
        seconds, _, what = file.read_text().partition(" ")
        if float(seconds) > best[0]:
            best = (float(seconds), what.strip())
    return best


if __name__ == "__main__":
    install(os.environ["BENCH_PROBE_FILE"])
    from codeflash_engine.cli import main

    main()
