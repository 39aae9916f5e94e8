"""Validating a request body against its schema: on the event loop, or in a worker process when large.

pydantic parses JSON at about 3 ms per MB and holds the GIL while it does, so a thread would stall
the event loop just the same: one tenant's 15 MB body held every other request for 40 to 70 ms,
and a 64 MB one for over 200 ms. Bodies larger than CODEFLASH_ENGINE_PARSE_WORKER_BYTES are parsed
by one worker process instead (``python -m codeflash_engine.http.parsing``), started on the first
such body; the event loop only moves bytes through its pipes. A body's outcome is the same either
way (:func:`validate` runs in both places).

The worker is a plain child process reading frames (:mod:`codeflash_engine.infra.frames`) on stdin, not a
``multiprocessing`` pool: spawning one of those re-imports the parent's ``__main__``, which would
run again a script that embeds the engine without an ``if __name__ == "__main__"`` guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import sys
from dataclasses import dataclass
from typing import IO, Any, Literal

import pydantic

from codeflash_engine.errors import EngineError
from codeflash_engine.http.errors import describe_validation_error
from codeflash_engine.infra import frames

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


class _WorkerEnded(Exception):
    """The worker process ended before answering."""


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


class BodyParser:
    """Validates bodies of at most ``worker_bytes`` bytes inline, larger ones in the worker process.

    One body at a time goes through the worker; a request cancelled while its body is there (the
    client hung up) lets the exchange finish, so the pipes stay in step for the next body. A worker
    found gone when a body arrives is replaced; one that ends while parsing a body costs that
    request a 503 (:class:`ParseWorkerGone`), after one more try on a new worker when it had
    parsed bodies before (it may have ended between two).
    """

    def __init__(self, worker_bytes: int) -> None:
        self.worker_bytes = worker_bytes
        self._worker: asyncio.subprocess.Process | None = None
        self._turn = asyncio.Lock()

    @property
    def worker_pid(self) -> int | None:
        """The worker process's id, while one runs."""
        return self._worker.pid if self._worker is not None else None

    async def parse(self, schema: type[Any] | pydantic.TypeAdapter[Any], raw: bytes) -> Outcome:
        """The outcome of :func:`validate`; over ``worker_bytes``, computed by the worker process."""
        if len(raw) <= self.worker_bytes:
            return validate(schema, raw)
        exchange = asyncio.ensure_future(self._exchange(schema, raw))
        exchange.add_done_callback(_retrieved)  # a request cancelled meanwhile leaves nobody to read it
        return await asyncio.shield(exchange)

    async def _exchange(self, schema: type[Any] | pydantic.TypeAdapter[Any], raw: bytes) -> Outcome:
        async with self._turn:
            if self._worker is not None:  # it may have ended since its last body: then a new one gets it
                with contextlib.suppress(_WorkerEnded):
                    return await self._ask(self._worker, schema, raw)
            try:
                return await self._ask(await _start_worker(), schema, raw)
            except _WorkerEnded:
                log.warning("the body parse worker stopped while parsing a %d-byte body: 503", len(raw))
                raise ParseWorkerGone(
                    "the worker parsing this large request body stopped; send the request again"
                ) from None

    async def _ask(
        self, worker: asyncio.subprocess.Process, schema: type[Any] | pydantic.TypeAdapter[Any], raw: bytes
    ) -> Outcome:
        """The worker's outcome for one body; :class:`_WorkerEnded` if it ends first (then it is forgotten)."""
        self._worker = worker
        assert worker.stdin is not None and worker.stdout is not None
        try:
            await frames.send_frame(worker.stdin, pickle.dumps(schema))
            await frames.send_frame(worker.stdin, raw)
            outcome = pickle.loads(await frames.receive_frame(worker.stdout))
        except (ConnectionError, asyncio.IncompleteReadError):
            self._worker = None
            await _stop(worker)
            raise _WorkerEnded from None
        assert isinstance(outcome, Outcome)
        return outcome

    async def close(self) -> None:
        """Stop the worker process, if one was started (waiting for the body it is parsing, if any)."""
        async with self._turn:
            worker, self._worker = self._worker, None
            if worker is not None:
                await _stop(worker)


def _retrieved(exchange: asyncio.Future[Outcome]) -> None:
    """An exchange's failure is read even when its request was cancelled (no "never retrieved")."""
    if not exchange.cancelled():
        exchange.exception()


async def _start_worker() -> asyncio.subprocess.Process:
    """The worker process: this interpreter running :func:`_serve`, in a session of its own (a
    terminal's Ctrl-C is the engine's to handle; the worker ends when its stdin closes)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        __name__,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        start_new_session=True,
        limit=frames.PIECE,  # what the reader buffers before it pauses the pipe
    )


async def _stop(worker: asyncio.subprocess.Process) -> None:
    """Close the worker's stdin (it exits at end of input); kill it if it has not within a second."""
    if worker.stdin is not None:
        worker.stdin.close()
    try:
        await asyncio.wait_for(worker.wait(), timeout=1.0)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            worker.kill()
        await worker.wait()


def _serve(incoming: IO[bytes], outgoing: IO[bytes]) -> None:
    """The worker's loop: a frame holding the pickled schema, a frame holding the body; answer with
    a frame holding the pickled :class:`Outcome`. Ends at end of input."""
    while (head := frames.read_frame(incoming)) is not None and (raw := frames.read_frame(incoming)) is not None:
        frames.write_frame(outgoing, pickle.dumps(validate(pickle.loads(head), raw), protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    # the module's own classes, not this __main__ copy's: the engine unpickles codeflash_engine's Outcome
    from codeflash_engine.http import parsing

    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        parsing._serve(sys.stdin.buffer, sys.stdout.buffer)
    os._exit(0)  # nothing to flush: the answers are written; skip the interpreter's teardown
