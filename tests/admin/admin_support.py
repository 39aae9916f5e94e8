"""Helpers shared by the dashboard tests (a module of its own: conftest modules cannot be imported)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from codeflash_engine.http.metrics import RECORDER
from codeflash_engine.testing.plugin_kit.reference import PYTHON
from codeflash_engine.testing.plugin_kit.requests import llm_answers, sample_requests

ADMIN_TOKEN = "admin-" + "t" * 40
SECRET = "s3cret-" + "k" * 30
BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

AdminClient = TestClient[web.Request, web.Application]


def csrf_of(page: str) -> str:
    """The CSRF token of the first form of a dashboard page."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)


#: the bodies the CLI sends and answers a model gives, for the kit's Python sample function
_REQUESTS = sample_requests(PYTHON)
_ANSWERS = llm_answers(PYTHON)
FAST_ANSWER = _ANSWERS["/ai/optimize"]
TESTS_ANSWER = _ANSWERS["/ai/testgen"]


def optimize_body(trace_id: str) -> dict[str, Any]:
    """An /ai/optimize body as the CLI sends it (contract section 3; six candidates), for ``trace_id``."""
    return {**_REQUESTS["/ai/optimize"], "trace_id": trace_id, "n_candidates": 6}


def generate_tests_body(trace_id: str, test_index: int) -> dict[str, Any]:
    """An /ai/testgen body as the CLI sends it, for ``trace_id``."""
    return {**_REQUESTS["/ai/testgen"], "trace_id": trace_id, "test_index": test_index}


async def drained(client: AdminClient) -> None:
    """Wait until the engine's recorder has written what it holds."""
    recorder = client.app[RECORDER]
    for _ in range(300):
        if recorder.queue_depth == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the recorder did not drain")
