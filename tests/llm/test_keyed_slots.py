"""Per-caller call slots (infra.llm.slots): one key waits for its own slots, never another's."""

from __future__ import annotations

import asyncio
import math

import pytest

from codeflash_engine.infra.llm.slots import KeyedSlots, NoSlot


async def held(slots: KeyedSlots, key: str, release: asyncio.Event) -> asyncio.Task[None]:
    """A caller that holds one of ``key``'s slots until ``release`` (returned once it holds it)."""
    started = asyncio.Event()

    async def hold() -> None:
        async with slots.slot(key):
            started.set()
            await release.wait()

    task = asyncio.create_task(hold())
    await started.wait()
    return task


async def test_a_key_holds_at_most_its_limit_and_the_next_caller_of_it_waits() -> None:
    slots = KeyedSlots(limit=2)
    release = asyncio.Event()
    holders = [await held(slots, "alice", release) for _ in range(2)]
    assert slots.in_use("alice") == 2
    with pytest.raises(NoSlot, match=r"within 0\.1 s"):
        async with slots.slot("alice", within=0.1):
            pass
    assert slots.in_use("alice") == 2  # the one that gave up no longer counts
    release.set()
    await asyncio.gather(*holders)
    assert slots.in_use("alice") == 0


async def test_another_key_is_not_held_up() -> None:
    slots = KeyedSlots(limit=1)
    release = asyncio.Event()
    holder = await held(slots, "alice", release)
    async with slots.slot("bob", within=0.1):
        assert slots.in_use("bob") == 1 and slots.in_use("alice") == 1
    release.set()
    await holder


async def test_a_caller_without_a_key_is_not_bounded() -> None:
    slots = KeyedSlots(limit=1)
    async with slots.slot(None), slots.slot(None, within=0.01):
        assert slots.in_use("None") == 0


async def test_a_waiting_caller_counts_and_gets_the_slot_when_it_frees() -> None:
    slots = KeyedSlots(limit=1)
    release = asyncio.Event()
    holder = await held(slots, "alice", release)
    got = asyncio.Event()

    async def waiter() -> None:
        async with slots.slot("alice", within=math.inf):
            got.set()

    waiting = asyncio.create_task(waiter())
    await asyncio.sleep(0.05)
    assert slots.in_use("alice") == 2 and not got.is_set()
    release.set()
    await asyncio.wait_for(waiting, 5)
    await holder
    assert got.is_set() and slots.in_use("alice") == 0


async def test_a_slot_is_given_back_when_the_call_fails_and_idle_keys_are_forgotten() -> None:
    slots = KeyedSlots(limit=1)
    with pytest.raises(RuntimeError):
        async with slots.slot("alice"):
            raise RuntimeError("the call failed")
    assert slots.in_use("alice") == 0 and "alice" not in slots._slots
    async with slots.slot("alice", within=0.1):  # free again
        pass
    assert slots._slots == {}
