"""The hub's two front doors in-process on loopback, around the `Services` a test builds."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from wyoming.info import Info

from hub.pipeline.services import Services
from hub.satellites.controller import SatelliteController
from hub.settings import HubSettings, LimitSettings, SatelliteSettings
from hub.wyoming_server import ServiceConnection
from protocol.aio import bounded
from protocol.server import TcpUri, WyomingServer
from testing.fakes import SPEECH_LEVEL, chunk
from testing.simsat import Clip, SimSatellite

# A command the fake VAD hears: 0.32 s of silence, then 0.64 s of speech.
COMMAND = Clip("a command", chunk() * 5 + chunk(SPEECH_LEVEL) * 10, 0.32 + 0.64)


@contextlib.asynccontextmanager
async def home_assistant_door(services: Services) -> AsyncIterator[int]:
    """The Wyoming server Home Assistant talks to, on a free loopback port."""
    server = WyomingServer(
        TcpUri("127.0.0.1", 0),
        lambda peer, writer, limits: ServiceConnection(peer, writer, limits, services, Info()),
        LimitSettings(),
    )
    await server.start()
    try:
        yield server.port
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def satellite_door(services: Services, satellite: SimSatellite) -> AsyncIterator[None]:
    """The hub's satellite controller driving `satellite` over loopback."""
    uri = f"tcp://127.0.0.1:{satellite.port}"
    settings = HubSettings(zeroconf=False, satellites=SatelliteSettings(uris=(uri,)))
    controller = SatelliteController(settings, services)
    await controller.start()
    try:
        await bounded(satellite.ready.wait(), 10)
        yield
    finally:
        await controller.stop()
