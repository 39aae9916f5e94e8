"""Different strategies for the n calls of an optimize fan-out (issue 22).

n copies of one prompt give n copies of one idea (PIE, Shypula et al., ICLR 2024, on the models'
lack of output diversity; AlphaCode 2 varies metadata across samples). Each call of a fan-out gets
its own strategy line, chosen from the code's features (:func:`applicable`), appended at the end
of the user message, after the code: the system prompt, the instructions and the code stay one
identical prefix, which providers cache. The first call is left unconstrained.

Arms: a request whose ``experiment_metadata.group`` is ``control`` gets the identical prompts
(the "identical" arm); every other request the strategies ("diverse"). The arm is recorded with
the trace's features (``extra.prompt_arm``) so an operator compares the arms through
/ai/log_features' outcomes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from codeflash_engine.plugins.prompting import render_partial
from codeflash_engine.plugins.types import CodeFile, Prompt

#: characters of the code the features are read from (the target file comes first)
FEATURE_CHARS = 32_000

DIVERSE = "diverse"
IDENTICAL = "identical"

#: strategies that fit only some code (chosen when the code has the feature, then handed out first)
SPECIFIC = ("vectorise", "concurrency")
#: strategies that fit any code, handed out in this order (those whose feature the code shows first)
GENERAL = ("algorithm", "repeated_work", "builtins", "caching", "allocations")

#: each feature: its alternatives, a word every match of the alternative contains and the
#: pattern that confirms it (None: the word is the whole test). The word is looked for first
#: (a plain substring search), so a pattern runs only where it can match: one regex of many
#: alternatives costs tens of microseconds per kilobyte in ``re``.
Feature = tuple[tuple[str, re.Pattern[str] | None], ...]

NUMERICAL: Feature = tuple(
    (word, re.compile(rf"\b{re.escape(word)}\b"))
    for word in ("numpy", "np.", "pandas", "pd.", "torch", "jax", "scipy", "numba", "polars")
)
LOOP: Feature = (
    ("for", re.compile(r"^\s*for\b|\bfor\s*\(|\bfor\s+\w+\s*:?=\s*range\b", re.MULTILINE)),
    ("while", re.compile(r"^\s*while\b", re.MULTILINE)),
    (".forEach(", None),
)
ASYNC: Feature = (
    ("async", re.compile(r"\basync\b")),
    ("await", re.compile(r"\bawait\b")),
    ("func", re.compile(r"\bgo\s+func\b")),
    ("CompletableFuture", None),
    ("Promise", re.compile(r"\bPromise\b")),
)
BUILDS: Feature = (
    ("+=", None),
    (".append(", None),
    (".add(", None),
    (".push(", None),
    ("[:]", None),
    ("new", re.compile(r"\bnew\s+\w")),
    ("list(", re.compile(r"\blist\(")),
    ("copy(", re.compile(r"\bcopy\(")),
)
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def shows(code: str, feature: Feature) -> bool:
    """Whether ``code`` has one of the ``feature``'s alternatives."""
    return any(word in code and (pattern is None or pattern.search(code) is not None) for word, pattern in feature)


def arm_of(experiment_metadata: Mapping[str, Any] | None) -> str:
    """The prompt arm of a request: "identical" for the control group of an experiment, else "diverse"."""
    group = str((experiment_metadata or {}).get("group") or "").strip().lower()
    return IDENTICAL if group == "control" else DIVERSE


def applicable(files: Sequence[CodeFile], *, is_async: bool = False, is_numerical: bool = False) -> list[str]:
    """The strategies for the code, best fit first: vectorisation when it uses a numerical library,
    concurrency when it is asynchronous, then the general ones, those whose feature the code shows
    (loops: repeated work and built-ins; a call made more than once: caching; building
    collections: allocations) before the others."""
    code = "\n".join(f.code for f in files)[:FEATURE_CHARS]  # read on the event loop: bounded
    loops = shows(code, LOOP)
    calls = _CALL.findall(code)
    repeated_calls = len(calls) != len(set(calls))
    fits = {
        "vectorise": is_numerical or shows(code, NUMERICAL),
        "concurrency": is_async or shows(code, ASYNC),
        "algorithm": True,
        "repeated_work": loops or repeated_calls,
        "builtins": loops,
        "caching": repeated_calls,
        "allocations": shows(code, BUILDS),
    }
    specific = [s for s in SPECIFIC if fits[s]]
    general = [s for s in GENERAL if fits[s]] + [s for s in GENERAL if not fits[s]]
    return specific + general


def assign(n: int, strategies: Sequence[str]) -> list[tuple[str, int] | None]:
    """The strategy of each of ``n`` calls: the first unconstrained (None), the others
    ``(strategy, round)`` through ``strategies`` in turn (round 1 on the second pass, and so on)."""
    if n <= 0:
        return []
    if not strategies:
        return [None] * n
    rest: list[tuple[str, int] | None] = [(strategies[i % len(strategies)], i // len(strategies)) for i in range(n - 1)]
    return [None, *rest]


@functools.lru_cache(maxsize=64)
def strategy_line(strategy: str, round_: int) -> str:
    """The line appended for ``strategy`` on its ``round_``-th pass (the same for every request)."""
    return render_partial("_strategy.j2", strategy=strategy, round=round_).strip()


@attrs.frozen
class Diversified:
    prompts: tuple[Prompt, ...]
    strategies: tuple[str | None, ...]


def diversify(prompt: Prompt, n: int, strategies: Sequence[str]) -> Diversified:
    """``n`` prompts: ``prompt`` itself for the unconstrained call, and ``prompt`` with a strategy
    line at the end of its user message for the others (the prefix is untouched)."""
    prompts = []
    chosen: list[str | None] = []
    for item in assign(n, strategies):
        if item is None:
            prompts.append(prompt)
            chosen.append(None)
            continue
        strategy, round_ = item
        line = strategy_line(strategy, round_)
        prompts.append(attrs.evolve(prompt, user=f"{prompt.user}\n\n{line}"))
        chosen.append(strategy)
    return Diversified(tuple(prompts), tuple(chosen))
