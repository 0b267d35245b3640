"""Home Assistant MQTT discovery documents to entity configurations (pure; no I/O).

Accepts single-component configs (`<prefix>/<platform>/[<node>/]<object>/config`) and device
configs (`<prefix>/device/<object>/config` with `components`), in full or abbreviated keys,
with `~` standing for the base topic.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

PLATFORMS = frozenset({
    "light", "switch", "cover", "climate", "lock", "fan", "sensor", "binary_sensor", "scene",
    "button", "valve", "number", "select", "humidifier", "water_heater", "siren",
})  # fmt: skip

# Abbreviated discovery keys (Home Assistant's table) for the keys we read.
ABBREVIATIONS = {
    "~": "~", "p": "platform", "cmps": "components", "dev": "device", "o": "origin",
    "uniq_id": "unique_id", "obj_id": "object_id", "name": "name",
    "cmd_t": "command_topic", "stat_t": "state_topic", "val_tpl": "value_template",
    "stat_val_tpl": "state_value_template", "json_attr_t": "json_attributes_topic",
    "pl_on": "payload_on", "pl_off": "payload_off", "stat_on": "state_on", "stat_off": "state_off",
    "pl_open": "payload_open", "pl_cls": "payload_close", "pl_stop": "payload_stop",
    "stat_open": "state_open", "stat_clsd": "state_closed", "stat_opening": "state_opening",
    "stat_closing": "state_closing", "pos_t": "position_topic", "pos_tpl": "position_template",
    "set_pos_t": "set_position_topic", "pos_open": "position_open", "pos_clsd": "position_closed",
    "pl_lock": "payload_lock", "pl_unlk": "payload_unlock", "stat_locked": "state_locked",
    "stat_unlocked": "state_unlocked", "pl_prs": "payload_press", "pl_act": "payload_on",
    "bri_cmd_t": "brightness_command_topic", "bri_stat_t": "brightness_state_topic",
    "bri_val_tpl": "brightness_value_template", "bri_scl": "brightness_scale",
    "rgb_cmd_t": "rgb_command_topic", "rgb_stat_t": "rgb_state_topic",
    "clr_temp_cmd_t": "color_temp_command_topic", "sup_clrm": "supported_color_modes",
    "schema": "schema", "brightness": "brightness",
    "temp_cmd_t": "temperature_command_topic", "temp_stat_t": "temperature_state_topic",
    "temp_stat_tpl": "temperature_state_template", "curr_temp_t": "current_temperature_topic",
    "curr_temp_tpl": "current_temperature_template", "mode_cmd_t": "mode_command_topic",
    "mode_stat_t": "mode_state_topic", "mode_stat_tpl": "mode_state_template", "modes": "modes",
    "min_temp": "min_temp", "max_temp": "max_temp", "temp_step": "temp_step",
    "pct_cmd_t": "percentage_command_topic", "pct_stat_t": "percentage_state_topic",
    "unit_of_meas": "unit_of_measurement", "dev_cla": "device_class", "ret": "retain",
    "ids": "identifiers", "sa": "suggested_area", "mf": "manufacturer", "mdl": "model",
    "ops": "options",
}  # fmt: skip


MAX_DOCUMENT_CHARS = 256 * 1024  # a device with a hundred entities needs a fraction of this
MAX_COMPONENTS = 200
MAX_TOPIC_CHARS = 256
NUMBER_KEYS = frozenset({
    "brightness_scale", "min_temp", "max_temp", "temp_step", "position_open", "position_closed",
})  # fmt: skip
LIST_KEYS = frozenset({"modes", "options", "supported_color_modes"})


class DiscoveryError(ValueError):
    """A discovery document we cannot use; the message says why."""


@dataclass(frozen=True)
class EntityConfig:
    """One entity as its discovery document describes it (full key names)."""

    key: str  # unique_id, else `<discovery id>`
    platform: str
    source_topic: str  # the config topic that declared it (removal is per topic)
    name: str | None
    device_name: str | None
    suggested_area: str | None
    config: dict[str, Any] = field(repr=False)
    device_ids: tuple[str, ...] = ()  # the device's `identifiers`


def _expand(document: dict[str, Any]) -> dict[str, Any]:
    return {ABBREVIATIONS.get(key, key): value for key, value in document.items()}


def _with_base(config: dict[str, Any], base: str | None) -> dict[str, Any]:
    if not base:
        return config
    resolved = dict(config)
    for key, value in config.items():
        if key.endswith("_topic") and isinstance(value, str):
            if value.startswith("~"):
                resolved[key] = base + value[1:]
            elif value.endswith("~"):
                resolved[key] = value[:-1] + base
    return resolved


def parse_config(topic: str, payload: str, discovery_prefix: str) -> list[EntityConfig]:
    """The entities a discovery message declares; [] for an empty (removal) payload."""
    parts = topic.split("/")
    if len(parts) not in (4, 5) or parts[0] != discovery_prefix or parts[-1] != "config":
        raise DiscoveryError(f"not a discovery topic: {topic}")
    if not payload.strip():
        return []
    if len(payload) > MAX_DOCUMENT_CHARS:
        raise DiscoveryError(f"{len(payload)} characters (at most {MAX_DOCUMENT_CHARS})")
    try:
        document = json.loads(payload)
    except RecursionError:
        raise DiscoveryError("JSON nested too deeply") from None
    except ValueError as err:
        raise DiscoveryError(f"not JSON: {err}") from err
    if not isinstance(document, dict):
        raise DiscoveryError("not a JSON object")
    root = _expand(document)
    device = root.get("device")
    device = _expand(device) if isinstance(device, dict) else {}
    discovery_id = "_".join(parts[2:-1])
    if parts[1] == "device":
        components = root.get("components")
        if not isinstance(components, dict) or not components:
            raise DiscoveryError("device discovery without components")
        if len(components) > MAX_COMPONENTS:
            raise DiscoveryError(f"{len(components)} components (at most {MAX_COMPONENTS})")
        shared = {k: v for k, v in root.items() if k not in ("components", "device", "origin")}
        entities = []
        for component_key, component in components.items():
            if not isinstance(component, dict):
                raise DiscoveryError(f"component {component_key!r} is not an object")
            config = {**shared, **_expand(component)}
            if config.get("platform") not in PLATFORMS:
                continue  # a sensor, a text box...: nothing to act on, not an error
            entities.append(_entity(topic, f"{discovery_id}_{component_key}", config, device))
        return entities
    return [_entity(topic, discovery_id, {**root, "platform": parts[1]}, device)]


def _entity(
    topic: str, fallback_key: str, config: dict[str, Any], device: dict[str, Any]
) -> EntityConfig:
    platform = config.get("platform")
    if platform not in PLATFORMS:
        raise DiscoveryError(f"unsupported platform {platform!r}")
    base = config.get("~")
    config = _with_base(config, base if isinstance(base, str) else None)
    config = {key: _checked(key, value) for key, value in config.items()}
    name = config.get("name")
    device_name = device.get("name")
    area = device.get("suggested_area")
    identifiers = device.get("identifiers")
    if isinstance(identifiers, str | int) and not isinstance(identifiers, bool):
        identifiers = [identifiers]
    device_ids = tuple(
        str(i)[:MAX_TOPIC_CHARS]
        for i in (identifiers if isinstance(identifiers, list) else [])[:MAX_COMPONENTS]
        if isinstance(i, str | int) and not isinstance(i, bool)
    )
    unique_id = config.get("unique_id")
    if unique_id is not None and not (isinstance(unique_id, str | int) and unique_id is not True):
        raise DiscoveryError(f"unique_id must be a string, got {_shown(unique_id)}")
    return EntityConfig(
        key=str(unique_id) if unique_id else fallback_key,
        platform=str(platform),
        source_topic=topic,
        name=name if isinstance(name, str) and name.strip() else None,
        device_name=device_name if isinstance(device_name, str) and device_name.strip() else None,
        suggested_area=area if isinstance(area, str) and area.strip() else None,
        config=config,
        device_ids=device_ids,
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _checked(key: str, value: Any) -> Any:
    """The keys we read must have the types we read them as (a number may come as a string,
    as Home Assistant coerces it); anything else is refused."""
    if key.endswith("_topic"):
        if not (
            isinstance(value, str)
            and 0 < len(value) <= MAX_TOPIC_CHARS
            and "#" not in value
            and "+" not in value
            and not value.startswith("$")
        ):
            raise DiscoveryError(f"{key} must be a topic without wildcards, got {_shown(value)}")
    elif key in NUMBER_KEYS:
        return _number(key, value)
    elif key in LIST_KEYS:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise DiscoveryError(f"{key} must be a list of strings, got {_shown(value)}")
    elif key.endswith("_template"):
        if not isinstance(value, str):
            raise DiscoveryError(f"{key} must be a template string, got {_shown(value)}")
    elif key.startswith(("payload_", "state_")) and not isinstance(value, str | int | float):
        raise DiscoveryError(f"{key} must be a string, got {_shown(value)}")
    return value


def _number(key: str, value: Any) -> float | int:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DiscoveryError(f"{key} must be a number, got {_shown(value)}")
    if key == "brightness_scale" and value <= 0:
        raise DiscoveryError(f"brightness_scale must be positive, got {value}")
    return value


def command_topics(config: EntityConfig) -> list[str]:
    """The topics acting on the entity publishes to."""
    return [
        str(value)
        for key, value in config.config.items()
        if key == "command_topic" or key.endswith("_command_topic") or key == "set_position_topic"
    ]


def check_command_topics(
    config: EntityConfig, topic_prefix: str, discovery_prefix: str, allowed: tuple[str, ...]
) -> None:
    """Refuse command topics that would make the hub talk to itself or to Home Assistant.

    Under `topic_prefix` only the declaring node's own topics may be commands (our
    satellites' mute and volume); never Home Assistant's status or a discovery topic (its
    documentation's `homeassistant/switch/x/set` style is fine); and, when `allowed` prefixes
    are configured, only topics under one of them.
    """
    parts = config.source_topic.split("/")
    own = f"{topic_prefix}/{parts[2]}/" if parts[1] == "device" else None
    for topic in command_topics(config):
        if topic == f"{discovery_prefix}/status" or (
            topic.startswith(f"{discovery_prefix}/") and topic.endswith("/config")
        ):
            raise DiscoveryError(f"command topic {topic!r} is Home Assistant's own")
        if topic.startswith(f"{topic_prefix}/") and (own is None or not topic.startswith(own)):
            raise DiscoveryError(f"command topic {topic!r} belongs to another homevoice node")
        if allowed and not topic.startswith(allowed):
            shown = ", ".join(allowed)
            raise DiscoveryError(
                f"command topic {topic!r} is outside home.command_prefixes ({shown})"
            )
