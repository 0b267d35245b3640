"""The priority limiter: bounded holders, priority order, cancellation never leaks a slot."""

from __future__ import annotations

import asyncio

from hub.engines.limiter import PriorityLimiter


async def test_waiters_are_served_by_priority_then_arrival() -> None:
    limiter = PriorityLimiter(1)
    order: list[str] = []
    gate = asyncio.Event()

    async def hold() -> None:
        async with limiter.slot():
            await gate.wait()

    async def take(name: str, priority: int) -> None:
        async with limiter.slot(priority):
            order.append(name)

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    tasks = [
        asyncio.create_task(take(n, p))
        for n, p in [("late-1", 1), ("first-a", 0), ("late-2", 1), ("first-b", 0)]
    ]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(holder, *tasks)
    assert order == ["first-a", "first-b", "late-1", "late-2"]


async def test_at_most_n_holders_and_cancelled_waiters_do_not_leak() -> None:
    limiter = PriorityLimiter(2)
    inside = 0
    peak = 0

    async def work() -> None:
        nonlocal inside, peak
        async with limiter.slot():
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    tasks = [asyncio.create_task(work()) for _ in range(10)]
    await asyncio.sleep(0)
    tasks[5].cancel()
    tasks[6].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert peak == 2
    async with asyncio.timeout(1):  # both slots are free again
        async with limiter.slot(), limiter.slot():
            pass
