"""Validating a request body against its schema: on the event loop, or in a worker process when large.

pydantic parses JSON at about 3 ms per MB and holds the GIL while it does, so a thread would stall
the event loop just the same: one tenant's 15 MB body held every other request for 40 to 70 ms,
and a 64 MB one for over 200 ms. Bodies larger than CODEFLASH_ENGINE_PARSE_WORKER_BYTES are parsed
by one worker process instead, started on the first such body; the loop only waits for the outcome.
A body's outcome is the same either way (:func:`validate` runs in both places).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Literal

import pydantic

from codeflash_engine.errors import EngineError
from codeflash_engine.http.errors import describe_validation_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What validating a body gave: the value (``ok``), or the message of a 400 or a 422."""

    kind: Literal["ok", "malformed", "invalid"]
    value: Any


class ParseWorkerGone(EngineError):
    """503: the worker process parsing a large body stopped (killed, out of memory). A new one starts
    for the next large body; the request may be sent again."""

    status = 503


_ADAPTERS: dict[type[Any], pydantic.TypeAdapter[Any]] = {}


def _adapter(schema: type[Any] | pydantic.TypeAdapter[Any]) -> pydantic.TypeAdapter[Any]:
    if isinstance(schema, pydantic.TypeAdapter):
        return schema
    adapter = _ADAPTERS.get(schema)
    if adapter is None:
        adapter = _ADAPTERS[schema] = pydantic.TypeAdapter(schema)
    return adapter


def validate(schema: type[Any] | pydantic.TypeAdapter[Any], raw: bytes) -> Outcome:
    """``raw`` validated as JSON against ``schema``: the value, or a message naming what was wrong."""
    try:
        return Outcome("ok", _adapter(schema).validate_json(raw))
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if any(err["type"] == "json_invalid" for err in errors):
            return Outcome("malformed", f"request body is not valid JSON: {errors[0]['msg']}")
        return Outcome("invalid", describe_validation_error(exc))


def _start_worker() -> concurrent.futures.ProcessPoolExecutor:
    """A one-process pool whose process is running (starting it costs the calling thread ~50 ms)."""
    # spawn, not fork: the engine has threads (plugin lanes, the executor's own) by now
    executor = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    executor.submit(int).result()
    return executor


class BodyParser:
    """Validates bodies of at most ``worker_bytes`` bytes inline, larger ones in a worker process."""

    def __init__(self, worker_bytes: int) -> None:
        self.worker_bytes = worker_bytes
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._starting = asyncio.Lock()

    async def parse(self, schema: type[Any] | pydantic.TypeAdapter[Any], raw: bytes) -> Outcome:
        """The outcome of :func:`validate`; over ``worker_bytes``, computed by the worker process."""
        if len(raw) <= self.worker_bytes:
            return validate(schema, raw)
        async with self._starting:  # two large bodies at once start one worker
            if self._executor is None:
                self._executor = await asyncio.to_thread(_start_worker)
            executor = self._executor
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, validate, schema, raw)
        except BrokenProcessPool:
            if self._executor is executor:
                self._executor = None
            executor.shutdown(wait=False, cancel_futures=True)
            log.warning("the body parse worker stopped while parsing a %d-byte body: 503", len(raw))
            raise ParseWorkerGone(
                "the worker parsing this large request body stopped; send the request again"
            ) from None

    async def close(self) -> None:
        """Stop the worker process, if one was started (the body it is parsing is abandoned)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
