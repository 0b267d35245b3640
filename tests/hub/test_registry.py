"""The entity registry, fed real discovery documents (no broker needed for these)."""

from __future__ import annotations

import json

import pytest

from hub.intents.discovery import DiscoveryError, parse_config
from hub.intents.registry import EntityRegistry, template_value
from hub.settings import EntityOverride
from testing.fake_home import STATES, discovery_messages

PREFIX = "homeassistant"


def loaded(**kwargs: object) -> EntityRegistry:
    registry = EntityRegistry(**kwargs)  # type: ignore[arg-type]
    for topic, payload in discovery_messages():
        assert registry.apply_config(topic, payload)
    for topic, payload in STATES.items():
        registry.apply_state(topic, payload)
    return registry


def test_every_fake_device_becomes_an_entity_with_its_spoken_name_and_area() -> None:
    registry = loaded()
    found = {e.key: (e.platform, e.name, e.area) for e in registry.entities.values()}
    assert found == {
        "0x01_light": ("light", "Kitchen light", "Kitchen"),
        "bedroom_lamp": ("light", "Bedroom Lamp", "Bedroom"),
        "A1_RL_1": ("switch", "Coffee machine", None),
        "garage_door": ("cover", "Garage Door", "Garage"),
        "garage_lock": ("lock", "Garage Side lock", "Garage"),
        "living_thermostat": ("climate", "Living room thermostat", "Living room"),
        "front_door_lock": ("lock", "Front door", None),
        "outside_temp": ("sensor", "Outside temperature", None),
    }


def test_abbreviations_and_base_topic_are_expanded() -> None:
    light = loaded().entities["0x01_light"]
    assert light.option("command_topic") == "zigbee2mqtt/kitchen_light/set"
    assert light.option("schema") == "json"
    switch = loaded().entities["A1_RL_1"]
    assert switch.option("command_topic") == "tasmota_A1/cmnd/POWER"
    assert switch.option("payload_on") == "ON"


def test_latest_states_through_templates_and_json_schema() -> None:
    entities = loaded().entities
    assert entities["0x01_light"].state == {"state": "OFF", "brightness": 12}
    assert entities["bedroom_lamp"].state == {"state": "ON", "brightness": "40"}
    assert entities["A1_RL_1"].state == {"state": "OFF"}
    assert entities["garage_door"].state == {"state": "closed"}
    assert entities["living_thermostat"].state == {
        "temperature": "21.5",
        "current_temperature": "19.0",
        "mode": "heat",
    }
    assert entities["outside_temp"].state == {"state": 4.5}


def test_empty_payload_removes_and_device_update_drops_missing_components() -> None:
    registry = loaded()
    registry.apply_config("homeassistant/lock/front_door/config", "")
    assert "front_door_lock" not in registry.entities
    garage = json.loads(dict(discovery_messages())["homeassistant/device/garage/config"])
    del garage["cmps"]["lock"]
    registry.apply_config("homeassistant/device/garage/config", json.dumps(garage))
    assert "garage_lock" not in registry.entities and "garage_door" in registry.entities
    assert registry.entities["garage_door"].state == {"state": "closed"}  # kept across updates
    assert "garage/lock/state" not in registry.state_topics()


@pytest.mark.parametrize(
    ("topic", "payload", "fragment"),
    [
        ("homeassistant/light/x/config", "{not json", "not JSON"),
        ("homeassistant/light/x/config", "[1]", "not a JSON object"),
        ("homeassistant/vacuum/x/config", '{"cmd_t": "a"}', "unsupported platform"),
        ("homeassistant/light/x/config", '{"cmd_t": "a/#"}', "without wildcards"),
        ("homeassistant/device/x/config", '{"dev": {}}', "without components"),
        ("homeassistant/x/config", "{}", "not a discovery topic"),
    ],
)
def test_malformed_documents_are_rejected(topic: str, payload: str, fragment: str) -> None:
    with pytest.raises(DiscoveryError, match=fragment):
        parse_config(topic, payload, PREFIX)
    registry = EntityRegistry()
    assert registry.apply_config(topic, payload) is False
    assert registry.entities == {}


def test_registry_is_bounded() -> None:
    registry = loaded(max_entities=3)
    assert len(registry.entities) == 3


def test_config_file_names_and_areas() -> None:
    overrides = {
        "A1_RL_1": EntityOverride(aliases=("espresso maker",), area="Kitchen"),
        "front door": EntityOverride(aliases=("door lock",), area="Hallway"),
    }
    entities = loaded(overrides=overrides).entities
    assert entities["A1_RL_1"].names == ("Coffee machine", "espresso maker")
    assert entities["A1_RL_1"].area == "Kitchen"
    assert (entities["front_door_lock"].area, entities["front_door_lock"].aliases) == (
        "Hallway",
        ("door lock",),
    )


@pytest.mark.parametrize(
    ("template", "payload", "value"),
    [
        (None, " ON ", "ON"),
        ("{{ value }}", "21", "21"),
        ("{{ value_json.a.b }}", '{"a": {"b": 3}}', 3),
        ("{{ value_json['x y'] }}", '{"x y": "ok"}', "ok"),
        ("{{ value_json.a }}", "not json", None),
        ("{{ value | int * 2 }}", "21", "21"),
    ],
)
def test_template_values(template: str | None, payload: str, value: object) -> None:
    assert template_value(template, payload) == value


def test_device_discovery_keeps_what_it_can_act_on_among_other_components() -> None:
    """A device with a text box and an event entity (as homevoice's own devices have) still
    gives its light; the rest is skipped without an error."""
    document = {
        "dev": {"ids": ["mixed"], "name": "Hall", "sa": "Hall"},
        "o": {"name": "test"},
        "cmps": {
            "announce": {"p": "text", "uniq_id": "hall_announce", "cmd_t": "hall/announce"},
            "event": {"p": "event", "uniq_id": "hall_event", "stat_t": "hall/event"},
            "light": {"p": "light", "uniq_id": "hall_light", "cmd_t": "hall/light/set"},
        },
    }
    entities = parse_config("homeassistant/device/mixed/config", json.dumps(document), PREFIX)
    assert [(e.key, e.platform) for e in entities] == [("hall_light", "light")]


def test_command_prefixes_limit_what_the_hub_may_publish_to() -> None:
    registry = EntityRegistry(command_prefixes=("zigbee2mqtt/",))
    allowed = {"name": "Hall", "uniq_id": "hall", "cmd_t": "zigbee2mqtt/hall/set"}
    other = {"name": "Shed", "uniq_id": "shed", "cmd_t": "home/shed/set"}
    assert registry.apply_config("homeassistant/light/hall/config", json.dumps(allowed))
    assert not registry.apply_config("homeassistant/light/shed/config", json.dumps(other))
    assert sorted(registry.entities) == ["hall"]


def test_a_number_given_as_a_string_is_read_as_a_number() -> None:
    registry = EntityRegistry()
    heater = {"name": "Heater", "uniq_id": "heater", "mode_cmd_t": "h/mode", "min_temp": "12.5"}
    assert registry.apply_config("homeassistant/climate/heater/config", json.dumps(heater))
    assert registry.entities["heater"].option("min_temp") == 12.5
