"""Prompts that fit the window of every model they may go to, with room for the answer (issue 22).

The budget of a request is the smallest ``context_window - max_output`` (models.toml) over the
models of the request's mix (its plan's, else the engine's): any of them may answer any call,
fallbacks included. Tokens are estimated at :data:`CHARS_PER_TOKEN` characters each, on the safe
side for code and for the reprs of numbers, which tokenise worse than prose.

A prompt over budget is rendered again from smaller fields, least useful parts first:

1. always: identical test differences of a code repair are merged, and their long values are cut
   around the first character where original and candidate differ (:data:`DIFF_VALUE_CHARS`);
2. over budget: the context fields (read-only code, callers, existing and generated tests,
   other files) are cut, the largest first, until the prompt fits;
3. still over: every text field is cut the same way, the largest first.

Each cut leaves a marker in the value and the prompt ends with a note saying what was shortened.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import attrs

from codeflash_engine.infra.llm.mix import ModelMix
from codeflash_engine.infra.llm.models import ModelTable
from codeflash_engine.plugins.prompting import render_partial
from codeflash_engine.plugins.types import Prompt, Task
from codeflash_engine.text.cuts import cut_middle, cut_pair, water_level

log = logging.getLogger(__name__)

#: characters per token assumed when sizing a prompt (code averages ~3.5, lists of numbers ~2.5)
CHARS_PER_TOKEN = 2.5
#: the window assumed for a model the table does not list (a local server's model): 32k tokens
UNKNOWN_WINDOW = 32_768
#: the answer room assumed for such a model
UNKNOWN_MAX_OUTPUT = 8_192
#: characters kept of each value of a test difference (around the first difference)
DIFF_VALUE_CHARS = 4_000
#: characters kept of a test difference's test source and errors
DIFF_TEXT_CHARS = 4_000
#: fields that are context, not the code being worked on: cut first
CONTEXT_FIELDS = frozenset(
    {
        "dependency_code",
        "read_only_dependency_code",
        "function_references",
        "calling_fn_details",
        "existing_tests",
        "replay_tests",
        "annotated_tests",
        "generated_tests",
        "additional_context_files",
        "module_source_code",
        "benchmark_details",
        "directory_structure",
        "original_line_profiler_results",
        "optimized_line_profiler_results",
        "coverage_details",
        "verified_examples",
    }
)
#: characters a cut value keeps at least (names, the start of a text)
MIN_VALUE = 200
#: how many times a prompt is rendered again to fit
MAX_ROUNDS = 4


def tokens(prompt: Prompt) -> int:
    """The estimated input tokens of ``prompt``."""
    return int((len(prompt.system) + len(prompt.user)) / CHARS_PER_TOKEN) + 8


def window_budget(mix: ModelMix, table: ModelTable, providers: Iterable[str] | None = None) -> int:
    """Input tokens a prompt may have to fit every model of ``mix`` (of ``providers``) with room for
    its largest answer."""
    allowed = set(providers) if providers is not None else None
    sizes = []
    for choice in mix.entries:
        if allowed is not None and choice.provider not in allowed:
            continue
        info = table.lookup(choice.provider, choice.model)
        window, output = (info.context_window, info.max_output) if info else (UNKNOWN_WINDOW, UNKNOWN_MAX_OUTPUT)
        sizes.append(max(window - output, 1024))
    return min(sizes) if sizes else UNKNOWN_WINDOW - UNKNOWN_MAX_OUTPUT


@attrs.frozen
class Fitted:
    prompt: Prompt
    notes: tuple[str, ...] = ()


Render = Callable[[Mapping[str, Any]], Awaitable[Prompt]]


async def fit(task: Task, fields: Mapping[str, Any], render: Render, budget: int) -> Fitted:
    """The prompt of ``fields`` rendered by ``render``, shortened to ``budget`` tokens if needed."""
    notes: list[str] = []
    fields = prepare(task, fields, notes)
    prompt = await render(fields)
    for round_ in range(MAX_ROUNDS):
        over = tokens(prompt) - budget
        if over <= 0:
            break
        excess = int(over * CHARS_PER_TOKEN * (1.0 + 0.1 * round_)) + 512
        fields = shrink(fields, excess, notes, context_only=round_ == 0)
        prompt = await render(fields)
    else:
        if tokens(prompt) > budget:
            log.warning(
                "%s prompt still over its budget (%d > %d tokens) after cutting", task.value, tokens(prompt), budget
            )
    if notes:
        note = render_partial("_budget_note.j2", notes=_unique(notes))
        prompt = attrs.evolve(prompt, user=f"{prompt.user}\n\n{note.strip()}")
    return Fitted(prompt, tuple(_unique(notes)))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def prepare(task: Task, fields: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
    """What is always done: a code repair's identical differences merged and long values cut
    around their first difference."""
    out = dict(fields)
    if task is Task.REPAIR and isinstance(out.get("test_diffs"), list):
        out["test_diffs"] = merge_diffs(out["test_diffs"], notes)
    return out


_DIFF_KEY = (
    "scope",
    "original_pass",
    "candidate_pass",
    "original_value",
    "candidate_value",
    "candidate_pytest_error",
    "original_pytest_error",
)


def merge_diffs(diffs: list[Any], notes: list[str]) -> list[dict[str, Any]]:
    """Identical differences (same scope, values and errors, as shown) as one, with ``repeats``
    (how many tests showed it); values cut around their first difference, test sources and errors
    cut. Each value is cut before it is compared, so a request's megabytes are never hashed."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for diff in diffs:
        if not isinstance(diff, Mapping):
            continue
        item = dict(diff)
        a, b = cut_pair(item.get("original_value"), item.get("candidate_value"), DIFF_VALUE_CHARS)
        if (a, b) != (item.get("original_value"), item.get("candidate_value")):
            notes.append(
                f"long values of test differences are cut to about {DIFF_VALUE_CHARS:,} characters "
                "around the first character where they differ"
            )
        item["original_value"], item["candidate_value"] = a, b
        for name in ("test_src_code", "candidate_pytest_error", "original_pytest_error"):
            value = item.get(name)
            if isinstance(value, str) and len(value) > DIFF_TEXT_CHARS:
                item[name] = cut_middle(value, DIFF_TEXT_CHARS)
                notes.append(f"long test sources and errors are cut to about {DIFF_TEXT_CHARS:,} characters")
        key = tuple(str(item.get(k)) for k in _DIFF_KEY)
        if key in merged:
            merged[key]["repeats"] = merged[key].get("repeats", 1) + 1
            continue
        merged[key] = item
    out = list(merged.values())
    if len(out) < len(diffs):
        notes.append(f"{len(diffs)} test differences shown as {len(out)}: identical ones are merged")
    return out


def _strings(value: Any, path: tuple[Any, ...] = ()) -> Iterable[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(v, (*path, k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))


def _replace(value: Any, path: tuple[Any, ...], new: str) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, Mapping):
        return {**value, head: _replace(value[head], rest, new)}
    items = list(value)
    items[head] = _replace(items[head], rest, new)
    return items


def shrink(fields: Mapping[str, Any], excess: int, notes: list[str], *, context_only: bool) -> dict[str, Any]:
    """``fields`` with their longest strings cut to one common length so that about ``excess``
    characters go: the context fields first (with ``context_only``), down to :data:`MIN_VALUE`
    characters each if need be, then every field for what is left."""
    out = dict(fields)
    groups = [sorted(k for k in out if k in CONTEXT_FIELDS)] if context_only else []
    groups.append(sorted(out))
    for names in groups:
        found = [((name, *path), text) for name in names for path, text in _strings(out[name])]
        level = water_level([len(t) for _, t in found], excess)
        cap = max(level or 0, MIN_VALUE)
        cut = [(p, t) for p, t in found if len(t) > cap]
        for path, text in cut:
            out[path[0]] = _replace(out[path[0]], path[1:], cut_middle(text, cap))
            excess -= len(text) - cap
        if cut:
            shown = sorted({str(p[0]) for p, _ in cut})
            notes.append(
                f"{', '.join(shown)} {'is' if len(shown) == 1 else 'are'} cut to about {cap:,} characters per value"
            )
        if excess <= 0:
            break
    return out
