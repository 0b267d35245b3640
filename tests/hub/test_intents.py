"""Spoken-style sentences against the fake home: the right payload on the right topic, or none."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from hub.intents.handler import NO_BROKER, NOT_UNDERSTOOD, IntentHandler
from hub.intents.registry import EntityRegistry
from testing.fake_home import SENTENCE_TABLE as TABLE
from testing.fakes import fake_home

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
