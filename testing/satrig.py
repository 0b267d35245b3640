"""The real satellite as a subprocess with paced stand-ins for `arecord` and `aplay`: the mic
plays the clips queued for it, the snd command records what it was given."""

from __future__ import annotations

import contextlib
import itertools
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from testing.hubproc import running_satellite, stop, wait_ready


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
    workdir: Path,
    extra: list[str],
    name: str = "Test Kitchen",
    zeroconf: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[Rig]:
    """Start a satellite with paced stand-ins for arecord and aplay (`env` adds to its
    environment)."""
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
        f"{sys.executable} -m testing.pcm_pipe mic --queue {queue}",
        "--snd-command",
        f"{sys.executable} -m testing.pcm_pipe snd --rate 22050 --out {snd_out}",
        "--snd-rate",
        "22050",
        "--log-level",
        "debug",
        *extra,
    ]
    node_id = "satellite_" + name.lower().replace(" ", "_")
    try:
        with running_satellite(args=args, log_path=log, zeroconf=zeroconf, env=env) as (
            port,
            proc,
        ):
            yield Rig(port, proc, queue, snd_out, log, node_id)
    finally:
        print(f"satellite log: {log}")


@contextlib.contextmanager
def stock_satellite_rig(
    workdir: Path, venv: Path, port: int, name: str, extra: list[str]
) -> Iterator[Rig]:
    """The stock wyoming-satellite (in its own venv `venv`) with the same paced stand-ins."""
    queue = workdir / "mic"
    queue.mkdir(parents=True, exist_ok=True)
    snd_out = workdir / "snd.raw"
    log_path = workdir / "wyoming-satellite.log"
    command = [
        str(venv / "bin" / "python"),
        "-m",
        "wyoming_satellite",
        "--uri",
        f"tcp://127.0.0.1:{port}",
        "--name",
        name,
        "--mic-command",
        f"{sys.executable} -m testing.pcm_pipe mic --queue {queue}",
        "--snd-command",
        f"{sys.executable} -m testing.pcm_pipe snd --rate 22050 --out {snd_out}",
        "--snd-command-rate",
        "22050",
        "--no-zeroconf",
        "--debug",
        *extra,
    ]
    repo = Path(__file__).resolve().parent.parent
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=repo)
        try:
            wait_ready(proc, port, timeout_s=60)
            yield Rig(port, proc, queue, snd_out, log_path, "")
        finally:
            stop(proc)
            print(f"wyoming-satellite log: {log_path}")
