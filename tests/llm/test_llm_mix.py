"""The model mix: parsing CODEFLASH_ENGINE_MODELS, the weighted split, defaults and start-up errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codeflash_engine.infra.llm.config import ProviderSettings, default_mix, resolve_mix
from codeflash_engine.infra.llm.errors import LLMConfigError
from codeflash_engine.infra.llm.mix import ModelChoice, ModelMix
from codeflash_engine.settings import Settings

NO_PROVIDERS: dict[str, Any] = {
    "openai_api_key": None,
    "openai_base_url": None,
    "azure_openai_api_key": None,
    "azure_openai_endpoint": None,
    "openai_api_version": None,
    "anthropic_api_key": None,
    "anthropic_base_url": None,
    "aws_access_key_id": None,
    "aws_secret_access_key": None,
    "aws_region": None,
    "codeflash_engine_models": None,
}


def settings(**values: Any) -> Settings:
    return Settings(**{**NO_PROVIDERS, **values})


# --- parsing ----------------------------------------------------------------------------------


def test_parse_the_design_example() -> None:
    mix = ModelMix.parse("openai:gpt-5-mini=3,anthropic:claude-sonnet-4-5=2")
    assert mix.entries == (ModelChoice("openai", "gpt-5-mini", 3), ModelChoice("anthropic", "claude-sonnet-4-5", 2))
    assert str(mix) == "openai:gpt-5-mini=3,anthropic:claude-sonnet-4-5=2"


def test_parse_defaults_weights_tolerates_spaces_and_keeps_colons_in_model_ids() -> None:
    mix = ModelMix.parse(" bedrock:us.anthropic.claude-sonnet-4-5-20250929-v1:0 , openai:qwen2.5-coder:14b=1.5, ")
    assert mix.entries == (
        ModelChoice("bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", 1),
        ModelChoice("openai", "qwen2.5-coder:14b", 1.5),
    )


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("gpt-4.1", "is not provider:model=weight"),
        ("mistral:large=1", "unknown provider 'mistral'"),
        ("openai:gpt-4.1=heavy", "is not a number"),
        ("openai:gpt-4.1=0", "must be positive"),
        ("openai:=2", "names no model"),
        (" , ", "names no model"),
        ("openai:gpt-4.1,openai:gpt-4.1=2", "more than once"),
    ],
)
def test_parse_errors_say_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(LLMConfigError, match=complaint):
        ModelMix.parse(text)


# --- the split ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "n", "expected"),
    [
        ((3, 2), 5, [3, 2]),
        ((3, 2), 6, [4, 2]),  # quotas 3.6 / 2.4: the larger remainder gets the spare call
        ((1, 1), 3, [2, 1]),  # a tie goes to the earlier entry
        ((1, 1, 1), 2, [1, 1, 0]),
        ((1, 1, 1), 0, [0, 0, 0]),
        ((5, 1), 1, [1, 0]),
        ((1, 2, 3), 10, [2, 3, 5]),  # quotas 1.67 / 3.33 / 5
    ],
)
def test_split_largest_remainder(weights: tuple[float, ...], n: int, expected: list[int]) -> None:
    mix = ModelMix(tuple(ModelChoice("openai", f"m{i}", w) for i, w in enumerate(weights)))
    assert mix.split(n) == expected


@given(
    weights=st.lists(st.floats(min_value=0.01, max_value=100), min_size=1, max_size=6),
    n=st.integers(min_value=0, max_value=200),
)
def test_split_sums_to_n_and_stays_within_one_of_the_quota(weights: list[float], n: int) -> None:
    mix = ModelMix(tuple(ModelChoice("openai", f"m{i}", w) for i, w in enumerate(weights)))
    counts = mix.split(n)
    assert sum(counts) == n
    assert counts == mix.split(n)  # deterministic
    total = sum(e.weight for e in mix.entries)
    for count, entry in zip(counts, mix.entries, strict=True):
        assert abs(count - n * entry.weight / total) < 1 + 1e-9


def test_assign_groups_calls_in_entry_order_and_fallbacks_wrap_around() -> None:
    a, b, c = ModelChoice("openai", "a", 2), ModelChoice("anthropic", "b", 1), ModelChoice("azure", "c", 1)
    mix = ModelMix.of(a, b, c)
    assert mix.assign(4) == [a, a, b, c]
    assert mix.fallbacks(b) == [c, a]
    assert mix.fallbacks(ModelChoice("openai", "other")) == [a, b, c]


# --- defaults and start-up checks ----------------------------------------------------------------


def test_default_mix_follows_the_keys_present() -> None:
    both = resolve_mix(settings(openai_api_key="k1", anthropic_api_key="k2"))
    assert str(both) == "openai:gpt-5-mini=3,anthropic:claude-sonnet-4-6=2"
    assert str(resolve_mix(settings(anthropic_api_key="k"))) == "anthropic:claude-sonnet-4-6=2"
    bedrock = resolve_mix(settings(aws_access_key_id="a", aws_secret_access_key="s", aws_region="eu-west-1"))
    assert str(bedrock) == "bedrock:eu.anthropic.claude-sonnet-4-6=2"
    azure = resolve_mix(settings(azure_openai_api_key="k", azure_openai_endpoint="https://x.openai.azure.com"))
    assert str(azure) == "azure:gpt-4.1=3"
    # direct APIs are preferred over their cloud twins
    everything = settings(
        openai_api_key="k",
        anthropic_api_key="k",
        azure_openai_api_key="k",
        azure_openai_endpoint="https://x",
        aws_access_key_id="a",
        aws_secret_access_key="s",
    )
    assert resolve_mix(everything).providers == {"openai", "anthropic"}


def test_no_provider_at_all_explains_which_variables_to_set() -> None:
    with pytest.raises(LLMConfigError) as err:
        resolve_mix(settings())
    message = str(err.value)
    for variable in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "AZURE_OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "AWS_ACCESS_KEY_ID",
    ):
        assert variable in message


def test_mix_naming_a_provider_without_credentials_fails_at_start() -> None:
    with pytest.raises(LLMConfigError, match=r"anthropic \(which needs ANTHROPIC_API_KEY\)"):
        resolve_mix(
            settings(openai_api_key="k", codeflash_engine_models="openai:gpt-4.1=1,anthropic:claude-sonnet-4-5")
        )


def test_half_configured_providers_are_reported() -> None:
    with pytest.raises(LLMConfigError, match="AZURE_OPENAI_ENDPOINT"):
        resolve_mix(settings(openai_api_key="k", azure_openai_api_key="k"))
    with pytest.raises(LLMConfigError, match="AWS_SECRET_ACCESS_KEY"):
        resolve_mix(settings(anthropic_api_key="k", aws_access_key_id="a"))


def test_an_openai_compatible_server_needs_no_key_but_a_model_name() -> None:
    local = settings(openai_base_url="http://localhost:11434/v1")
    with pytest.raises(LLMConfigError, match="name the server's model"):
        resolve_mix(local)
    named = settings(openai_base_url="http://localhost:11434/v1", codeflash_engine_models="openai:qwen2.5-coder:14b")
    assert str(resolve_mix(named)) == "openai:qwen2.5-coder:14b=1"
    assert ProviderSettings.from_settings(named).openai_compatible
    assert not ProviderSettings.from_settings(settings(openai_api_key="k")).openai_compatible
    with pytest.raises(LLMConfigError):
        default_mix(ProviderSettings.from_settings(local))
