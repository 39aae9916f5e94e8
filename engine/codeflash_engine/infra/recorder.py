"""The background recorder: records are queued without blocking and written in batches to a sink.

The request path only calls :meth:`Recorder.record`, which never waits: it puts the record on a
bounded queue, or counts it in :attr:`Recorder.dropped` when the queue is full. Features records
(telemetry) give way first: once the queue is half full they are shed (:attr:`Recorder.shed`), so
the LLM call records that bill tenants keep the other half. One background
task takes what has accumulated (up to ``batch_size``) and hands it to the sink. When the sink
fails because it is away (the database is down), the same batch is retried with exponential
backoff while new records wait in the queue, which keeps filling up to its bound; when it refuses
the data, the batch is split and the one bad record set aside (:attr:`Recorder.rejected`).
:meth:`Recorder.close` waits until everything queued so far has been written, so a graceful
shutdown loses nothing.

Sinks implement :class:`RecordSink`: :class:`LogSink` (one structured log line per record) lives
here; the database sink writes the ``llm_calls`` and ``optimization_errors`` tables and merges
features records into ``optimization_features`` (one batch, one transaction).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

import attrs

from codeflash_engine.errors import InvalidRequest, ServiceUnavailable
from codeflash_engine.infra.logging import request_id_var, trace_id_var
from codeflash_engine.infra.records import ErrorRecord, FeaturesRecord, LLMCallRecord, Record, organization_id_var
from codeflash_engine.infra.tenancy import WITHHELD, privacy_var, private_features

log = logging.getLogger(__name__)

#: attribute names of logging.LogRecord, which ``extra=`` may not overwrite
_LOG_RECORD_KEYS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RecordSink(Protocol):
    """Where batches of records go. ``write`` raises to ask for the batch to be retried."""

    async def write(self, batch: Sequence[Record]) -> None:
        """Persist ``batch`` entirely, or raise."""
        ...


class LogSink:
    """Writes each record as one structured log line (logger ``codeflash_engine.records``).

    The record's fields become the line's keys (``kind`` says which record it is; fields named
    like a ``logging`` attribute get a ``record_`` prefix: ``record_created``, ``record_message``);
    its trace id goes where every log line carries one.
    """

    def __init__(self, logger: logging.Logger | None = None, *, level: int = logging.INFO) -> None:
        self.logger = logger or logging.getLogger("codeflash_engine.records")
        self.level = level

    async def write(self, batch: Sequence[Record]) -> None:
        if not self.logger.isEnabledFor(self.level):
            return
        for record in batch:
            fields = {
                (f"record_{key}" if key in _LOG_RECORD_KEYS else key): value
                for key, value in record_fields(record).items()
            }
            trace_id = fields.pop("trace_id", None)
            kind = fields["kind"]
            token = trace_id_var.set(trace_id)
            try:
                self.logger.log(self.level, kind, extra=fields)
            finally:
                trace_id_var.reset(token)


def record_fields(record: Record) -> dict[str, Any]:
    """A record as a flat dict of JSON-ready values, with ``kind`` (``llm_call``, ``error`` or
    ``features``; a features record gives the names of its values, not the values: they may hold code)."""
    fields = attrs.asdict(record, recurse=False)
    for key, value in fields.items():
        if isinstance(value, dt.datetime):
            fields[key] = value.isoformat()
    if isinstance(record, FeaturesRecord):
        fields["payload"] = sorted(record.payload)
    fields["kind"] = _KINDS[type(record)]
    return fields


_KINDS: dict[type, str] = {LLMCallRecord: "llm_call", ErrorRecord: "error", FeaturesRecord: "features"}


class Recorder:
    """Bounded, non-blocking hand-off of records to a sink, batched by a background task.

    ``max_queue`` bounds what waits (records beyond it are dropped and counted), ``batch_size``
    bounds one ``write``. ``linger`` (seconds) is how long the first record of a batch waits for
    others before the batch is written: one statement then carries the records of several
    requests instead of a few each (at 50 optimize requests a second, 0.05 s turns about 2.4
    statements a request into about 0.3); :meth:`close` cuts it short. A failing sink is retried
    after ``retry_base`` seconds, doubling up to ``retry_cap``. Use it as an async context
    manager, or call :meth:`start` and :meth:`close`.
    """

    def __init__(
        self,
        sink: RecordSink,
        *,
        max_queue: int = 10_000,
        batch_size: int = 500,
        linger: float = 0.0,
        retry_base: float = 0.2,
        retry_cap: float = 30.0,
        close_timeout: float = 30.0,
    ) -> None:
        self.sink = sink
        self.batch_size = batch_size
        self.linger = linger
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.close_timeout = close_timeout
        self._queue: asyncio.Queue[Record] = asyncio.Queue(maxsize=max_queue)
        self._in_flight = 0
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._closing = asyncio.Event()  # set by close(): a lingering batch is written at once
        self._last_drop_log = 0.0
        #: records refused because the queue was full (or the recorder closed)
        self.dropped = 0
        #: features records refused because the queue was half full (they give way to the others)
        self.shed = 0
        #: records the sink accepted
        self.written = 0
        #: failed ``write`` calls (each retried, or split)
        self.sink_failures = 0
        #: records the sink refused on their own (set aside, logged): never written
        self.rejected = 0

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the background task (in the running event loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="codeflash-engine-recorder")

    async def close(self, grace: float | None = None) -> None:
        """Write everything queued so far, then stop. Records arriving meanwhile are written too.

        If the sink still fails after ``grace`` seconds (default ``close_timeout``), what is
        left is counted in :attr:`dropped` and logged, so shutdown cannot hang on a dead sink.
        """
        if self._closed:
            return
        if self._task is None:
            self.start()
        self._closing.set()
        try:
            await asyncio.wait_for(self._queue.join(), timeout=self.close_timeout if grace is None else grace)
        except TimeoutError:
            lost = self.queue_depth
            self.dropped += lost
            log.error("recorder closed with %d records unwritten: the sink kept failing", lost, extra={"lost": lost})
        finally:
            self._closed = True
            task, self._task = self._task, None
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def __aenter__(self) -> Recorder:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- the request path ---------------------------------------------------------------------

    def record(self, record: Record) -> bool:
        """Queue ``record`` for writing; never blocks. False (and counted) when it was dropped."""
        if self._closed:
            self.dropped += 1
            return False
        if type(record) is ErrorRecord and privacy_var.get():  # privacy mode: no code in error rows
            record = attrs.evolve(record, message=f"{record.error_type} ({WITHHELD})", stack_trace=None)
        elif type(record) is FeaturesRecord:
            if 0 < self._queue.maxsize <= self._queue.qsize() * 2:  # telemetry gives way to billing
                self.shed += 1
                return False
            if privacy_var.get():  # numbers and ids only
                record = attrs.evolve(record, payload=private_features(record.payload))
        elif type(record) is LLMCallRecord and (record.organization_id is None or record.request_id is None):
            # the organization's spend (budgets, usage --by org); the request (requests per day; the
            # LLM client sets it already, so the common case evolves nothing new)
            organization_id = (
                record.organization_id if record.organization_id is not None else organization_id_var.get()
            )
            request_id = record.request_id if record.request_id is not None else request_id_var.get()
            if (organization_id, request_id) != (record.organization_id, record.request_id):
                record = attrs.evolve(record, organization_id=organization_id, request_id=request_id)
        try:
            self._queue.put_nowait(record)
        except asyncio.QueueFull:
            self.dropped += 1
            now = time.monotonic()
            if now - self._last_drop_log > 10.0:
                self._last_drop_log = now
                log.warning(
                    "recorder queue full: dropping records (%d so far)", self.dropped, extra={"dropped": self.dropped}
                )
            return False
        return True

    @property
    def queue_depth(self) -> int:
        """Records waiting or being written."""
        return self._queue.qsize() + self._in_flight

    # --- the background task ------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            batch = [first]
            self._in_flight = 1
            if self.linger > 0 and self._queue.qsize() < self.batch_size - 1 and not self._closing.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), self.linger)
            while len(batch) < self.batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                except asyncio.QueueEmpty:
                    break
            self._in_flight = len(batch)
            try:
                await self._write(batch)
            finally:
                self._in_flight = 0
                for _ in batch:
                    self._queue.task_done()

    async def _write(self, batch: list[Record]) -> None:
        """Write ``batch``; split it when the sink refuses its data, else retry it until written.

        When the sink refuses the data (:func:`is_refusal`: a value PostgreSQL rejects, a
        constraint), the batch is split in halves, each written on its own, down to the single
        record that fails, which is set aside (logged and counted in :attr:`rejected`), so one bad
        record never holds back the others. Any other failure (the sink is away, misconfigured,
        overloaded) gets the whole batch again with backoff: nothing is given up for it.
        """
        delay = self.retry_base
        while True:
            try:
                await self.sink.write(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.sink_failures += 1
                if is_refusal(exc):
                    await self._split(batch, exc)
                    return
                log.warning(
                    "record sink failed (%s); retrying %d records in %.1f s",
                    type(exc).__name__,
                    len(batch),
                    delay,
                    extra={"queue_depth": self.queue_depth, "failures": self.sink_failures},
                )
                await asyncio.sleep(delay)
                delay = min(self.retry_cap, delay * 2)
            else:
                self.written += len(batch)
                return

    async def _split(self, batch: list[Record], exc: Exception) -> None:
        """The sink refused ``batch``: write its halves apart, or set a single record aside."""
        if len(batch) == 1:
            self.rejected += 1
            record = batch[0]
            log.error(
                "record refused by the sink and set aside (%s): a %s record of trace %r",
                type(exc).__name__,
                record_fields(record)["kind"],
                (record.trace_id or "")[:80],
                extra={"rejected": self.rejected, "sink_error": str(exc)[:300]},
            )
            return
        middle = len(batch) // 2
        await self._write(batch[:middle])
        await self._write(batch[middle:])


def is_refusal(exc: BaseException) -> bool:
    """Whether a sink failure means it refused the data (split the batch), not that it is away.

    Refusals: the store's own errors about a value (InvalidRequest), values the driver cannot
    encode (ValueError, TypeError, UnicodeError, OverflowError), and PostgreSQL's data exceptions and constraint
    violations (SQLSTATE classes 22 and 23). An unreachable sink never is.
    """
    if isinstance(exc, ServiceUnavailable | OSError | TimeoutError):
        return False
    if isinstance(exc, InvalidRequest | ValueError | TypeError | UnicodeError | ArithmeticError):
        return True
    state = getattr(exc, "sqlstate", None)
    return isinstance(state, str) and state[:2] in ("22", "23")


class MemorySink:
    """Keeps every record in :attr:`records` (tests, and tools that inspect their own calls)."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    async def write(self, batch: Sequence[Record]) -> None:
        self.records.extend(batch)

    @property
    def llm_calls(self) -> list[LLMCallRecord]:
        """The LLM call records, in order."""
        return [r for r in self.records if isinstance(r, LLMCallRecord)]

    @property
    def errors(self) -> list[ErrorRecord]:
        """The error records, in order."""
        return [r for r in self.records if isinstance(r, ErrorRecord)]


@contextlib.asynccontextmanager
async def open_recorder(sink: RecordSink, **options: Any) -> AsyncIterator[Recorder]:
    """A started recorder, drained and closed on exit (for ``cleanup_ctx``)."""
    recorder = Recorder(sink, **options)
    recorder.start()
    try:
        yield recorder
    finally:
        await recorder.close()
