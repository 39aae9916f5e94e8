"""The frames both child processes speak (codeflash_engine.infra.frames): whole payloads across
sockets and pipes whatever their size, an end of input or a deadline told apart."""

from __future__ import annotations

import asyncio
import io
import os
import pickle
import socket
import threading
import time

import pytest

from codeflash_engine.infra import frames

#: larger than a socket's or a pipe's buffer, and than several of the loop side's pieces
LARGE = os.urandom(3 * frames.PIECE + 12345)


def test_a_frame_is_its_length_then_its_payload() -> None:
    assert frames.framed(b"abc") == (3).to_bytes(8, "little") + b"abc"
    assert frames.framed(b"") == bytes(8)
    payload = frames.pickled({"a": [1, 2]})
    assert pickle.loads(payload[8:]) == {"a": [1, 2]}
    assert int.from_bytes(payload[:8], "little") == len(payload) - 8


def test_frames_cross_a_socket_whole_in_order_whatever_their_size() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        sender = threading.Thread(target=lambda: theirs.sendall(frames.framed(LARGE) + frames.framed(b"next")))
        sender.start()
        assert frames.recv_frame(ours, time.monotonic() + 10) == LARGE
        assert frames.recv_frame(ours) == b"next"
        sender.join()


@pytest.mark.parametrize("sent", [b"", b"\x05\x00\x00", frames.framed(b"whole")[:-1]])
def test_a_socket_closed_before_a_whole_frame_is_an_end_of_input(sent: bytes) -> None:
    ours, theirs = socket.socketpair()
    with ours:
        theirs.sendall(sent)
        theirs.close()
        with pytest.raises(EOFError):
            frames.recv_frame(ours, time.monotonic() + 10)


def test_a_frame_not_whole_by_the_deadline_is_a_timeout_not_an_end_of_input() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(frames.framed(b"twelve bytes")[:-4])
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            frames.recv_frame(ours, started + 0.2)
        assert 0.15 < time.monotonic() - started < 2.0
        with pytest.raises(TimeoutError):  # a deadline already past: no wait at all
            frames.recv_frame(ours, started - 1)


def test_a_deadline_reached_to_the_tick_is_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """No time left at all is not a wait of zero (a non-blocking read, failing as if the other side
    had gone) but a timeout."""
    monkeypatch.setattr(frames.time, "monotonic", lambda: 100.0)
    ours, theirs = socket.socketpair()
    with ours, theirs, pytest.raises(TimeoutError):
        frames.recv_frame(ours, 100.0)


def test_each_read_waits_only_what_is_left_of_the_deadline() -> None:
    """Pieces arriving one by one, each before the deadline, but the whole after it: a timeout."""
    ours, theirs = socket.socketpair()
    frame = frames.framed(b"0123456789")

    def trickle() -> None:
        for byte in frame:
            time.sleep(0.05)
            try:
                theirs.sendall(bytes([byte]))
            except OSError:
                return

    with ours, theirs:
        sender = threading.Thread(target=trickle)
        sender.start()
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            frames.recv_frame(ours, started + 0.3)
        assert time.monotonic() - started < 0.6
        ours.close()
        sender.join()


def test_frames_through_a_blocking_stream_and_a_cut_one_is_the_end() -> None:
    stream = io.BytesIO()
    frames.write_frame(stream, b"one")
    frames.write_frame(stream, LARGE)
    whole = stream.getvalue()
    reader = io.BytesIO(whole)
    assert frames.read_frame(reader) == b"one"
    assert frames.read_frame(reader) == LARGE
    assert frames.read_frame(reader) is None
    assert frames.read_frame(io.BytesIO(whole[:5])) is None  # a prefix cut short
    cut = io.BytesIO(whole[:-1])
    assert frames.read_frame(cut) == b"one"
    assert frames.read_frame(cut) is None  # a payload cut short


async def test_frames_cross_a_pipe_from_the_event_loop_in_pieces() -> None:
    read_fd, write_fd = os.pipe()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=frames.PIECE)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", 0))
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, os.fdopen(write_fd, "wb", 0))
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    buffered: list[int] = []
    write = writer.write

    def noted(data: bytes | bytearray | memoryview) -> None:
        write(data)
        buffered.append(transport.get_write_buffer_size())

    writer.write = noted  # type: ignore[method-assign]

    payloads = (b"head", b"", b"x", LARGE, b"tail")

    async def send() -> None:
        for payload in payloads:
            await frames.send_frame(writer, payload)

    sending = asyncio.ensure_future(send())
    for payload in payloads:
        assert await frames.receive_frame(reader) == payload
    await sending
    assert max(buffered) <= frames.PIECE + 8  # never the whole payload waiting in the transport
    writer.write(frames.framed(b"cut short")[:-2])
    await writer.drain()
    writer.close()
    with pytest.raises(asyncio.IncompleteReadError):
        await frames.receive_frame(reader)
