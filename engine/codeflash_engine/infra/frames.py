"""Frames between the engine and its child processes: an 8-byte length, then that many bytes.

Two children speak it: the body parse worker (:mod:`codeflash_engine.http.parsing`, over pipes,
from the event loop) and the plugins' worker processes (:mod:`codeflash_engine.plugins.workers`,
over a socket pair, from a dispatcher thread). A frame's payload is whatever the two sides agree
on (a pickle, or a request body's raw bytes). Large payloads move a piece at a time on the event
loop's side, so no transport buffer ever holds a whole one.
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import struct
import time
from typing import IO

#: a frame's length prefix
HEADER = struct.Struct("<Q")

#: bytes moved through a pipe per step on the event loop's side: the transport's buffer never holds
#: more (removing what was written from the front of a 60 MB buffer, at every write, held the loop
#: 24 to 82 ms each time)
PIECE = 1024 * 1024


def framed(payload: bytes) -> bytes:
    """``payload`` behind its length prefix."""
    return HEADER.pack(len(payload)) + payload


def pickled(obj: object) -> bytes:
    """A frame holding ``obj``'s pickle."""
    return framed(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def read_frame(stream: IO[bytes]) -> bytes | None:
    """One frame's payload from a blocking stream, or None at end of input (a frame cut short too)."""
    prefix = stream.read(HEADER.size)
    if len(prefix) < HEADER.size:
        return None
    (size,) = HEADER.unpack(prefix)
    data = stream.read(size)
    return data if len(data) == size else None


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    """One frame to a blocking stream, flushed (the payload is written as it is, not copied)."""
    stream.write(HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def recv_frame(sock: socket.socket, deadline: float | None = None) -> bytes:
    """One frame's payload from a blocking socket. :class:`EOFError` when the other side closes
    first; :class:`TimeoutError` once ``time.monotonic()`` passes ``deadline`` (None: no limit)."""
    (size,) = HEADER.unpack(_recv_exact(sock, HEADER.size, deadline))
    return _recv_exact(sock, size, deadline)


def _recv_exact(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)  # positive: CPython rounds it up to 1 ns at least, never to 0 (non-blocking)
        n = sock.recv_into(view[got:])
        if n == 0:
            raise EOFError
        got += n
    return bytes(buffer)


async def send_frame(stream: asyncio.StreamWriter, payload: bytes) -> None:
    """One frame to a stream, a piece at a time, each drained before the next."""
    stream.write(HEADER.pack(len(payload)))
    view = memoryview(payload)
    for start in range(0, len(view), PIECE):
        stream.write(view[start : start + PIECE])
        await stream.drain()
    await stream.drain()


async def receive_frame(stream: asyncio.StreamReader) -> bytes:
    """One frame's payload from a stream, read a piece at a time and joined once;
    :class:`asyncio.IncompleteReadError` when the stream ends first."""
    (size,) = HEADER.unpack(await stream.readexactly(HEADER.size))
    pieces = []
    left = size
    while left > 0:
        piece = await stream.read(min(left, PIECE))
        if not piece:
            raise asyncio.IncompleteReadError(b"", left)
        pieces.append(piece)
        left -= len(piece)
    return b"".join(pieces)
