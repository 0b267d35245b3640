"""The hub finds a satellite on zeroconf and drives it, with no address given."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from testing.broker import Broker
from testing.hubproc import running_server
from testing.mqtt_watch import watching
from testing.satrig import satellite_rig


async def test_a_satellite_announced_on_zeroconf_is_found_and_driven(
    tmp_path: Path, module_broker: Broker
) -> None:
    name = f"Den {uuid.uuid4().hex[:6]}"
    satellite_id = name.lower().replace(" ", "_")
    args = ["--mqtt", module_broker.url, "--wake-word", "hey_jarvis", "--log-level", "debug"]
    async with watching(module_broker.port) as mqtt:
        with satellite_rig(tmp_path / "satellite", ["--wake-word", "hey_jarvis"], name, True):
            with running_server("hub", args=args, log_path=tmp_path / "hub.log", zeroconf=True):
                state = await mqtt.wait_for(
                    f"homevoice/{satellite_id}/state",
                    lambda p: json.loads(p)["state"] == "idle",
                    30,
                )
    assert json.loads(state.payload)["satellite"] == name
    assert f"Satellites: found {name} on zeroconf" in (tmp_path / "hub.log").read_text()
