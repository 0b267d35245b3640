"""Following the home over MQTT: discovery into the registry, and every state topic it names."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from protocol.mqtt import MqttNode
from protocol.settings import check

from .registry import EntityOverride, EntityRegistry

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class HomeSettings:
    """The registry's bound, and names and areas for entities (by unique id or name)."""

    max_entities: int = 2000
    entities: dict[str, EntityOverride] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check(
            1 <= self.max_entities <= 100_000,
            "home.max_entities",
            self.max_entities,
            "must be 1..100000",
        )


def follow_home(
    node: MqttNode, registry: EntityRegistry, on_change: Callable[[], None] | None = None
) -> None:
    """Keep `registry` in step with the broker: discovery documents and state topics."""

    def on_state(topic: str, payload: str, _retained: bool) -> None:
        registry.apply_state(topic, payload)

    def on_config(topic: str, payload: str, _retained: bool) -> None:
        if topic == node.topics.discovery:
            return  # our own device
        if registry.apply_config(topic, payload):
            for state_topic in registry.state_topics(topic):
                node.subscribe(state_topic, on_state)
            _LOGGER.debug("Registry: %d entities", len(registry.entities))
            if on_change is not None:
                on_change()

    for topic_filter in registry.discovery_filters:
        node.subscribe(topic_filter, on_config)


class Home:
    """The home as the hub sees it: its entities, and the MQTT node to act through (if any)."""

    def __init__(self, registry: EntityRegistry) -> None:
        self.registry = registry
        self.node: MqttNode | None = None

    def publish(self, topic: str, payload: str) -> bool:
        """Send a device command; False when there is no broker connection."""
        return self.node is not None and self.node.publish(topic, payload)

    def emit_event(self, payload: dict[str, Any]) -> None:
        """Publish an event on the hub's MQTT `event` topic, if MQTT is on."""
        if self.node is not None:
            self.node.emit_event(payload)

    def follow(self, node: MqttNode, on_change: Callable[[], None] | None = None) -> None:
        """Act through `node` and keep the registry in step with its broker."""
        self.node = node
        follow_home(node, self.registry, on_change)
