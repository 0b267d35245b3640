"""Faults with real processes on loopback: the hub killed mid-utterance and restarted, the broker
gone for 30 s, SIGTERM during a run (offline, zeroconf's goodbye). After each, the satellite is
idle again, the next command works, and nothing is carried out twice."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from pathlib import Path

from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncZeroconf

from protocol.aio import bounded
from protocol.discovery import SERVICE_TYPE
from testing.broker import Broker
from testing.hubproc import free_port, running_hub, running_server
from testing.mqtt_watch import Watcher, publish, watching
from testing.satrig import Rig
from tests.satellite.conftest import until

from .conftest import hub_args, kitchen_satellite, light_on

OWN = "homevoice/satellite_kitchen"  # the satellite's own MQTT device
DRIVEN = "homevoice/kitchen"  # the hub's view of the satellite it drives
OUTAGE_S = 30.0


def _state(mqtt: Watcher, topic: str, after: int = 0) -> list[str]:
    return [json.loads(m.payload)["state"] for m in mqtt.messages[after:] if m.topic == topic]


async def _command(rig: Rig, mqtt: Watcher, clip: bytes, after: int) -> None:
    """Play the clip and wait for the run's end on the hub's events for the satellite."""
    rig.play(clip)
    await mqtt.wait_for(
        f"{DRIVEN}/event", lambda p: json.loads(p)["type"] == "run-end", 40, after=after
    )


async def test_the_hub_killed_mid_utterance_then_restarted(
    tmp_path: Path, module_broker: Broker, wake_command: bytes
) -> None:
    hub_port = free_port()
    with kitchen_satellite(tmp_path, module_broker) as rig:
        args = hub_args(module_broker, rig.port)
        async with light_on(module_broker) as light, watching(module_broker.port) as mqtt:
            with running_hub(hub_port, args, tmp_path / "hub-1.log") as (_port, proc):
                await mqtt.wait_for(f"{DRIVEN}/state", lambda p: json.loads(p)["state"] == "idle")
                await asyncio.sleep(1.0)  # the light's discovery is read
                mark = len(mqtt.messages)
                rig.play(wake_command)
                await mqtt.wait_for(
                    f"{DRIVEN}/event", lambda p: json.loads(p)["type"] == "stt-start", 30, mark
                )
                proc.send_signal(signal.SIGKILL)  # mid-utterance: no goodbye
                killed_at = time.monotonic()
                # The satellite notices the controller is gone and goes back to idle.
                await mqtt.wait_for(
                    f"{OWN}/state",
                    lambda p: (
                        json.loads(p)["controller"] is None and json.loads(p)["state"] == "idle"
                    ),
                    30,
                    mark,
                )
                back_s = time.monotonic() - killed_at
            commands_before = len(light.commands)
            mark = len(mqtt.messages)
            with running_hub(hub_port, args, tmp_path / "hub-2.log"):
                await mqtt.wait_for(
                    f"{DRIVEN}/state", lambda p: json.loads(p)["state"] == "idle", 60, mark
                )
                await asyncio.sleep(1.0)
                await _command(rig, mqtt, wake_command, len(mqtt.messages))
                await until(lambda: len(light.commands) > commands_before, 10)
                await asyncio.sleep(0.5)
    assert commands_before == 0, "the killed run acted"
    assert [json.loads(c) for _, c in light.commands] == [{"state": "ON"}]
    assert back_s < 15, f"the satellite took {back_s:.1f} s to notice"


async def test_the_broker_away_and_back_then_one_command_is_done_once(
    tmp_path: Path, wake_command: bytes
) -> None:
    broker = Broker(tmp_path)
    broker.start()
    try:
        with (
            kitchen_satellite(tmp_path, broker) as rig,
            running_hub(args=hub_args(broker, rig.port), log_path=tmp_path / "hub.log"),
        ):
            async with watching(broker.port) as before:
                await before.wait_for(f"{DRIVEN}/state", lambda p: json.loads(p)["state"] == "idle")
            broker.stop()
            await asyncio.sleep(OUTAGE_S)
            broker.start()  # a new broker process: nothing retained survived
            async with light_on(broker) as light, watching(broker.port) as mqtt:
                # Each node's availability, state and discovery are published again.
                for node in ("hub", "satellite_kitchen", "kitchen"):
                    await mqtt.wait_for(
                        f"homevoice/{node}/availability", lambda p: p == "online", 40
                    )
                    await mqtt.wait_for(f"homevoice/{node}/state", timeout_s=20)
                await publish(broker.port, "homeassistant/status", "online")
                for node in ("hub", "satellite_kitchen", "kitchen"):
                    await mqtt.wait_for(f"homeassistant/device/{node}/config", timeout_s=20)
                await asyncio.sleep(1.0)  # the light's discovery is read
                await _command(rig, mqtt, wake_command, len(mqtt.messages))
                await until(lambda: bool(light.commands), 10)
                await asyncio.sleep(1.0)
                assert [json.loads(c) for _, c in light.commands] == [{"state": "ON"}]
    finally:
        broker.stop()


async def test_sigterm_during_a_run_ends_it_says_offline_and_goodbye(
    tmp_path: Path, module_broker: Broker, wake_command: bytes
) -> None:
    zeroconf_name = f"hv-sigterm-{uuid.uuid4().hex[:8]}"
    changes: asyncio.Queue[ServiceStateChange] = asyncio.Queue()

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if name.startswith(zeroconf_name):
            changes.put_nowait(state_change)

    observer = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    browser = AsyncServiceBrowser(observer.zeroconf, SERVICE_TYPE, handlers=[on_change])
    try:
        with kitchen_satellite(tmp_path, module_broker) as rig:
            args = hub_args(module_broker, rig.port, extra=["--zeroconf-name", zeroconf_name])
            log = tmp_path / "h.log"
            async with watching(module_broker.port) as mqtt:
                with running_server("hub", args=args, log_path=log, zeroconf=True) as (_, proc):
                    assert await bounded(changes.get(), 15) is ServiceStateChange.Added
                    await mqtt.wait_for(
                        f"{DRIVEN}/state", lambda p: json.loads(p)["state"] == "idle"
                    )
                    mark = len(mqtt.messages)
                    rig.play(wake_command)
                    await mqtt.wait_for(
                        f"{DRIVEN}/event", lambda p: json.loads(p)["type"] == "stt-start", 30, mark
                    )
                    started = time.monotonic()
                    proc.send_signal(signal.SIGTERM)
                    code = await asyncio.to_thread(proc.wait, 20)
                    stopped_s = time.monotonic() - started
                    await mqtt.wait_for(
                        "homevoice/hub/availability", lambda p: p == "offline", 5, mark
                    )
                    removed = await bounded(changes.get(), 10)  # its goodbye packets
                await mqtt.wait_for(
                    f"{OWN}/state", lambda p: json.loads(p)["controller"] is None, 20, mark
                )
    finally:
        await browser.async_cancel()
        await observer.async_close()
    assert removed is ServiceStateChange.Removed
    assert code == 0
    assert stopped_s < 10, f"SIGTERM took {stopped_s:.1f} s"
    ends = [
        json.loads(m.payload)
        for m in mqtt.messages[mark:]
        if m.topic == f"{DRIVEN}/event" and json.loads(m.payload)["type"] == "run-end"
    ]
    assert len(ends) <= 1 and all(end["outcome"] != "ok" for end in ends), ends
