"""Issue 16, class 3: no text can stop the records.

PostgreSQL text and jsonb refuse U+0000 (and UTF-8 cannot hold a lone surrogate): the store makes
every string safe at its boundary, and the recorder splits a batch the sink refuses, setting the
one bad record aside (logged, counted) and writing the others.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
from aiohttp import web
from ops_support import llm_calls

from codeflash_engine.app import create_app
from codeflash_engine.http.metrics import RECORDER
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.safe_text import pg_text, pg_value
from codeflash_engine.infra.recorder import Recorder
from codeflash_engine.infra.records import ErrorRecord, LLMCallRecord, Record
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import EngineClient
from codeflash_engine.testing.fake_llm import FakeLLM

POISON = "poison\u0000x"


def call_record(trace_id: str | None, **over: object) -> LLMCallRecord:
    return LLMCallRecord(trace_id=trace_id, call_type="explain", model_name="gpt-4.1", provider="openai", **over)  # type: ignore[arg-type]


def test_pg_text_replaces_what_postgresql_refuses() -> None:
    assert pg_text("plain") == "plain"
    assert pg_text(POISON) == "poison\ufffdx"
    assert pg_text("a\ud800b") == "a\ufffdb"
    hostile = {"k\u0000": ["v\u0000", 1, None, {"x": "\udfff"}]}
    assert pg_value(hostile) == {"k\ufffd": ["v\ufffd", 1, None, {"x": "\ufffd"}]}


class _Picky:
    """A sink that refuses any batch holding a record whose trace id starts with 'bad'."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.calls = 0

    async def write(self, batch: Sequence[Record]) -> None:
        self.calls += 1
        if any((r.trace_id or "").startswith("bad") for r in batch):
            raise ValueError("invalid byte sequence")
        self.records.extend(batch)


async def test_a_refused_batch_is_split_and_only_the_bad_record_set_aside() -> None:
    sink = _Picky()
    recorder = Recorder(sink, batch_size=64, retry_base=0.01)
    recorder.start()
    for i in range(40):
        recorder.record(call_record("bad-1" if i == 17 else f"ok-{i}"))
    await recorder.close(grace=5)
    assert recorder.rejected == 1
    assert recorder.dropped == 0
    assert sorted(r.trace_id or "" for r in sink.records) == sorted(f"ok-{i}" for i in range(40) if i != 17)
    assert sink.calls < 40  # split by halves, not one write per record


async def test_postgres_store_writes_records_with_nul_and_surrogates(ops_db: str) -> None:
    async with PostgresStore(ops_db, pool_max=2, prune_interval=0) as store:
        async with Recorder(store, retry_base=0.01, close_timeout=10) as recorder:
            recorder.record(call_record(POISON, user_id="u\u0000", error_class="E\ud800"))
            recorder.record(
                ErrorRecord(trace_id=POISON, error_type="T\u0000", message="m\u0000\udc80", stack_trace="\u0000")
            )
            recorder.record(call_record("fine"))
        assert recorder.rejected == 0 and recorder.dropped == 0 and recorder.written == 3
        found = await store.records_for_trace(POISON)
        assert len(found.calls) == 1 and len(found.errors) == 1
        assert found.errors[0].message == "m\ufffd\ufffd"
        assert await store.upsert_features(POISON, None, {"metadata": {"k": "v\ud800"}, "other": "\udfff"})
        features = await store.get_features(POISON)
        assert features is not None and features["metadata"] == {"k": "v\ufffd"}


async def test_a_nul_trace_id_on_explain_does_not_hold_back_later_records(
    ops_db: str,
    ops_key: str,
    fake_llm: FakeLLM,
    fake_llm_settings: Callable[..., Settings],
    aiohttp_client: Callable[[web.Application], Awaitable[EngineClient]],
) -> None:
    fake_llm.reply("A clear explanation of the change.")
    settings = fake_llm_settings(models="openai:gpt-4.1=1", database_url=ops_db, codeflash_engine_request_deadline=20)
    app = create_app(settings)
    client = await aiohttp_client(app)
    auth = {"Authorization": f"Bearer {ops_key}"}
    body = {
        "source_code": "```python:a.py\ndef f(): return 1\n```",
        "optimized_code": "```python:a.py\ndef f(): return 2\n```",
    }
    for trace in (POISON, "after-1", "after-2"):
        resp = await client.post("/ai/explain", data=json.dumps({**body, "trace_id": trace}), headers=auth)
        assert resp.status == 200, await resp.text()
    recorder = app[RECORDER]
    for _ in range(200):
        if recorder.queue_depth == 0 and recorder.written >= 3:
            break
        await asyncio.sleep(0.05)
    assert recorder.queue_depth == 0 and recorder.dropped == 0 and recorder.rejected == 0
    calls = await llm_calls(ops_db)
    assert {"poison\ufffdx", "after-1", "after-2"} <= set(calls)
    conn = await asyncpg.connect(ops_db)
    try:
        assert await conn.fetchval("SELECT count(*) FROM optimization_errors") == 0
    finally:
        await conn.close()


class _Misconfigured:
    """A sink that fails (not about the data) a few times, then works."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.failures = 3

    async def write(self, batch: Sequence[Record]) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError('relation "llm_calls" does not exist')
        self.records.extend(batch)


async def test_a_failure_that_is_not_about_the_data_retries_the_whole_batch() -> None:
    sink = _Misconfigured()
    recorder = Recorder(sink, retry_base=0.01)
    recorder.start()
    for i in range(10):
        recorder.record(call_record(f"t{i}"))
    await recorder.close(grace=5)
    assert recorder.rejected == 0 and len(sink.records) == 10


async def test_postgres_refusing_one_row_writes_the_others(ops_db: str) -> None:
    async with PostgresStore(ops_db, pool_max=2, prune_interval=0) as store:
        async with Recorder(store, retry_base=0.01, close_timeout=10) as recorder:
            for i in range(9):
                recorder.record(call_record(f"row-{i}", tokens_in=2**70 if i == 4 else 1))
        assert recorder.rejected == 1 and recorder.written == 8 and recorder.dropped == 0
        assert len((await store.records_for_trace("row-3")).calls) == 1
        assert (await store.records_for_trace("row-4")).calls == []
