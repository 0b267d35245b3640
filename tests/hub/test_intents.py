"""Spoken-style sentences against the fake home: the right payload on the right topic, or none."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from hub.intents.handler import NO_BROKER, NOT_UNDERSTOOD, IntentHandler
from hub.intents.registry import EntityRegistry
from tests.fake_devices import STATES, discovery_messages

ON = json.dumps({"state": "ON"})
OFF = json.dumps({"state": "OFF"})

# sentence -> the (topic, payload) publishes it must cause, and a fragment of the answer
TABLE: list[tuple[str, list[tuple[str, str]], str]] = [
    (
        "turn on the kitchen light",
        [("zigbee2mqtt/kitchen_light/set", ON)],
        "Turned on the Kitchen light",
    ),
    ("Turn on the kitchen light.", [("zigbee2mqtt/kitchen_light/set", ON)], "Turned on"),
    ("please switch the kitchen light on", [("zigbee2mqtt/kitchen_light/set", ON)], "Turned on"),
    (
        "could you turn off the kitchen light please",
        [("zigbee2mqtt/kitchen_light/set", OFF)],
        "off",
    ),
    ("turn off the kitchen light in the kitchen", [("zigbee2mqtt/kitchen_light/set", OFF)], "off"),
    ("switch on the coffee machine", [("tasmota_A1/cmnd/POWER", "ON")], "Coffee machine"),
    ("turn the coffee machine off", [("tasmota_A1/cmnd/POWER", "OFF")], "off"),
    ("turn on the bedroom lamp", [("home/bedroom/lamp/set", "ON")], "Bedroom Lamp"),
    (
        "turn on all the lights in the bedroom",
        [("home/bedroom/lamp/set", "ON")],
        "the light in the Bedroom",
    ),
    ("turn off the kitchen lights", [("zigbee2mqtt/kitchen_light/set", OFF)], "in the Kitchen"),
    (
        "dim the bedroom lamp to 40 percent",
        [("home/bedroom/lamp/brightness/set", "40")],
        "40 percent",
    ),
    ("set the bedroom lamp brightness to 75%", [("home/bedroom/lamp/brightness/set", "75")], "75"),
    (
        "set the kitchen light to 50 percent",
        [("zigbee2mqtt/kitchen_light/set", json.dumps({"state": "ON", "brightness": 128}))],
        "50",
    ),
    ("open the garage door", [("garage/door/set", "OPEN")], "Opening the Garage Door"),
    ("close the garage door", [("garage/door/set", "CLOSE")], "Closing"),
    ("shut my garage door", [("garage/door/set", "CLOSE")], "Closing"),
    ("lock the front door", [("home/front_door/set", "LOCK")], "Locked the Front door"),
    ("unlock the front door", [("home/front_door/set", "UNLOCK")], "Unlocked"),
    ("lock the garage side lock", [("garage/lock/set", "LOCK")], "Locked"),
    (
        "set the living room thermostat to 20 degrees",
        [("home/living/thermostat/target/set", "20")],
        "20 degrees",
    ),
    (
        "set the temperature in the living room to 21.5 degrees",
        [("home/living/thermostat/target/set", "21.5")],
        "21.5 degrees",
    ),
    ("set the living room temperature to 19", [("home/living/thermostat/target/set", "19")], "19"),
    # questions, answered from the state topics: no publish
    ("is the front door locked", [], "The Front door is unlocked."),
    ("is the garage door open", [], "The Garage Door is closed."),
    ("what is the state of the coffee machine", [], "The Coffee machine is off."),
    ("is the bedroom lamp on", [], "The Bedroom Lamp is on, at 40 percent."),
    ("what is the outside temperature", [], "The Outside temperature is 4.5 °C."),
    (
        "what is the living room thermostat set to",
        [],
        "is set to 21.5 degrees, it is 19.0 degrees now",
    ),
    ("what time is it", [], "It's 8:05 PM."),
    ("what is the time", [], "It's 8:05 PM."),
    ("what day is it today", [], "Today is Monday, November 23."),
    ("never mind", [], "OK."),
]


Home = tuple[IntentHandler, list[tuple[str, str]], EntityRegistry]


@pytest.fixture
def home() -> Home:
    registry = EntityRegistry()
    for topic, payload in discovery_messages():
        registry.apply_config(topic, payload)
    for topic, payload in STATES.items():
        registry.apply_state(topic, payload)
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


def test_limits_are_checked_before_publishing(home: Home) -> None:
    handler, sent, _ = home
    outcome = handler.handle("set the living room thermostat to 34 degrees")
    assert sent == [] and "goes from 7 to 30 degrees" in outcome.answer


def test_broker_down_is_said_not_hidden(home: Home) -> None:
    _, _, registry = home
    handler = IntentHandler(registry, lambda topic, payload: False)
    outcome = handler.handle("turn on the kitchen light")
    assert outcome.answer == NO_BROKER
