"""The behaviour file records what a generator target yields to the test, not the generator object.

The call of a generator function returns before the function runs, and a generator object does
not pickle: the row used to hold ``"<unpicklable generator>"`` for the original and for every
candidate alike, so the client's comparison could not tell a candidate yielding other items from
the original. The behaviour wrapper now hands the test a generator of its own that forwards
``send``, ``throw`` and ``close`` and keeps a copy of each item as the test receives it; the row,
written at the call, is completed when the generator finishes, raises or is closed. Its return
value is then ``{"generator yielded": [...]}`` plus ``"returned"`` or ``"raised"`` when it ended.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import dill
import pytest

from codeflash_engine_python.testgen.runtime import BEHAVIOR_PREAMBLE, PLACEHOLDER

from .test_generator_timing import accumulate, drive

Row = tuple[str, Any, str, str, int, str, int, bytes, str]

#: the time each item of the slow generator takes to produce
ITEM_SECONDS = 0.01


class Recorder:
    """A freshly run behaviour preamble recording into its own sqlite file."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.namespace: dict[str, Any] = {"__name__": "instrumented_behavior"}
        source = BEHAVIOR_PREAMBLE.replace(PLACEHOLDER, str(run_dir))
        exec(compile(source, "preamble.py", "exec"), self.namespace)

    def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """What the instrumented call site of ``test_x`` gets back from ``function(*args, **kwargs)``."""
        wrapper: Callable[..., Any] = self.namespace["codeflash_behavior_call"]
        return wrapper(function, "mod", None, "test_x", function.__name__, "0", *args, **kwargs)

    def rows(self) -> list[Row]:
        """Every row written so far, in the order written."""
        with sqlite3.connect(self.run_dir / "test_return_values_0.sqlite") as db:
            return list(db.execute("SELECT * FROM test_results ORDER BY rowid"))

    def values(self) -> list[Any]:
        """The unpickled return value of every row."""
        return [dill.loads(row[7]) for row in self.rows()]

    def close(self) -> None:
        """Close the preamble's cached connections."""
        for connection in self.namespace["_codeflash_connections"].values():
            connection.close()


@pytest.fixture
def recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    monkeypatch.setenv("CODEFLASH_TEST_ITERATION", "0")
    monkeypatch.setenv("CODEFLASH_LOOP_INDEX", "1")
    made = Recorder(tmp_path)
    yield made
    made.close()


def squares(n: int) -> Iterator[int]:
    """The squares of 0..n-1."""
    for i in range(n):
        yield i * i


def test_a_consumed_generator_records_its_items_and_return_value(recorder: Recorder) -> None:
    assert list(recorder.call(squares, 4)) == [0, 1, 4, 9]
    [row] = recorder.rows()
    assert row[:6] == ("mod", None, "test_x", "squares", 1, "0_0")
    assert dill.loads(row[7]) == ((4,), {}, {"generator yielded": [0, 1, 4, 9], "returned": None})


def test_the_row_is_written_at_the_call_and_completed_when_closed(recorder: Recorder) -> None:
    generator = recorder.call(squares, 10)
    assert recorder.values() == [((10,), {}, {"generator yielded": []})]
    assert [next(generator), next(generator), next(generator)] == [0, 1, 4]
    generator.close()
    assert recorder.values() == [((10,), {}, {"generator yielded": [0, 1, 4]})]


def test_a_dropped_generator_records_the_items_consumed(recorder: Recorder) -> None:
    generator = recorder.call(squares, 10)
    next(generator)
    next(generator)
    del generator
    assert recorder.values() == [((10,), {}, {"generator yielded": [0, 1]})]


def test_send_throw_and_the_return_value_reach_the_target_and_the_record(recorder: Recorder) -> None:
    assert drive(recorder.call(accumulate)) == drive(accumulate()) == [0, 3, 0, 4, "reached 11"]
    assert recorder.values() == [((), {}, {"generator yielded": [0, 3, 0, 4], "returned": "reached 11"})]


def test_an_exception_of_the_target_propagates_and_is_recorded(recorder: Recorder) -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        list(recorder.call(failing))
    [(args, kwargs, record)] = recorder.values()
    assert (args, kwargs, record["generator yielded"]) == ((), {}, [1])
    assert isinstance(record["raised"], KeyError) and record["raised"].args == ("missing",)


def test_an_exception_thrown_in_and_not_caught_is_recorded(recorder: Recorder) -> None:
    generator = recorder.call(squares, 3)
    next(generator)
    with pytest.raises(ValueError, match="stop"):
        generator.throw(ValueError("stop"))
    [(_, _, record)] = recorder.values()
    assert record["generator yielded"] == [0] and isinstance(record["raised"], ValueError)


def test_closing_reaches_the_targets_cleanup(recorder: Recorder) -> None:
    cleaned: list[bool] = []

    def endless() -> Iterator[int]:
        try:
            while True:
                yield 7
        finally:
            cleaned.append(True)

    generator = recorder.call(endless)
    assert next(generator) == 7
    generator.close()
    assert cleaned == [True]
    assert recorder.values() == [((), {}, {"generator yielded": [7]})]


def test_an_exception_of_the_targets_cleanup_reaches_the_caller_of_close(recorder: Recorder) -> None:
    def failing_cleanup() -> Iterator[int]:
        try:
            yield 1
        finally:
            raise OSError("cleanup failed")

    generator = recorder.call(failing_cleanup)
    assert next(generator) == 1
    with pytest.raises(OSError, match="cleanup failed"):
        generator.close()
    assert recorder.values() == [((), {}, {"generator yielded": [1]})]


def test_each_item_is_recorded_as_the_test_received_it(recorder: Recorder) -> None:
    def growing() -> Iterator[list[int]]:
        items: list[int] = []
        for i in range(3):
            items.append(i)
            yield items  # the same list each time, grown in place

    assert [len(items) for items in recorder.call(growing)] == [1, 2, 3]
    [(_, _, record)] = recorder.values()
    assert record["generator yielded"] == [[0], [0, 1], [0, 1, 2]]


def test_an_unpicklable_item_is_named_and_unpicklable_arguments_are_left_out(recorder: Recorder) -> None:
    inner = squares(2)  # a generator object pickles neither with pickle nor with dill

    def passing_on(source: Iterator[int]) -> Iterator[object]:
        yield 1
        yield source

    assert list(recorder.call(passing_on, inner)) == [1, inner]
    assert recorder.values() == [((), {}, {"generator yielded": [1, "<unpicklable generator>"], "returned": None})]


def test_a_generator_consumed_in_another_thread_completes_its_row(recorder: Recorder) -> None:
    generator = recorder.call(squares, 3)
    consumed: list[int] = []
    errors: list[BaseException] = []

    def consume() -> None:
        try:
            consumed.extend(generator)
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)

    worker = threading.Thread(target=consume)
    worker.start()
    worker.join()
    assert (consumed, errors) == ([0, 1, 4], [])
    assert recorder.values() == [((3,), {}, {"generator yielded": [0, 1, 4], "returned": None})]


def test_the_runtime_counts_the_consumption(recorder: Recorder) -> None:
    def slow(n: int) -> Generator[int, None, None]:
        for i in range(n):
            time.sleep(ITEM_SECONDS)
            yield i

    assert list(recorder.call(slow, 3)) == [0, 1, 2]
    [row] = recorder.rows()
    assert row[6] >= 3 * ITEM_SECONDS * 1e9 * 0.9


def test_calls_of_one_site_keep_their_own_rows(recorder: Recorder) -> None:
    first = recorder.call(squares, 2)
    second = recorder.call(squares, 3)
    assert list(second) == [0, 1, 4] and list(first) == [0, 1]
    assert [(row[5], dill.loads(row[7])[2]["generator yielded"]) for row in recorder.rows()] == [
        ("0_0", [0, 1]),
        ("0_1", [0, 1, 4]),
    ]


def test_a_plain_return_value_is_recorded_as_before(recorder: Recorder) -> None:
    def listed(n: int) -> list[int]:
        return list(squares(n))

    assert recorder.call(listed, 3) == [0, 1, 4]
    [row] = recorder.rows()
    assert row[7] == dill.dumps(((3,), {}, [0, 1, 4]))
