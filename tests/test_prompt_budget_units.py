"""The prompt budget (pipelines.budget) on its own: token estimates, the window every model of a
mix leaves, the rounds that cut a prompt to fit, and a code repair's test differences."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest

from codeflash_engine.infra.llm.mix import ModelMix
from codeflash_engine.infra.llm.models import ModelInfo, ModelTable
from codeflash_engine.pipelines import budget
from codeflash_engine.pipelines.budget import fit, merge_diffs, shrink, tokens, window_budget
from codeflash_engine.plugins.types import Prompt, Task
from codeflash_engine.text.cuts import cut_middle


def test_tokens_are_characters_over_two_and_a_half_plus_eight() -> None:
    assert tokens(Prompt(system="a" * 25, user="b" * 25)) == 28
    assert tokens(Prompt(system="", user="")) == 8
    assert tokens(Prompt(system="a" * 4, user="")) == 9  # 1.6 tokens, rounded down


TABLE = ModelTable(
    [
        ModelInfo("openai", "big", context_window=200_000, max_output=50_000, input=1.0, output=1.0),
        ModelInfo("anthropic", "mid", context_window=100_000, max_output=20_000, input=1.0, output=1.0),
        ModelInfo("openai", "tiny", context_window=2_000, max_output=1_500, input=1.0, output=1.0),
    ]
)


def test_the_budget_is_the_smallest_window_less_its_answer() -> None:
    assert window_budget(ModelMix.parse("openai:big=1"), TABLE) == 150_000
    assert window_budget(ModelMix.parse("openai:big=1,anthropic:mid=1"), TABLE) == 80_000
    assert window_budget(ModelMix.parse("openai:tiny=1"), TABLE) == 1024  # never below 1k tokens


def test_a_model_the_table_does_not_know_gets_32k_less_8k() -> None:
    assert window_budget(ModelMix.parse("openai:local-llama=1"), TABLE) == 24_576
    assert window_budget(ModelMix.parse("openai:big=1,openai:local-llama=1"), TABLE) == 24_576


def test_only_the_providers_configured_count() -> None:
    mix = ModelMix.parse("openai:big=1,anthropic:mid=1")
    assert window_budget(mix, TABLE, providers=["openai"]) == 150_000
    assert window_budget(mix, TABLE, providers=["anthropic", "openai"]) == 80_000
    assert window_budget(mix, TABLE, providers=[]) == 24_576  # none: what an unknown model leaves


def render_with(calls: list[Mapping[str, Any]]) -> Any:
    async def render(fields: Mapping[str, Any]) -> Prompt:
        calls.append(dict(fields))
        return Prompt(system="s" * 20, user="\n".join(f"{k}: {v}" for k, v in sorted(fields.items())))

    return render


async def test_a_prompt_within_budget_is_rendered_once_and_left_alone() -> None:
    calls: list[Mapping[str, Any]] = []
    fitted = await fit(Task.OPTIMIZE, {"source_code": "x" * 100}, render_with(calls), budget=1000)
    assert len(calls) == 1 and fitted.notes == ()
    assert fitted.prompt.user == "source_code: " + "x" * 100


async def test_context_is_cut_first_and_the_code_is_kept() -> None:
    calls: list[Mapping[str, Any]] = []
    fields = {"source_code": "c" * 2000, "read_only_dependency_code": "d" * 20_000}
    fitted = await fit(Task.OPTIMIZE, fields, render_with(calls), budget=2000)
    assert len(calls) == 2  # one round was enough
    assert calls[1]["source_code"] == "c" * 2000
    assert len(calls[1]["read_only_dependency_code"]) < 20_000
    assert tokens(Prompt(system=calls[1]["source_code"], user="")) < tokens(fitted.prompt) <= 2000 + 200
    [note] = fitted.notes
    assert note.startswith("read_only_dependency_code is cut to about ") and note.endswith(" characters per value")
    assert note in fitted.prompt.user.split("\n\n")[-1]  # said at the end of the prompt


async def test_when_context_is_not_enough_the_code_is_cut_too() -> None:
    calls: list[Mapping[str, Any]] = []
    fields = {"source_code": "c" * 20_000, "existing_tests": "t" * 300}
    fitted = await fit(Task.OPTIMIZE, fields, render_with(calls), budget=2000)
    assert len(calls) == 2  # the context first, then every field, in the same round
    assert len(calls[-1]["source_code"]) < 20_000
    assert tokens(fitted.prompt) <= 2000 + 200
    assert any(n.startswith("source_code is cut") for n in fitted.notes)


async def test_a_prompt_that_cannot_fit_is_cut_four_times_then_sent_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[Mapping[str, Any]] = []

    async def stubborn(fields: Mapping[str, Any]) -> Prompt:
        calls.append(dict(fields))
        return Prompt(system="s" * 50_000, user="u")  # a part no field controls

    with caplog.at_level(logging.WARNING, logger=budget.__name__):
        await fit(Task.OPTIMIZE, {"source_code": "c" * 1000}, stubborn, budget=1000)
    assert len(calls) == 5  # the first rendering and four rounds
    assert any("still over its budget" in r.getMessage() for r in caplog.records)


def test_the_cut_note_says_is_for_one_field_and_are_for_several() -> None:
    notes: list[str] = []
    out = shrink({"existing_tests": "a" * 5000, "generated_tests": "b" * 5000}, 6000, notes, context_only=True)
    assert notes == ["existing_tests, generated_tests are cut to about 2,000 characters per value"]
    assert len(out["existing_tests"]) < 5000 and len(out["generated_tests"]) < 5000
    notes.clear()
    shrink({"existing_tests": "a" * 5000, "source_code": "s" * 100}, 1000, notes, context_only=True)
    assert notes == ["existing_tests is cut to about 4,000 characters per value"]


def test_values_are_cut_inside_nested_fields_and_never_below_two_hundred_characters() -> None:
    notes: list[str] = []
    fields = {"existing_tests": [{"src": "x" * 3000}, {"src": "y" * 100}], "source_code": "s" * 100}
    out = shrink(fields, 10_000, notes, context_only=True)
    first = out["existing_tests"][0]["src"]
    # cut to 200 among the context, then again among every field (its marker made it longer)
    assert first == cut_middle(cut_middle("x" * 3000, 200), 200) and out["existing_tests"][1]["src"] == "y" * 100
    assert set(notes) == {"existing_tests is cut to about 200 characters per value"}  # the field, not "src"
    assert out["source_code"] == "s" * 100  # under 200 characters: never cut


def test_nothing_over_excess_is_cut_when_the_context_round_suffices() -> None:
    notes: list[str] = []
    out = shrink({"existing_tests": "a" * 5000, "source_code": "s" * 5000}, 1000, notes, context_only=True)
    assert out["source_code"] == "s" * 5000 and len(notes) == 1


def diff(value: str, *, error: str = "", src: str = "") -> dict[str, Any]:
    return {
        "scope": "test_x",
        "original_pass": True,
        "candidate_pass": False,
        "original_value": value,
        "candidate_value": value + "!",
        "candidate_pytest_error": error,
        "test_src_code": src,
    }


def test_identical_test_differences_are_merged_with_their_count() -> None:
    notes: list[str] = []
    out = merge_diffs([diff("1"), diff("1"), diff("2"), "not a difference"], notes)
    assert [(d["original_value"], d.get("repeats", 1)) for d in out] == [("1", 2), ("2", 1)]
    assert notes == ["4 test differences shown as 2: identical ones are merged"]


def test_different_test_differences_are_all_kept_without_a_note() -> None:
    notes: list[str] = []
    assert len(merge_diffs([diff("1"), diff("2")], notes)) == 2 and notes == []


def test_long_values_sources_and_errors_are_cut() -> None:
    notes: list[str] = []
    long = "v" * 10_000
    [out] = merge_diffs([diff(long, error="e" * 9000, src="s" * 9000)], notes)
    assert len(out["original_value"]) < 10_000 and out["candidate_value"].endswith("!")
    assert len(out["candidate_pytest_error"]) < 9000 and len(out["test_src_code"]) < 9000
    assert "long values of test differences are cut to about 4,000 characters" in notes[0]
    assert "long test sources and errors are cut to about 4,000 characters" in notes
    notes.clear()
    [kept] = merge_diffs([diff("v" * 100, error="e" * 4000, src="s" * 4000)], notes)
    assert kept["candidate_pytest_error"] == "e" * 4000 and notes == []  # at the limit: kept whole


async def test_a_repair_s_differences_are_merged_before_rendering() -> None:
    calls: list[Mapping[str, Any]] = []
    fitted = await fit(Task.REPAIR, {"test_diffs": [diff("1"), diff("1")]}, render_with(calls), budget=10_000)
    assert len(calls[0]["test_diffs"]) == 1 and calls[0]["test_diffs"][0]["repeats"] == 2
    assert fitted.notes == ("2 test differences shown as 1: identical ones are merged",)
    assert "identical ones are merged" in fitted.prompt.user.split("\n\n")[-1]


async def test_a_prompt_exactly_at_its_budget_is_not_cut_and_one_token_over_is() -> None:
    fields = {"source_code": "x" * 1000, "existing_tests": "t" * 3000}
    probe: list[Mapping[str, Any]] = []
    at = tokens(await render_with(probe)(fields))
    calls: list[Mapping[str, Any]] = []
    assert (await fit(Task.OPTIMIZE, fields, render_with(calls), budget=at)).notes == ()
    assert len(calls) == 1
    calls.clear()
    assert (await fit(Task.OPTIMIZE, fields, render_with(calls), budget=at - 1)).notes != ()
    assert len(calls) == 2


async def test_the_first_round_cuts_the_context_before_any_code() -> None:
    """Cutting every field at once would take the code down to about 4,700 characters too."""
    calls: list[Mapping[str, Any]] = []
    fields = {"source_code": "c" * 6000, "read_only_dependency_code": "d" * 12_000}
    await fit(Task.OPTIMIZE, fields, render_with(calls), budget=4000)
    assert calls[1]["source_code"] == "c" * 6000 and len(calls[1]["read_only_dependency_code"]) < 6000


def test_a_value_already_at_the_floor_is_neither_cut_nor_named() -> None:
    notes: list[str] = []
    out = shrink({"existing_tests": "a" * 200, "generated_tests": "b" * 5000}, 100_000, notes, context_only=True)
    assert out["existing_tests"] == "a" * 200
    assert set(notes) == {"generated_tests is cut to about 200 characters per value"}
