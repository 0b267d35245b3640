"""`POST /api/satellites/{id}/listen`: our satellite, told by the hub, listens without its wake
word and the command it hears is carried out; a satellite that cannot be told says so (409)."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from protocol.aio import bounded
from testing.audio import piper_speech, silence
from testing.broker import Broker
from testing.hubproc import free_port, running_hub
from testing.mqtt_watch import watching
from testing.simsat import SimSatellite
from tests.satellite.conftest import until

from .conftest import hub_args, kitchen_satellite, light_on


async def test_listen_without_the_wake_word(tmp_path: Path, module_broker: Broker) -> None:
    http_port = free_port()
    base = f"http://127.0.0.1:{http_port}/api/satellites"
    stranger = SimSatellite(3, ("alexa", "Alexa"))
    await stranger.start()
    try:
        with kitchen_satellite(tmp_path, module_broker) as rig:
            extra = ["--http-port", str(http_port)]
            args = hub_args(module_broker, rig.port, stranger.port, extra=extra)
            with running_hub(args=args, log_path=tmp_path / "hub.log"):
                async with (
                    light_on(module_broker) as light,
                    watching(module_broker.port) as mqtt,
                    aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http,
                ):
                    await mqtt.wait_for(
                        "homevoice/kitchen/state", lambda p: json.loads(p)["state"] == "idle", 30
                    )
                    await bounded(stranger.ready.wait(), 30)
                    async with http.post(f"{base}/kitchen/listen") as r:
                        assert r.status == 202, await r.text()
                        assert (await r.json())["listening"] == "asked"
                    start = await mqtt.wait_for(
                        "homevoice/kitchen/event",
                        lambda p: json.loads(p)["type"] == "run-start",
                        10,
                    )
                    rig.play(silence(0.3) + piper_speech("Turn on the kitchen light.") + silence(2))
                    await mqtt.wait_for(
                        "homevoice/kitchen/event",
                        lambda p: json.loads(p)["type"] == "run-end",
                        30,
                    )
                    await until(lambda: bool(light.commands), 10)

                    async with http.post(f"{base}/bench_3/listen") as r:
                        refused = await r.json()
                    assert r.status == 409 and refused["code"] == "cannot-listen"
    finally:
        await stranger.close()
    assert json.loads(start.payload)["trigger"] == "listen"
    assert json.loads(light.commands[0][1]) == {"state": "ON"}
    assert "own wake word" in refused["message"]
