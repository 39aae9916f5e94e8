"""Issue 16, classes 6, 7 and 8: slow clients are cut, a client that hangs up mid-body is the
client's doing (info line, counted, no 500, no error record), and a request aiohttp's parser
refuses is answered as JSON without echoing it and logged without header values or traceback.

These run the engine's real server (its runner on a loopback port), spoken to over raw sockets.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import time
import zlib
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from codeflash_engine.app import create_app
from codeflash_engine.http.metrics import METRICS
from codeflash_engine.http.server import engine_runner
from codeflash_engine.http.state import ENGINE
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import API_KEY

TIMEOUT = 0.6
KEEPALIVE = 2.0
SECRET = "cf-" + "s3cr3t" * 6


@pytest_asyncio.fixture
async def served(fake_llm_settings: Callable[..., Settings]) -> AsyncIterator[tuple[web.Application, int]]:
    settings = fake_llm_settings(
        models="openai:gpt-4.1=1",
        codeflash_engine_api_keys=API_KEY,
        codeflash_engine_header_timeout=TIMEOUT,
        codeflash_engine_body_timeout=TIMEOUT,
        codeflash_engine_keepalive_timeout=KEEPALIVE,
    )
    app = create_app(settings)
    runner = engine_runner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield app, port
    finally:
        await runner.cleanup()


def cut(app: web.Application, reason: str) -> float:
    return float(app[METRICS].connections_cut.labels(reason)._value.get())


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sends until it closes the connection (fails after ``seconds``)."""
    async with asyncio.timeout(seconds):
        return await reader.read()


async def test_trickled_headers_are_cut(served: tuple[web.Application, int]) -> None:
    app, port = served
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(20)]
    started = time.monotonic()

    async def trickle(writer: asyncio.StreamWriter) -> None:
        writer.write(b"POST /ai/explain HTTP/1.1\r\nHost: x\r\n")
        for _ in range(40):
            await asyncio.sleep(0.1)
            if writer.is_closing():
                return
            try:
                writer.write(b"X")
                await writer.drain()
            except ConnectionError:
                return

    tasks = [asyncio.create_task(trickle(w)) for _, w in conns]
    for reader, _ in conns:
        await closed_within(reader, 5)
    assert time.monotonic() - started < 3 * TIMEOUT + 1
    for task in tasks:
        task.cancel()
    for _, writer in conns:
        writer.close()
    assert cut(app, "header_timeout") == 20


async def test_a_kept_alive_connection_is_not_cut_while_idle_or_served(served: tuple[web.Application, int]) -> None:
    _, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(2):
        writer.write(b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))[15:])
        await reader.readexactly(length)
        await asyncio.sleep(TIMEOUT * 1.5)  # idle between requests: not a slow header
    writer.close()


async def test_an_idle_kept_alive_connection_is_closed_after_the_keepalive_timeout(
    served: tuple[web.Application, int],
) -> None:
    app, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"connection: close" not in head.lower()
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))[15:])
    await reader.readexactly(length)
    started = time.monotonic()
    assert await closed_within(reader, KEEPALIVE + 5) == b""  # closed by the server, nothing more sent
    assert time.monotonic() - started >= KEEPALIVE - 0.5
    writer.close()
    assert cut(app, "header_timeout") == 0  # an idle connection is not a slow client


async def test_a_trickled_body_gets_408_and_is_closed(served: tuple[web.Application, int]) -> None:
    app, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /ai/explain HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {API_KEY}\r\nContent-Length: 1000\r\n\r\n".encode()
        + b'{"trace_id": "'
    )
    await writer.drain()

    async def trickle() -> None:
        for _ in range(40):
            await asyncio.sleep(0.1)
            try:
                writer.write(b"x")
                await writer.drain()
            except ConnectionError:
                return

    task = asyncio.create_task(trickle())
    started = time.monotonic()
    answer = await closed_within(reader, 5)
    assert time.monotonic() - started < TIMEOUT + 1.5  # answered and closed, no lingering
    task.cancel()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"application/json" in head
    assert b"connection: close" in head.lower()  # said, not only done
    assert "CODEFLASH_ENGINE_BODY_TIMEOUT" in json.loads(body)["error"]
    assert cut(app, "body_timeout") == 1


async def test_a_hang_up_mid_body_is_info_counted_and_recorded_nowhere(
    served: tuple[web.Application, int], caplog: pytest.LogCaptureFixture
) -> None:
    app, port = served
    caplog.set_level(logging.INFO)
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /ai/explain HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {API_KEY}\r\nContent-Length: 5000\r\n\r\n".encode()
        + b'{"trace_id": "hang-up", "source_code": "'
    )
    await writer.drain()
    await asyncio.sleep(0.1)
    writer.close()
    for _ in range(50):
        if cut(app, "client_gone"):
            break
        await asyncio.sleep(0.05)
    assert cut(app, "client_gone") == 1
    await asyncio.sleep(0.1)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [r.getMessage() for r in caplog.records]
    assert any("hung up" in r.getMessage() for r in caplog.records)
    recorder = app[ENGINE].recorder
    await asyncio.sleep(0.05)
    assert recorder.queue_depth == 0
    errors = (await app[ENGINE].store.records_for_trace("hang-up")).errors
    assert errors == []


@pytest.mark.parametrize("bad", [b"\x01", b"\x00", b"\x7f", b"\r"])
async def test_a_control_character_in_authorization_is_neither_echoed_nor_logged(
    served: tuple[web.Application, int], caplog: pytest.LogCaptureFixture, bad: bytes
) -> None:
    _app, port = served
    caplog.set_level(logging.DEBUG)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /ai/explain HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + SECRET.encode()
        + bad
        + b"tail\r\nContent-Length: 2\r\n\r\n{}"
    )
    await writer.drain()
    answer = await closed_within(reader, 5)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1].startswith(b"4"), answer[:300]
    assert b"application/json" in head, head
    assert SECRET.encode()[3:] not in answer
    assert "error" in json.loads(body)
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") + str(r.__dict__) for r in caplog.records)
    assert SECRET[3:] not in logged
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info]


def test_sentry_events_never_carry_a_key() -> None:
    from codeflash_engine.infra.integrations import _sentry_before_send

    event = {
        "logentry": {"message": f"Error handling request: b'Authorization: Bearer {SECRET}\\x01'"},
        "exception": {"values": [{"value": f"Invalid header value: {SECRET}"}]},
        "breadcrumbs": {"values": [{"message": f"token {SECRET}"}]},
    }
    scrubbed = _sentry_before_send(event, {})
    assert SECRET[3:] not in json.dumps(scrubbed)
    assert "[redacted]" in json.dumps(scrubbed)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_body_that_is_not_what_its_content_encoding_says_gets_400(
    served: tuple[web.Application, int], caplog: pytest.LogCaptureFixture, encoding: str
) -> None:
    app, port = served
    caplog.set_level(logging.INFO)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json", "Content-Encoding": encoding}
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.post(f"{base}/ai/optimize", data=b'{"trace_id": "plain"}', headers=headers) as resp:
            assert resp.status == 400
            assert resp.headers.get("Connection", "").lower() == "close"
            error = (await resp.json())["error"]
        assert f"Content-Encoding says ('{encoding}')" in error
        # the same body compressed as the header says is read: it reaches validation (422)
        packed = gzip.compress(b'{"source_code": 1}') if encoding == "gzip" else zlib.compress(b'{"source_code": 1}')
        async with session.post(f"{base}/ai/optimize", data=packed, headers=headers) as resp:
            assert resp.status == 422, await resp.text()
            assert "trace_id" in (await resp.json())["error"]
        async with session.get(f"{base}/healthcheck") as resp:
            assert resp.status == 200
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [r.getMessage() for r in caplog.records]
    assert cut(app, "client_gone") == 0
