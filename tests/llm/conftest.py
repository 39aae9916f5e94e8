"""The LLM layer's tests use the fake LLM server fixtures (also offered to every test folder)."""

from codeflash_engine.testing.llm_fixtures import (  # noqa: F401
    fake_llm,
    fake_llm_client,
    fake_llm_settings,
    llm_recorder,
    llm_sink,
)
