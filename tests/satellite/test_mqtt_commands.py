"""The satellite's MQTT commands with bad payloads: each is one `error` event on its event
topic that says why, and the satellite does nothing. The real runtime and MQTT device, the
real mosquitto."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from protocol.aio import bounded
from protocol.mqtt import MqttSettings
from satellite.app import _attach_mqtt
from satellite.runtime import SatelliteRuntime
from satellite.settings import MicSettings, SatelliteSettings, SndSettings
from satellite.vad import speech_detector
from testing.audio import write_wav
from testing.broker import Broker
from testing.mqtt_watch import publish, watching

BASE = "homevoice/satellite_bench"
BAD = [
    ("volume", "loud", "bad-payload", "expected a number 0..100, got 'loud'"),
    ("volume", "inf", "bad-payload", "expected a number 0..100, got 'inf'"),
    ("volume", "150", "bad-payload", "expected a number 0..100, got '150'"),
    ("mute", "maybe", "bad-payload", "expected ON or OFF, got 'maybe'"),
    ("coffee", "strong", "unknown-command", "no command 'coffee' (known: mute, volume, listen)"),
    ("volume", "5" * 20000, "command-too-large", "20000 bytes (at most 16384)"),
]


def _silent_wav(path: Path) -> Path:
    write_wav(path, bytes(3200), 16000)
    return path


async def test_bad_commands_are_refused_with_an_error_event_and_change_nothing(
    broker: Broker, tmp_path: Path
) -> None:
    settings = SatelliteSettings(
        name="bench",
        zeroconf=False,
        mic=MicSettings(wav=_silent_wav(tmp_path / "mic.wav")),
        snd=SndSettings(wav_dir=tmp_path / "played"),
        mqtt=MqttSettings(url=broker.url),
    )
    satellite = SatelliteRuntime(settings, None, speech_detector(settings.vad), "satellite_bench")
    node = _attach_mqtt(settings, satellite)
    running = asyncio.create_task(node.run())
    try:
        await node.wait_connected(10)
        async with watching(broker.port) as watch:
            for name, payload, _code, _why in BAD:
                await publish(broker.port, f"{BASE}/{name}/set", payload)
            await publish(broker.port, f"{BASE}/volume/set", "40")  # a good one, after them
            await watch.wait_for(f"{BASE}/state", lambda p: json.loads(p)["volume"] == 40)
            events = [json.loads(m.payload) for m in watch.messages if m.topic == f"{BASE}/event"]
            states = [json.loads(m.payload) for m in watch.messages if m.topic == f"{BASE}/state"]
    finally:
        await node.stop()
        await bounded(running, 10)
    assert [(e["type"], e["code"]) for e in events] == [("error", code) for *_, code, _ in BAD]
    for event, (name, _payload, _code, why) in zip(events, BAD, strict=True):
        assert event["message"] == f"{BASE}/{name}/set refused: {why}"
        assert event["node_id"] == "satellite_bench" and event["run_id"] is None
    assert [s["volume"] for s in states] == [100, 40]  # nothing changed before the good one
    assert not any(s["muted"] for s in states)
