"""A test-side MQTT subscriber that records messages and waits for the ones a test expects."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiomqtt

from hub.intents.home import Home
from hub.intents.registry import STATE_TOPICS, EntityRegistry
from protocol.aio import bounded
from protocol.mqtt import MqttNode, MqttSettings


@dataclass(frozen=True)
class Seen:
    """One message as the watcher received it."""

    topic: str
    payload: str
    retain: bool


class Watcher:
    """Subscribed to `#` on the broker; `wait_for` returns the first matching message."""

    def __init__(self) -> None:
        self.messages: list[Seen] = []
        self._changed = asyncio.Condition()

    async def _collect(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload
            text = (
                payload.decode() if isinstance(payload, bytes | bytearray) else str(payload or "")
            )
            async with self._changed:
                self.messages.append(Seen(message.topic.value, text, bool(message.retain)))
                self._changed.notify_all()

    async def wait_for(
        self,
        topic: str,
        match: Callable[[str], bool] = lambda _: True,
        timeout_s: float = 10,
        after: int = 0,
    ) -> Seen:
        """The first message on `topic` (at index >= `after`) whose payload matches."""

        def found() -> Seen | None:
            for seen in self.messages[after:]:
                if seen.topic == topic and match(seen.payload):
                    return seen
            return None

        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        result = found()
        assert result is not None
        return result


@contextlib.asynccontextmanager
async def watching(port: int) -> AsyncIterator[Watcher]:
    """A watcher connected to the broker on `port` for the duration of the block."""
    watcher = Watcher()
    async with aiomqtt.Client(
        "127.0.0.1", port, identifier=f"test-watcher-{uuid.uuid4().hex[:8]}"
    ) as client:
        await client.subscribe("#", qos=1)
        task = asyncio.create_task(watcher._collect(client))
        try:
            yield watcher
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def publish(port: int, topic: str, payload: str, retain: bool = False) -> None:
    """Publish one message as a separate client."""
    async with aiomqtt.Client(
        "127.0.0.1", port, identifier=f"test-publisher-{uuid.uuid4().hex[:8]}"
    ) as client:
        await client.publish(topic, payload, qos=1, retain=retain)


def _learned(registry: EntityRegistry, entities: int, state_topics: set[str]) -> bool:
    """The registry holds `entities` entities, each with a state from each topic it reads."""
    if len(registry.entities) != entities:
        return False
    for entity in registry.entities.values():
        json_light = entity.option("schema") == "json"  # its one topic fills several attributes
        for attribute, (topic_key, _) in STATE_TOPICS.items():
            if entity.option(topic_key) in state_topics and attribute not in entity.state:
                if not (json_light and entity.state):
                    return False
    return True


@contextlib.asynccontextmanager
async def followed_home(
    port: int, messages: list[tuple[str, str]], entities: int, prefix: str = "homeassistant/"
) -> AsyncIterator[Home]:
    """A `Home` that follows the broker on `port` as the hub's does, once `messages` (discovery
    documents under `prefix`, then states) are retained there and it has learned them all."""
    async with aiomqtt.Client(
        "127.0.0.1", port, identifier=f"test-devices-{uuid.uuid4().hex[:8]}"
    ) as client:
        for topic, payload in messages:
            await client.publish(topic, payload, qos=1, retain=True)
    states = {topic for topic, _ in messages if not topic.startswith(prefix)}
    home = Home(EntityRegistry())
    node = MqttNode(MqttSettings(url=f"mqtt://127.0.0.1:{port}"), "hub", dict)
    home.follow(node)
    task = asyncio.create_task(node.run())
    try:
        async with asyncio.timeout(10):
            while not _learned(home.registry, entities, states):  # noqa: ASYNC110 - MQTT task
                await asyncio.sleep(0.02)
        yield home
    finally:
        await node.stop()
        await bounded(task, 10)
