"""A test-side Wyoming controller that drives a satellite the way Home Assistant does:
`run-satellite`, a `ping` 2 s after every `pong`, and a record of every event it receives."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from wyoming.event import Event, async_read_event, async_write_event
from wyoming.ping import Ping
from wyoming.satellite import RunSatellite

from protocol.aio import bounded

PING_DELAY_S = 2.0


@dataclass(frozen=True)
class Received:
    """One event from the satellite and the wall-clock time it arrived."""

    event: Event
    time_s: float


class Controller:
    """Connect, run the satellite, keep it pinged, record what it sends."""

    def __init__(self, host: str, port: int, ping: bool = True) -> None:
        self.host = host
        self.port = port
        self.received: list[Received] = []
        self.pongs = 0
        self._ping = ping
        self._changed = asyncio.Condition()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.closed = asyncio.Event()

    async def __aenter__(self) -> Controller:
        self._reader, self._writer = await bounded(asyncio.open_connection(self.host, self.port), 5)
        self._tasks.append(asyncio.create_task(self._read()))
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def run_satellite(self) -> None:
        """Send `run-satellite` and start pinging."""
        await self.send(RunSatellite().event())
        if self._ping:
            self._tasks.append(asyncio.create_task(self._pinger()))

    async def send(self, event: Event) -> None:
        """Write one event (bounded)."""
        assert self._writer is not None
        await bounded(async_write_event(event, self._writer), 5)

    async def close(self) -> None:
        """Disconnect without goodbye, as a controller that vanishes."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await bounded(self._writer.wait_closed(), 2)

    async def _read(self) -> None:
        assert self._reader is not None
        try:
            while (event := await async_read_event(self._reader)) is not None:
                if event.type == "pong":
                    self.pongs += 1
                async with self._changed:
                    self.received.append(Received(event, time.time()))
                    self._changed.notify_all()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.closed.set()
            async with self._changed:
                self._changed.notify_all()

    async def _pinger(self) -> None:
        while True:
            await asyncio.sleep(PING_DELAY_S)
            seen = self.pongs
            await self.send(Ping().event())
            async with asyncio.timeout(5), self._changed:  # HA drops a satellite silent for 5 s
                await self._changed.wait_for(lambda seen=seen: self.pongs > seen)  # type: ignore[misc]

    def types(self, after: int = 0) -> list[str]:
        """The types received (from index `after`), pings' pongs left out."""
        return [r.event.type for r in self.received[after:] if r.event.type != "pong"]

    async def wait_for(self, event_type: str, timeout_s: float = 10, after: int = 0) -> Received:
        """The first `event_type` received at index >= `after`."""

        def found() -> Received | None:
            return next((r for r in self.received[after:] if r.event.type == event_type), None)

        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: found() is not None or self.closed.is_set())
        result = found()
        if result is None:
            raise ConnectionError(f"satellite closed the connection before {event_type}")
        return result

    def index(self, event_type: str, after: int = 0) -> int:
        """Where the first `event_type` at or after `after` is in `received`."""
        return next(
            i for i, r in enumerate(self.received) if i >= after and r.event.type == event_type
        )
