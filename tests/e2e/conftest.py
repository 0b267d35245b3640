"""The whole scene on loopback: mosquitto, a light on MQTT discovery, the real hub driving the
real satellite, whose mic plays real speech at real-time pace."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bench.audio import piper_speech, silence
from bench.broker import Broker
from bench.hubproc import running_hub
from bench.light import DemoLight
from bench.satrig import Rig, satellite_rig
from protocol.aio import bounded


def hub_args(broker: Broker, *satellites: int, extra: list[str] | None = None) -> list[str]:
    """The hub driving the satellites on these loopback ports, on the test broker."""
    args = ["--mqtt", broker.url, "--log-level", "debug", "--wake-word", "hey_jarvis"]
    for port in satellites:
        args += ["--satellite", f"tcp://127.0.0.1:{port}"]
    return args + (extra or [])


@contextlib.contextmanager
def hub_driving(workdir: Path, broker: Broker, *satellites: int) -> Iterator[int]:
    """The real hub, driving `satellites`, for the block; its log is in `workdir`."""
    log = workdir / "hub.log"
    try:
        with running_hub(args=hub_args(broker, *satellites), log_path=log) as (port, _proc):
            yield port
    finally:
        print(f"hub log: {log}")


@contextlib.asynccontextmanager
async def light_on(broker: Broker) -> AsyncIterator[DemoLight]:
    """The demo kitchen light, announced and following its command topic."""
    light = DemoLight(broker.port)
    task = asyncio.create_task(light.run())
    try:
        await bounded(light.ready.wait(), 10)
        yield light
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def events_of(messages: list[tuple[str, str]], topic: str) -> list[dict[str, object]]:
    """The JSON events seen on `topic`, in order."""
    return [json.loads(payload) for seen_topic, payload in messages if seen_topic == topic]


@pytest.fixture(scope="session")
def wake_command() -> bytes:
    """ "Hey Jarvis." then "Turn on the kitchen light.", with silence around."""
    return (
        silence(0.3)
        + piper_speech("Hey Jarvis.")
        + silence(0.3)
        + piper_speech("Turn on the kitchen light.")
        + silence(2.0)
    )


@contextlib.contextmanager
def kitchen_satellite(workdir: Path, broker: Broker, name: str = "Kitchen") -> Iterator[Rig]:
    """Our satellite with hey_jarvis, its own MQTT device on the broker."""
    with satellite_rig(
        workdir, ["--wake-word", "hey_jarvis", "--mqtt", broker.url], name=name
    ) as rig:
        yield rig
