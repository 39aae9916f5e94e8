"""The model mix, at its edges: which weights are accepted, how odd CODEFLASH_ENGINE_MODELS text is
read, how a mix prints, negative splits, fallbacks and the mix a plan's providers allow. Found by
the mutation run of infra/llm/mix.py."""

from __future__ import annotations

import pytest

from codeflash_engine.infra.llm.errors import LLMConfigError
from codeflash_engine.infra.llm.mix import ModelChoice, ModelMix


@pytest.mark.parametrize("weight", [0, -1, 0.0, -0.5, float("nan")])
def test_a_choice_needs_a_positive_weight(weight: float) -> None:
    """A zero, negative or NaN weight would give a model no calls, or break the split."""
    with pytest.raises(ValueError, match="weight must be positive"):
        ModelChoice("openai", "gpt-4.1", weight)


def test_small_and_fractional_weights_are_weights() -> None:
    assert ModelChoice("openai", "gpt-4.1", 0.01).weight == 0.01
    default = ModelChoice("openai", "gpt-4.1")
    assert (default.weight, str(default)) == (1.0, "openai:gpt-4.1=1")
    mix = ModelMix.parse("openai:gpt-4.1=0.5,anthropic:claude-sonnet-4-6=1.0,azure:prod=2.25")
    assert [e.weight for e in mix] == [0.5, 1.0, 2.25]
    # whole weights print without a decimal point, others as given
    assert str(mix) == "openai:gpt-4.1=0.5,anthropic:claude-sonnet-4-6=1,azure:prod=2.25"
    assert ModelMix.parse(str(mix)) == mix


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        (" , ,openai:gpt-4.1", [("openai", "gpt-4.1", 1.0)]),
        ("OpenAI:gpt-4.1 = 2", [("openai", "gpt-4.1", 2.0)]),
        (" Anthropic : claude-sonnet-4-6=3 ", [("anthropic", "claude-sonnet-4-6", 3.0)]),
        ("openai:a=b=2", [("openai", "a=b", 2.0)]),
    ],
    ids=["leading-blanks", "upper-case-provider", "spaces-around-parts", "last-equals-is-the-weight"],
)
def test_parse_reads_what_an_operator_writes(text: str, entries: list[tuple[str, str, float]]) -> None:
    """Blank items anywhere are skipped, the provider is case-blind, spaces around parts are
    dropped, and only the last ``=`` starts the weight."""
    assert [(e.provider, e.model, e.weight) for e in ModelMix.parse(text)] == entries


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("openai:", "is not provider:model=weight"),
        ("openai:   ", "is not provider:model=weight"),
        ("openai:gpt-4.1=-2", "must be positive"),
        ("openai:gpt-4.1=nan", "must be positive"),
        ("openai:gpt-4.1=1,,openai:gpt-4.1=3", "openai:gpt-4.1 more than once"),
        ("", "names no model"),
    ],
)
def test_parse_refuses_what_cannot_be_a_mix(text: str, complaint: str) -> None:
    with pytest.raises(LLMConfigError, match=complaint):
        ModelMix.parse(text)


def test_an_empty_mix_is_refused() -> None:
    with pytest.raises(LLMConfigError, match="the model mix is empty"):
        ModelMix.of()


def test_a_negative_number_of_calls_cannot_be_split() -> None:
    mix = ModelMix.parse("openai:a=1,anthropic:b=1")
    with pytest.raises(ValueError, match="must not be negative"):
        mix.split(-1)
    assert mix.split(0) == [0, 0] and mix.assign(0) == []


def test_the_spare_calls_go_to_the_largest_remainders() -> None:
    """Quotas 1.4 / 0.7 / 0.9 for three calls: the floors give one; the two spares go to the
    entries with the largest remainders (0.9, then 0.7), not to the first entries."""
    mix = ModelMix(tuple(ModelChoice("openai", f"m{i}", w) for i, w in enumerate((1.4, 0.7, 0.9))))
    assert mix.split(3) == [1, 1, 1]
    assert mix.split(2) == [1, 0, 1]


def test_a_weight_of_one_in_a_million_still_counts() -> None:
    """Weights are exact to a millionth: a model weighted 0.000001 beside one weighted 1 gets its
    share of a million and one calls, not none and not more."""
    mix = ModelMix.parse("openai:main=1,anthropic:canary=0.000001")
    assert mix.split(1_000_001) == [1_000_000, 1]


@pytest.mark.parametrize(
    ("after", "order"),
    [("a", ["b", "c", "d"]), ("b", ["c", "d", "a"]), ("d", ["a", "b", "c"]), ("z", ["a", "b", "c", "d"])],
)
def test_fallbacks_start_after_the_model_and_wrap_around(after: str, order: list[str]) -> None:
    """Every other model once, in mix order from the one after; a model outside the mix falls back
    to all of them."""
    mix = ModelMix.parse("openai:a,anthropic:b,azure:c,bedrock:d")
    choice = next((e for e in mix if e.model == after), ModelChoice("openai", after))
    assert [e.model for e in mix.fallbacks(choice)] == order


def test_first_and_providers() -> None:
    mix = ModelMix.parse("anthropic:b=1,openai:a=3,anthropic:c=1")
    assert mix.first == ModelChoice("anthropic", "b", 1) and len(mix) == 3
    assert mix.providers == frozenset({"anthropic", "openai"})


def test_a_mix_restricted_to_a_plan_s_providers() -> None:
    """A plan allowed some providers only: its mix keeps their entries, in order, or is None."""
    mix = ModelMix.parse("openai:a=3,anthropic:b=2,openai:c=1")
    assert str(mix.restricted_to(["openai"])) == "openai:a=3,openai:c=1"
    assert mix.restricted_to(["openai", "anthropic"]) == mix
    assert mix.restricted_to(["bedrock"]) is None
    assert mix.restricted_to([]) is None
