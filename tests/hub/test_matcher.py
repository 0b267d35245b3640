"""Misheard commands: the right action when one name sounds like it, a question when two do,
nothing for names the home does not have; in-process and through a real broker."""

from __future__ import annotations

import asyncio
import json

import pytest

from hub.intents.handler import NOT_UNDERSTOOD, IntentHandler
from hub.intents.home import Home
from hub.intents.matcher import Vocabulary, hypotheses, similarity, sounds, words_of
from hub.intents.registry import EntityRegistry
from protocol.aio import bounded
from protocol.mqtt import MqttNode, MqttSettings
from testing.broker import Broker
from testing.mqtt_watch import publish, watching
from testing.sound_alike_home import (
    ACT,
    ASK,
    DEVICES,
    NEAR_MISSES,
    discovery_messages,
    sound_alike_handler,
)

Sent = list[tuple[str, str]]


@pytest.fixture
def home() -> tuple[IntentHandler, Sent]:
    return sound_alike_handler()


def test_sounds_keeps_what_whisper_confuses_equal() -> None:
    assert sounds("study") == sounds("steady")
    assert sounds("lamp") == sounds("lamb")
    assert sounds("ecobee") == sounds("eco bee")
    assert sounds("kitchen") != sounds("garden")
    assert similarity("garbage door", "garage door") > 0.85
    assert similarity("echo be thermostat", "ecobee thermostat") > 0.85
    assert similarity("bedroom", "garden") < 0.6
    assert words_of("Turn on the Study light, please. 50%!") == [
        "turn", "on", "the", "study", "light", "please", "50%",
    ]  # fmt: skip


def test_hypotheses_never_change_on_and_off() -> None:
    vocabulary = Vocabulary(["kitchen light"], ["turn", "on", "off", "of", "the", "switch"])
    texts = [h.text for h in hypotheses("turn of the kitchen lite", vocabulary)]
    assert "turn of the kitchen light" in texts
    assert not any(" on " in f" {t} " or " off " in f" {t} " for t in texts)


def test_a_command_inside_longer_speech_is_found_but_not_one_missing_a_name() -> None:
    vocabulary = Vocabulary(
        ["kitchen light", "garage", "kitchen"], ["turn", "off", "the", "in"], starts=["turn"]
    )
    heard = hypotheses("and the weather is turn off the kitchen light", vocabulary)
    assert heard[0].text == "turn off the kitchen light" and heard[0].window == (4, 9)
    # leaving out "in the garage" would change the command: no such window
    cut = hypotheses("turn off the kitchen light in the garage", vocabulary)
    assert "turn off the kitchen light" not in [h.text for h in cut]
    assert hypotheses("don't turn off the kitchen light", vocabulary) == []


@pytest.mark.parametrize(("sentence", "expected", "publishes"), NEAR_MISSES)
def test_near_misses(
    home: tuple[IntentHandler, Sent],
    sentence: str,
    expected: str,
    publishes: list[tuple[str, str]],
) -> None:
    handler, sent = home
    outcome = handler.handle(sentence)
    assert sent == publishes, (sentence, outcome)
    if expected == ASK:
        assert outcome.answer.endswith("?"), outcome
    elif expected != ACT:
        assert not outcome.answer.endswith("?"), outcome


def test_a_question_back_is_answered_by_a_name_yes_or_no(home: tuple[IntentHandler, Sent]) -> None:
    handler, sent = home
    asked = handler.handle("turn on the steady light", device_id="study-sat")
    assert asked.answer == "Did you mean the study light or the steady lamp?" and sent == []
    # another satellite's answer is not this one's
    assert handler.handle("the steady lamp", device_id="kitchen-sat").answer == NOT_UNDERSTOOD
    assert handler.handle("the steady lamp", device_id="study-sat").answer == (
        "Turned on the Steady lamp."
    )
    assert sent == [("home/steady_lamp/set", "ON")]
    # answered once: a second "steady lamp" is no longer an answer
    assert handler.handle("the steady lamp", device_id="study-sat").answer == NOT_UNDERSTOOD

    sent.clear()
    assert handler.handle("turn on the kitchen life").answer.startswith("Did you mean:")
    assert handler.handle("yes").answer == "Turned on the Kitchen light."
    assert sent == [("home/kitchen_light/set", "ON")]
    sent.clear()
    handler.handle("turn on the kitchen life")
    assert handler.handle("no").answer == "OK." and sent == []
    assert handler.handle("yes").answer == NOT_UNDERSTOOD and sent == []


def test_a_polar_word_may_become_its_own_other_form(home: tuple[IntentHandler, Sent]) -> None:
    handler, sent = home
    plan = handler.understand("is the front door lock")
    assert plan.heard_as == "is the front door locked" and plan.intent == "QueryState"
    assert "front door" in plan.answer.lower() and not plan.answer.endswith("?")
    assert sent == []


def test_a_plan_of_a_misheard_command_says_what_it_was_heard_as(
    home: tuple[IntentHandler, Sent],
) -> None:
    handler, sent = home
    plan = handler.understand("open the garbage door")
    assert plan.heard_as == "open the garage door" and 0.8 <= plan.confidence < 1
    assert sent == []  # understanding does nothing


async def until_names(registry: EntityRegistry, count: int) -> None:
    async with asyncio.timeout(10):
        while len(registry.entities) != count:  # noqa: ASYNC110 - the MQTT task fills it
            await asyncio.sleep(0.02)


async def test_near_misses_through_a_real_broker_and_the_vocabulary_follows_discovery(
    broker: Broker,
) -> None:
    """Through mosquitto: exactly the expected publishes, none for the rest; a device added
    over discovery is matched when misheard, and no longer once it is removed."""
    for topic, payload in discovery_messages():
        await publish(broker.port, topic, payload, retain=True)
    home = Home(EntityRegistry())
    node = MqttNode(MqttSettings(url=broker.url), "hub", dict)
    home.follow(node)
    task = asyncio.create_task(node.run())
    commands = {str(d["command_topic"]) for d in DEVICES.values() if "command_topic" in d}
    commands |= {"home/ecobee/target/set", "home/porch_light/set"}
    try:
        await until_names(home.registry, len(DEVICES))
        handler = IntentHandler(home.registry, home.publish)
        async with watching(broker.port) as watch:
            for sentence, _, publishes in NEAR_MISSES:
                mark = len(watch.messages)
                handler.handle(sentence)
                for topic, payload in publishes:
                    seen = await watch.wait_for(topic, after=mark)
                    assert (seen.topic, seen.payload) == (topic, payload), sentence
            await asyncio.sleep(0.3)
            moved = [(m.topic, m.payload) for m in watch.messages if m.topic in commands]
            assert moved == [p for _, _, publishes in NEAR_MISSES for p in publishes]

            porch = {
                "name": "Porch light", "unique_id": "porch_light",
                "command_topic": "home/porch_light/set",
            }  # fmt: skip
            config = "homeassistant/light/porch_light/config"
            await publish(broker.port, config, json.dumps(porch), retain=True)
            await until_names(home.registry, len(DEVICES) + 1)
            mark = len(watch.messages)
            assert handler.handle("turn on the portch light").answer == (
                "Turned on the Porch light."
            )
            await watch.wait_for("home/porch_light/set", after=mark)
            await publish(broker.port, config, "", retain=True)
            await until_names(home.registry, len(DEVICES))
            assert handler.handle("turn on the portch light").answer == NOT_UNDERSTOOD
    finally:
        await node.stop()
        await bounded(task, 10)
