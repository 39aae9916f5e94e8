"""Schemathesis against the engine's own /openapi.json: no 500, no answer that is not JSON, no schema violation.

Every documented operation gets generated requests (valid and invalid bodies, odd headers),
with the API key, against an engine whose fake LLM fails a share of its calls. The default is
a short run for CI; ``CODEFLASH_ENGINE_FUZZ_EXAMPLES=500`` makes it the full one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from ops_support import engine_env, engine_process
from schemathesis.checks import content_type_conformance, response_schema_conformance

from codeflash_engine.testing.ports import FAKE_LLM_LISTENING, port_from_output

pytestmark = pytest.mark.slow

KEY = "cf-" + "f" * 43
EXAMPLES = int(os.environ.get("CODEFLASH_ENGINE_FUZZ_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def live_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The engine (embedded store) on a free port, its fake LLM failing 20 % of calls."""
    tmp = tmp_path_factory.mktemp("fuzz")
    fake_log = tmp / "fake.log"
    out = fake_log.open("wb")
    fake = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "codeflash_engine.testing.load",
            "fake",
            "--port",
            "0",
            "--latency",
            "0",
            "--fault-rate",
            "0.2",
            "--kinds",
            "rate_limited,server_error,not_json,garbage",
            "--seed",
            "5",
        ],
        stdout=out,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = port_from_output(fake_log, FAKE_LLM_LISTENING, fake)
        env = engine_env(
            f"http://127.0.0.1:{port}",
            CODEFLASH_ENGINE_API_KEYS=KEY,
            CODEFLASH_ENGINE_REQUEST_DEADLINE="10",
            CODEFLASH_ENGINE_LLM_TIMEOUT="2",
            CODEFLASH_ENGINE_MAX_BODY_BYTES="4194304",
        )
        with engine_process(Path(tmp), env) as proc:
            yield proc.base
            assert proc.popen.poll() is None, "the engine died while fuzzed"
    finally:
        fake.terminate()
        fake.wait(10)
        out.close()


@pytest.fixture(scope="module")
def api_schema(live_engine: str) -> Any:
    return schemathesis.openapi.from_url(f"{live_engine}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_fuzz(case: Any, live_engine: str) -> None:
    response = case.call(base_url=live_engine, headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
    status = response.status_code
    assert status != 500, response.text[:500]
    assert status < 500 or status in (502, 503), (status, response.text[:500])
    content_type = next(iter(response.headers.get("content-type") or [""]))
    if case.operation.path == "/metrics" and status == 200:
        assert content_type.startswith("text/plain")
    else:
        assert content_type.startswith("application/json"), (status, content_type, response.text[:200])
        body = response.json()
        if status != 200:
            assert isinstance(body, dict) and set(body) == {"error"} and isinstance(body["error"], str), body
    case.validate_response(response, checks=[response_schema_conformance, content_type_conformance])
