"""The performance file times a generator target while the test consumes it (e2e run 35).

A generator function returns at once; its work happens when the test iterates what it returned
(``list(running_max(values))``). Timed at the call alone, every candidate measured a few
microseconds and no speedup could show ("No best optimizations found"). The preamble's wrapper
now hands back a generator of its own that adds the time of each resumption and prints the end
marker when the target's generator is finished or closed, and that behaves as the target's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest

from codeflash_engine_python.testgen.runtime import PERFORMANCE_PREAMBLE

END_MARKER = re.compile(r"!######mod:test_x:(\w+):1:0_0:(\d+)######!")

#: the time each item of the slow generator takes to produce
ITEM_SECONDS = 0.02


def perf_call() -> Callable[..., Any]:
    """``codeflash_perf_call`` of a freshly run performance preamble."""
    namespace: dict[str, Any] = {"__name__": "instrumented_perf"}
    exec(compile(PERFORMANCE_PREAMBLE, "preamble.py", "exec"), namespace)
    call: Callable[..., Any] = namespace["codeflash_perf_call"]
    return call


def timed(function: Callable[..., Any], *args: Any) -> Any:
    """What the instrumented call site of ``test_x`` gets back from ``function(*args)``."""
    return perf_call()(function, "mod", None, "test_x", function.__name__, "0", *args)


def end_markers(output: str) -> list[tuple[str, int]]:
    """The (function, duration in ns) of every end marker in ``output``."""
    return [(name, int(duration)) for name, duration in END_MARKER.findall(output)]


def slow_squares(n: int) -> Iterator[int]:
    """The squares of 0..n-1, each after a pause."""
    for i in range(n):
        time.sleep(ITEM_SECONDS)
        yield i * i


def test_the_time_of_consuming_the_generator_is_counted(capsys: pytest.CaptureFixture[str]) -> None:
    items = list(timed(slow_squares, 5))
    output = capsys.readouterr().out
    assert items == [0, 1, 4, 9, 16]
    [(name, duration)] = end_markers(output)
    assert name == "slow_squares" and duration >= 5 * ITEM_SECONDS * 1e9 * 0.9, output


def test_the_end_marker_comes_when_the_generator_is_finished(capsys: pytest.CaptureFixture[str]) -> None:
    generator = timed(slow_squares, 2)
    assert next(generator) == 0
    assert end_markers(capsys.readouterr().out) == []
    assert list(generator) == [1]
    assert len(end_markers(capsys.readouterr().out)) == 1


def test_a_partly_consumed_generator_is_closed_once(capsys: pytest.CaptureFixture[str]) -> None:
    closed: list[bool] = []

    def endless() -> Iterator[int]:
        i = 0
        try:
            while True:
                yield i
                i += 1
        finally:
            closed.append(True)

    generator = timed(endless)
    assert [next(generator) for _ in range(3)] == [0, 1, 2]
    generator.close()
    assert closed == [True]
    assert [name for name, _ in end_markers(capsys.readouterr().out)] == ["endless"]


def accumulate() -> Generator[int, int, str]:
    """Yields the running total of what is sent; a thrown ValueError resets it; returns a summary."""
    total = 0
    while total < 10:
        try:
            received = yield total
        except ValueError:
            total = 0
            continue
        total += received
    return f"reached {total}"


def drive(generator: Generator[int, int, str]) -> list[object]:
    """Everything ``generator`` gives back while it is sent values and an exception thrown in."""
    seen: list[object] = [next(generator), generator.send(3), generator.throw(ValueError()), generator.send(4)]
    try:
        generator.send(7)
    except StopIteration as stop:
        seen.append(stop.value)
    return seen


def test_send_throw_and_the_return_value_reach_the_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert drive(timed(accumulate)) == drive(accumulate()) == [0, 3, 0, 4, "reached 11"]
    assert len(end_markers(capsys.readouterr().out)) == 1


def test_an_exception_of_the_target_propagates_and_ends_the_timing(capsys: pytest.CaptureFixture[str]) -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        list(timed(failing))
    assert len(end_markers(capsys.readouterr().out)) == 1


def test_a_plain_return_value_is_timed_at_the_call(capsys: pytest.CaptureFixture[str]) -> None:
    def squares(n: int) -> list[int]:
        return [i * i for i in range(n)]

    assert timed(squares, 4) == [0, 1, 4, 9]
    assert len(end_markers(capsys.readouterr().out)) == 1
