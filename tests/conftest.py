"""Shared fixtures: the real hub as a subprocess on a free loopback port, and real speech."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.audio import piper_speech, silence
from bench.hubproc import free_port, running_hub

# Short timeouts so the bad-input tests that wait on them stay quick.
TEST_HUB_CONFIG = """\
limits:
  idle_timeout_s: 4
  frame_timeout_s: 2
  write_timeout_s: 5
stt:
  max_audio_s: 60
"""


@pytest.fixture(scope="session")
def hub_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """One real hub for the session, with short read timeouts."""
    workdir = tmp_path_factory.mktemp("hub")
    config = workdir / "hub.yaml"
    config.write_text(TEST_HUB_CONFIG)
    log = workdir / "hub.log"
    try:
        with running_hub(args=["--config", str(config), "--log-level", "debug"], log_path=log) as (
            port,
            _proc,
        ):
            yield port
    finally:
        print(f"hub log: {log}")


@pytest.fixture(scope="session")
def command_speech() -> bytes:
    """ "Turn on the kitchen light." spoken by Piper, with silence around it, 16 kHz."""
    return silence(0.3) + piper_speech("Turn on the kitchen light.") + silence(0.5)


def normalize(text: str) -> str:
    """Lower case, no punctuation, single spaces: for comparing transcripts."""
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


REPO = Path(__file__).resolve().parent.parent


class Broker:
    """A private mosquitto on a free loopback port; can be stopped and started again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self._config = workdir / "mosquitto.conf"
        self._config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        )
        self._log = workdir / "mosquitto.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        with open(self._log, "ab") as log:
            self._proc = subprocess.Popen([binary, "-c", str(self._config)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            if self._proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not start: {self._log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(10)
        self._proc = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A fresh broker per test (tests restart it)."""
    running = Broker(tmp_path)
    running.start()
    try:
        yield running
    finally:
        running.stop()
