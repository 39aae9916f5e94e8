"""/ai/testgen and /ai/testgen_review through the whole engine and the fake LLM: what the model is
told about the target (its qualified name, its class, async, the time limit), what a retry is
told, and which of the model's reviews reach the client. Found by the mutation run of
pipelines/testgen.py."""

from __future__ import annotations

import json
from typing import Any

import endpoint_samples as s
import pytest

from codeflash_engine.pipelines.testgen import read_reviews, target_of
from codeflash_engine.plugins.types import Target
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import FakeLLM

# --- what the model is told about the target --------------------------------------------------------


async def testgen_prompt(engine_client: EngineClient, fake_llm: FakeLLM, **over: Any) -> str:
    """The user message of the first testgen call for the sample request changed by ``over``."""
    fake_llm.reply(s.TESTS_ANSWER)
    await call(engine_client, "/ai/testgen", s.testgen(**over))
    return fake_llm.requests[0].user


def method_of(*classes: str) -> dict[str, Any]:
    parents = [{"name": name, "type": "ClassDef"} for name in classes]
    return dict(s.FUNCTION_TO_OPTIMIZE, parents=parents, is_method=True)


@pytest.mark.parametrize(
    ("over", "said"),
    [
        (
            {"function_to_optimize": method_of("Outer", "Sorter"), "qualified_name": None},
            "Write regression tests for `Outer.Sorter.sort_list` (the method `sort_list` of class `Sorter`)",
        ),
        (
            {"function_to_optimize": method_of("Sorter"), "qualified_name": None, "class_name": None},
            "Write regression tests for `Sorter.sort_list` (the method `sort_list` of class `Sorter`)",
        ),
        (
            {
                "function_to_optimize": method_of("Outer", "Sorter"),
                "qualified_name": "Sorted.sort_list",
                "class_name": "Sorted",
            },
            "Write regression tests for `Sorted.sort_list` (the method `sort_list` of class `Sorted`)",
        ),
        ({"qualified_name": None}, "Write regression tests for `sort_list`.\n"),
    ],
    ids=["nested-class", "one-class", "the-client-s-names-win", "free-function"],
)
async def test_the_prompt_names_the_target_by_its_classes(
    engine_client: EngineClient, fake_llm: FakeLLM, over: dict[str, Any], said: str
) -> None:
    """Without the client's qualified name, the target is named by its parent classes, and the
    class it is a method of is the innermost one; names the client gives win."""
    assert said in await testgen_prompt(engine_client, fake_llm, **over)


@pytest.mark.parametrize(
    ("request_async", "function_async", "told"),
    [(None, True, True), (None, False, False), (False, True, False), (True, False, True)],
)
async def test_the_prompt_says_async_as_the_request_or_else_the_function_says(
    engine_client: EngineClient,
    fake_llm: FakeLLM,
    request_async: bool | None,
    function_async: bool,
    told: bool,
) -> None:
    """The request's ``is_async`` decides whether the model is told to write async tests; when it
    is null, the function's own flag does."""
    fto = dict(s.FUNCTION_TO_OPTIMIZE, is_async=function_async)
    prompt = await testgen_prompt(engine_client, fake_llm, function_to_optimize=fto, is_async=request_async)
    assert ("`sort_list` is a coroutine function: write `async def test_...` functions" in prompt) is told


async def test_the_prompt_gives_the_request_s_time_limit(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    prompt = await testgen_prompt(engine_client, fake_llm, test_timeout=40)
    assert "every test well within 40 seconds" in prompt


def test_the_target_as_the_pipeline_reads_it_from_the_request() -> None:
    """The target's file is the code block whose path ends the function's absolute path; a field
    the request leaves out gets its default (a 15 s time limit, no helpers, not async)."""
    source = "```python:pkg/models.py\nclass Item: ...\n```\n```python:./pkg/sorter.py\ndef sort_list(xs): ...\n```"
    fields = {"module_path": "pkg.sorter", "test_module_path": "tests.test_x", "test_framework": "pytest"}
    fto = {"function_name": "sort_list", "file_path": "/home/me/project/pkg/sorter.py", "parents": [{"name": "S"}]}
    target = target_of(fto, fields, source)
    assert target.target == Target(
        name="sort_list", qualified_name="S.sort_list", class_name="S", path="./pkg/sorter.py"
    )
    assert (target.test_timeout, target.helper_function_names, target.is_async, target.module_system) == (
        15,
        (),
        False,
        None,
    )
    given = {**fields, "test_timeout": 40, "helper_function_names": ["_merge", "_swap"], "module_system": "esm"}
    target = target_of({**fto, "is_async": True}, given, source)
    assert (target.test_timeout, target.helper_function_names, target.is_async, target.module_system) == (
        40,
        ("_merge", "_swap"),
        True,
        "esm",
    )
    assert target_of({**fto, "file_path": "/elsewhere/other.py"}, fields, source).target.path is None
    # a parent without a name (an anonymous scope) is no class of the target
    unnamed = target_of({**fto, "parents": [{"name": ""}]}, fields, source).target
    assert (unnamed.qualified_name, unnamed.class_name) == ("sort_list", None)


async def test_a_context_class_the_tests_use_is_imported_from_its_file(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """Each code block of the request is a file of its own: a class of another block that the
    model's tests use without importing it is imported from that block's module."""
    models = "```python:pkg/models.py\nclass Item:\n    def __init__(self, price):\n        self.price = price\n```"
    fake_llm.reply(
        "```python\nfrom pkg.sorter import sort_list\n\n\ndef test_prices():\n"
        "    assert sort_list([Item(2).price, Item(1).price]) == [1, 2]\n```"
    )
    status, body = await call(
        engine_client, "/ai/testgen", s.testgen(source_code_being_tested=f"{models}\n{s.SORTER_MD}")
    )
    assert status == 200, body
    assert "from pkg.models import Item\n" in body["generated_tests"]


# --- what a retry is told -----------------------------------------------------------------------------


async def test_the_retry_is_told_what_was_wrong_with_the_first_answer(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """The second call carries the first answer's problem (and the first call none); the tests of
    the second answer are what the client gets, with the raw answer they came from."""
    fake_llm.reply("Sorry, no.", times=1)
    fake_llm.reply(s.TESTS_ANSWER)
    status, body = await call(engine_client, "/ai/testgen", s.testgen())
    assert status == 200, body
    first, second = (r.user for r in fake_llm.requests)
    assert "could not be used" not in first
    assert "An earlier answer to this request could not be used:\n- the generated tests do not parse" in second
    assert body["raw_generated_tests"] == s.TESTS_ANSWER and "def test_empty" in body["generated_tests"]


async def test_a_long_problem_is_cut_in_the_retry_s_prompt_and_in_the_error(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """A problem can quote a long name: the retry's prompt carries its first 1,000 characters, and
    the client's error the first 400 of what went wrong."""
    qualified = "Sorter" + "x" * 1200 + ".sort_list"
    fake_llm.reply(s.TESTS_ANSWER)  # calls sort_list, never the method named: nothing to measure
    status, body = await call(engine_client, "/ai/testgen", s.testgen(qualified_name=qualified))
    problem = f"no test calls {qualified}; nothing to measure"
    assert status == 502 and len(fake_llm.requests) == 2
    assert f"\n- {problem[:1000]}\n" in fake_llm.requests[1].user
    assert body["error"] == f"the model produced no usable tests: {problem[:400]}"


# --- which reviews reach the client -------------------------------------------------------------------

TESTS = [
    {"test_index": 0, "test_source": "def test_empty():\n    pass\n\ndef test_big():\n    pass\n"},
    {"test_index": 1, "test_source": "def test_empty():\n    assert True\n"},
    {"test_index": 3, "test_source": "class TestSort:\n    def test_order(self):\n        pass\n"},
]


def reviews(value: object) -> list[dict[str, Any]] | None:
    return read_reviews(json.dumps(value), TESTS)


def fn(name: str, reason: str = "weak") -> dict[str, str]:
    return {"function_name": name, "reason": reason}


def test_reviews_of_tests_the_request_did_not_send_are_left_out_wherever_they_are() -> None:
    """An item of another test, with no index, with an index that is no number, or that is not an
    object at all is skipped, and the items after it are still read."""
    items = [
        "not an object",
        {"functions": [fn("test_empty")]},  # no test index
        {"test_index": "first", "functions": [fn("test_empty")]},
        {"test_index": None, "functions": [fn("test_empty")]},
        {"test_index": 7, "functions": [fn("test_empty")]},
        {"test_index": "3", "functions": [fn("test_order")]},
    ]
    assert reviews({"reviews": items}) == [{"test_index": 3, "functions": [fn("test_order")]}]


def test_an_index_too_large_for_a_number_is_skipped_like_any_unreadable_one() -> None:
    """Python's JSON reader takes ``Infinity`` and ``1e999`` (infinity): int() of them raises
    OverflowError, which must skip the item, not fail the request with a 500."""
    answer = (
        '{"reviews": [{"test_index": Infinity, "functions": [{"function_name": "test_empty"}]}, '
        '{"test_index": -1e999, "functions": []}, '
        '{"test_index": 1, "functions": [{"function_name": "test_empty", "reason": "weak"}]}]}'
    )
    assert read_reviews(answer, TESTS) == [{"test_index": 1, "functions": [fn("test_empty")]}]


def test_function_names_are_read_as_the_test_s_own_names() -> None:
    """Models name functions by node id or by class: the last part is the name; a name absent from
    the test, an entry that is not an object or has no name is dropped; no reason is an empty one."""
    functions = [
        {"function_name": 7},
        "test_big",
        fn("tests/test_sort.py::TestSort::test_order", "off by one"),
        fn("test_invented"),
        fn(" TestSort.test_order ", "again"),
        {"function_name": "test_order", "reason": None},
    ]
    assert reviews([{"test_index": 3, "functions": functions}]) == [
        {"test_index": 3, "functions": [{"function_name": "test_order", "reason": ""}]}
    ]
    assert reviews([{"test_index": 0, "functions": [fn("mod::test_big"), fn("x.test_empty")]}]) == [
        {"test_index": 0, "functions": [fn("test_big"), fn("test_empty")]}
    ]


def test_reviews_of_one_test_are_merged_and_tests_come_in_index_order() -> None:
    items = [
        {"test_index": 3, "functions": [fn("test_order")]},
        {"test_index": 0, "functions": [fn("test_big")]},
        {"test_index": 0, "functions": None},
        {"test_index": 0, "functions": [fn("test_empty", "flaky")]},
    ]
    assert reviews(items) == [
        {"test_index": 0, "functions": [fn("test_big"), fn("test_empty", "flaky")]},
        {"test_index": 3, "functions": [fn("test_order")]},
    ]


@pytest.mark.parametrize(
    ("answer", "read"),
    [
        ('Here:\n```json\n{"reviews": []}\n```', []),
        ("[]", []),
        ('{"reviews": {"test_index": 0}}', None),
        ('{"verdict": "fine"}', None),
        ("all good", None),
        (
            'test_big builds [] and {} first; weak:\n[{"test_index": 0, "functions": [{"function_name": "test_big"}]}]',
            [{"test_index": 0, "functions": [fn("test_big", "")]}],
        ),
        ("The empty case expects [] and is fine: no test needs repair.", []),
    ],
)
def test_an_answer_is_read_only_when_it_holds_a_list_of_reviews(answer: str, read: list[Any] | None) -> None:
    """A list (bare or under ``reviews``) is an answer, even empty; anything else is unreadable
    (asked again, then an error), never "nothing to repair"."""
    assert read_reviews(answer, TESTS) == read


@pytest.mark.parametrize("name", ["", " . "])
async def test_a_review_without_a_function_name_is_still_read(
    engine_client: EngineClient, fake_llm: FakeLLM, name: str
) -> None:
    """A review request whose function name is blank has no target, and is answered all the same."""
    fake_llm.reply('{"reviews": [{"test_index": 0, "functions": [{"function_name": "test_empty"}]}]}')
    status, body = await call(engine_client, "/ai/testgen_review", s.testgen_review(function_name=name))
    assert status == 200, body
    assert body == {"reviews": [{"test_index": 0, "functions": [{"function_name": "test_empty", "reason": ""}]}]}
