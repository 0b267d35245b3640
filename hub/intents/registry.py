"""The home's entities, learned from Home Assistant MQTT discovery, with their latest states."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..settings import EntityOverride
from .discovery import DiscoveryError, EntityConfig, check_command_topics, parse_config

_LOGGER = logging.getLogger(__name__)
MAX_STATE_CHARS = 64 * 1024  # a state message is a word or a small JSON object

# attribute -> (state topic key, value template key) in a discovery config
STATE_TOPICS: dict[str, tuple[str, str]] = {
    "state": ("state_topic", "value_template"),
    "brightness": ("brightness_state_topic", "brightness_value_template"),
    "position": ("position_topic", "position_template"),
    "temperature": ("temperature_state_topic", "temperature_state_template"),
    "current_temperature": ("current_temperature_topic", "current_temperature_template"),
    "mode": ("mode_state_topic", "mode_state_template"),
    "percentage": ("percentage_state_topic", "percentage_value_template"),
}
_VALUE_JSON = re.compile(r"^\{\{\s*value_json((?:\.\w+|\[\s*['\"][^'\"]+['\"]\s*\])+)\s*\}\}$")
_PATH_PART = re.compile(r"\.(\w+)|\[\s*['\"]([^'\"]+)['\"]\s*\]")


@dataclass
class Entity:
    """One controllable or readable thing in the home."""

    config: EntityConfig
    name: str
    aliases: tuple[str, ...]
    area: str | None
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Stable id: the unique id, else the discovery id."""
        return self.config.key

    @property
    def platform(self) -> str:
        """light, switch, cover, climate, lock, ..."""
        return self.config.platform

    def option(self, key: str, default: Any = None) -> Any:
        """A key of the discovery config (full name)."""
        return self.config.config.get(key, default)

    @property
    def names(self) -> tuple[str, ...]:
        """The spoken name and the aliases."""
        return (self.name, *self.aliases)


def spoken_name(config: EntityConfig) -> str:
    """How people call it: the device's name for its main entity, else `device entity`."""
    if config.name is None:
        return config.device_name or config.key.replace("_", " ")
    if config.device_name and not config.name.lower().startswith(config.device_name.lower()):
        return f"{config.device_name} {config.name}"
    return config.name


def template_value(template: str | None, payload: str) -> Any:
    """The value a simple `{{ value_json.a.b }}` template picks; the payload otherwise."""
    if not template or template.replace(" ", "") == "{{value}}":
        return payload.strip()
    match = _VALUE_JSON.match(template.strip())
    if match is None:
        return payload.strip()  # a template we do not evaluate: keep the raw payload
    try:
        value: Any = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    for dotted, quoted in _PATH_PART.findall(match.group(1)):
        if not isinstance(value, dict):
            return None
        value = value.get(dotted or quoted)
    return value


def _state_topics_of(entity: Entity) -> list[tuple[str, str]]:
    """(state topic, attribute) pairs the entity listens on."""
    return [
        (str(entity.option(topic_key)), attribute)
        for attribute, (topic_key, _) in STATE_TOPICS.items()
        if entity.option(topic_key)
    ]


class EntityRegistry:
    """Entities by key, bounded; malformed discovery documents are rejected with a log line."""

    def __init__(
        self,
        discovery_prefix: str = "homeassistant",
        max_entities: int = 2000,
        overrides: Mapping[str, EntityOverride] | None = None,
        topic_prefix: str = "homevoice",
        command_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.discovery_prefix = discovery_prefix
        self.max_entities = max_entities
        self.topic_prefix = topic_prefix
        self.command_prefixes = command_prefixes
        self._overrides = {k.lower(): v for k, v in (overrides or {}).items()}
        self.entities: dict[str, Entity] = {}
        self.version = 0  # bumped whenever entities change (names, areas, membership)
        # Kept per entity, so a discovery message costs the same with 10 or 2000 entities.
        self._by_state_topic: dict[str, set[tuple[str, str]]] = {}  # topic -> (key, attribute)
        self._by_source: dict[str, set[str]] = {}  # config topic -> entity keys

    @property
    def discovery_filters(self) -> tuple[str, ...]:
        """What to subscribe to for discovery (single-component and device-based)."""
        prefix = self.discovery_prefix
        return (f"{prefix}/+/+/config", f"{prefix}/+/+/+/config")

    def state_topics(self, source_topic: str | None = None) -> set[str]:
        """Topics that carry states: of every entity, or of those one config topic declares."""
        if source_topic is None:
            return set(self._by_state_topic)
        return {
            topic
            for key in self._by_source.get(source_topic, ())
            for topic, _ in _state_topics_of(self.entities[key])
        }

    def apply_config(self, topic: str, payload: str) -> bool:
        """Add, update or (empty payload) remove what a discovery topic declares."""
        try:
            configs = parse_config(topic, payload, self.discovery_prefix)
            for config in configs:
                check_command_topics(
                    config, self.topic_prefix, self.discovery_prefix, self.command_prefixes
                )
        except DiscoveryError as err:
            _LOGGER.warning("Ignoring discovery on %s: %s", topic[:200], err)
            return False
        declared = {c.key for c in configs}
        stale = self._by_source.get(topic, set()) - declared
        for key in stale:
            self._remove(key)
        for config in configs:
            if config.key not in self.entities and len(self.entities) >= self.max_entities:
                _LOGGER.warning(
                    "Ignoring %s: the registry holds %d entities already",
                    config.key,
                    self.max_entities,
                )
                continue
            self._store(config)
        self.version += 1
        return bool(stale or configs)

    def _store(self, config: EntityConfig) -> None:
        name = spoken_name(config)
        override = self._overrides.get(config.key.lower()) or self._overrides.get(name.lower())
        area = (override.area if override and override.area else None) or config.suggested_area
        previous = self._remove(config.key)
        entity = Entity(
            config=config,
            name=name,
            aliases=override.aliases if override else (),
            area=area,
            state=previous.state if previous else {},
        )
        self.entities[config.key] = entity
        self._by_source.setdefault(config.source_topic, set()).add(config.key)
        for topic, attribute in _state_topics_of(entity):
            self._by_state_topic.setdefault(topic, set()).add((config.key, attribute))

    def _remove(self, key: str) -> Entity | None:
        entity = self.entities.pop(key, None)
        if entity is None:
            return None
        keys = self._by_source.get(entity.config.source_topic, set())
        keys.discard(key)
        if not keys:
            self._by_source.pop(entity.config.source_topic, None)
        for topic, attribute in _state_topics_of(entity):
            listeners = self._by_state_topic.get(topic, set())
            listeners.discard((key, attribute))
            if not listeners:
                self._by_state_topic.pop(topic, None)
        return entity

    def device_area(self, identifier: str) -> str | None:
        """The area of the device with this discovery identifier (its entities' one area)."""
        areas = {
            e.area for e in self.entities.values() if identifier in e.config.device_ids and e.area
        }
        return areas.pop() if len(areas) == 1 else None

    def apply_state(self, topic: str, payload: str) -> None:
        """Record a state message for every entity attribute that listens on `topic`."""
        if len(payload) > MAX_STATE_CHARS:
            _LOGGER.debug("Ignoring a state of %d characters on %s", len(payload), topic)
            return
        for key, attribute in sorted(self._by_state_topic.get(topic, ())):
            entity = self.entities[key]
            template = entity.option(STATE_TOPICS[attribute][1])
            if attribute == "state" and entity.option("schema") == "json":
                self._apply_json_light(entity, payload)
            elif attribute == "state" and entity.option("state_value_template") and not template:
                entity.state["state"] = template_value(
                    entity.option("state_value_template"), payload
                )
            else:
                entity.state[attribute] = template_value(template, payload)

    @staticmethod
    def _apply_json_light(entity: Entity, payload: str) -> None:
        try:
            document = json.loads(payload)
        except (ValueError, RecursionError):
            _LOGGER.debug("Ignoring non-JSON state for %s", entity.key)
            return
        if isinstance(document, dict):
            entity.state.update(
                {k: v for k, v in document.items() if k in ("state", "brightness", "color")}
            )
