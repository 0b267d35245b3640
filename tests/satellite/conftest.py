"""The real satellite as a subprocess: a paced mic that plays the clips a test queues, a paced
snd command that records what it was given, and (optionally) a private mosquitto."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from testing.audio import piper_speech, silence
from testing.broker import Broker
from testing.satrig import Rig, satellite_rig

HOST = "127.0.0.1"


async def until(condition: Callable[[], bool], timeout_s: float, step_s: float = 0.02) -> None:
    """Poll `condition` (state another process or task changes) until true, bounded."""
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - the state lives outside this loop
            await asyncio.sleep(step_s)


@dataclass(frozen=True)
class Speech:
    """The clips the satellite tests say."""

    wake: bytes
    command: bytes
    other: bytes

    def wake_and_command(self, tail_s: float = 1.5) -> bytes:
        return silence(0.3) + self.wake + silence(0.3) + self.command + silence(tail_s)

    def speech_end_s(self) -> float:
        """Where the command ends in `wake_and_command`, in seconds."""
        return (len(silence(0.3) + self.wake + silence(0.3)) + len(self.command)) / 32000


@pytest.fixture(scope="session")
def speech() -> Speech:
    return Speech(
        wake=piper_speech("Hey Jarvis."),
        command=piper_speech("Turn on the kitchen light."),
        other=silence(0.3) + piper_speech("What a lovely day it is in the garden.") + silence(1),
    )


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory, module_broker: Broker) -> Iterator[Rig]:
    """One satellite for the module: hey_jarvis, MQTT on the module's broker."""
    workdir = tmp_path_factory.mktemp("satellite")
    with satellite_rig(workdir, ["--wake-word", "hey_jarvis", "--mqtt", module_broker.url]) as r:
        yield r
