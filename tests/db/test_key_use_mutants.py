"""The background writer of keys' last use (infra/db/key_use.py) on its own, with a fake clock and
a fake write: a key is queued only when its stored last use is a minute old or more and this
process has not written it in the last minute; the keys of one turn of the loop go in one sorted
write; a failed write forgets the keys so the next request tries again; the memory of recent
writes is bounded, oldest forgotten first (what the mutation run of key_use.py found untested)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from codeflash_engine.infra.db.key_use import KeyUse
from codeflash_engine.infra.db.types import ApiKey

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def key(ident: int, last_used: dt.datetime | None = None) -> ApiKey:
    return ApiKey(ident, f"h{ident}", "abcdef", "alice", "free", None, None, NOW, last_used=last_used)


class Recorder:
    """A write that records each batch of ids (and can be told to fail)."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.fail = False

    async def __call__(self, ids: list[int]) -> None:
        self.batches.append(ids)
        if self.fail:
            raise OSError("database gone")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def settle(use: KeyUse) -> None:
    await asyncio.sleep(0)
    await use.drain()


async def test_keys_of_one_turn_go_in_one_sorted_write() -> None:
    rec = Recorder()
    use = KeyUse(rec, clock=Clock())
    for ident in (5, 2, 9):
        use.seen(key(ident), NOW)
    await settle(use)
    assert rec.batches == [[2, 5, 9]]


@pytest.mark.parametrize(
    ("age", "written"),
    [
        (dt.timedelta(seconds=59, microseconds=999_999), False),
        (dt.timedelta(minutes=1), True),
        (dt.timedelta(seconds=61), True),
        (dt.timedelta(days=2), True),
    ],
)
async def test_a_stored_last_use_younger_than_a_minute_is_not_written_again(age: dt.timedelta, written: bool) -> None:
    rec = Recorder()
    use = KeyUse(rec, clock=Clock())
    use.seen(key(1, NOW - age), NOW)
    await settle(use)
    assert rec.batches == ([[1]] if written else [])


@pytest.mark.parametrize(("later", "written"), [(59.999, False), (60.0, True), (61.0, True)])
async def test_a_key_this_process_wrote_lately_is_not_written_again(later: float, written: bool) -> None:
    """The row read may predate this process's write: the process's own memory decides."""
    rec = Recorder()
    clock = Clock()
    use = KeyUse(rec, clock=clock)
    use.seen(key(1), NOW)
    await settle(use)
    clock.now += later
    use.seen(key(1, NOW - dt.timedelta(days=1)), NOW)  # a stale row
    await settle(use)
    assert rec.batches == ([[1], [1]] if written else [[1]])


async def test_a_failed_write_is_tried_again_by_the_next_request() -> None:
    rec = Recorder()
    use = KeyUse(rec, clock=Clock())
    rec.fail = True
    use.seen(key(1), NOW)
    use.seen(key(2), NOW)
    await settle(use)  # the failure is swallowed
    assert rec.batches == [[1, 2]]
    rec.fail = False
    use.seen(key(1), NOW)  # at once: the failed write was forgotten
    await settle(use)
    assert rec.batches == [[1, 2], [1]]


async def test_keys_seen_while_a_write_is_in_flight_follow_in_the_next_write() -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    batches: list[list[int]] = []

    async def slow(ids: list[int]) -> None:
        batches.append(ids)
        started.set()
        await release.wait()

    use = KeyUse(slow, clock=Clock())
    use.seen(key(1), NOW)
    await started.wait()
    use.seen(key(3), NOW)
    use.seen(key(2), NOW)
    release.set()
    await use.drain()
    assert batches == [[1], [2, 3]]


async def test_a_new_write_starts_after_the_last_one_finished() -> None:
    rec = Recorder()
    use = KeyUse(rec, clock=Clock())
    use.seen(key(1), NOW)
    await settle(use)
    use.seen(key(2), NOW)
    await settle(use)
    assert rec.batches == [[1], [2]]


async def test_the_memory_of_recent_writes_forgets_the_oldest_beyond_its_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(KeyUse, "MAX_REMEMBERED", 3)
    rec = Recorder()
    use = KeyUse(rec, clock=Clock())
    for ident in (1, 2, 3):
        use.seen(key(ident), NOW)
    await settle(use)
    assert rec.batches == [[1, 2, 3]]
    use.seen(key(3), NOW)  # three remembered: not written again
    await settle(use)
    assert rec.batches == [[1, 2, 3]]
    use.seen(key(4), NOW)  # the fourth pushes out the oldest (1), and only it
    await settle(use)
    use.seen(key(2), NOW)
    use.seen(key(1), NOW)
    await settle(use)
    assert rec.batches == [[1, 2, 3], [4], [1]]


async def test_the_memory_of_recent_writes_holds_ten_thousand_keys() -> None:
    rec = Recorder()
    use = KeyUse(rec, clock=Clock())
    for ident in range(1, 10_001):
        use.seen(key(ident), NOW)
    await settle(use)
    use.seen(key(1), NOW)  # remembered
    await settle(use)
    assert len(rec.batches) == 1 and len(rec.batches[0]) == 10_000
    use.seen(key(10_001), NOW)  # forgets key 1
    await settle(use)
    use.seen(key(2), NOW)
    use.seen(key(1), NOW)
    await settle(use)
    assert rec.batches[1:] == [[10_001], [1]]


async def test_the_write_starts_at_the_next_turn_of_the_loop() -> None:
    rec = Recorder()
    use = KeyUse(rec, clock=Clock())
    use.seen(key(1), NOW)
    assert rec.batches == []
    for _ in range(3):
        await asyncio.sleep(0)
    assert rec.batches == [[1]]


async def test_drain_returns_when_the_write_was_cancelled() -> None:
    async def cancelled(ids: list[int]) -> None:
        raise asyncio.CancelledError

    use = KeyUse(cancelled, clock=Clock())
    use.seen(key(1), NOW)
    await use.drain()


async def test_drain_without_any_write_returns() -> None:
    use = KeyUse(Recorder(), clock=Clock())
    await use.drain()
