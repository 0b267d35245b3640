"""Spoken-style sentences against the fake home: the right payload on the right topic, or none."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from hub.intents.handler import NO_BROKER, NOT_UNDERSTOOD, IntentHandler
from hub.intents.home import Home as HomeOf
from hub.intents.registry import EntityRegistry
from testing import accuracy_home
from testing.fake_home import FLAT_CONTEXT_TABLE, FLAT_TABLE, flat_messages
from testing.fake_home import SENTENCE_TABLE as TABLE
from testing.fakes import Published, fake_home

Home = tuple[IntentHandler, list[tuple[str, str]], EntityRegistry]


@pytest.fixture
def home() -> Home:
    registry = fake_home()
    sent: list[tuple[str, str]] = []

    def publish(topic: str, payload: str) -> bool:
        sent.append((topic, payload))
        return True

    handler = IntentHandler(registry, publish, now=lambda: datetime(2026, 11, 23, 20, 5))
    return handler, sent, registry


@pytest.mark.parametrize(("sentence", "publishes", "answer"), TABLE)
def test_sentence_table(
    home: Home, sentence: str, publishes: list[tuple[str, str]], answer: str
) -> None:
    handler, sent, _ = home
    outcome = handler.handle(sentence)
    assert outcome.handled, outcome
    assert sent == publishes
    assert answer in outcome.answer


@pytest.mark.parametrize(
    "sentence",
    [
        "turn on the toaster",
        "open the kitchen light",
        "turn on the garage door",
        "set the front door to 21 degrees",
        "tell me a joke",
        "lock the kitchen",
    ],
)
def test_unknown_names_and_wrong_kinds_publish_nothing(home: Home, sentence: str) -> None:
    handler, sent, _ = home
    outcome = handler.handle(sentence)
    assert sent == []
    assert not outcome.handled and outcome.answer == NOT_UNDERSTOOD


def test_ambiguous_names_get_a_question_and_no_publish(home: Home) -> None:
    handler, sent, registry = home
    second = {
        "name": "Lamp",
        "uniq_id": "living_lamp",
        "cmd_t": "home/living/lamp/set",
        "dev": {"ids": ["l2"], "name": "Living room", "sa": "Living room"},
    }
    registry.apply_config("homeassistant/light/lamp2/config", json.dumps(second))
    registry.entities["bedroom_lamp"].aliases = ("lamp",)
    registry.entities["living_lamp"].aliases = ("lamp",)
    registry.version += 1
    outcome = handler.handle("turn on the lamp")
    assert sent == []
    assert "more than one" in outcome.answer and "Bedroom" in outcome.answer
    outcome = handler.handle("turn on the lamp in the living room")  # the area settles it
    assert sent == [("home/living/lamp/set", "ON")]


def _add_lamp(registry: EntityRegistry, key: str, name: str, area: str | None) -> None:
    config: dict[str, object] = {"name": name, "uniq_id": key, "cmd_t": f"home/{key}/set"}
    if area is not None:
        config["dev"] = {"ids": [key], "sa": area}
    registry.apply_config(f"homeassistant/light/{key}/config", json.dumps(config))


@pytest.mark.parametrize(
    ("sentence", "topic"),
    [
        ("turn off the lamp in the bedroom", "home/bedroom/lamp/set"),
        ("turn off the lamp", "home/bedroom/lamp/set"),  # the only lamp
        ("is the lamp on", None),
        ("set the thermostat to 20 degrees", "home/living/thermostat/target/set"),
        ("turn on the light in the kitchen", "zigbee2mqtt/kitchen_light/set"),
    ],
)
def test_a_name_without_its_area_works(home: Home, sentence: str, topic: str | None) -> None:
    handler, sent, _ = home
    outcome = handler.handle(sentence)
    assert outcome.handled and outcome.answer != NOT_UNDERSTOOD, outcome
    assert [t for t, _ in sent] == ([topic] if topic else [])


def test_a_name_without_its_area_never_picks_the_wrong_room(home: Home) -> None:
    handler, sent, registry = home
    assert handler.handle("turn off the lamp in the garage").answer == (
        "There is no lamp in the Garage."
    )
    _add_lamp(registry, "office_lamp", "Office Lamp", "Office")
    outcome = handler.handle("turn on the lamp")
    assert outcome.answer == (
        "There is more than one lamp: the one in the Bedroom or the one in the Office?"
    )
    handler.handle("turn on the lamp in the office")
    assert sent == [("home/office_lamp/set", "ON")]


def test_an_entity_called_just_that_comes_before_a_name_without_its_area(home: Home) -> None:
    handler, sent, registry = home
    _add_lamp(registry, "plain_lamp", "Lamp", None)
    handler.handle("turn on the lamp")
    handler.handle("turn on the lamp in the bedroom")  # the area picks the Bedroom Lamp
    assert sent == [("home/plain_lamp/set", "ON"), ("home/bedroom/lamp/set", "ON")]


def test_limits_are_checked_before_publishing(home: Home) -> None:
    handler, sent, _ = home
    outcome = handler.handle("set the living room thermostat to 34 degrees")
    assert sent == [] and "goes from 7 to 30 degrees" in outcome.answer


def test_broker_down_is_said_not_hidden(home: Home) -> None:
    _, _, registry = home
    handler = IntentHandler(registry, lambda topic, payload: False)
    outcome = handler.handle("turn on the kitchen light")
    assert outcome.answer == NO_BROKER


# ---- the flat: Home Assistant's breadth of phrasing, and the room it was said in -------------


@pytest.fixture(scope="module")
def flat() -> tuple[IntentHandler, list[tuple[str, str]]]:
    registry = EntityRegistry()
    for topic, payload in flat_messages():
        if topic.startswith("homeassistant/"):
            registry.apply_config(topic, payload)
        else:
            registry.apply_state(topic, payload)
    published = Published()
    return IntentHandler(registry, published), published.messages


@pytest.mark.parametrize(("sentence", "publishes", "answer"), FLAT_TABLE)
def test_the_flat_table(
    flat: tuple[IntentHandler, list[tuple[str, str]]],
    sentence: str,
    publishes: list[tuple[str, str]],
    answer: str,
) -> None:
    handler, sent = flat
    sent.clear()
    outcome = handler.handle(sentence)
    assert outcome.handled and outcome.answer.startswith(answer), outcome
    assert sent == publishes


@pytest.mark.parametrize(("area", "sentence", "publishes", "answer"), FLAT_CONTEXT_TABLE)
def test_the_flat_said_in_a_room(
    flat: tuple[IntentHandler, list[tuple[str, str]]],
    area: str,
    sentence: str,
    publishes: list[tuple[str, str]],
    answer: str,
) -> None:
    handler, sent = flat
    sent.clear()
    plan = handler.understand(sentence, area=area)
    assert sent == []  # understanding does nothing
    outcome = handler.carry_out(plan)
    assert outcome.handled and outcome.answer == answer, outcome
    assert sent == publishes


def _flat_with(*documents: tuple[str, dict[str, Any]]) -> tuple[IntentHandler, list[Any]]:
    registry = EntityRegistry()
    for topic, payload in [*flat_messages(), *((t, json.dumps(d)) for t, d in documents)]:
        if topic.startswith("homeassistant/"):
            registry.apply_config(topic, payload)
    published = Published()
    return IntentHandler(registry, published), published.messages


def test_a_part_or_a_name_without_its_area_never_shadows_a_name() -> None:
    handler, sent = _flat_with(
        ("homeassistant/light/g/config", {"name": "Garage", "uniq_id": "g", "cmd_t": "g/set"}),
        ("homeassistant/switch/d/config", {"name": "Door", "uniq_id": "d", "cmd_t": "d/set"}),
    )
    # "garage" is the light's name now, not the Garage door's part; "door" is the switch's:
    # neither moves the Garage door (at most a question back)
    for sentence in ("close the garage", "open the door"):
        outcome = handler.handle(sentence)
        assert not outcome.publishes and outcome.answer.endswith(("?", NOT_UNDERSTOOD)), outcome
    handler.handle("turn on the garage")
    handler.handle("turn on the door")
    handler.handle("close the garage door")
    assert sent == [("g/set", "ON"), ("d/set", "ON"), ("flat/garage/door/set", "CLOSE")]


def test_a_part_counts_only_when_it_is_one_things() -> None:
    window: dict[str, Any] = {
        "name": "Garage window", "uniq_id": "gw", "cmd_t": "gw/set",
        "dev": {"ids": ["gw"], "sa": "Garage"},
    }  # fmt: skip
    handler, sent = _flat_with(("homeassistant/cover/gw/config", window))
    outcome = handler.handle("close the garage")
    assert outcome.answer == (
        "There is more than one garage: the Garage door or the Garage window?"
    )
    handler.handle("close the garage window", area="Bedroom")
    assert sent == [("gw/set", "CLOSE")]


def test_a_kind_word_is_never_taken_for_one_things_name(home: Home) -> None:
    """The Kitchen light is the only "light" without its area, but not the only light."""
    handler, sent, _ = home
    assert handler.handle("turn on the light").answer == (
        "Which light? In the Bedroom or the Kitchen?"
    )
    assert handler.handle("turn on the lights", area="garage").answer == (
        "There are no lights in the Garage."
    )
    handler.handle("turn on the light", area="kitchen")
    assert sent == [("zigbee2mqtt/kitchen_light/set", json.dumps({"state": "ON"}))]


def test_the_room_of_a_satellite_or_a_device() -> None:
    registry = EntityRegistry()
    for topic, payload in flat_messages():
        if topic.startswith("homeassistant/"):
            registry.apply_config(topic, payload)
    home = HomeOf(registry)
    home.satellite_area("kitchen-sat", "Kitchen")
    assert home.area_of("kitchen-sat") == "Kitchen"
    assert home.area_of("flat_bedroom") == "Bedroom"  # discovery's device identifiers
    assert home.area_of(None, "unknown", "0xD0") == "Study"  # the first that has one
    assert home.area_of("unknown") is None and home.area_of() is None
    home.satellite_area("kitchen-sat", None)  # it says it is nowhere now
    assert home.area_of("kitchen-sat") is None


def test_the_temperature_of_a_room_without_a_thermostat_is_its_thermometers() -> None:
    """ "What's the temperature outside?" with a weather station there and no thermostat."""
    registry = EntityRegistry()
    for topic, payload in accuracy_home.discovery_messages():
        registry.apply_config(topic, payload)
    for topic, payload in accuracy_home.STATES.items():
        registry.apply_state(topic, payload)
    handler = IntentHandler(registry, lambda _t, _p: True)
    for sentence in ("What's the temperature outside?", "what is the outside temperature"):
        assert handler.handle(sentence, area="Living room").answer == (
            "The Weather station Outside temperature is 4.5 °C."
        )
    # a room with neither still says so, and a thermostat still wins where there is one
    assert handler.handle("what's the temperature in the garage").answer == (
        "There are no thermostats in the Garage."
    )
    assert "Ecobee" in handler.handle("what's the temperature in the living room").answer
