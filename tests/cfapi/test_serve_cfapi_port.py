"""Which cfapi socket ``codeflash-engine serve`` opens next to its main port."""

from __future__ import annotations

import socket

import pytest

from codeflash_engine import serve
from codeflash_engine.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cfapi_is_opened_next_to_port_8000_only_unless_asked_for() -> None:
    assert serve._bind_cfapi(Settings(), "127.0.0.1", 8123) is None  # not the CLI's port: no second socket
    asked = Settings().model_copy(update={"codeflash_engine_cfapi_port": free_port()})
    sock = serve._bind_cfapi(asked, "127.0.0.1", 8123)
    assert sock is not None
    sock.close()
    off = Settings().model_copy(update={"codeflash_engine_cfapi_port": 0})
    assert serve._bind_cfapi(off, "127.0.0.1", 8000) is None


def test_a_port_asked_for_and_taken_stops_the_start_with_a_clear_message() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        asked = Settings().model_copy(update={"codeflash_engine_cfapi_port": taken})
        with pytest.raises(SystemExit, match=f"cannot listen on 127.0.0.1:{taken} for cfapi.*--cfapi-port 0"):
            serve._bind_cfapi(asked, "127.0.0.1", 8000)
