"""The end-to-end runs need the CLI's fixed ports; a taken port is a clear failure, not a hang."""

from __future__ import annotations

import socket

import pytest
from cli_harness import PortTaken, ensure_ports_free


def test_a_taken_port_fails_fast_with_a_clear_message() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(PortTaken, match=f"port {port} is taken.*localhost:8000 and localhost:3001"):
            ensure_ports_free(port)
    ensure_ports_free(port)  # free again once released
