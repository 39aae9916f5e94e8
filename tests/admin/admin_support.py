"""Helpers shared by the dashboard tests (a module of its own: conftest modules cannot be imported)."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web
from aiohttp.test_utils import TestClient

from codeflash_engine.http.metrics import RECORDER

ADMIN_TOKEN = "admin-" + "t" * 40
SECRET = "s3cret-" + "k" * 30
BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

AdminClient = TestClient[web.Request, web.Application]


def csrf_of(page: str) -> str:
    """The CSRF token of the first form of a dashboard page."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)


SORTER = (
    "def sort_list(xs):\n"
    "    out = list(xs)\n"
    "    for i in range(len(out)):\n"
    "        for j in range(len(out) - 1 - i):\n"
    "            if out[j] > out[j + 1]:\n"
    "                out[j], out[j + 1] = out[j + 1], out[j]\n"
    "    return out"
)
FAST_ANSWER = "sorted() is O(n log n).\n\n```python:pkg/sorter.py\ndef sort_list(xs):\n    return sorted(xs)\n```\n"


def optimize_body(trace_id: str) -> dict[str, object]:
    """An /ai/optimize body as the CLI sends it (contract section 3), for ``trace_id``."""
    return {
        "source_code": f"```python:pkg/sorter.py\n{SORTER}\n```",
        "dependency_code": "",
        "trace_id": trace_id,
        "language": "python",
        "language_version": "3.11.7",
        "experiment_metadata": None,
        "codeflash_version": "0.20.6",
        "current_username": None,
        "repo_owner": None,
        "repo_name": None,
        "is_async": False,
        "call_sequence": 1,
        "n_candidates": 6,
        "is_numerical_code": False,
        "rerun_trace_id": None,
    }


async def drained(client: AdminClient) -> None:
    """Wait until the engine's recorder has written what it holds."""
    recorder = client.app[RECORDER]
    for _ in range(300):
        if recorder.queue_depth == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the recorder did not drain")


TESTS_ANSWER = (
    "Here are the tests.\n\n```python\nfrom pkg.sorter import sort_list\n\n\n"
    "def test_sorts_numbers():\n    assert sort_list([3, 1, 2]) == [1, 2, 3]\n```\n"
)


def generate_tests_body(trace_id: str, test_index: int) -> dict[str, object]:
    """An /ai/testgen body as the CLI sends it, for ``trace_id``."""
    return {
        "source_code_being_tested": f"```python:pkg/sorter.py\n{SORTER}\n```",
        "function_to_optimize": {
            "function_name": "sort_list",
            "file_path": "/tmp/project/pkg/sorter.py",
            "parents": [],
            "starting_line": 1,
            "ending_line": 7,
            "starting_col": 0,
            "ending_col": 14,
            "is_async": False,
            "is_method": False,
            "language": "python",
            "doc_start_line": None,
        },
        "helper_function_names": [],
        "module_path": "pkg.sorter",
        "test_module_path": f"tests.test_sort_list__unit_test_{test_index}",
        "test_framework": "pytest",
        "test_timeout": 15,
        "trace_id": trace_id,
        "test_index": test_index,
        "language": "python",
        "language_version": "3.11.7",
        "codeflash_version": "0.20.6",
        "call_sequence": 1,
        "rerun_trace_id": None,
        "is_async": False,
        "is_numerical_code": False,
        "class_name": None,
        "qualified_name": "sort_list",
    }
