"""Following the home over MQTT: discovery into the registry, and every state topic it names."""

from __future__ import annotations

import logging
from collections.abc import Callable

from protocol.mqtt import MqttNode

from .registry import EntityRegistry

_LOGGER = logging.getLogger(__name__)


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
        self._satellite_areas: dict[str, str] = {}

    def satellite_area(self, satellite_id: str, area: str | None) -> None:
        """Where one of the hub's satellites is (as it describes itself)."""
        if area:
            self._satellite_areas[satellite_id] = area
        else:
            self._satellite_areas.pop(satellite_id, None)

    def area_of(self, *ids: str | None) -> str | None:
        """The area of the first id that has one: a satellite of the hub's, else a device the
        registry knows (its discovery `identifiers`, with a suggested area). The one place a
        request's device or satellite id becomes its room."""
        for device_id in ids:
            if not device_id:
                continue
            area = self._satellite_areas.get(device_id) or self.registry.device_area(device_id)
            if area:
                return area
        return None

    def publish(self, topic: str, payload: str) -> bool:
        """Send a device command; False when there is no broker connection."""
        return self.node is not None and self.node.publish(topic, payload)

    def follow(self, node: MqttNode, on_change: Callable[[], None] | None = None) -> None:
        """Act through `node` and keep the registry in step with its broker."""
        self.node = node
        follow_home(node, self.registry, on_change)
