"""What a call costs, to the cent and exactly (what the mutation run of infra/llm/models.py found
untested): the input billed at the plain price once cache reads and writes are taken out (never
below zero), usage added across attempts, a price per million tokens (not per 1,000,001), a row
read from the table with its defaults, the table's size and spellings, and the served model
used only when the asked one is unknown. A slip here bills tenants wrongly, so the sums are
compared with ``==`` on values that floats represent exactly, not approximately."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from codeflash_engine.infra.llm.models import ModelInfo, ModelTable, Usage

PRICED = ModelInfo("anthropic", "m", 200_000, 8192, input=4.0, output=16.0, cache_read=0.5, cache_write=8.0)


@pytest.mark.parametrize(
    ("usage", "uncached"),
    [
        (Usage(input_tokens=100), 100),
        (Usage(input_tokens=100, cache_read_tokens=60), 40),
        (Usage(input_tokens=100, cache_write_tokens=30), 70),
        (Usage(input_tokens=100, cache_read_tokens=60, cache_write_tokens=30), 10),
        (Usage(input_tokens=100, cache_read_tokens=60, cache_write_tokens=40), 0),
        (Usage(input_tokens=10, cache_read_tokens=20), 0),
        (Usage(), 0),
    ],
)
def test_uncached_input_is_what_the_cache_did_not_serve_and_never_negative(usage: Usage, uncached: int) -> None:
    assert usage.uncached_input_tokens == uncached


@pytest.mark.parametrize(
    "usage",
    [Usage(input_tokens=1), Usage(output_tokens=1), Usage(cache_read_tokens=1), Usage(cache_write_tokens=1)],
)
def test_usage_with_any_token_is_true(usage: Usage) -> None:
    assert usage
    assert not Usage()


def test_usage_adds_field_by_field() -> None:
    total = Usage(10, 20, 3, 4) + Usage(1, 2, 5, 7)
    assert total == Usage(input_tokens=11, output_tokens=22, cache_read_tokens=8, cache_write_tokens=11)


@pytest.mark.parametrize(
    ("usage", "usd"),
    [
        (Usage(input_tokens=1_000_000), 4.0),
        (Usage(output_tokens=1_000_000), 16.0),
        (Usage(input_tokens=1_000_000, cache_read_tokens=1_000_000), 0.5),
        (Usage(input_tokens=1_000_000, cache_write_tokens=1_000_000), 8.0),
        (
            Usage(
                input_tokens=4_000_000, output_tokens=500_000, cache_read_tokens=2_000_000, cache_write_tokens=1_000_000
            ),
            21.0,
        ),
        (Usage(input_tokens=500_000, cache_read_tokens=1_000_000), 0.5),
        (Usage(), 0.0),
    ],
)
def test_each_kind_of_token_at_its_own_price_per_million(usage: Usage, usd: float) -> None:
    # 4M input: 1M plain x $4 + 2M read x $0.5 + 1M written x $8 = 4 + 1 + 8; 0.5M out x $16 = 8; 21 in all
    assert PRICED.cost(usage) == usd


def test_a_missing_cache_price_is_the_input_price_for_that_kind_only() -> None:
    reads_priced = ModelInfo("openai", "m", 1000, 100, input=2.0, output=8.0, cache_read=0.5)
    assert reads_priced.cost(Usage(input_tokens=2_000_000, cache_read_tokens=1_000_000)) == 2.5
    assert reads_priced.cost(Usage(input_tokens=2_000_000, cache_write_tokens=1_000_000)) == 4.0
    writes_priced = ModelInfo("anthropic", "m", 1000, 100, input=2.0, output=8.0, cache_write=2.5)
    assert writes_priced.cost(Usage(input_tokens=2_000_000, cache_write_tokens=1_000_000)) == 4.5
    assert writes_priced.cost(Usage(input_tokens=2_000_000, cache_read_tokens=1_000_000)) == 4.0


def test_the_table_prices_a_million_tokens_exactly() -> None:
    table = ModelTable.default()
    assert table.cost("openai", "gpt-4.1", Usage(input_tokens=1_000_000, output_tokens=1_000_000)) == 10.0
    assert table.cost("anthropic", "claude-sonnet-4-5", Usage(input_tokens=2_000_000, output_tokens=2_000_000)) == 36.0
    assert ModelTable.default() is table


ROWS = """
[[model]]
provider = "openai"
id = "coder"
aliases = ["coder-2025-01-01", "coder-latest"]
context_window = 32000
max_output = 4000
input = 1
output = 3
cache_read = 0.25
cache_write = 1.5
temperature = false
choices = true

[[model]]
provider = "bedrock"
id = "anthropic.claude-x"
context_window = 100000
input = 2
output = 6

[[model]]
provider = "anthropic"
id = "claude-x"
context_window = 100000
input = 2
output = 6
"""


@pytest.fixture
def table(tmp_path: Path) -> ModelTable:
    path = tmp_path / "models.toml"
    path.write_text(ROWS)
    return ModelTable.load(path)


def test_rows_are_read_with_their_defaults(table: ModelTable) -> None:
    coder = table.lookup("openai", "coder")
    assert coder == ModelInfo(
        "openai",
        "coder",
        32000,
        4000,
        input=1.0,
        output=3.0,
        cache_read=0.25,
        cache_write=1.5,
        temperature=False,
        aliases=("coder-2025-01-01", "coder-latest"),
        choices=True,
    )
    claude = table.lookup("anthropic", "claude-x")
    assert claude == ModelInfo("anthropic", "claude-x", 100000, 8192, input=2.0, output=6.0)
    assert claude is not None
    assert (claude.cache_read, claude.cache_write, claude.temperature, claude.choices) == (None, None, True, False)


def test_an_unknown_provider_in_the_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text('[[model]]\nprovider = "mistral"\nid = "m"\ncontext_window = 1\ninput = 0\noutput = 0\n')
    with pytest.raises(ValueError, match="unknown provider 'mistral'"):
        ModelTable.load(path)
    path.write_text("")
    assert len(ModelTable.load(path)) == 0


def test_a_row_counts_once_whatever_its_aliases(table: ModelTable) -> None:
    assert len(table) == 3
    assert sorted(info.id for info in table) == ["anthropic.claude-x", "claude-x", "coder"]


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        ("openai", "coder-latest", "coder"),
        ("openai", "coder-20260101", "coder"),
        ("azure", "coder", "coder"),
        ("azure", "coder-2026-02-02", "coder"),
        ("bedrock", "eu.anthropic.claude-x", "anthropic.claude-x"),
        ("bedrock", "anthropic.claude-x", "anthropic.claude-x"),
        ("anthropic", "claude-x-20260101", "claude-x"),
        ("anthropic", "us.claude-x", None),
        ("openai", "claude-x", None),
        ("anthropic", "coder", None),
        ("bedrock", "coder", None),
        ("openai", "coder-x", None),
    ],
)
def test_lookup_spellings_and_their_limits(table: ModelTable, provider: str, model: str, expected: str | None) -> None:
    info = table.lookup(provider, model)
    assert (info.id if info else None) == expected


def test_the_served_model_counts_only_when_the_asked_one_is_unknown(
    table: ModelTable, caplog: pytest.LogCaptureFixture
) -> None:
    million = Usage(input_tokens=1_000_000)
    assert table.cost("openai", "coder", million, served_model="claude-x") == 1.0
    assert table.cost("anthropic", "my-alias", million, served_model="claude-x") == 2.0
    caplog.set_level(logging.WARNING, logger="codeflash_engine.infra.llm.models")
    assert table.cost("anthropic", "my-alias", million, served_model="") == 0.0
    assert table.cost("anthropic", "my-alias", million, served_model="my-alias") == 0.0
    assert table.cost("anthropic", "other", million) == 0.0
    warned = [r.getMessage() for r in caplog.records]
    assert warned == [
        "model anthropic:my-alias is not in the model table; its calls are recorded at cost 0",
        "model anthropic:other is not in the model table; its calls are recorded at cost 0",
    ]
