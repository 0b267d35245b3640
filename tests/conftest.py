"""Shared fixtures: the real hub as a subprocess on a free loopback port, and real speech."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.audio import piper_speech, silence
from testing.broker import Broker
from testing.hubproc import running_hub

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


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A fresh broker per test (tests restart it)."""
    running = Broker(tmp_path)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def module_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A private mosquitto shared by the tests of one module."""
    running = Broker(tmp_path_factory.mktemp("broker"))
    running.start()
    try:
        yield running
    finally:
        running.stop()
