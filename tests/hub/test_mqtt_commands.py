"""Announcements over MQTT with bad payloads or for an unknown satellite: one `error` event
that says why (on the satellite's, or for an unknown one the hub's, event topic), nothing
spoken. The hub's real controller and MQTT devices, a simulated satellite, real mosquitto."""

from __future__ import annotations

import asyncio
import json

from hub.app import _announcements
from hub.satellites.controller import SatelliteController
from hub.settings import HubSettings, SatelliteSettings
from protocol.aio import bounded
from protocol.mqtt import MqttNode, MqttSettings
from testing.broker import Broker
from testing.fakes import FakeStt, FakeTts, fake_services
from testing.mqtt_watch import Watcher, publish, watching
from testing.simsat import SimSatellite


def errors(watch: Watcher, topic: str) -> list[dict[str, object]]:
    events = [json.loads(m.payload) for m in watch.messages if m.topic == topic]
    return [e for e in events if e["type"] == "error"]


async def test_bad_announcements_are_refused_and_nothing_is_spoken(broker: Broker) -> None:
    tts = FakeTts()
    services = fake_services(stt=FakeStt(), tts=tts)
    satellite = SimSatellite(1, ("hey_jarvis", "Hey Jarvis"))
    await satellite.start()
    settings = HubSettings(
        zeroconf=False,
        mqtt=MqttSettings(url=broker.url),
        satellites=SatelliteSettings(uris=(f"tcp://127.0.0.1:{satellite.port}",)),
    )
    controller = SatelliteController(settings, services)
    hub = MqttNode(settings.mqtt, "hub", lambda: {})
    hub.subscribe("homevoice/+/announce/set", _announcements(controller, hub))
    running = asyncio.create_task(hub.run())
    try:
        async with watching(broker.port) as watch:
            await controller.start()
            await bounded(satellite.ready.wait(), 10)
            (sid,) = controller.sessions
            await watch.wait_for(f"homevoice/{sid}/availability", lambda p: p == "online")
            await hub.wait_connected(10)
            bad = [
                (sid, '{"text": "Hello"'),
                (sid, "a" * 1001),
                (sid, "x" * 1024 * 1024),
                ("garage", "Hello."),
                ("all", '{"text": 5}'),
            ]
            for target, payload in bad:
                await publish(broker.port, f"homevoice/{target}/announce/set", payload)
            await publish(broker.port, f"homevoice/{sid}/shout/set", "Hello.")
            await publish(broker.port, f"homevoice/{sid}/announce/set", "The laundry is done.")
            await watch.wait_for(f"homevoice/{sid}/event", lambda p: '"run-end"' in p)
            on_satellite = errors(watch, f"homevoice/{sid}/event")
            on_hub = errors(watch, "homevoice/hub/event")
    finally:
        await controller.stop()
        await hub.stop()
        await bounded(running, 10)
        await satellite.close()
    assert [e["code"] for e in on_satellite] == [
        "invalid-json", "text-too-long", "command-too-large", "unknown-command",
    ]  # fmt: skip
    assert on_satellite[1]["message"] == (
        f"homevoice/{sid}/announce/set refused: 1001 characters (at most 1000)"
    )
    assert [e["code"] for e in on_hub] == ["unknown-satellite", "invalid-json"]
    assert on_hub[0]["message"] == (
        f"homevoice/garage/announce/set refused: no satellite 'garage' (known: {sid})"
    )
    assert tts.rendered == ["The laundry is done."]
