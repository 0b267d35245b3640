"""The MQTT node against a real mosquitto: availability, state, discovery, commands, reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from protocol.aio import bounded
from protocol.mqtt import (
    BrokerAddress,
    CommandHandler,
    MqttNode,
    MqttSettings,
    NodeTopics,
    backoff_s,
    device_discovery,
)
from protocol.settings import SettingsError, build
from testing.broker import Broker
from testing.mqtt_watch import publish, watching

TOPICS = NodeTopics("homevoice", "n1", "homeassistant")
Node = tuple[MqttNode, list[tuple[str, str]]]  # the fixture: a running node, commands it got


async def until(condition: Callable[[], bool], timeout_s: float = 5) -> None:
    """Poll a condition the code under test makes true from another task."""
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - the handler under test sets no event
            await asyncio.sleep(0.02)


def test_broker_urls() -> None:
    plain = BrokerAddress.parse("mqtt://broker.lan")
    assert (plain.host, plain.port, plain.tls, plain.username) == ("broker.lan", 1883, False, None)
    secure = BrokerAddress.parse("mqtts://hub:p%40ss%3Aword@broker.lan")
    assert (secure.port, secure.tls, secure.username, secure.password) == (
        8883,
        True,
        "hub",
        "p@ss:word",
    )
    assert "p@ss" not in str(secure) and "***" in str(secure)
    for bad in ("http://x", "mqtt://", "mqtt://x:99999"):
        with pytest.raises(ValueError):
            BrokerAddress.parse(bad)


def test_settings_name_the_bad_key() -> None:
    with pytest.raises(SettingsError, match=r"mqtt\.node_id"):
        MqttSettings(node_id="kitchen/1")
    with pytest.raises(SettingsError) as caught:
        build(MqttSettings, {"url": "tcp://broker"}, "mqtt")
    assert caught.value.key == "mqtt.url"


def test_command_names() -> None:
    assert TOPICS.command_name("homevoice/n1/mute/set") == "mute"
    assert TOPICS.command_name("homevoice/n1/mute") is None
    assert TOPICS.command_name("homevoice/n2/mute/set") is None
    assert TOPICS.command_name("homevoice/n1/a/b/set") is None


def test_backoff_grows_to_the_cap_with_jitter() -> None:
    rng = random.Random(1)
    delays = [backoff_s(attempt, 30, rng) for attempt in range(10)]
    assert 0.8 <= delays[0] <= 1.2
    assert all(d <= 36 for d in delays) and delays[-1] >= 24
    assert delays[3] > delays[1]


def test_discovery_document_has_device_origin_and_components() -> None:
    doc = device_discovery(TOPICS, "Node", "hub", "1.0", {"status": {"platform": "sensor"}})
    assert doc["device"]["identifiers"] == ["homevoice_n1"]
    assert doc["origin"]["name"] == "homevoice"
    assert doc["components"]["status"] == {"unique_id": "homevoice_n1_status", "platform": "sensor"}
    assert doc["availability"] == [{"topic": "homevoice/n1/availability"}]


@contextlib.asynccontextmanager
async def running_node(
    broker: Broker, on_command: CommandHandler | None = None, **settings: Any
) -> AsyncIterator[MqttNode]:
    """An MqttNode `n1` running against `broker` for the block; stopped cleanly after it."""
    mqtt = MqttNode(
        MqttSettings(url=broker.url, **settings),
        "n1",
        lambda: device_discovery(TOPICS, "Node", "test", "1.0", {}),
        on_command,
    )
    task = asyncio.create_task(mqtt.run())
    try:
        yield mqtt
    finally:
        await mqtt.stop()
        await bounded(task, 10)


@pytest.fixture
async def node(broker: Broker) -> AsyncIterator[Node]:
    commands: list[tuple[str, str]] = []

    async def on_command(name: str, payload: str) -> None:
        if payload == "boom":
            raise RuntimeError("handler failed")
        commands.append((name, payload))

    async with running_node(broker, on_command, birth_delay_max_s=0.2, retry_max_s=1) as mqtt:
        mqtt.update_state(state="idle", volume=50)
        yield mqtt, commands


async def test_online_state_and_discovery_on_connect(broker: Broker, node: Node) -> None:
    mqtt, _ = node
    await mqtt.wait_connected(10)
    async with watching(broker.port) as watch:  # retained: a late subscriber gets them
        online = await watch.wait_for(TOPICS.availability)
        state = await watch.wait_for(TOPICS.state)
    assert (online.payload, online.retain) == ("online", True)
    assert json.loads(state.payload) == {"state": "idle", "volume": 50} and state.retain


async def test_commands_reach_the_handler_and_bad_ones_do_not_break_the_link(
    broker: Broker,
    node: Node,
) -> None:
    mqtt, commands = node
    await mqtt.wait_connected(10)
    await publish(broker.port, "homevoice/n1/mute/set", "boom")  # handler raises: logged
    await publish(broker.port, "homevoice/n2/mute/set", "ON")  # another node's
    await publish(broker.port, "homevoice/n1/mute/set", "ON")
    await until(lambda: bool(commands))
    assert commands == [("mute", "ON")]
    async with watching(broker.port) as watch:
        mqtt.update_state(volume=30)
        state = await watch.wait_for(TOPICS.state, lambda p: json.loads(p)["volume"] == 30)
    assert json.loads(state.payload) == {"state": "idle", "volume": 30}


async def test_a_stale_retained_command_is_not_replayed(broker: Broker) -> None:
    await publish(broker.port, "homevoice/n1/mute/set", "ON", retain=True)  # someone's mistake
    commands: list[tuple[str, str]] = []

    async def on_command(name: str, payload: str) -> None:
        commands.append((name, payload))

    async with running_node(broker, on_command) as mqtt:
        await mqtt.wait_connected(10)
        await publish(broker.port, "homevoice/n1/volume/set", "30")
        await until(lambda: bool(commands))
    assert commands == [("volume", "30")]


async def test_discovery_again_when_home_assistant_comes_online(broker: Broker, node: Node) -> None:
    mqtt, _ = node
    await mqtt.wait_connected(10)
    async with watching(broker.port) as watch:
        await publish(broker.port, "homeassistant/status", "online")
        config = await watch.wait_for("homeassistant/device/n1/config")
        await watch.wait_for(TOPICS.state)
    assert json.loads(config.payload)["device"]["name"] == "Node"
    assert not config.retain


async def test_everything_is_published_again_after_a_broker_restart(
    broker: Broker, node: Node
) -> None:
    mqtt, _ = node
    await mqtt.wait_connected(10)
    broker.stop()  # no persistence: the broker forgets every retained message
    await asyncio.sleep(0.5)
    assert not mqtt.connected
    mqtt.emit_event({"type": "lost"})  # dropped and counted while offline
    assert mqtt.dropped_events == 1
    broker.start()
    async with watching(broker.port) as watch:
        await mqtt.wait_connected(15)
        await watch.wait_for(TOPICS.availability, lambda p: p == "online")
        await watch.wait_for("homeassistant/device/n1/config")
        await watch.wait_for(TOPICS.state)
        mqtt.emit_event({"type": "wake"})
        event = await watch.wait_for(TOPICS.event)
    assert json.loads(event.payload) == {"type": "wake"} and not event.retain


async def test_clean_stop_says_offline(broker: Broker) -> None:
    async with running_node(broker) as mqtt:
        await mqtt.wait_connected(10)
    async with watching(broker.port) as watch:
        offline = await watch.wait_for(TOPICS.availability)
    assert (offline.payload, offline.retain) == ("offline", True)


async def test_broker_down_at_start_then_up(broker: Broker) -> None:
    broker.stop()
    async with running_node(broker, retry_max_s=1) as mqtt:
        await asyncio.sleep(1.0)
        assert not mqtt.connected
        broker.start()
        await mqtt.wait_connected(10)


async def test_subscriptions_deliver_and_survive_a_broker_restart(broker: Broker) -> None:
    got: list[tuple[str, str, bool]] = []
    async with running_node(broker, retry_max_s=1) as mqtt:
        mqtt.subscribe("devices/+/state", lambda t, p, r: got.append((t, p, r)))
        await mqtt.wait_connected(10)
        mqtt.subscribe("late/topic", lambda t, p, r: got.append((t, p, r)))  # while connected
        await publish(broker.port, "devices/lamp/state", "ON", retain=True)
        await publish(broker.port, "devices/lamp/other", "x")
        await until(lambda: len(got) == 1)
        await publish(broker.port, "late/topic", "early")  # subscribed while connected
        await until(lambda: len(got) == 2)
        broker.stop()
        await until(lambda: not mqtt.connected)
        broker.start()  # forgets the retained message; the node re-subscribes on reconnect
        await mqtt.wait_connected(15)
        await publish(broker.port, "devices/fan/state", "OFF")
        await publish(broker.port, "late/topic", "hi")
        await until(lambda: len(got) == 4)
    assert got == [
        ("devices/lamp/state", "ON", False),
        ("late/topic", "early", False),
        ("devices/fan/state", "OFF", False),
        ("late/topic", "hi", False),
    ]


class _SwallowingClient:
    """Stands in for aiomqtt on Python 3.11: a cancellation that arrives while a publish
    waits for its confirmation is lost (its asyncio.wait_for returns instead)."""

    def __init__(self) -> None:
        self.publishing = asyncio.Event()

    async def publish(self, *_args: object, **_kwargs: object) -> None:
        self.publishing.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return  # swallowed, as the library does


async def test_the_send_loop_ends_even_when_the_client_swallows_its_cancellation() -> None:
    node = MqttNode(MqttSettings(url="mqtt://127.0.0.1:1"), "n1", dict)
    node._enqueue("homevoice/n1/x", "1", retain=False)
    client = _SwallowingClient()
    closing = asyncio.Event()
    task = asyncio.create_task(node._send(client, closing))  # type: ignore[arg-type]
    await bounded(client.publishing.wait(), 5)
    closing.set()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert done, "the send loop went back to waiting for the outbox"


async def test_what_is_published_while_the_session_sets_up_is_sent(broker: Broker) -> None:
    """Home Assistant may ask the moment it sees `online`: an event or a device command in the
    set-up's round trips (subscriptions, discovery) is sent after them, not dropped."""
    mqtt = MqttNode(
        MqttSettings(url=broker.url),
        "n1",
        lambda: device_discovery(TOPICS, "Node", "test", "1.0", {}),
    )
    for i in range(1000):  # a home's worth of state topics: the set-up takes a while
        mqtt.subscribe(f"home/thing{i}/state", lambda _topic, _payload, _retained: None)
    async with watching(broker.port) as watch:
        task = asyncio.create_task(mqtt.run())
        try:
            await watch.wait_for(TOPICS.availability, lambda p: p == "online")
            setting_up = not mqtt.connected
            mqtt.emit_event({"type": "early"})
            sent = mqtt.publish("home/thing0/set", "ON")
            event = await watch.wait_for(TOPICS.event, timeout_s=15)
            command = await watch.wait_for("home/thing0/set", timeout_s=15)
        finally:
            await mqtt.stop()
            await bounded(task, 10)
    assert setting_up, "the set-up was over before the test could publish: nothing was tested"
    assert sent and json.loads(event.payload) == {"type": "early"} and command.payload == "ON"
    assert mqtt.dropped_events == 0
