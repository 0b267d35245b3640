"""Waiting with a bound, and stopping a task, without ever losing a cancellation.

On Python 3.11 `asyncio.wait_for` returns the inner result when the outer task is cancelled
at the moment that result arrives: the cancellation is lost and a loop that should stop goes
on (a hub that never stops, a test that hangs until its timeout). `asyncio.timeout` delivers
it, so every bounded wait in homevoice goes through `bounded` (ruff bans `asyncio.wait_for`).
Likewise `suppress(CancelledError)` around awaiting a task one has just cancelled also hides
a cancellation of the caller; `cancel_and_wait` tells the two apart. Background tasks are
owned by a `TaskSet`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
_LOGGER = logging.getLogger(__name__)
STOP_S = 5.0  # how long stopping a task may take before it is reported as stuck


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
    if not await _cancelled(task, timeout_s):
        return False
    _consume(task, "failed while stopping")
    return True


async def _cancelled(task: asyncio.Task[Any], timeout_s: float | None) -> bool:
    """Cancel `task` and wait at most `timeout_s` for its end (reported when it is late)."""
    task.cancel()
    done, _pending = await asyncio.wait({task}, timeout=timeout_s)
    if not done:
        _LOGGER.warning(
            "Task %s did not end within %g s of being cancelled", task.get_name(), timeout_s
        )
    return bool(done)


def _consume(task: asyncio.Task[object], what: str) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        _LOGGER.error("Task %s %s", task.get_name(), what, exc_info=error)


class TaskSet:
    """The background tasks one owner started; the one way homevoice owns tasks.

    Each task is named; one that fails is logged once (and reported to `on_failure`, for
    tasks the owner cannot live without); `aclose` cancels every task still running and waits
    for them, bounded. Use it as an async context manager or call `aclose` on stop.
    """

    def __init__(
        self,
        owner: str,
        on_failure: Callable[[asyncio.Task[Any], BaseException], None] | None = None,
    ) -> None:
        self.owner = owner
        self._tasks: set[asyncio.Task[Any]] = set()
        self._on_failure = on_failure
        self._closed = False

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(
        self, coro: Coroutine[Any, Any, T], name: str, report: bool = True
    ) -> asyncio.Task[T]:
        """Start `coro` as a task owned here; `report=False`: whoever awaits the task handles
        its failure (it is not logged here)."""
        if self._closed:
            coro.close()
            raise RuntimeError(f"{self.owner}: cannot start {name!r} after aclose()")
        task = asyncio.get_running_loop().create_task(coro, name=f"{self.owner}: {name}")
        self._tasks.add(task)
        task.add_done_callback(self._done if report else self._tasks.discard)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            return
        _LOGGER.error("Task %s failed", task.get_name(), exc_info=error)
        if self._on_failure is not None:
            self._on_failure(task, error)

    async def cancel(self, task: asyncio.Task[Any], timeout_s: float | None = STOP_S) -> bool:
        """Cancel one task and wait for its end, at most `timeout_s`; True once it has ended."""
        return task.done() or await _cancelled(task, timeout_s)

    async def aclose(self, timeout_s: float = STOP_S) -> None:
        """Cancel every task and wait for them all, at most `timeout_s` in all."""
        self._closed = True
        pending = set(self._tasks)
        if not pending:
            return
        for task in pending:
            task.cancel()
        _done, stuck = await asyncio.wait(pending, timeout=timeout_s)
        for task in stuck:
            _LOGGER.warning(
                "Task %s did not end within %g s of being cancelled", task.get_name(), timeout_s
            )

    async def __aenter__(self) -> TaskSet:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()
