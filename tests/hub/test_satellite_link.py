"""The hub's link to a satellite, against an in-process satellite on a real loopback socket:
the connect order, pings, dropping a silent satellite, old satellites without ping, and
`pause-satellite` when the hub stops."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from wyoming.event import Event, async_read_event, async_write_event
from wyoming.info import Attribution, Info, Satellite
from wyoming.ping import Pong

from hub.satellites.link import SatelliteLink
from hub.settings import LimitSettings, SatelliteSettings
from protocol.aio import cancel_and_wait
from protocol.server import TcpUri
from testing.hubproc import running_hub
from tests.satellite.conftest import until

FAST = SatelliteSettings(
    ping_interval_s=0.2, silence_timeout_s=0.6, connect_timeout_s=1, retry_max_s=1
)


def satellite_info(name: str = "Fake") -> Info:
    attribution = Attribution(name="test", url="")
    return Info(
        satellite=Satellite(
            name=name, description=name, attribution=attribution, installed=True, version="1"
        )
    )


@dataclass
class FakeSatellite:
    """Answers describe (and ping, while `answers_ping`); records every event per connection."""

    answers_ping: bool = True
    info: Info = field(default_factory=satellite_info)
    connections: list[list[tuple[float, str]]] = field(default_factory=list)
    port: int = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen: list[tuple[float, str]] = []
        self.connections.append(seen)
        try:
            while (event := await async_read_event(reader)) is not None:
                seen.append((time.monotonic(), event.type))
                if event.type == "describe":
                    await async_write_event(self.info.event(), writer)
                elif event.type == "ping" and self.answers_ping:
                    await async_write_event(Pong().event(), writer)
        except ConnectionError:
            pass
        finally:
            writer.close()

    def types(self, connection: int = 0) -> list[str]:
        """The event types received on one connection (none before it is made)."""
        if connection >= len(self.connections):
            return []
        return [kind for _, kind in self.connections[connection]]


@contextlib.asynccontextmanager
async def fake_satellite(**kwargs: object) -> AsyncIterator[FakeSatellite]:
    fake = FakeSatellite(**kwargs)  # type: ignore[arg-type]
    server = await asyncio.start_server(fake._serve, "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    try:
        yield fake
    finally:
        server.close()


async def _no_connect(_link: SatelliteLink, _info: Info) -> None:
    pass


async def _no_event(_event: Event) -> None:
    pass


@contextlib.asynccontextmanager
async def linked(fake: FakeSatellite) -> AsyncIterator[tuple[SatelliteLink, list[Info]]]:
    infos: list[Info] = []
    lost: list[SatelliteLink] = []

    async def on_connect(_link: SatelliteLink, info: Info) -> None:
        infos.append(info)

    async def on_event(_event: Event) -> None:
        pass

    link = SatelliteLink(
        TcpUri("127.0.0.1", fake.port), FAST, LimitSettings(), on_connect, on_event, lost.append
    )
    task = asyncio.create_task(link.run())
    try:
        yield link, infos
    finally:
        assert await cancel_and_wait(task, 5), "the link went on after being cancelled"


async def test_connects_as_home_assistant_does_and_pings_after_each_pong() -> None:
    async with fake_satellite() as fake, linked(fake) as (link, infos):
        await until(lambda: len(fake.types()) >= 5, 5)
        assert fake.types()[:3] == ["describe", "run-satellite", "ping"]
        assert infos[0].satellite is not None and link.answers_ping is True
        pings = [when for when, kind in fake.connections[0] if kind == "ping"]
        gaps = [b - a for a, b in itertools.pairwise(pings)]
        assert gaps and min(gaps) >= FAST.ping_interval_s * 0.9
        assert len(fake.connections) == 1  # a satellite that answers stays connected


async def test_a_silent_satellite_is_dropped_and_reconnected() -> None:
    async with fake_satellite() as fake, linked(fake) as (link, _infos):
        await until(lambda: link.answers_ping is True, 5)
        fake.answers_ping = False  # it hangs: no pong, no event
        dropped_at = time.monotonic()
        await until(lambda: len(fake.connections) >= 2, 10)
        assert time.monotonic() - dropped_at < FAST.silence_timeout_s + 2.5  # drop + backoff
        await until(lambda: fake.types(1)[:2] == ["describe", "run-satellite"], 5)


async def test_a_satellite_that_never_answers_ping_is_kept() -> None:
    async with fake_satellite(answers_ping=False) as fake, linked(fake) as (link, _infos):
        await asyncio.sleep(FAST.silence_timeout_s * 3)
        assert link.connected and link.answers_ping is False
        assert len(fake.connections) == 1


async def test_a_service_that_is_not_a_satellite_is_not_driven() -> None:
    async with fake_satellite(info=Info()) as fake, linked(fake) as (link, infos):
        await until(lambda: len(fake.connections) >= 2, 10)  # it retries with backoff
        assert not infos and not link.connected
        assert "run-satellite" not in fake.types(0)


async def test_a_link_cancelled_at_any_moment_ends() -> None:
    """Cancelling never gets lost, whatever the link is doing (connecting, describing,
    closing, backing off): on Python 3.11 `asyncio.wait_for` used to drop it now and then,
    and the link went on reconnecting forever."""
    rng = random.Random(6)
    async with fake_satellite(info=Info()) as fake:
        for _ in range(200):
            link = SatelliteLink(
                TcpUri("127.0.0.1", fake.port),
                FAST,
                LimitSettings(),
                _no_connect,
                _no_event,
                lambda _link: None,
            )
            task = asyncio.create_task(link.run())
            await asyncio.sleep(rng.uniform(0, 0.02))
            task.cancel()
            done, _pending = await asyncio.wait({task}, timeout=3)
            assert done and task.cancelled(), "the link went on after being cancelled"


async def test_pause_is_sent_when_the_link_pauses() -> None:
    async with fake_satellite() as fake, linked(fake) as (link, _infos):
        await until(lambda: link.connected, 5)
        await link.pause()
        await until(lambda: "pause-satellite" in fake.types(), 5)


async def test_stopping_the_hub_pauses_its_satellites(tmp_path: Path) -> None:
    async with fake_satellite() as fake:
        args = ["--satellite", f"tcp://127.0.0.1:{fake.port}", "--wake-word", "hey_jarvis"]
        with running_hub(args=args, log_path=tmp_path / "hub.log"):
            await until(lambda: "run-satellite" in fake.types(), 30)
        # the hub stopped (SIGTERM) while this loop waited: read what it sent meanwhile
        await until(lambda: "pause-satellite" in fake.types(), 5)
        assert fake.types()[-1] == "pause-satellite"
