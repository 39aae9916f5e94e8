"""Fixtures for the engine's own tests (every folder under tests/)."""

from __future__ import annotations

import threading

import pytest

from codeflash_engine.plugins.registry import LanguageRegistry
from codeflash_engine.plugins.types import LanguageSpec


@pytest.fixture
def detection_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the threads that detected a language during the test, one per detection
    (``LanguageRegistry.detect`` wrapped); a test asserts the event loop's thread is not among them."""
    detect = LanguageRegistry.detect
    threads: list[int] = []

    def recorded(self: LanguageRegistry, *texts: str) -> LanguageSpec | None:
        threads.append(threading.get_ident())
        return detect(self, *texts)

    monkeypatch.setattr(LanguageRegistry, "detect", recorded)
    return threads
