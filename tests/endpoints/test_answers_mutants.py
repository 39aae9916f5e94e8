"""Reading fields out of free-form answers (JSON, tags, fenced blocks) and asking again once, with
the engine of a running app and the fake LLM: which value an answer gives, how many calls are
made, and what a failure of the first call or of the retry becomes. Found by the mutation run of
pipelines/answers.py."""

from __future__ import annotations

import time
from typing import Any

import pytest

from codeflash_engine.errors import EngineError
from codeflash_engine.http.state import ENGINE
from codeflash_engine.infra.llm.deadline import Deadline
from codeflash_engine.pipelines.answers import MAX_BARE_ATTEMPTS, ask_and_read, json_value, json_values, tagged
from codeflash_engine.plugins.types import Prompt, Task
from codeflash_engine.testing.engine import EngineClient
from codeflash_engine.testing.fake_llm import FakeLLM, Fault

PROMPT = Prompt(system="Rank the diffs.", user="Diffs: ...")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('I weighed [1, 2] first.\n```json\n{"ranking": [2, 0]}\n```', {"ranking": [2, 0]}),
        ("I weighed [1, 2] first.\n```json\n[2, 0 1]\n```\nFixed:\n```JSON\n[2, 0, 1]\n```", [2, 0, 1]),
        ("```\n[1]\n```", [1]),
        ("```json\n[3, 1]", [3, 1]),
        ('My ranking: {oops} [then] {"ranking": [1, 0]} and [9]', {"ranking": [1, 0]}),
        ('"ranking": 1, 0', None),
        ("", None),
    ],
    ids=["fence-before-prose", "second-fence", "bare-fence", "unclosed-fence", "bare-after-junk", "no-json", "empty"],
)
def test_json_value_is_the_first_readable_fenced_value_else_the_first_bare_one(text: str, value: object) -> None:
    """A fenced block is what the model meant as its answer, even after a bracket in its prose; a
    block that does not parse is passed over for the next; without one, the first bare value that
    parses counts."""
    assert json_value(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("<explanation>\n  Uses sorted().  \n</explanation>", "Uses sorted()."),
        ("<explanation>  \n </explanation>", None),
        ("no tags at all", None),
    ],
)
def test_tagged_is_the_stripped_content_or_none(text: str, value: str | None) -> None:
    """An empty tag is no answer (asked again), not an empty explanation."""
    assert tagged(text, "explanation") == value


async def read_with(engine_client: EngineClient, read: Any, *, deadline: float = 10.0) -> object:
    engine = engine_client.app[ENGINE]
    return await ask_and_read(
        engine, PROMPT, task=Task.RANK, trace_id=None, deadline=Deadline.after(deadline), read=read
    )


def numbers(text: str) -> list[int] | None:
    value = json_value(text)
    return value if isinstance(value, list) else None


async def test_an_answer_understood_at_once_is_one_call_even_when_it_is_empty(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """An empty list is a value (``[]``, no ranking): it is returned, not asked for again."""
    fake_llm.reply("[]")
    assert await read_with(engine_client, numbers) == []
    assert len(fake_llm.requests) == 1


async def test_an_answer_not_understood_is_asked_for_once_more(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("the second one", times=1)
    fake_llm.reply("[1, 0]")
    assert await read_with(engine_client, numbers) == [1, 0]
    fake_llm.reset()
    fake_llm.reply("the second one")
    assert await read_with(engine_client, numbers) is None
    assert len(fake_llm.requests) == 2  # once more, not again and again


async def test_a_first_call_that_fails_is_an_error_a_failing_retry_is_an_answer_not_understood(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """When no model answers at all the caller must say so (502), not "could not be read"; a
    retry that fails leaves the first answer not understood."""
    fake_llm.fail(Fault.bad_request("no"))
    with pytest.raises(EngineError, match="every LLM call"):
        await read_with(engine_client, numbers)
    fake_llm.reset()
    fake_llm.reply("the second one", times=1)
    fake_llm.fail(Fault.bad_request("no"))
    assert await read_with(engine_client, numbers) is None
    assert len(fake_llm.requests) == 2


async def test_no_retry_once_the_deadline_has_passed(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    """An answer read after the request's deadline is not asked for again (the client is waiting)."""
    fake_llm.reply("the second one")

    def slow_numbers(text: str) -> list[int] | None:
        time.sleep(0.6)  # the reading outlives the deadline
        return numbers(text)

    assert await read_with(engine_client, slow_numbers, deadline=0.5) is None
    assert len(fake_llm.requests) == 1


async def test_a_deadline_already_passed_is_an_error_not_an_answer_not_understood(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """With no time left for even the first call the caller must report the deadline, not say the
    model's answer could not be read (no call was made)."""
    with pytest.raises(EngineError, match="deadline passed before the LLM call"):
        await read_with(engine_client, numbers, deadline=-1)
    assert fake_llm.requests == []


def test_json_value_takes_the_first_value_of_the_wanted_shape_and_never_one_inside_another() -> None:
    """A reader names the shape it expects: values of another shape are passed over, fenced ones
    first, and a value nested in a bare one is not read on its own."""
    is_list = lambda value: isinstance(value, list)  # noqa: E731 - a predicate, named for the calls below
    assert json_value('Note {"cache": [0]} then [2, 1]', is_list) == [2, 1]
    assert json_value('[1] and ```json\n{"a": 1}\n```\n```json\n[3]\n```', is_list) == [3]
    assert json_value("values[0] is read once: [1, 0]", lambda value: value != [0]) == [1, 0]
    assert json_value('{"a": 1}', is_list) is None


def test_json_values_pass_over_a_run_of_brackets_too_deep_to_read_at_once() -> None:
    """Every bracket of ``[[[[...`` opens a value nested past the parser's depth; the run is passed
    over (its last bracket tried once more) and the value after it is read."""
    assert json_value("[" * 5000 + ' then {"a": [1]}') == {"a": [1]}
    assert json_value("x = " + "[ " * 3000 + '\n{"b": 2}') == {"b": 2}
    assert json_value("```json\n" + "[" * 5000 + "\n```\n[3]") == [3]


def test_json_values_try_a_bounded_number_of_bare_values() -> None:
    """An answer of brackets everywhere is read in bounded time: past MAX_BARE_ATTEMPTS tries,
    the rest is not read (the answer is not understood and asked for again)."""
    almost = "[x " * (MAX_BARE_ATTEMPTS - 1)
    assert json_value(almost + "[1]") == [1]
    assert json_value(almost + "[x [1]") is None
    assert list(json_values('[1] {"a": [2, [3]]} [4]')) == [[1], {"a": [2, [3]]}, [4]]
