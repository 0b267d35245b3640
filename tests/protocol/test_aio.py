"""Bounded waits and stopping tasks never lose a cancellation (protocol/aio.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

import pytest

from protocol.aio import TaskSet, bounded, cancel_and_wait


async def _cancelled_as_the_result_arrives(wait: object) -> str:
    """Start `wait(future, 5)` in a task, then resolve the future and cancel the task at once."""
    future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(wait(future, 5))  # type: ignore[operator]
    await asyncio.sleep(0.01)  # the task now waits on the future
    future.set_result("result")
    task.cancel()
    try:
        return await task
    except asyncio.CancelledError:
        return "cancelled"


async def test_bounded_returns_the_result_or_times_out_cancelling_what_it_waited_on() -> None:
    assert await bounded(asyncio.sleep(0, result=7), 1) == 7
    assert await bounded(asyncio.sleep(0, result=8), None) == 8
    slow = asyncio.create_task(asyncio.sleep(10))
    with pytest.raises(TimeoutError):
        await bounded(slow, 0.05)
    assert slow.cancelled()


async def test_a_cancellation_arriving_with_the_result_reaches_the_caller() -> None:
    assert await _cancelled_as_the_result_arrives(bounded) == "cancelled"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="asyncio.wait_for was fixed in 3.12")
async def test_the_race_is_real_asyncio_wait_for_loses_that_cancellation_on_3_11() -> None:
    """Shows the test above sets up the race that hung CI: 3.11's wait_for drops the cancel."""
    lost = await _cancelled_as_the_result_arrives(asyncio.wait_for)  # noqa: TID251
    assert lost == "result"


async def test_cancel_and_wait_ends_the_task_and_logs_an_error_raised_while_unwinding(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def sleeper() -> None:
        await asyncio.sleep(10)

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    assert await cancel_and_wait(task, 1) is True and task.cancelled()

    async def fails_on_cancel() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            raise RuntimeError("broke while stopping") from None

    failing = asyncio.create_task(fails_on_cancel(), name="failing")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, logger="protocol.aio"):
        assert await cancel_and_wait(failing, 1) is True
    assert "Task failing failed while stopping" in caplog.text
    assert await cancel_and_wait(failing) is True  # already ended: nothing to do


async def test_cancel_and_wait_reports_a_task_that_had_failed_before_it_was_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def fails() -> None:
        raise RuntimeError("broke early")

    task = asyncio.create_task(fails(), name="early")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, logger="protocol.aio"):
        assert await cancel_and_wait(task, 1) is True
    assert "Task early failed" in caplog.text and "while stopping" not in caplog.text


async def test_cancel_and_wait_gives_up_on_a_task_that_will_not_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue  # ignores the cancellation

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="protocol.aio"):
        assert await cancel_and_wait(task, 0.05) is False
    assert "Task stubborn did not end within 0.05 s" in caplog.text
    release.set()
    await task


async def test_cancelling_the_caller_of_cancel_and_wait_reaches_the_caller() -> None:
    async def slow_to_unwind() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            await asyncio.sleep(0.3)

    inner = asyncio.create_task(slow_to_unwind())
    await asyncio.sleep(0)
    caller = asyncio.create_task(cancel_and_wait(inner, 5))
    await asyncio.sleep(0.05)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.wait({inner}, timeout=1)
    assert inner.cancelled()


async def test_a_task_set_logs_a_failure_once_and_tells_its_owner(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures: list[BaseException] = []
    tasks = TaskSet("owner", on_failure=lambda _task, error: failures.append(error))

    async def fail() -> None:
        raise ValueError("broken")

    async def fail_quietly() -> None:
        raise KeyError("the caller handles this one")

    with caplog.at_level(logging.ERROR, logger="protocol.aio"):
        loud = tasks.spawn(fail(), "loud")
        quiet = tasks.spawn(fail_quietly(), "quiet", report=False)
        await asyncio.wait({loud, quiet})
        await asyncio.sleep(0)
    assert [type(e) for e in failures] == [ValueError]
    assert [r.getMessage() for r in caplog.records] == ["Task owner: loud failed"]
    assert isinstance(quiet.exception(), KeyError) and len(tasks) == 0


async def test_a_task_set_stops_every_task_and_reports_a_stuck_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stopped: list[str] = []

    async def polite(name: str) -> None:
        try:
            await asyncio.sleep(10)
        finally:
            stopped.append(name)

    release = asyncio.Event()

    async def stubborn() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(10)
        await release.wait()  # ignores being cancelled until the test lets it go

    tasks = TaskSet("owner")
    tasks.spawn(polite("a"), "a")
    tasks.spawn(polite("b"), "b")
    stuck = tasks.spawn(stubborn(), "stuck")
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="protocol.aio"):
        await tasks.aclose(timeout_s=0.1)
    assert sorted(stopped) == ["a", "b"]
    assert "owner: stuck did not end within 0.1 s" in caplog.text
    with pytest.raises(RuntimeError, match="after aclose"):
        tasks.spawn(polite("late"), "late")
    release.set()
    await bounded(stuck, 1)


async def test_cancelling_one_task_of_a_set_waits_for_it() -> None:
    ended = asyncio.Event()

    async def work() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            await asyncio.sleep(0.01)  # unwinding takes a moment
            ended.set()

    async with TaskSet("owner") as tasks:
        task = tasks.spawn(work(), "work")
        await asyncio.sleep(0)
        assert await tasks.cancel(task, 1) and ended.is_set() and task.cancelled()
