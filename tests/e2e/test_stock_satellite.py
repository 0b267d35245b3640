"""A stock wyoming-satellite 1.0.0 (its own venv: it pins wyoming 1.4.1) driven by our hub.

It sends no `detection`, answers no `ping`, never sends `audio-stop` and never `played`: the
hub ends the command with its own VAD and bounds its wait for `played`. In local-wake mode its
wake service is our hub too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import client
from testing.broker import Broker
from testing.hubproc import free_port, running_hub
from testing.mqtt_watch import watching
from testing.satrig import Rig, stock_satellite_rig
from tests.conftest import REPO, normalize
from tests.satellite.conftest import until

from .conftest import Ear, hub_args, light_on

STAGES = ["run-start", "wake", "stt-start", "voice-started", "voice-stopped", "stt-end"]
STAGES += ["intent-start", "action", "intent-end"]
ANSWER = ["tts-start", "tts-first-audio", "tts-end", "played", "run-end"]


def wsat_venv() -> Path:
    venv = Path(os.environ.get("HOMEVOICE_WSAT", REPO / ".wsat"))
    if not (venv / "bin" / "python").exists():
        pytest.fail(f"{venv} is missing: run `make peers` (make test does) to install it")
    return venv


@contextlib.contextmanager
def stock_scene(workdir: Path, broker: Broker, local_wake: bool) -> Iterator[Rig]:
    """Our hub (also the wake service in local-wake mode) driving a stock satellite."""
    satellite_port, hub_port = free_port(), free_port()
    args = hub_args(broker, satellite_port)
    log = workdir / "hub.log"
    extra = ["--wake-uri", f"tcp://127.0.0.1:{hub_port}", "--wake-word-name", "hey_jarvis"]
    try:
        with (
            running_hub(port=hub_port, args=args, log_path=log),
            stock_satellite_rig(
                workdir, wsat_venv(), satellite_port, "Stock Kitchen", extra if local_wake else []
            ) as rig,
        ):
            yield rig
    finally:
        print(f"hub log: {log}")


@pytest.mark.parametrize("local_wake", [True, False], ids=["local-wake", "always-streaming"])
async def test_stock_satellite_turns_on_the_light_and_answers(
    tmp_path: Path, module_broker: Broker, wake_command: bytes, local_wake: bool, ear: Ear
) -> None:
    with stock_scene(tmp_path, module_broker, local_wake) as rig:
        async with light_on(module_broker) as light, watching(module_broker.port) as mqtt:
            await mqtt.wait_for(
                "homevoice/stock_kitchen/state",
                lambda p: json.loads(p)["state"] == "idle",
                30,
            )
            await asyncio.sleep(1.0)  # the hub has read the light's discovery
            rig.play(wake_command)
            await mqtt.wait_for(
                "homevoice/stock_kitchen/event",
                lambda p: json.loads(p)["type"] == "tts-end",
                40,
            )
            await until(lambda: rig.snd_done() is not None, 15)
            end = await mqtt.wait_for(
                "homevoice/stock_kitchen/event",
                lambda p: json.loads(p)["type"] == "run-end",
                10,
            )
            if not local_wake:  # the hub listens for the next wake word on the same stream
                await mqtt.wait_for(
                    "homevoice/stock_kitchen/event",
                    lambda p: json.loads(p)["type"] == "run-start",
                    10,
                    after=mqtt.messages.index(end),
                )
        events = [
            json.loads(m.payload)
            for m in mqtt.messages
            if m.topic == "homevoice/stock_kitchen/event"
        ]
        first_run = [e for e in events if e["run_id"] == events[0]["run_id"]]
        # streaming: the run (waiting for the wake word) began before the watcher subscribed
        expected = STAGES + ANSWER if local_wake else STAGES[1:] + ANSWER
        assert [e["type"] for e in first_run] == expected, first_run
        wake = next(e for e in first_run if e["type"] == "wake")
        assert wake["source"] == ("satellite" if local_wake else "hub")
        stt_end = next(e for e in first_run if e["type"] == "stt-end")
        assert stt_end["ended_by"] == "speech-ended"  # the hub's VAD: the satellite never stops
        assert "kitchen light" in normalize(str(stt_end["text"]))
        assert light.commands and json.loads(light.commands[0][1]) == {"state": "ON"}
        assert "kitchen light" in await ear.heard_since(rig, 0)
        heard = await client.describe("127.0.0.1", rig.port)
        assert heard.satellite is not None and heard.satellite.name == "Stock Kitchen"


async def test_our_hub_restarted_while_it_drives_a_stock_satellite(
    tmp_path: Path, module_broker: Broker, wake_command: bytes
) -> None:
    satellite_port, hub_port = free_port(), free_port()
    args = hub_args(module_broker, satellite_port)
    topic = "homevoice/stock_kitchen"
    with stock_satellite_rig(tmp_path, wsat_venv(), satellite_port, "Stock Kitchen", []) as rig:
        async with light_on(module_broker) as light, watching(module_broker.port) as mqtt:
            with running_hub(hub_port, args, tmp_path / "hub-1.log") as (_port, proc):
                await mqtt.wait_for(
                    f"{topic}/state", lambda p: json.loads(p)["state"] != "disconnected", 30
                )
                proc.kill()  # no goodbye: the satellite's controller is just gone
            mark = len(mqtt.messages)
            with running_hub(hub_port, args, tmp_path / "hub-2.log"):
                await mqtt.wait_for(
                    f"{topic}/state", lambda p: json.loads(p)["connected"] is True, 60, mark
                )
                await asyncio.sleep(1.0)  # the hub has read the light's discovery
                rig.play(wake_command)
                await mqtt.wait_for(
                    f"{topic}/event", lambda p: json.loads(p)["type"] == "tts-end", 40, mark
                )
                await until(lambda: bool(light.commands), 10)
                await asyncio.sleep(0.5)
    assert [json.loads(c) for _, c in light.commands] == [{"state": "ON"}]
