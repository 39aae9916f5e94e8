"""The verified wins kept and shown as examples (pipelines/examples.py): what its mutation run
found untested, against a stand-in store and recorder (the whole-engine path is
tests/db/test_verified_wins.py).

- which candidate of a /ai/log_features body is a win: correct, at least 10 % faster (from the
  speedup, else from the runtimes), with code; the client's best if it qualifies, else the fastest;
- a win is kept for the organization, else the user, never over the token cap, never without
  code, never in privacy mode or with the switch off;
- the explanations kept with the trace, cut;
- the examples of a prompt: searched with the first words of the code, shown within the token cap
  in the store's order, their code without fences, their speedup in percent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any, cast

import pytest

from codeflash_engine.infra.db.wins import VerifiedWin
from codeflash_engine.infra.logging import user_id_var
from codeflash_engine.infra.records import FeaturesRecord, organization_id_var
from codeflash_engine.infra.tenancy import privacy_var
from codeflash_engine.pipelines import examples
from codeflash_engine.pipelines.candidates import CandidateOut
from codeflash_engine.pipelines.common import Engine
from codeflash_engine.pipelines.examples import (
    best_win,
    examples_for,
    flat_code,
    record_win,
    remember_explanations,
)

ORIGINAL = "```python:pkg/m.py\ndef pair_sums(numbers):\n    return numbers\n```"
FAST = "```python:pkg/m.py\ndef pair_sums(numbers):\n    return list(numbers)\n```"


class Store:
    """What the examples use of a store: features rows, wins kept, and a search that answers
    ``found`` (or raises ``error``) and notes what it was asked."""

    def __init__(self) -> None:
        self.features: dict[str, dict[str, Any]] = {}
        self.added: list[VerifiedWin] = []
        self.found: list[VerifiedWin] = []
        self.error: Exception | None = None
        self.searches: list[tuple[str, list[str], int]] = []

    async def get_features(self, trace_id: str) -> dict[str, Any] | None:
        return self.features.get(trace_id)

    async def add_verified_win(self, win: VerifiedWin) -> None:
        self.added.append(win)

    async def similar_wins(self, tenant: str, query: Sequence[str], limit: int) -> list[VerifiedWin]:
        self.searches.append((tenant, list(query), limit))
        if self.error is not None:
            raise self.error
        return self.found


class Recorder:
    def __init__(self) -> None:
        self.records: list[object] = []

    def record(self, record: object) -> bool:
        self.records.append(record)
        return True


def _engine(*, switch: bool = True, tokens: int = 3000) -> tuple[Engine, Store, Recorder]:
    store, recorder = Store(), Recorder()
    settings = SimpleNamespace(
        codeflash_engine_verified_examples=switch, codeflash_engine_verified_examples_tokens=tokens
    )
    return cast(Engine, SimpleNamespace(settings=settings, store=store, recorder=recorder)), store, recorder


@pytest.fixture(autouse=True)
def _nobody() -> Iterator[None]:
    """No user, no organization, no privacy mode unless a test sets them."""
    tokens = (user_id_var.set(None), organization_id_var.set(None), privacy_var.set(False))
    yield
    user_id_var.reset(tokens[0])
    organization_id_var.reset(tokens[1])
    privacy_var.reset(tokens[2])


def _win(
    trace: str, *, original: str = ORIGINAL, optimized: str = FAST, speedup: float = 0.5, why: str = ""
) -> VerifiedWin:
    return VerifiedWin.of(
        tenant="org:1",
        trace_id=trace,
        optimization_id="o-" + trace,
        original=original,
        optimized=optimized,
        speedup=speedup,
        explanation=why,
    )


# --- which candidate is a win --------------------------------------------------------------------


def _report(**over: Any) -> dict[str, Any]:
    return {
        "speedup_ratio": {},
        "original_runtime": None,
        "optimized_runtime": {},
        "is_correct": {},
        "optimizations_post": {},
        "metadata": None,
        **over,
    }


def test_a_win_is_correct_at_least_ten_percent_faster_and_has_code() -> None:
    code = {"a": FAST, "b": FAST}
    assert best_win(_report(is_correct={"a": True}, speedup_ratio={"a": 0.1}, optimizations_post=code)) == ("a", 0.1)
    assert best_win(_report(is_correct={"a": True}, speedup_ratio={"a": 0.5}, optimizations_post=code)) == ("a", 0.5)
    assert best_win(_report(is_correct={"a": True}, speedup_ratio={"a": 0.0999}, optimizations_post=code)) is None
    assert best_win(_report(is_correct={"a": True}, speedup_ratio={"a": 0.05}, optimizations_post=code)) is None
    assert best_win(_report(is_correct={"a": False}, speedup_ratio={"a": 3.0}, optimizations_post=code)) is None
    assert best_win(_report(is_correct={"a": 1}, speedup_ratio={"a": 3.0}, optimizations_post=code)) is None
    assert best_win(_report(is_correct={"a": True}, speedup_ratio={"a": 3.0}, optimizations_post={"a": ""})) is None
    assert best_win(_report(is_correct={"a": True}, speedup_ratio={"a": None}, optimizations_post=code)) is None
    assert best_win(_report(is_correct={"a": True}, speedup_ratio={"a": "3"}, optimizations_post=code)) is None
    assert best_win(_report(is_correct=None, speedup_ratio={"a": 3.0}, optimizations_post=code)) is None
    assert best_win(_report(is_correct={"a": True}, speedup_ratio={"a": 3.0}, optimizations_post=None)) is None
    assert best_win({}) is None


def test_the_gain_from_the_runtimes_when_no_speedup_is_given() -> None:
    """original / optimized - 1: 1000 ns against 500 ns is a gain of 1.0 (100 % faster); no gain
    from a zero, missing or non-numeric runtime."""
    both = {"is_correct": {"a": True}, "optimizations_post": {"a": FAST}, "original_runtime": 1000}
    assert best_win({**both, "optimized_runtime": {"a": 500}}) == ("a", 1.0)
    assert best_win({**both, "optimized_runtime": {"a": 800}, "speedup_ratio": None}) == ("a", 0.25)
    assert best_win({**both, "optimized_runtime": {"a": 950}}) is None  # 5 % faster: no win
    assert best_win({**both, "optimized_runtime": {"a": 1}}) == ("a", 999.0)
    assert best_win({**both, "optimized_runtime": {"a": 0}}) is None
    assert best_win({**both, "optimized_runtime": {"a": -500}}) is None
    assert best_win({**both, "optimized_runtime": {"a": "500"}}) is None
    assert best_win({**both, "optimized_runtime": None}) is None
    assert best_win({**both, "original_runtime": None, "optimized_runtime": {"a": 500}}) is None
    # a given speedup wins over the runtimes
    assert best_win({**both, "optimized_runtime": {"a": 500}, "speedup_ratio": {"a": 0.3}}) == ("a", 0.3)


def test_the_client_s_best_if_it_qualifies_else_the_fastest_then_the_smaller_id() -> None:
    correct = {"a": True, "b": True, "c": True, "d": False}
    ratios = {"a": 0.5, "b": 2.0, "c": 0.2, "d": 9.0}
    code = {k: FAST for k in correct}
    base = _report(is_correct=correct, speedup_ratio=ratios, optimizations_post=code)
    assert best_win(base) == ("b", 2.0)
    assert best_win({**base, "metadata": {"best_optimization_id": "c"}}) == ("c", 0.2)
    assert best_win({**base, "metadata": {"best_optimization_id": "d"}}) == ("b", 2.0)
    assert best_win({**base, "metadata": {"best_optimization_id": None}}) == ("b", 2.0)
    tie = _report(
        is_correct={"y": True, "x": True},
        speedup_ratio={"y": 1.0, "x": 1.0},
        optimizations_post=code | {"x": FAST, "y": FAST},
    )
    assert best_win(tie) == ("x", 1.0)


# --- keeping a win -------------------------------------------------------------------------------


def _payload(ident: str = "o1", gain: float = 0.5, code: str = FAST) -> dict[str, Any]:
    return _report(is_correct={ident: True}, speedup_ratio={ident: gain}, optimizations_post={ident: code})


async def test_a_win_is_kept_for_the_organization_else_the_user() -> None:
    engine, store, _ = _engine()
    store.features["t1"] = {"original_code": ORIGINAL, "extra": {"explanation:o1": "fewer copies"}}
    kept = await record_win(engine, trace_id="t1", user_id="alice", organization_id=None, payload=_payload())
    assert kept == VerifiedWin.of(
        tenant="user:alice",
        trace_id="t1",
        optimization_id="o1",
        original=ORIGINAL,
        optimized=FAST,
        speedup=0.5,
        explanation="fewer copies",
    )
    assert store.added == [kept]
    kept = await record_win(engine, trace_id="t1", user_id="alice", organization_id=7, payload=_payload())
    assert kept is not None and kept.tenant == "org:7"
    # the request's own user and organization when the call names none
    user_id_var.set("bob")
    kept = await record_win(engine, trace_id="t1", user_id=None, organization_id=None, payload=_payload())
    assert kept is not None and kept.tenant == "user:bob"
    organization_id_var.set(9)
    kept = await record_win(engine, trace_id="t1", user_id="alice", organization_id=None, payload=_payload())
    assert kept is not None and kept.tenant == "org:9"


async def test_no_win_without_a_tenant_a_winner_code_or_the_switch() -> None:
    engine, store, _ = _engine()
    store.features["t1"] = {"original_code": ORIGINAL}
    assert await record_win(engine, trace_id="t1", user_id=None, organization_id=None, payload=_payload()) is None
    assert (
        await record_win(engine, trace_id="t1", user_id="a", organization_id=None, payload=_payload(gain=0.01)) is None
    )
    assert await record_win(engine, trace_id="t9", user_id="a", organization_id=None, payload=_payload()) is None
    store.features["t2"] = {"original_code": "", "extra": None}
    assert await record_win(engine, trace_id="t2", user_id="a", organization_id=None, payload=_payload()) is None
    off, off_store, _ = _engine(switch=False)
    off_store.features["t1"] = {"original_code": ORIGINAL}
    assert await record_win(off, trace_id="t1", user_id="a", organization_id=None, payload=_payload()) is None
    privacy_var.set(True)
    assert await record_win(engine, trace_id="t1", user_id="a", organization_id=None, payload=_payload()) is None
    assert store.added == [] and off_store.added == []


async def test_a_win_that_could_never_be_shown_is_not_kept() -> None:
    """Original, optimized code and explanation together within the cap (2.5 characters a token):
    100 tokens hold 250 characters, not 251."""
    engine, store, _ = _engine(tokens=100)
    original = "o" * 100
    store.features["t1"] = {"original_code": original, "extra": {"explanation:o1": "e" * 50}}
    assert await record_win(engine, trace_id="t1", user_id="a", organization_id=None, payload=_payload(code="f" * 100))
    assert (
        await record_win(engine, trace_id="t1", user_id="a", organization_id=None, payload=_payload(code="f" * 101))
        is None
    )
    assert len(store.added) == 1


def test_the_switch_and_privacy_mode() -> None:
    assert examples.enabled(_engine()[0]) is True
    assert examples.enabled(_engine(switch=False)[0]) is False
    privacy_var.set(True)
    assert examples.enabled(_engine()[0]) is False


def test_remember_explanations_keeps_each_cut() -> None:
    engine, _, recorder = _engine()
    user_id_var.set("alice")
    found = [
        CandidateOut(source_code=FAST, explanation="x" * 2001, optimization_id="c1", parent_id=None, model=None),
        CandidateOut(source_code=FAST, explanation="short", optimization_id="c2", parent_id=None, model=None),
    ]
    remember_explanations(engine, "t1", found)
    assert recorder.records == [
        FeaturesRecord("t1", "alice", {"explanation:c1": "x" * 2000, "explanation:c2": "short"})
    ]
    remember_explanations(engine, "t1", [])
    remember_explanations(_engine(switch=False)[0], "t1", found)
    assert len(recorder.records) == 1


# --- showing examples ----------------------------------------------------------------------------


def test_an_example_s_code_is_shown_without_fences_or_paths() -> None:
    two = "```python:a.py\nx = 1\n\n```\n```python:b.py\n  y = 2\n```"
    assert flat_code(two) == "x = 1\n\ny = 2"
    assert flat_code("plain text, no block") == "plain text, no block"


async def test_the_examples_are_searched_with_the_code_s_first_words() -> None:
    engine, store, _ = _engine()
    organization_id_var.set(3)
    assert await examples_for(engine, "x = y") == []  # no search words: no search
    assert store.searches == []
    await examples_for(engine, " " * 15_995 + "alphabet")
    assert store.searches == [("org:3", ["alpha"], 4)]
    many = [f"w{a}{b}" for a in "bcdfghjk" for b in "bcdfghjklm"][:65]
    await examples_for(engine, " ".join(reversed(many)))
    assert store.searches[-1] == ("org:3", sorted(many)[:64], 4)


async def test_no_examples_without_a_tenant_the_switch_or_a_working_search(caplog: pytest.LogCaptureFixture) -> None:
    engine, store, _ = _engine()
    store.found = [_win("t1")]
    assert await examples_for(engine, ORIGINAL) == []  # nobody
    user_id_var.set("alice")
    assert [e["speedup_percent"] for e in await examples_for(engine, ORIGINAL)] == [50]
    assert store.searches[-1][0] == "user:alice"
    off, off_store, _ = _engine(switch=False)
    off_store.found = [_win("t1")]
    assert await examples_for(off, ORIGINAL) == []
    store.error = RuntimeError("the database is down")
    with caplog.at_level(logging.WARNING, logger=examples.__name__):
        assert await examples_for(engine, ORIGINAL) == []
    [warning] = [r for r in caplog.records if r.name == examples.__name__]
    assert warning.exc_info is not None and warning.exc_info[1] is store.error  # the operator sees why
    privacy_var.set(True)
    store.error = None
    assert await examples_for(engine, ORIGINAL) == []


async def test_examples_are_shown_within_the_cap_in_the_store_s_order() -> None:
    """The cap (tokens * 2.5 characters) is spent on the examples in the store's order: one that
    does not fit in what is left is skipped, a later smaller one still shown, one that fits
    exactly shown."""
    engine, store, _ = _engine(tokens=100)  # 250 characters
    user_id_var.set("alice")

    def sized(trace: str, size: int, speedup: float) -> VerifiedWin:
        return _win(trace, original="o" * (size - 2), optimized="f", speedup=speedup, why="e")

    store.found = [sized("a", 150, 0.256), sized("b", 120, 1.0), sized("c", 100, 3.0), sized("d", 1, 0.1)]
    shown = await examples_for(engine, ORIGINAL)
    assert [(len(e["original"]), e["speedup_percent"]) for e in shown] == [(148, 26), (98, 300)]
    assert shown[0] == {"original": "o" * 148, "optimized": "f", "speedup_percent": 26, "explanation": "e"}
    store.found = [_win("x", original="```python:a.py\nx = 1\n```", optimized="```python:a.py\nx = 2\n```")]
    assert [(e["original"], e["optimized"]) for e in await examples_for(engine, ORIGINAL)] == [("x = 1", "x = 2")]
