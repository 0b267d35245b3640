"""Following the home over a real broker: fake devices announce themselves, the hub learns them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from hub.intents.handler import NOT_UNDERSTOOD, IntentHandler
from hub.intents.home import Home, follow_home
from hub.intents.registry import EntityRegistry
from protocol.aio import bounded
from protocol.mqtt import MqttNode, MqttSettings
from testing import client
from testing.broker import Broker
from testing.fake_home import (
    DEVICES,
    FLAT_CONTEXT_TABLE,
    FLAT_ENTITIES,
    FLAT_TABLE,
    SENTENCE_TABLE,
    STATES,
    discovery_messages,
    flat_messages,
)
from testing.hubproc import running_hub
from testing.mqtt_watch import followed_home, publish, watching

ENTITIES = len(DEVICES) + 1  # the garage device has two components


async def announce_devices(port: int) -> None:
    for topic, payload in discovery_messages():
        await publish(port, topic, payload, retain=True)
    for topic, payload in STATES.items():
        await publish(port, topic, payload, retain=True)


async def until(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - the registry is updated by the MQTT task
            await asyncio.sleep(0.02)


async def test_registry_follows_discovery_states_and_removal(broker: Broker) -> None:
    await announce_devices(broker.port)  # retained: already there when the hub connects
    registry = EntityRegistry()
    node = MqttNode(MqttSettings(url=broker.url), "hub", dict)
    follow_home(node, registry)
    task = asyncio.create_task(node.run())
    try:
        await until(lambda: len(registry.entities) == ENTITIES)
        await until(lambda: registry.entities["front_door_lock"].state.get("state") == "UNLOCKED")
        assert registry.entities["living_thermostat"].state["current_temperature"] == "19.0"

        await publish(broker.port, "home/front_door/state", "LOCKED")  # a live state change
        await until(lambda: registry.entities["front_door_lock"].state["state"] == "LOCKED")

        await publish(broker.port, "homeassistant/lock/front_door/config", "", retain=True)
        await until(lambda: "front_door_lock" not in registry.entities)

        late = {"name": "Porch", "uniq_id": "porch", "cmd_t": "porch/set", "stat_t": "porch/state"}
        await publish(broker.port, "homeassistant/light/porch/config", json.dumps(late))
        await until(lambda: "porch" in registry.entities)
        await publish(broker.port, "porch/state", "ON", retain=True)  # subscribed on the fly
        await until(lambda: registry.entities["porch"].state.get("state") == "ON")
    finally:
        await node.stop()
        await bounded(task, 10)


async def test_the_hub_counts_the_homes_entities(broker: Broker, tmp_path: Path) -> None:
    await announce_devices(broker.port)
    async with watching(broker.port) as watch:
        with running_hub(args=["--mqtt", broker.url], log_path=tmp_path / "hub.log"):
            state = await watch.wait_for(
                "homevoice/hub/state", lambda p: json.loads(p).get("entities") == ENTITIES
            )
    assert json.loads(state.payload)["stt"] == "tiny.en"


async def test_wyoming_handle_turns_the_light_on(broker: Broker, tmp_path: Path) -> None:
    await announce_devices(broker.port)
    async with watching(broker.port) as watch:
        with running_hub(args=["--mqtt", broker.url], log_path=tmp_path / "hub.log") as (port, _):
            await watch.wait_for("homevoice/hub/state", lambda p: json.loads(p)["entities"] > 0)
            handled, answer = await client.handle("127.0.0.1", port, "Turn on the kitchen light.")
            command = await watch.wait_for("zigbee2mqtt/kitchen_light/set")
            asked, state = await client.handle("127.0.0.1", port, "Is the front door locked?")
    assert handled and answer == "Turned on the Kitchen light."
    assert json.loads(command.payload) == {"state": "ON"} and not command.retain
    assert asked and state == "The Front door is unlocked."


async def test_timer_events_on_mqtt(broker: Broker, tmp_path: Path) -> None:
    async with watching(broker.port) as watch:
        with running_hub(args=["--mqtt", broker.url], log_path=tmp_path / "hub.log") as (port, _):
            await watch.wait_for("homevoice/hub/availability", lambda p: p == "online")
            handled, answer = await client.handle("127.0.0.1", port, "Set a timer for 1 second.")
            finished = await watch.wait_for(
                "homevoice/hub/event", lambda p: json.loads(p)["type"] == "timer-finished"
            )
    assert handled and answer == "Timer set for 1 second."
    events = [json.loads(m.payload) for m in watch.messages if m.topic == "homevoice/hub/event"]
    started = next(e for e in events if e["type"] == "timer-started")
    assert (started["id"], started["total_seconds"]) == ("timer-1", 1)
    assert (started["node_id"], started["run_id"]) == ("hub", None)
    assert isinstance(started["timestamp_ms"], int)
    assert json.loads(finished.payload)["id"] == "timer-1" and not finished.retain
    # the `handle` request was a run on the hub's own node, on the same stream
    run = [e["type"] for e in events if e["run_id"] == events[0]["run_id"]]
    assert run == ["run-start", "intent-start", "intent-end", "run-end"]


async def test_the_sentence_table_through_a_real_broker(broker: Broker) -> None:
    """Every sentence: the payload reaches the device's command topic; questions read states."""
    await announce_devices(broker.port)
    home = Home(EntityRegistry())
    node = MqttNode(MqttSettings(url=broker.url), "hub", dict)
    home.follow(node)
    task = asyncio.create_task(node.run())
    try:
        await until(lambda: len(home.registry.entities) == ENTITIES)
        await until(lambda: home.registry.entities["outside_temp"].state.get("state") == 4.5)
        handler = IntentHandler(
            home.registry, home.publish, now=lambda: datetime(2026, 11, 23, 20, 5)
        )
        async with watching(broker.port) as watch:
            for sentence, publishes, answer in SENTENCE_TABLE:
                mark = len(watch.messages)
                outcome = handler.handle(sentence)
                assert outcome.handled and answer in outcome.answer, (sentence, outcome)
                for topic, payload in publishes:
                    seen = await watch.wait_for(topic, after=mark)
                    assert (seen.payload, seen.retain) == (payload, False), sentence
            handler.handle("turn on the toaster")
            handler.handle("cancel the timers")
            await asyncio.sleep(0.3)  # nothing may arrive for those
            commands = {t for _, publishes, _ in SENTENCE_TABLE for t, _ in publishes}
            late = [m for m in watch.messages[mark:] if m.topic in commands]
            assert late == [], late
    finally:
        await node.stop()
        await bounded(task, 10)


async def test_the_flat_phrasing_table_through_a_real_broker(broker: Broker) -> None:
    """Home Assistant's breadth of phrasing on a second home: each sentence, alone or said in a
    room, publishes exactly its commands, in order, and nothing else; questions and questions
    back publish nothing."""
    rows = [(None, *row) for row in FLAT_TABLE] + FLAT_CONTEXT_TABLE
    assert len(FLAT_TABLE) >= 60
    async with followed_home(broker.port, flat_messages(), FLAT_ENTITIES) as home:
        handler = IntentHandler(home.registry, home.publish)
        commands = {t for *_, publishes, _ in rows for t, _ in publishes}
        async with watching(broker.port) as watch:
            mark = len(watch.messages)
            for area, sentence, publishes, answer in rows:
                before = len(watch.messages)
                outcome = handler.handle(sentence, area=area)
                assert outcome.handled and outcome.answer.startswith(answer), (sentence, outcome)
                assert [(p.topic, p.payload) for p in outcome.publishes] == publishes, sentence
                if publishes:
                    topic, payload = publishes[-1]
                    await watch.wait_for(topic, payload.__eq__, after=before)
            await asyncio.sleep(0.2)  # nothing more may arrive
            arrived = [(m.topic, m.payload, m.retain) for m in watch.messages[mark:]]
    expected = [(t, p, False) for *_, publishes, _ in rows for t, p in publishes]
    assert [m for m in arrived if m[0] in commands] == expected


async def test_the_vocabulary_follows_discovery(broker: Broker) -> None:
    """A device announced over discovery is controllable by name and by its room at once; its
    config removed (an empty retained document), it is not, and nothing is published."""
    porch = {
        "name": "Porch light", "uniq_id": "porch_light", "cmd_t": "porch/light/set",
        "dev": {"ids": ["porch1"], "sa": "Porch"},
    }  # fmt: skip
    topic = "homeassistant/light/porch/config"
    async with followed_home(broker.port, flat_messages(), FLAT_ENTITIES) as home:
        handler = IntentHandler(home.registry, home.publish)
        assert handler.handle("turn on the porch light").answer == NOT_UNDERSTOOD
        async with watching(broker.port) as watch:
            await publish(broker.port, topic, json.dumps(porch), retain=True)
            await until(lambda: "porch_light" in home.registry.entities)
            assert handler.handle("turn on the porch light").answer == "Turned on the Porch light."
            await watch.wait_for("porch/light/set", lambda p: p == "ON")
            said = handler.handle("turn off the lights on the porch")
            await watch.wait_for("porch/light/set", lambda p: p == "OFF")
            await publish(broker.port, topic, "", retain=True)
            await until(lambda: "porch_light" not in home.registry.entities)
            gone = handler.handle("turn on the porch light")
            lights = handler.handle("turn on the light", area="Porch")
            await asyncio.sleep(0.2)
    assert said.answer == "Turned off the light in the Porch."
    assert gone.answer == NOT_UNDERSTOOD and not gone.publishes
    assert lights.answer == "There are no lights in the Porch." and not lights.publishes
    assert [m.payload for m in watch.messages if m.topic == "porch/light/set"] == ["ON", "OFF"]
