"""The model table: loading, lookups, cache-aware costs, unknown models."""

from __future__ import annotations

import logging

import pytest

from codeflash_engine.infra.llm.models import ModelInfo, ModelTable, Usage


@pytest.fixture
def table() -> ModelTable:
    return ModelTable.load()


def test_table_covers_every_provider(table: ModelTable) -> None:
    providers = {info.provider for info in table}
    assert providers == {"openai", "anthropic", "bedrock"}  # azure reuses the openai rows
    for info in table:
        assert info.context_window > 0 and info.max_output > 0
        assert info.input >= 0 and info.output >= 0


def test_published_prices(table: ModelTable) -> None:
    sonnet = table.lookup("anthropic", "claude-sonnet-4-5")
    assert sonnet is not None
    assert (sonnet.input, sonnet.output, sonnet.cache_read, sonnet.cache_write) == (3.0, 15.0, 0.30, 3.75)
    gpt = table.lookup("openai", "gpt-4.1")
    assert gpt is not None
    assert (gpt.input, gpt.output, gpt.cache_read, gpt.cache_write) == (2.0, 8.0, 0.50, None)


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        ("openai", "gpt-4.1-2025-04-14", "gpt-4.1"),  # alias
        ("openai", "gpt-4.1-2099-01-01", "gpt-4.1"),  # unknown dated snapshot
        ("azure", "gpt-4.1", "gpt-4.1"),  # deployment named after the model
        ("anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("bedrock", "global.anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic.claude-haiku-4-5-20251001-v1:0"),
    ],
)
def test_lookup_spellings(table: ModelTable, provider: str, model: str, expected: str) -> None:
    info = table.lookup(provider, model)
    assert info is not None and info.id == expected


def test_openai_cost_with_and_without_cached_input(table: ModelTable) -> None:
    plain = table.cost("openai", "gpt-4.1", Usage(input_tokens=1_000_000, output_tokens=100_000))
    assert plain == pytest.approx(2.0 + 0.8)
    # 400k of the million input tokens came from the cache: 600k x $2 + 400k x $0.50 + 100k x $8
    cached = table.cost(
        "openai", "gpt-4.1", Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=400_000)
    )
    assert cached == pytest.approx(1.2 + 0.2 + 0.8)


def test_anthropic_cost_counts_cache_reads_and_writes(table: ModelTable) -> None:
    usage = Usage(input_tokens=10_000, output_tokens=1_000, cache_read_tokens=6_000, cache_write_tokens=3_000)
    # 1k plain x $3 + 6k read x $0.30 + 3k written x $3.75 + 1k out x $15, per million
    expected = (1_000 * 3.0 + 6_000 * 0.30 + 3_000 * 3.75 + 1_000 * 15.0) / 1e6
    assert table.cost("anthropic", "claude-sonnet-4-5", usage) == pytest.approx(expected)
    assert table.cost("bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", usage) == pytest.approx(expected)


def test_cache_tokens_without_their_own_price_cost_as_input() -> None:
    info = ModelInfo("openai", "m", 1000, 100, input=1.0, output=2.0)
    usage = Usage(input_tokens=1_000_000, cache_read_tokens=500_000, cache_write_tokens=100_000)
    assert info.cost(usage) == pytest.approx(1.0)


def test_unknown_model_costs_zero_and_is_logged_once(table: ModelTable, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="codeflash_engine.infra.llm.models")
    usage = Usage(input_tokens=1000, output_tokens=1000)
    assert table.cost("openai", "llama3.1:8b", usage) == 0.0
    assert table.cost("openai", "llama3.1:8b", usage) == 0.0
    lines = [r for r in caplog.records if "llama3.1:8b" in r.getMessage()]
    assert len(lines) == 1
    assert "not in the model table" in lines[0].getMessage()


def test_served_model_is_used_when_the_requested_name_is_unknown(table: ModelTable) -> None:
    usage = Usage(input_tokens=1_000_000)
    assert table.cost("azure", "my-deployment", usage, served_model="gpt-4.1-2025-04-14") == pytest.approx(2.0)


def test_load_from_a_custom_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "models.toml"
    path.write_text(
        '[[model]]\nprovider = "openai"\nid = "local-coder"\ncontext_window = 32000\ninput = 0\noutput = 0\n'
    )
    table = ModelTable.load(path)
    info = table.lookup("openai", "local-coder")
    assert info is not None and info.max_output == 8192 and info.cost(Usage(5, 5)) == 0.0
