"""Malformed or hostile discovery documents over a real broker: each ignored with one log line,
the rest of the home still learned, the registry bounded."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

import pytest

from hub.intents.home import follow_home
from hub.intents.registry import EntityRegistry
from protocol.aio import bounded
from protocol.mqtt import MqttNode, MqttSettings
from testing.broker import Broker
from testing.mqtt_watch import publish


def light(key: str, **extra: object) -> str:
    return json.dumps({"name": key, "uniq_id": key, "cmd_t": f"home/{key}/set", **extra})


# (discovery topic, payload, what the log line says)
HOSTILE = [
    ("homeassistant/light/huge/config", light("huge", junk="x" * 1024 * 1024), "characters"),
    ("homeassistant/light/nested/config", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("homeassistant/light/listy/config", "[1, 2]", "not a JSON object"),
    ("homeassistant/light/scale/config", light("scale", bri_scl="bright"), "must be a number"),
    ("homeassistant/light/zero/config", light("zero", bri_scl=0), "must be positive"),
    ("homeassistant/light/onoff/config", light("onoff", pl_on={"x": 1}), "must be a string"),
    ("homeassistant/light/tpl/config", light("tpl", val_tpl=5), "template string"),
    ("homeassistant/light/uid/config", light("x", uniq_id=["a"]), "unique_id"),
    ("homeassistant/light/topic/config", light("topic", cmd_t=7), "must be a topic"),
    ("homeassistant/light/sys/config", light("sys", cmd_t="$SYS/broker"), "must be a topic"),
    (
        "homeassistant/light/announce/config",
        light("announce", cmd_t="homevoice/all/announce/set"),
        "another homevoice node",
    ),
    (
        "homeassistant/switch/ha/config",
        light("ha", cmd_t="homeassistant/status"),
        "Home Assistant's own",
    ),
    (
        "homeassistant/switch/doc/config",
        light("doc", cmd_t="homeassistant/light/porch/config"),
        "Home Assistant's own",
    ),
    (
        "homeassistant/device/many/config",
        json.dumps(
            {
                "dev": {"ids": ["m"]},
                "cmps": {f"c{i}": {"p": "switch", "cmd_t": "a"} for i in range(201)},
            }
        ),
        "components",
    ),
]


def state_of(registry: EntityRegistry, key: str) -> object:
    entity = registry.entities.get(key)
    return entity.state.get("state") if entity else None


async def until(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - the registry is updated by the MQTT task
            await asyncio.sleep(0.02)


async def test_hostile_documents_are_ignored_with_one_line_each(
    broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hub.intents.registry")
    registry = EntityRegistry()
    node = MqttNode(MqttSettings(url=broker.url), "hub", dict)
    follow_home(node, registry)
    task = asyncio.create_task(node.run())
    try:
        await node.wait_connected(10)
        for topic, payload, _why in HOSTILE:
            await publish(broker.port, topic, payload)
        own = {
            "dev": {"ids": ["s"]},
            "cmps": {"mute": {"p": "switch", "cmd_t": "homevoice/sat/mute/set"}},
        }
        await publish(broker.port, "homeassistant/device/sat/config", json.dumps(own))
        irrigation = light("irrigation", cmd_t="homeassistant/switch/irrigation/set")
        await publish(broker.port, "homeassistant/switch/irrigation/config", irrigation)
        porch = light("porch", stat_t="home/porch/state", val_tpl="{{ value_json.state }}")
        await publish(broker.port, "homeassistant/light/porch/config", porch)
        await publish(broker.port, "home/porch/state", '{"state": "OFF"}', retain=True)
        await until(lambda: state_of(registry, "porch") == "OFF")
        await publish(broker.port, "home/porch/state", "[" * 60_000)  # a hostile state
        await publish(broker.port, "home/porch/state", "x" * 1024 * 1024)
        await publish(broker.port, "home/porch/state", '{"state": "ON"}')
        await until(lambda: state_of(registry, "porch") == "ON")
    finally:
        await node.stop()
        await bounded(task, 10)
    # a node's own command topics, and the style of Home Assistant's documentation
    assert sorted(registry.entities) == ["irrigation", "porch", "sat_mute"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    lines = [r.getMessage() for r in caplog.records if r.name == "hub.intents.registry"]
    assert len(lines) == len(HOSTILE), lines
    for line, (topic, _payload, why) in zip(lines, HOSTILE, strict=True):
        assert line.startswith(f"Ignoring discovery on {topic}: ") and why in line, line
        assert len(line) < 300


async def test_the_registry_stays_bounded(broker: Broker) -> None:
    registry = EntityRegistry(max_entities=20)
    node = MqttNode(MqttSettings(url=broker.url), "hub", dict)
    follow_home(node, registry)
    task = asyncio.create_task(node.run())
    try:
        await node.wait_connected(10)
        for n in range(60):
            await publish(broker.port, f"homeassistant/light/l{n}/config", light(f"l{n}"))
        await publish(broker.port, "homeassistant/light/l0/config", light("l0", name="Hall"))
        await until(lambda: registry.entities["l0"].name == "Hall")
    finally:
        await node.stop()
        await bounded(task, 10)
    assert len(registry.entities) == 20
    assert sorted(registry.entities) == sorted(f"l{n}" for n in range(20))
