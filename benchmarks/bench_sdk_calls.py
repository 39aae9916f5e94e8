"""CPU per call of the ways to call the OpenAI SDK, against a bare aiohttp request (issue 19).

The engine keeps the official SDKs as its provider layer; this measures what that costs and
which way of calling the SDK is the lightest. The fake LLM
(``python -m codeflash_engine.testing.fake_llm``, latency 0) runs in a child process, so this
process's CPU time is the caller's alone. ``--calls`` chat completions with the same body (a
2.4 kB system prompt and a 20-line function, about what the engine sends), ``--concurrency`` at
once, after a warm-up; ``--rounds`` alternated rounds, the median reported.

Variants:

- ``bare``: one shared ``aiohttp.ClientSession``, JSON decoded (the floor).
- ``post``: ``client.post("/chat/completions", cast_to=object, body=...)`` over the SDK's aiohttp
  transport, retries off: how the engine calls it (``infra/llm/providers.py``).
- ``post-quiet``: the same with the SDK's ``X-Stainless-*`` telemetry headers omitted
  (``default_headers`` of ``openai.Omit()``).
- ``raw``: ``client.chat.completions.with_raw_response.create(...)``, the JSON decoded by hand
  (the SDK's raw-response API).
- ``typed``: ``client.chat.completions.create(...)`` (the typed API, a pydantic model back).
- ``post-httpx``: ``post`` over the SDK's default httpx transport instead of aiohttp.

    .venv/bin/python benchmarks/bench_sdk_calls.py
    .venv/bin/python benchmarks/bench_sdk_calls.py --calls 5000 --variants bare,post --json
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx2
import openai

from codeflash_engine.testing.fake_llm import API_KEY

sys.path.insert(0, str(Path(__file__).parent))
from bench_llm import start_fake  # the benchmarks folder is not a package

VARIANTS = ("bare", "post", "post-quiet", "raw", "typed", "post-httpx")
BODY: dict[str, Any] = {
    "model": "gpt-4.1",
    "messages": [
        {"role": "system", "content": "You are a performance engineer. " * 75},
        {"role": "user", "content": "def f(values):\n    return sorted(values)\n" * 10},
    ],
}
TELEMETRY = (
    "X-Stainless-Lang",
    "X-Stainless-Package-Version",
    "X-Stainless-OS",
    "X-Stainless-Arch",
    "X-Stainless-Runtime",
    "X-Stainless-Runtime-Version",
    "X-Stainless-Async",
)


def _sdk(base: str, *, aiohttp_transport: bool = True, quiet: bool = False) -> openai.AsyncOpenAI:
    limits = httpx2.Limits(max_connections=1000, max_keepalive_connections=1000, keepalive_expiry=30.0)
    extra: dict[str, Any] = {}
    if aiohttp_transport:
        extra["http_client"] = openai.DefaultAioHttpClient(limits=limits, timeout=httpx2.Timeout(60.0, connect=10.0))
    if quiet:
        extra["default_headers"] = {name: openai.Omit() for name in TELEMETRY}
    return openai.AsyncOpenAI(api_key=API_KEY, base_url=f"{base}/v1", max_retries=0, timeout=60.0, **extra)


async def run(variant: str, base: str, calls: int, concurrency: int) -> float:
    """Milliseconds of this process's CPU per call of ``variant``."""
    session: aiohttp.ClientSession | None = None
    client: openai.AsyncOpenAI | None = None
    one: Callable[[], Awaitable[str]]
    if variant == "bare":
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        bare = session

        async def one() -> str:
            headers = {"Authorization": f"Bearer {API_KEY}"}
            async with bare.post(f"{base}/v1/chat/completions", json=BODY, headers=headers) as resp:
                return str((await resp.json())["choices"][0]["message"]["content"])

    else:
        client = _sdk(base, aiohttp_transport=variant != "post-httpx", quiet=variant == "post-quiet")
        sdk = client
        if variant == "typed":

            async def one() -> str:
                done = await sdk.chat.completions.create(**BODY)
                return str(done.choices[0].message.content)

        elif variant == "raw":

            async def one() -> str:
                raw = await sdk.chat.completions.with_raw_response.create(**BODY)
                return str(json.loads(raw.http_response.content)["choices"][0]["message"]["content"])

        else:

            async def one() -> str:
                data: Any = await sdk.post("/chat/completions", cast_to=object, body=BODY)
                return str(data["choices"][0]["message"]["content"])

    gate = asyncio.Semaphore(concurrency)

    async def gated() -> str:
        async with gate:
            return await one()

    try:
        await asyncio.gather(*(gated() for _ in range(min(300, calls))))  # connections, caches
        gc.collect()
        started = time.process_time()
        answers = await asyncio.gather(*(gated() for _ in range(calls)))
        cpu = time.process_time() - started
    finally:
        if session is not None:
            await session.close()
        if client is not None:
            await client.close()
    assert all(answers), "an empty answer"
    return cpu / calls * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds (the median is reported)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    proc, base = start_fake(0.0)
    try:
        rounds: dict[str, list[float]] = {v: [] for v in variants}
        for _ in range(args.rounds):
            for variant in variants:
                rounds[variant].append(asyncio.run(run(variant, base, args.calls, args.concurrency)))
    finally:
        proc.terminate()
        proc.wait()
    floor = statistics.median(rounds["bare"]) if "bare" in rounds else None
    rows = []
    for variant, values in rounds.items():
        median = statistics.median(values)
        row: dict[str, Any] = {"variant": variant, "cpu_ms_per_call": round(median, 3)}
        row["rounds"] = [round(v, 3) for v in values]
        if floor:
            row["vs_bare"] = round(median / floor, 2)
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{args.calls} calls, {args.concurrency} at once, fake LLM without latency in another process")
    for row in rows:
        ratio = f"  {row['vs_bare']:.2f}x bare" if "vs_bare" in row else ""
        rounds_text = " ".join(f"{v:.3f}" for v in row["rounds"])
        print(f"{row['variant']:11s} {row['cpu_ms_per_call']:.3f} ms CPU per call{ratio}   (rounds {rounds_text})")


if __name__ == "__main__":
    main()
