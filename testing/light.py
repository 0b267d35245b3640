"""A demo light on MQTT: announces itself through Home Assistant discovery, follows its command
topic and reports its state (retained). Used by the demo, the end-to-end tests and benchmarks."""

from __future__ import annotations

import asyncio
import json
import time

import aiomqtt

LIGHT_CONFIG_TOPIC = "homeassistant/light/demo_kitchen/config"
LIGHT_TOPIC = "demo/kitchen_light"
LIGHT_CONFIG = {
    "name": None, "unique_id": "demo_kitchen_light", "schema": "json",
    "command_topic": f"{LIGHT_TOPIC}/set", "state_topic": LIGHT_TOPIC,
    "device": {"identifiers": ["demo_kitchen"], "name": "Kitchen light",
               "suggested_area": "Kitchen"},
}  # fmt: skip


class DemoLight:
    """A light on MQTT: announces itself, follows commands, reports its state (retained)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.commands: list[tuple[float, str]] = []
        self.ready = asyncio.Event()

    async def run(self) -> None:
        async with aiomqtt.Client("127.0.0.1", self.port, identifier="demo-light") as mqtt:
            await mqtt.publish(LIGHT_CONFIG_TOPIC, json.dumps(LIGHT_CONFIG), qos=1, retain=True)
            await mqtt.publish(LIGHT_TOPIC, json.dumps({"state": "OFF"}), qos=1, retain=True)
            await mqtt.subscribe(f"{LIGHT_TOPIC}/set", qos=1)
            self.ready.set()
            async for message in mqtt.messages:
                payload = bytes(message.payload).decode()
                self.commands.append((time.time(), payload))
                state = json.loads(payload).get("state", "OFF")
                await mqtt.publish(LIGHT_TOPIC, json.dumps({"state": state}), qos=1, retain=True)
