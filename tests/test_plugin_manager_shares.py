"""The plugin host's timing trace (plugins.manager), left to the equivalents by earlier mutation
runs as too fine for a real clock: on a clock that steps a quarter of a second per reading, the
trace says each hook call took exactly 250 ms."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

import pytest

from codeflash_engine import LanguageSpec, hookimpl
from codeflash_engine.plugins import manager
from codeflash_engine.plugins.manager import PluginHost


class Toy:
    """A language plugin whose postprocess_tests answers an empty list."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        """The language ``toy``."""
        register(LanguageSpec(name="toy", extensions=(".toy",), fence_tags=("toy",)))

    @hookimpl
    def postprocess_tests(self, request: Any) -> Any:
        """An empty answer (not None: the builtin default is not asked)."""
        return []


class SteppingClock:
    """A ``time`` module whose clocks move on by ``step`` seconds at each reading."""

    def __init__(self, step: float) -> None:
        self._readings = itertools.count(start=1000.0, step=step)

    def perf_counter(self) -> float:
        """The next reading of the clock."""
        return next(self._readings)

    def time(self) -> float:
        """The next reading of the clock, as the wall clock."""
        return next(self._readings)


def test_the_trace_gives_each_hook_call_s_time_in_milliseconds(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clock read before and after the plugin's hook, a quarter of a second apart: the
    trace line says 250.00 ms."""
    host = PluginHost(trace=True)
    host.load([])
    host.register(Toy(), "toy")
    monkeypatch.setattr(manager, "time", SteppingClock(0.25))
    with caplog.at_level(logging.INFO, logger=manager.__name__):
        assert host.call("postprocess_tests", "toy", request=None) == []
    assert [r.getMessage() for r in caplog.records] == ["plugin hook toy.postprocess_tests(toy) took 250.00 ms"]
