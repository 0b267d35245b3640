"""Concurrent requests gathered into one call: the first waits a short window for company.

Several satellites ending their commands at once each want a Whisper decode. On a GPU one
CTranslate2 call over a batch of them costs little more than one, so the first request of a
batch waits up to `window_s` for others (never longer, and not at all once `max_batch` are
there), then one call runs them all in a worker thread. No task is left behind: the call is an
executor future whose completion hands each request its result; a request whose caller gave up
is skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

_LOGGER = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")


@dataclass
class BatchStats:
    """How requests were batched (for the benchmark and the tests)."""

    calls: int = 0
    requests: int = 0
    sizes: list[int] = field(default_factory=list)


class Batcher(Generic[J, R]):
    """Runs `run(jobs) -> results` (same order, same length) on batches of concurrent jobs.

    Jobs with different `group(job)` keys (a language) never share a batch.
    """

    def __init__(
        self,
        run: Callable[[Sequence[J]], Sequence[R]],
        window_s: float,
        max_batch: int,
        workers: int,
        group: Callable[[J], Hashable] = lambda _job: None,
    ) -> None:
        self._run = run
        self._window_s = window_s
        self._max_batch = max_batch
        self._group = group
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch")
        self._waiting: dict[Hashable, list[tuple[J, asyncio.Future[R]]]] = {}
        self._timers: dict[Hashable, asyncio.TimerHandle] = {}
        self.stats = BatchStats()

    async def submit(self, job: J) -> R:
        """The job's result, computed in a batch with whatever else arrives in the window."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        key = self._group(job)
        waiting = self._waiting.setdefault(key, [])
        waiting.append((job, future))
        if len(waiting) >= self._max_batch:
            self._flush(key)
        elif len(waiting) == 1:
            self._timers[key] = loop.call_later(self._window_s, self._flush, key)
        return await future

    def _flush(self, key: Hashable) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        batch = [(job, f) for job, f in self._waiting.pop(key, []) if not f.done()]
        if not batch:
            return
        self.stats.calls += 1
        self.stats.requests += len(batch)
        self.stats.sizes.append(len(batch))
        jobs = [job for job, _ in batch]
        call = asyncio.get_running_loop().run_in_executor(self._executor, self._run, jobs)
        call.add_done_callback(lambda done: _hand_out(batch, done))

    def close(self) -> None:
        """No new batches; the one running finishes in its thread."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def _hand_out(batch: list[tuple[J, asyncio.Future[R]]], done: asyncio.Future[Sequence[R]]) -> None:
    if done.cancelled():
        for _, future in batch:
            if not future.done():
                future.cancel()
        return
    error = done.exception()
    results = None if error is not None else done.result()
    if results is not None and len(results) != len(batch):
        error = RuntimeError(f"a batch of {len(batch)} gave {len(results)} results")
    for index, (_, future) in enumerate(batch):
        if future.done():
            continue  # its caller gave up
        if error is not None or results is None:
            future.set_exception(error or RuntimeError("no results"))
        else:
            future.set_result(results[index])
