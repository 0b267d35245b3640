"""The hub drives our satellite with no Home Assistant: wake → STT → intent → light → answer."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from testing.broker import Broker
from testing.light import LIGHT_TOPIC
from testing.mqtt_watch import publish, watching
from tests.conftest import normalize
from tests.satellite.conftest import until

from .conftest import Ear, hub_driving, kitchen_satellite, light_on

ORDER = [
    "run-start",
    "wake",
    "stt-start",
    "voice-started",
    "voice-stopped",  # the hub's VAD ended the command (else the satellite's `audio-stop`)
    "stt-end",
    "intent-start",
    "action",
    "intent-end",
    "tts-start",
    "tts-first-audio",
    "tts-end",
    "played",
    "run-end",
]


async def test_spoken_command_turns_on_the_light_and_answers(
    tmp_path: Path, module_broker: Broker, wake_command: bytes, ear: Ear
) -> None:
    with (
        kitchen_satellite(tmp_path, module_broker) as rig,
        hub_driving(tmp_path, module_broker, rig.port),
    ):
        async with light_on(module_broker) as light, watching(module_broker.port) as mqtt:
            await mqtt.wait_for(
                "homevoice/kitchen/state", lambda p: json.loads(p)["state"] == "idle", 20
            )
            await asyncio.sleep(1.0)  # the hub has read the light's discovery
            clip = rig.play(wake_command)
            end = await mqtt.wait_for(
                "homevoice/kitchen/event", lambda p: json.loads(p)["type"] == "run-end", 30
            )
            await until(lambda: rig.snd_done() is not None, 15)

            state = await mqtt.wait_for(
                "homevoice/kitchen/state",
                lambda p: json.loads(p)["last_latency_ms"] is not None,
                5,
            )
            # discovery is not retained: Home Assistant coming online asks for it again
            await publish(module_broker.port, "homeassistant/status", "online")
            announced = await mqtt.wait_for("homeassistant/device/kitchen/config", timeout_s=10)
        discovery = json.loads(announced.payload)
        assert set(discovery["components"]) == {
            "state", "transcript", "answer", "latency", "announce", "event",
        }  # fmt: skip
        assert discovery["components"]["announce"]["command_topic"] == (
            "homevoice/kitchen/announce/set"
        )
        assert discovery["device"]["suggested_area"] == "Kitchen"
        last = json.loads(state.payload)
        assert "kitchen light" in normalize(last["last_transcript"])
        assert last["last_answer"] == "Turned on the Kitchen light."
        assert 0 < last["last_latency_ms"] < 5000 and last["connected"] is True
        assert light.commands, "the light received no command"
        assert json.loads(light.commands[0][1]) == {"state": "ON"}
        events = [
            json.loads(m.payload) for m in mqtt.messages if m.topic == "homevoice/kitchen/event"
        ]
        stt_end = next(e for e in events if e["type"] == "stt-end")
        order = [t for t in ORDER if t != "voice-stopped" or stt_end["ended_by"] != "audio-stop"]
        assert [e["type"] for e in events] == order, events
        assert all(e["node_id"] == "kitchen" for e in events)
        assert len({e["run_id"] for e in events}) == 1
        stamps = [e["timestamp_ms"] for e in events]
        assert stamps == sorted(stamps)
        assert "kitchen light" in normalize(str(stt_end["text"]))
        action = next(e for e in events if e["type"] == "action")
        assert action["topic"] == f"{LIGHT_TOPIC}/set"
        timings = json.loads(end.payload)["timings_ms"]
        assert 0 < timings["action"] < timings["tts-first-audio"]
        print("timings from the end of speech (ms):", timings)

        answer = rig.snd_out.read_bytes()
        assert len(answer) > 22050  # more than half a second of speech at 22050 Hz
        assert "kitchen light" in await ear.heard(answer)
        _ = clip
