"""The benchmark scripts still load against the current code (they are not run in CI: they are slow).

A benchmark that imports a name the engine no longer has fails here, not on the day someone
needs its figures.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
#: scripts that are not command lines (engine_probe runs the engine under a probe; the lib is imported)
NOT_COMMANDS = {"engine_probe.py", "bench_engine_lib.py"}


@pytest.mark.parametrize("script", sorted(p.name for p in BENCHMARKS.glob("*.py") if p.name not in NOT_COMMANDS))
def test_a_benchmark_loads_and_explains_itself(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout


def test_the_plugin_benchmark_runs_against_the_plugin_api() -> None:
    """bench_python_plugin builds typed requests itself: one short run checks they still fit."""
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_python_plugin.py"), "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "candidates: 10 answers" in done.stdout and "tests: clean + instrument" in done.stdout
