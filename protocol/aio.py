"""Waiting with a bound, and stopping a task, without ever losing a cancellation.

On Python 3.11 `asyncio.wait_for` returns the inner result when the outer task is cancelled
at the moment that result arrives: the cancellation is lost and a loop that should stop goes
on (a hub that never stops, a test that hangs until its timeout). `asyncio.timeout` delivers
it, so every bounded wait in homevoice goes through `bounded` (ruff bans `asyncio.wait_for`).
Likewise `suppress(CancelledError)` around awaiting a task one has just cancelled also hides
a cancellation of the caller; `cancel_and_wait` tells the two apart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")
_LOGGER = logging.getLogger(__name__)


async def bounded(awaitable: Awaitable[T], timeout_s: float | None) -> T:
    """`await awaitable`, raising TimeoutError after `timeout_s` (None: no bound).

    On the timeout the awaitable is cancelled (a task too) and waited for, as with
    `asyncio.wait_for`; a cancellation of the caller always reaches the caller.
    """
    async with asyncio.timeout(timeout_s):
        return await awaitable


async def cancel_and_wait(task: asyncio.Task[object], timeout_s: float | None = None) -> bool:
    """Cancel `task` and wait until it has ended, at most `timeout_s`; True once it has ended.

    The task's own end (cancelled, or an exception it raised before or while unwinding) is
    consumed here, an exception logged once; a cancellation of the caller is raised as usual.
    """
    if task.done():
        _consume(task, "failed")  # before anyone asked it to stop
        return True
    task.cancel()
    done, _pending = await asyncio.wait({task}, timeout=timeout_s)
    if not done:
        _LOGGER.warning(
            "Task %s did not end within %g s of being cancelled", task.get_name(), timeout_s
        )
        return False
    _consume(task, "failed while stopping")
    return True


def _consume(task: asyncio.Task[object], what: str) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        _LOGGER.error("Task %s %s", task.get_name(), what, exc_info=error)
