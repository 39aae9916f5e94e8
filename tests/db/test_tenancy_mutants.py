"""Privacy mode and a plan's model mix as the lower layers apply them (infra/tenancy.py): what a
private features row and a private log line keep, and which mix serves a plan, with its warning
once (what the mutation run of tenancy.py found untested)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest

from codeflash_engine.infra import tenancy
from codeflash_engine.infra.llm.mix import ModelMix
from codeflash_engine.infra.tenancy import (
    WITHHELD,
    install_private_logging,
    numbers_and_ids,
    plan_models_var,
    privacy_var,
    private_features,
    request_mix,
)

ENGINE_MIX = ModelMix.parse("openai:gpt-4.1=1")
PROVIDERS = ("openai",)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (None, None),
        (3, 3),
        (2.5, 2.5),
        (False, False),
        ("o-1.a:b/c@d+e", "o-1.a:b/c@d+e"),
        ("sorted(xs)", None),
        ("x" * 101, None),
        ({"speedup": 1.5, "id": "o1", "best": None}, {"speedup": 1.5, "id": "o1", "best": None}),
        ({"code": "def f(): pass", "note": "two words", "ok": 1}, {"ok": 1}),
        ({"not a token": 1, "o2": {"inner": "a b", "n": 2}}, {"o2": {"n": 2}}),
        ([1, "x = 1", None, "o1", [2, "a b"]], [1, "o1", [2]]),
        (("o1", "o 2"), ["o1"]),
        ({1, 2}, None),
    ],
)
def test_numbers_and_ids_keeps_no_code(value: object, kept: object) -> None:
    """Numbers, booleans, nulls and plain tokens are kept; any other string is dropped with its
    key (a null the client sent stays a null); lists keep what is left, in order."""
    assert numbers_and_ids(value) == kept


def test_a_private_features_row_keeps_no_code_field() -> None:
    """The fields that hold code are dropped whole, even when their value looks like a token."""
    payload = {"original_code": "x", "optimizations_post": {"o1": "y"}, "optimized_line_profiler_results": None}
    assert private_features({**payload, "speedup_ratio": {"o1": 2.0}, "trace_id": "t-1"}) == {
        "speedup_ratio": {"o1": 2.0},
        "trace_id": "t-1",
    }


@pytest.fixture
def private() -> Iterator[None]:
    """Private logging installed and the current context in privacy mode."""
    install_private_logging()
    token = privacy_var.set(True)
    try:
        yield
    finally:
        privacy_var.reset(token)


def _raised() -> ValueError:
    try:
        raise ValueError("def secret(): pass")
    except ValueError as exc:
        return exc


def test_a_private_log_line_keeps_numbers_and_tokens_only(caplog: pytest.LogCaptureFixture, private: None) -> None:
    """In privacy mode a log line keeps its numeric, boolean, null and token arguments; code,
    lists and objects are withheld; an exception keeps its type only, whichever way it is given."""
    log = logging.getLogger("test.tenancy")
    caplog.set_level(logging.INFO, logger="test.tenancy")
    log.info("%s %s %s %s %s %s %s", 7, 1.5, True, None, "o1", "sorted(xs)", ["a"])
    log.info("%(id)s %(code)s", {"id": "t-1", "code": "x = 1"})
    log.warning("failed", exc_info=_raised())
    log.warning("failed again", exc_info=ValueError("x = 2"))  # never raised: no traceback
    first, mapping, raised, unraised = caplog.records
    assert first.getMessage() == f"7 1.5 True None o1 {WITHHELD} {WITHHELD}"
    assert mapping.getMessage() == f"t-1 {WITHHELD}"
    assert raised.getMessage() == f"failed [ValueError: {WITHHELD}]" and raised.exc_info is None
    assert unraised.getMessage() == f"failed again [ValueError: {WITHHELD}]" and unraised.exc_info is None
    assert "secret" not in caplog.text and "x = 2" not in caplog.text


def test_a_log_line_outside_privacy_mode_is_kept_whole(caplog: pytest.LogCaptureFixture) -> None:
    """Without privacy mode nothing is withheld: the arguments and the exception are logged."""
    install_private_logging()
    caplog.set_level(logging.INFO, logger="test.tenancy")
    logging.getLogger("test.tenancy").warning("%s", "sorted(xs)", exc_info=_raised())
    (record,) = caplog.records
    assert record.getMessage() == "sorted(xs)" and record.exc_info is not None


def test_installing_private_logging_twice_wraps_the_factory_once() -> None:
    """install_private_logging is idempotent: called again (each app calls it), the record
    factory is not wrapped again."""
    install_private_logging()
    factory = logging.getLogRecordFactory()
    install_private_logging()
    assert logging.getLogRecordFactory() is factory


def _plan_mix(text: str) -> ModelMix:
    token = plan_models_var.set(text)
    try:
        return request_mix(ENGINE_MIX, PROVIDERS)
    finally:
        plan_models_var.reset(token)


def test_a_plans_mix_is_kept_to_the_engines_providers(caplog: pytest.LogCaptureFixture) -> None:
    """A plan's mix serves the request, less the providers the engine lacks, with no warning;
    without a plan the engine's mix serves."""
    model = f"gpt-{uuid.uuid4().hex[:8]}"
    caplog.set_level(logging.WARNING, logger=tenancy.log.name)
    assert str(_plan_mix(f"openai:{model}=1,anthropic:claude-x=3")) == str(ModelMix.parse(f"openai:{model}=1"))
    assert request_mix(ENGINE_MIX, PROVIDERS) is ENGINE_MIX
    assert caplog.records == []


def test_a_plans_unusable_mix_falls_back_with_one_warning_each(caplog: pytest.LogCaptureFixture) -> None:
    """A plan naming only providers the engine lacks, or a mix that does not parse, is served by
    the engine's mix, with one warning per plan however often (and in whatever order) it is used."""
    absent = f"anthropic:claude-{uuid.uuid4().hex[:8]}=1"
    broken = f"openai:gpt-{uuid.uuid4().hex[:8]}=many"
    caplog.set_level(logging.WARNING, logger=tenancy.log.name)
    for _ in range(3):
        assert _plan_mix(absent) is ENGINE_MIX
        assert _plan_mix(broken) is ENGINE_MIX
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert "names no configured provider" in messages[0] and absent in messages[0]
    assert "cannot be used" in messages[1] and broken in messages[1]
