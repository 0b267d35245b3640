"""The satellite's life on the LAN: MQTT discovery, state and last will, zeroconf goodbye,
and streaming for a controller that detects the wake word itself."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from pathlib import Path

from wyoming.error import Error
from wyoming.wake import Detect
from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncZeroconf

from protocol.aio import bounded
from protocol.discovery import SERVICE_TYPE
from testing.broker import Broker
from testing.controller import Controller
from testing.mqtt_watch import publish, watching

from .conftest import HOST, satellite_rig


async def test_discovery_state_and_last_will(broker: Broker, tmp_path: Path) -> None:
    base = "homevoice/satellite_hall"
    discovery = "homeassistant/device/satellite_hall/config"
    args = ["--mqtt", broker.url, "--wake-word", "okay_nabu"]
    async with watching(broker.port) as mqtt:
        with satellite_rig(tmp_path, args, "Hall") as rig:
            await mqtt.wait_for(f"{base}/availability", lambda p: p == "online")
            config = json.loads((await mqtt.wait_for(discovery)).payload)
            state = json.loads((await mqtt.wait_for(f"{base}/state")).payload)

            mark = len(mqtt.messages)
            await publish(broker.port, "homeassistant/status", "online")  # HA restarted
            await mqtt.wait_for(discovery, after=mark)

            async with watching(broker.port) as late:  # retained for late subscribers
                assert (await late.wait_for(f"{base}/availability")).payload == "online"
                assert json.loads((await late.wait_for(f"{base}/state")).payload)["mic_ok"]

            rig.proc.kill()  # no goodbye: the broker publishes the will
            await mqtt.wait_for(f"{base}/availability", lambda p: p == "offline")

        mark = len(mqtt.messages)
        with satellite_rig(tmp_path, args, "Hall"):
            await mqtt.wait_for(f"{base}/availability", lambda p: p == "online", after=mark)

    components = config["components"]
    assert set(components) == {"state", "mute", "volume", "listen", "microphone", "event"}
    assert config["device"]["name"] == "Hall" and config["device"]["suggested_area"] == "Kitchen"
    assert components["mute"]["command_topic"] == f"{base}/mute/set"
    assert components["listen"]["command_topic"] == f"{base}/listen/set"
    assert components["volume"]["command_topic"] == f"{base}/volume/set"
    assert components["event"]["state_topic"] == f"{base}/event"
    assert all(c["unique_id"].startswith("homevoice_satellite_hall_") for c in components.values())
    assert state["state"] == "idle" and state["wake_words"] == ["okay_nabu"]
    assert state["muted"] is False and state["volume"] == 100 and state["controller"] is None


async def test_sigterm_says_offline_and_goodbye(broker: Broker, tmp_path: Path) -> None:
    name = f"zc {uuid.uuid4().hex[:8]}"
    node = "satellite_" + name.replace(" ", "_")
    changes: asyncio.Queue[tuple[str, ServiceStateChange]] = asyncio.Queue()

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        changes.put_nowait((name, state_change))

    async def seen(change: ServiceStateChange) -> str:
        while True:
            service, what = await bounded(changes.get(), 15)
            if service.startswith(name.replace(" ", "-")) and what is change:
                return service

    observer = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    browser = AsyncServiceBrowser(observer.zeroconf, SERVICE_TYPE, handlers=[on_change])
    try:
        async with watching(broker.port) as mqtt:
            with satellite_rig(tmp_path, ["--mqtt", broker.url], name, zeroconf=True) as rig:
                added = await seen(ServiceStateChange.Added)
                await mqtt.wait_for(f"homevoice/{node}/availability", lambda p: p == "online")
                rig.proc.send_signal(signal.SIGTERM)
                removed = await seen(ServiceStateChange.Removed)
                await mqtt.wait_for(f"homevoice/{node}/availability", lambda p: p == "offline")
                assert rig.proc.wait(10) == 0
    finally:
        await browser.async_cancel()
        await observer.async_close()
    assert added == removed and added.endswith(f".{SERVICE_TYPE}")


async def test_without_a_wake_word_it_streams_for_the_controller(tmp_path: Path) -> None:
    with satellite_rig(tmp_path, ["--mqtt", "none"]) as rig:
        async with Controller(HOST, rig.port) as ha:
            await ha.run_satellite()
            run = await ha.wait_for("run-pipeline", 5)
            assert run.event.data["start_stage"] == "wake"
            assert run.event.data["restart_on_end"] is True
            await asyncio.sleep(1.0)
            assert ha.types().count("audio-chunk") >= 10  # ~16 chunks a second

            mark = len(ha.received)
            await ha.send(Error(text="pipeline failed", code="stt-failed").event())
            again = await ha.wait_for("run-pipeline", 5, after=mark)  # we restart it
            assert again.time_s - ha.received[mark - 1].time_s >= 1.5

            mark = len(ha.received)
            await ha.send(Error(text="pipeline failed", code="stt-failed").event())
            await ha.send(Detect().event())  # the controller restarted it itself
            await asyncio.sleep(3)
            assert "run-pipeline" not in ha.types(after=mark)
            assert ha.types(after=mark).count("audio-chunk") >= 30
