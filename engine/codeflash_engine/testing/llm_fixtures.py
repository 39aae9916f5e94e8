"""pytest fixtures for the fake LLM server and the LLM layer (register with ``pytest_plugins``).

- ``fake_llm``: a started :class:`~codeflash_engine.testing.fake_llm.FakeLLM` (stopped after the test).
- ``fake_llm_settings``: a factory ``(*providers, models=None, **overrides) -> Settings`` pointing
  the named providers (default: openai) at ``fake_llm`` with fake credentials, every other
  provider variable unset (a developer's real keys are never used).
- ``llm_sink`` / ``llm_recorder``: a :class:`~codeflash_engine.infra.recorder.MemorySink` and a
  started :class:`~codeflash_engine.infra.recorder.Recorder` writing to it.
- ``fake_llm_client``: an :class:`~codeflash_engine.infra.llm.client.LLMClient` over OpenAI and
  Anthropic at ``fake_llm`` (mix ``openai:gpt-4.1=1,anthropic:claude-sonnet-4-6=1``), with
  retries waiting milliseconds instead of seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from codeflash_engine.infra.llm.client import LLMClient, open_llm_client
from codeflash_engine.infra.llm.retry import RetryPolicy
from codeflash_engine.infra.recorder import MemorySink, Recorder
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import FakeLLM

#: retries that wait milliseconds, for tests
FAST_RETRIES = RetryPolicy(base_delay=0.01, max_delay=0.05)


@pytest_asyncio.fixture
async def fake_llm() -> AsyncIterator[FakeLLM]:
    """A fake LLM server on a free loopback port."""
    async with FakeLLM() as fake:
        yield fake


@pytest.fixture
def fake_llm_settings(fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    """Factory of Settings pointing providers at ``fake_llm`` (see the module docstring)."""
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", fake_llm.url)

    def make(*providers: str, models: str | None = None, **overrides: Any) -> Settings:
        values = fake_llm.settings_values(providers or ("openai",), models=models)
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def llm_sink() -> MemorySink:
    """A sink that keeps every record."""
    return MemorySink()


@pytest_asyncio.fixture
async def llm_recorder(llm_sink: MemorySink) -> AsyncIterator[Recorder]:
    """A started recorder writing to ``llm_sink``; drained after the test."""
    async with Recorder(llm_sink) as recorder:
        yield recorder


@pytest_asyncio.fixture
async def fake_llm_client(
    fake_llm_settings: Callable[..., Settings], llm_recorder: Recorder
) -> AsyncIterator[LLMClient]:
    """An LLMClient over OpenAI and Anthropic at the fake server, with fast retries."""
    settings = fake_llm_settings("openai", "anthropic", models="openai:gpt-4.1=1,anthropic:claude-sonnet-4-6=1")
    async with open_llm_client(settings, llm_recorder, policy=FAST_RETRIES) as client:
        yield client
