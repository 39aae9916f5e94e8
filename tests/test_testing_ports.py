"""Servers the tests start listen on ports they bound themselves; PostgreSQL retries a taken port."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from codeflash_engine.testing import postgres
from codeflash_engine.testing.ports import FAKE_LLM_LISTENING, port_from_output


def test_the_fake_llm_says_the_port_it_bound(tmp_path: Path) -> None:
    out = tmp_path / "fake.log"
    with (
        out.open("wb") as log,
        subprocess.Popen(
            [sys.executable, "-m", "codeflash_engine.testing.fake_llm", "--port", "0"], stdout=log
        ) as fake,
    ):
        try:
            port = port_from_output(out, FAKE_LLM_LISTENING, fake)
            with socket.create_connection(("127.0.0.1", port), timeout=10):
                pass
        finally:
            fake.terminate()


def test_a_process_that_exits_before_listening_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "out.log"
    with (
        out.open("wb") as log,
        subprocess.Popen([sys.executable, "-c", "print('no port')"], stdout=log) as proc,
        pytest.raises(RuntimeError, match="before it listened: no port"),
    ):
        port_from_output(out, FAKE_LLM_LISTENING, proc, timeout=60)


@pytest.mark.slow
def test_throwaway_postgres_moves_off_a_taken_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """The port PostgreSQL was given is taken before it starts: it starts on another one."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = int(taken.getsockname()[1])
        picks = iter([busy])
        original = postgres._free_port
        monkeypatch.setattr(postgres, "_free_port", lambda: next(picks, None) or original())
        with postgres.throwaway_postgres() as server:
            assert server.port != busy
            out = subprocess.run(
                [str(server.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(server.port)],
                capture_output=True,
                check=False,
            )
            assert out.returncode == 0, out
