"""One satellite's Wyoming connection, with the hub as the client (as Home Assistant is).

Connect, `describe`, `run-satellite`, then a `ping` `ping_interval_s` after each `pong`; a
satellite silent for `silence_timeout_s` is dropped and reconnected with backoff. A satellite
that never answers a ping at all (wyoming-satellite 1.0.0) is watched through TCP keepalive
instead. On stop the satellite gets `pause-satellite` before the socket closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
from collections.abc import Awaitable, Callable
from dataclasses import replace

from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong
from wyoming.satellite import PauseSatellite, RunSatellite

from protocol.aio import TaskSet, bounded
from protocol.errors import ProtocolError
from protocol.events import parse
from protocol.framing import FrameLimits, read_event, write_event
from protocol.mqtt import backoff_s
from protocol.server import TcpUri

from ..settings import SatelliteSettings

_LOGGER = logging.getLogger(__name__)
LEGACY_IDLE_S = 24 * 3600.0  # a satellite that answers no ping: TCP keepalive watches it


class SatelliteGone(Exception):
    """The connection ended: the satellite closed it, went silent or broke the protocol."""


class SatelliteLink:
    """Keeps one satellite connected until cancelled; hands its events to `on_event`."""

    def __init__(
        self,
        uri: TcpUri,
        settings: SatelliteSettings,
        limits: FrameLimits,
        on_connect: Callable[[SatelliteLink, Info], Awaitable[None]],
        on_event: Callable[[Event], Awaitable[None]],
        on_lost: Callable[[SatelliteLink], None],
    ) -> None:
        self.uri = uri
        self.settings = settings
        self._limits = limits
        self._on_connect = on_connect
        self._on_event = on_event
        self._on_lost = on_lost
        self._writer: asyncio.StreamWriter | None = None
        self._write_lock = asyncio.Lock()
        self._pong = asyncio.Event()
        self.answers_ping: bool | None = None
        self.connected = False
        self._rng = random.Random()

    @property
    def address(self) -> str:
        """`host:port`."""
        return f"{self.uri.host}:{self.uri.port}"

    async def send(self, event: Event) -> bool:
        """Write one event, bounded; False (and the link is dropped) when that fails."""
        writer = self._writer
        if writer is None:
            return False
        try:
            async with self._write_lock:
                await write_event(event, writer, self._limits.write_timeout_s)
        except (OSError, ProtocolError) as err:
            _LOGGER.warning("Satellite %s: sending %s failed (%s)", self.address, event.type, err)
            writer.close()
            return False
        return True

    async def run(self) -> None:
        """Connect and serve, reconnecting with backoff, until cancelled."""
        attempt = 0
        while True:
            try:
                await self._session()
                attempt = 0  # it was up: come back quickly
            except (OSError, TimeoutError, ProtocolError, SatelliteGone) as err:
                message = str(getattr(err, "message", "") or err or type(err).__name__)
                log = _LOGGER.warning if attempt == 0 else _LOGGER.debug
                log("Satellite %s: %s; reconnecting with backoff", self.address, message)
            delay = backoff_s(attempt, self.settings.retry_max_s, self._rng)
            attempt += 1
            await asyncio.sleep(delay)

    async def _session(self) -> None:
        settings = self.settings
        reader, writer = await bounded(
            asyncio.open_connection(
                self.uri.host, self.uri.port, limit=self._limits.max_line_bytes
            ),
            settings.connect_timeout_s,
        )
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self._writer = writer
        tasks = TaskSet(f"link {self.address}")
        try:
            info = await self._describe(reader)
            if not await self.send(RunSatellite().event()):
                raise SatelliteGone("the satellite closed the connection")
            self.connected = True
            self.answers_ping = None
            await self._on_connect(self, info)
            tasks.spawn(self._ping(), "ping")
            await self._read(reader)
        finally:
            await tasks.aclose()
            was_connected, self.connected = self.connected, False
            self._writer = None
            writer.close()
            with contextlib.suppress(Exception):
                await bounded(writer.wait_closed(), 2)
            if was_connected:
                self._on_lost(self)

    async def _describe(self, reader: asyncio.StreamReader) -> Info:
        if not await self.send(Describe().event()):
            raise SatelliteGone("the satellite closed the connection")
        limits = replace(self._limits, idle_timeout_s=self.settings.connect_timeout_s)
        async with asyncio.timeout(self.settings.connect_timeout_s):  # events before the info
            return await self._await_info(reader, limits)

    async def _await_info(self, reader: asyncio.StreamReader, limits: FrameLimits) -> Info:
        while True:
            event = await read_event(reader, limits)
            if event is None:
                raise SatelliteGone("the satellite closed the connection before its info")
            if Info.is_type(event.type):
                info = parse(Info, event)
                if info.satellite is None:
                    raise SatelliteGone("it is not a satellite (its info has no satellite part)")
                return info

    async def _read(self, reader: asyncio.StreamReader) -> None:
        settings = self.settings
        while True:
            idle_s = LEGACY_IDLE_S if self.answers_ping is False else settings.silence_timeout_s
            limits = replace(self._limits, idle_timeout_s=idle_s)
            try:
                event = await read_event(reader, limits)
            except ProtocolError as err:
                if err.code == "read-timeout" and self.answers_ping is None:
                    self.answers_ping = False
                    _LOGGER.info(
                        "Satellite %s answers no ping (an old wyoming-satellite?); "
                        "watching its TCP connection instead",
                        self.address,
                    )
                    continue
                raise
            except asyncio.IncompleteReadError as err:
                raise SatelliteGone("the connection broke mid-event") from err
            if event is None:
                raise SatelliteGone("the satellite closed the connection")
            if Pong.is_type(event.type):
                self.answers_ping = True
                self._pong.set()
            elif Ping.is_type(event.type):
                await self.send(Pong(text=parse(Ping, event).text).event())
            else:
                await self._on_event(event)

    async def _ping(self) -> None:
        """A ping `ping_interval_s` after connecting and after each pong."""
        while True:
            await asyncio.sleep(self.settings.ping_interval_s)
            if self.answers_ping is False:
                return
            self._pong.clear()
            if not await self.send(Ping().event()):
                return
            await self._pong.wait()  # the reader's silence timeout bounds this wait

    async def pause(self) -> None:
        """Tell the satellite to stop (the hub is stopping); bounded."""
        if self.connected:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self.send(PauseSatellite().event())


async def probe(uri: TcpUri, limits: FrameLimits, timeout_s: float) -> Info | None:
    """`describe` a discovered service on its own connection: its info, or None if it fails."""
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(
                uri.host, uri.port, limit=limits.max_line_bytes
            )
            await write_event(Describe().event(), writer, timeout_s)
            while (event := await read_event(reader, limits)) is not None:
                if Info.is_type(event.type):
                    return parse(Info, event)
    except (OSError, TimeoutError, ProtocolError, asyncio.IncompleteReadError) as err:
        _LOGGER.debug("Describing %s:%d failed: %r", uri.host, uri.port, err)
    finally:
        if writer is not None:
            writer.close()
    return None
