"""The prompt budget (pipelines.budget), found by the second share of its mutation run: a mix
whose first model has no configured provider, a repair request without test differences, a stray
entry before a code repair's real differences, and the later rounds' growing cuts."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from codeflash_engine.infra.llm.mix import ModelMix
from codeflash_engine.infra.llm.models import ModelInfo, ModelTable
from codeflash_engine.pipelines.budget import fit, merge_diffs, window_budget
from codeflash_engine.plugins.types import Prompt, Task

TABLE = ModelTable(
    [
        ModelInfo("anthropic", "mid", context_window=100_000, max_output=20_000, input=1.0, output=1.0),
        ModelInfo("openai", "tiny", context_window=2_000, max_output=1_500, input=1.0, output=1.0),
    ]
)


def difference(value: str) -> dict[str, Any]:
    """A code repair's test difference whose candidate value is ``value`` with a ``!`` added."""
    return {
        "scope": "test_x",
        "original_pass": True,
        "candidate_pass": False,
        "original_value": value,
        "candidate_value": value + "!",
    }


def test_a_model_without_a_configured_provider_leaves_the_others_counted() -> None:
    """The mix's first model goes to a provider this engine has no key for: it is left out, and
    the configured model after it still sets the budget."""
    mix = ModelMix.parse("anthropic:mid=1,openai:tiny=1")
    assert window_budget(mix, TABLE, providers=["openai"]) == 1024


async def test_a_repair_without_test_differences_renders_its_fields_as_they_are() -> None:
    """A repair request whose ``test_diffs`` is null (or not a list) has nothing to merge: its
    fields are rendered unchanged, and no note is added."""
    rendered: list[Mapping[str, Any]] = []

    async def render(fields: Mapping[str, Any]) -> Prompt:
        rendered.append(dict(fields))
        return Prompt(system="", user=str(sorted(fields.items())))

    fields = {"source_code": "def f(): ...", "test_diffs": None}
    fitted = await fit(Task.REPAIR, fields, render, budget=10_000)
    assert rendered == [fields] and fitted.notes == ()


def test_a_stray_entry_before_the_differences_leaves_them_merged() -> None:
    """An entry that is not a difference is skipped where it stands: the real differences after it
    are still merged."""
    notes: list[str] = []
    merged = merge_diffs(["not a difference", difference("1"), difference("1")], notes)
    assert [(d["original_value"], d.get("repeats", 1)) for d in merged] == [("1", 2)]
    assert notes == ["3 test differences shown as 1: identical ones are merged"]


async def test_each_later_round_cuts_more_than_the_one_before() -> None:
    """A prompt kept over its budget by a part no field controls: each round after the first asks
    for a tenth more of the overshoot than the one before, so the cuts grow round after round."""
    rendered: list[Mapping[str, Any]] = []

    async def stubborn(fields: Mapping[str, Any]) -> Prompt:
        rendered.append(dict(fields))
        return Prompt(system="s" * 50_000, user="u")

    await fit(Task.OPTIMIZE, {"existing_tests": "t" * 1_000_000}, stubborn, budget=1000)
    lengths = [len(fields["existing_tests"]) for fields in rendered]
    cuts = [longer - shorter for longer, shorter in itertools.pairwise(lengths)]
    assert len(cuts) == 4 and all(later > earlier for earlier, later in itertools.pairwise(cuts))
