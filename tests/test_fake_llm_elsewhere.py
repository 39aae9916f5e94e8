"""The fake LLM in a child process (testing.fake_llm.fake_llm_elsewhere): it answers the text of a
file as it is at each request, and it is gone when the block ends."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from codeflash_engine.testing import fake_llm
from codeflash_engine.testing.fake_llm import fake_llm_elsewhere


def answer_of(url: str) -> str:
    """The text of the fake's answer to one OpenAI chat completion."""
    body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "Optimize this."}]}
    request = urllib.request.Request(
        f"{url}/v1/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk-fake"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    text = answer["choices"][0]["message"]["content"]
    assert isinstance(text, str)
    return text


def address(url: str) -> tuple[str, int]:
    """The host and port of ``http://host:port``."""
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname is not None and parts.port is not None, url
    return parts.hostname, parts.port


def test_it_answers_the_file_as_it_is_at_each_request(tmp_path: Path) -> None:
    answer_file = tmp_path / "answer.txt"
    answer_file.write_text("first answer")
    with fake_llm_elsewhere(answer_file) as url:
        assert answer_of(url) == "first answer"
        answer_file.write_text("second answer")
        assert answer_of(url) == "second answer"


def test_it_stops_listening_when_the_block_ends(tmp_path: Path) -> None:
    answer_file = tmp_path / "answer.txt"
    answer_file.write_text("x")
    with fake_llm_elsewhere(answer_file) as url:
        host, port = address(url)
        with socket.create_connection((host, port), timeout=10):
            pass
        ending = time.monotonic()
    # at once, by closing its stdin (not by the kill that comes 10 s later when that fails)
    assert time.monotonic() - ending < 5
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=10).close()


#: a process that starts the fake, says its URL and dies without ending the block
_DIES = """
import os, pathlib, sys
from codeflash_engine.testing.fake_llm import fake_llm_elsewhere
with fake_llm_elsewhere(pathlib.Path(sys.argv[1])) as url:
    print(url, flush=True)
    os._exit(0)
"""


def test_it_stops_when_its_parent_dies_without_ending_the_block(tmp_path: Path) -> None:
    answer_file = tmp_path / "answer.txt"
    answer_file.write_text("x")
    parent = subprocess.run(
        [sys.executable, "-c", _DIES, str(answer_file)], capture_output=True, text=True, timeout=60, check=True
    )
    host, port = address(parent.stdout.strip())
    ends = time.monotonic() + 10
    while True:
        try:
            socket.create_connection((host, port), timeout=10).close()
        except ConnectionRefusedError:
            return
        assert time.monotonic() < ends, "the fake LLM outlived the process that started it"
        time.sleep(0.1)


def test_a_child_that_exits_before_listening_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fake_llm, "_ELSEWHERE", "import sys; print('no port'); sys.exit(3)")
    with (
        pytest.raises(RuntimeError, match=r"did not start \(exit 3\): 'no port'"),
        fake_llm_elsewhere(tmp_path / "answer.txt"),
    ):
        pass
