"""Servers that tests start in subprocesses listen on a port they bound themselves.

A port picked free, closed, then handed to another process can be taken by anything on the
machine in between. So the servers the tests start bind port 0 and say which port they got, and
the tests read it back: ``codeflash-engine serve --port 0`` logs ``codeflash-engine listening on
http://HOST:PORT`` (at INFO), the fake LLMs print ``fake LLM listening on URL``, the guarded test
app prints its port. (PostgreSQL cannot be handed a bound socket: :mod:`.postgres` retries on a
collision instead.)
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

ENGINE_LISTENING = re.compile(r"codeflash-engine listening on http://\S+?:(\d+) ")
FAKE_LLM_LISTENING = re.compile(r"fake LLM listening on http://\S+?:(\d+)")


def port_from_output(
    path: Path, pattern: re.Pattern[str], proc: subprocess.Popen[Any], *, timeout: float = 60.0
) -> int:
    """The port a process wrote to its output file ``path`` (the first group of ``pattern``).

    RuntimeError, with the output's end, when the process exits first or nothing comes within
    ``timeout`` seconds (a generous bound: it catches a hang, not a slow start).
    """
    ends = time.monotonic() + timeout
    while True:
        text = path.read_text(errors="replace") if path.exists() else ""
        found = pattern.search(text)
        if found is not None:
            return int(found.group(1))
        if proc.poll() is not None:
            raise RuntimeError(f"exited ({proc.returncode}) before it listened: {text[-3000:]}")
        if time.monotonic() > ends:
            raise RuntimeError(f"did not say where it listens within {timeout:g} s: {text[-3000:]}")
        time.sleep(0.05)
