"""The real satellite as a subprocess: a paced mic that plays the clips a test queues, a paced
snd command that records what it was given, and (optionally) a private mosquitto."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.audio import piper_speech, silence
from bench.broker import Broker
from bench.hubproc import running_satellite

HOST = "127.0.0.1"


async def until(condition: Callable[[], bool], timeout_s: float, step_s: float = 0.02) -> None:
    """Poll `condition` (state another process or task changes) until true, bounded."""
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - the state lives outside this loop
            await asyncio.sleep(step_s)


@dataclass
class Rig:
    """A running satellite and the files its mic and snd commands use."""

    port: int
    proc: subprocess.Popen[bytes]
    queue: Path
    snd_out: Path
    log: Path
    node_id: str
    _names: Iterator[int] = field(default_factory=itertools.count)

    def play(self, pcm: bytes) -> str:
        """Queue a clip for the mic; returns its name for `started_at`."""
        name = f"{next(self._names):04d}"
        partial = self.queue / f"{name}.part"
        partial.write_bytes(pcm)
        partial.rename(self.queue / f"{name}.raw")
        return name

    def started_at(self, name: str, timeout_s: float = 10) -> float:
        """The wall-clock time the mic began playing clip `name`."""
        log = self.queue / "started.log"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if log.exists():
                for line in log.read_text().splitlines():
                    clip, _, when = line.partition(" ")
                    if clip == name:
                        return float(when)
            time.sleep(0.02)
        raise TimeoutError(f"the mic never played clip {name}")

    def snd_bytes(self) -> int:
        """How much PCM the snd command has received so far."""
        return self.snd_out.stat().st_size if self.snd_out.exists() else 0

    def snd_done(self) -> tuple[int, float] | None:
        """(bytes, wall-clock time) of the snd command's last finished stream."""
        done = Path(f"{self.snd_out}.done")
        if not done.exists():
            return None
        size, when = done.read_text().split()
        return int(size), float(when)


@contextlib.contextmanager
def satellite_rig(
    workdir: Path, extra: list[str], name: str = "Test Kitchen", zeroconf: bool = False
) -> Iterator[Rig]:
    """Start a satellite with paced stand-ins for arecord and aplay."""
    queue = workdir / "mic"
    queue.mkdir(parents=True, exist_ok=True)
    snd_out = workdir / "snd.raw"
    log = workdir / "satellite.log"
    args = [
        "--name",
        name,
        "--area",
        "Kitchen",
        "--mic-command",
        f"{sys.executable} -m bench.pcm_pipe mic --queue {queue}",
        "--snd-command",
        f"{sys.executable} -m bench.pcm_pipe snd --rate 22050 --out {snd_out}",
        "--snd-rate",
        "22050",
        "--log-level",
        "debug",
        *extra,
    ]
    node_id = "satellite_" + name.lower().replace(" ", "_")
    try:
        with running_satellite(args=args, log_path=log, zeroconf=zeroconf) as (port, proc):
            yield Rig(port, proc, queue, snd_out, log, node_id)
    finally:
        print(f"satellite log: {log}")


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
def module_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    running = Broker(tmp_path_factory.mktemp("broker"))
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory, module_broker: Broker) -> Iterator[Rig]:
    """One satellite for the module: hey_jarvis, MQTT on the module's broker."""
    workdir = tmp_path_factory.mktemp("satellite")
    with satellite_rig(workdir, ["--wake-word", "hey_jarvis", "--mqtt", module_broker.url]) as r:
        yield r
