"""bench/accuracy.py's pure parts: the WER normaliser, the classification, the voices, the
levels, and the home and commands it runs on (`testing/accuracy_home.py`)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.accuracy import (
    ESPEAK_VOICES,
    active_rms,
    at_level,
    choose_voices,
    classify,
    normalize,
    number_words,
    pink_noise,
    snr_db,
    wer,
)
from hub.intents.discovery import command_topics
from hub.intents.registry import EntityRegistry
from testing.accuracy_home import COMMANDS, ENTITY_COUNT, STATES, Command, discovery_messages

LIGHT = "home/office/desk_lamp/set"
DIM = Command("dim it", (("a/set", '{"state": "ON", "brightness": 76}'),))
BOTH = Command("both lights off", (("a/set", "OFF"), ("b/set", "OFF")))
QUESTION = Command("Is the front door locked?", answer="Front door is unlocked")


@pytest.mark.parametrize(
    ("number", "words"),
    [("0", "zero"), ("13", "thirteen"), ("40", "forty"), ("21", "twenty one"),
     ("100", "one hundred"), ("115", "one hundred fifteen"),
     ("2026", "two thousand twenty six"), ("18.5", "eighteen point five")],
)  # fmt: skip
def test_number_words(number: str, words: str) -> None:
    assert number_words(number) == words


@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("Set the kitchen light to 50%.", "set the kitchen light to fifty percent"),
        ("Set the kitchen light to 50 percent", "Set the kitchen light to fifty percent."),
        ("set it to 21.5 degrees", "Set it to twenty-one point five degrees!"),
        ("It's 4.5 °C", "its four point five degrees"),
        ("1,000 lights", "one thousand lights"),
        ("  Turn   on, the LIGHT ", "turn on the light"),
    ],
)
def test_normalize_makes_spellings_equal(said: str, written: str) -> None:
    assert normalize(said) == normalize(written)


def test_wer_counts_words_over_all_clips() -> None:
    assert wer(["Turn off the kettle."], [" turn off the kettle"]) == 0.0
    assert wer(["Turn off the kettle."], ["Turn off the candle."]) == 0.25
    assert wer(["Turn off the kettle.", "Lock the front door."], ["", "Lock the front door"]) == 0.5
    assert wer(["Set it to 20%"], ["set it to twenty percent"]) == 0.0


def test_classify_right_wrong_asked_none() -> None:
    dim = DIM.publishes[0]
    assert classify(DIM, [dim], "Set the light to 30 percent.") == "right"
    assert classify(DIM, [("a/set", '{"state": "ON", "brightness": 77}')], "") == "wrong"
    assert classify(DIM, [dim, ("c/set", "ON")], "") == "wrong"  # one too many
    assert classify(DIM, [dim, dim], "") == "wrong"  # twice
    assert classify(DIM, [("c/set", "ON")], "Turned on the C.") == "wrong"
    assert classify(DIM, [], "There is more than one light: the one in A or the one in B?") == (
        "asked"
    )
    assert classify(DIM, [], "Sorry, I didn't understand that.") == "none"
    assert classify(DIM, [], "") == "none"


def test_classify_needs_every_expected_publish_in_any_order() -> None:
    assert classify(BOTH, [("b/set", "OFF"), ("a/set", "OFF")], "") == "right"
    assert classify(BOTH, [("a/set", "OFF")], "") == "wrong"


def test_classify_questions_by_their_answer() -> None:
    assert classify(QUESTION, [], "The Front door is unlocked.") == "right"
    assert classify(QUESTION, [], "The Back door is locked.") == "none"
    assert classify(QUESTION, [], "Which door: the front or the back?") == "asked"
    assert classify(QUESTION, [("home/front_door/set", "LOCK")], "Locked.") == "wrong"


def _registry() -> EntityRegistry:
    registry = EntityRegistry()
    for topic, payload in discovery_messages():
        assert registry.apply_config(topic, payload), topic
    for topic, payload in STATES.items():
        registry.apply_state(topic, payload)
    return registry


def test_the_home_has_enough_devices_each_in_an_area() -> None:
    entities = list(_registry().entities.values())
    assert len(entities) == ENTITY_COUNT >= 17
    assert all(entity.area for entity in entities), [e.name for e in entities if not e.area]
    assert len({entity.name.lower() for entity in entities}) == len(entities)
    assert len({entity.area for entity in entities}) >= 8


def test_every_state_topic_belongs_to_an_entity() -> None:
    registry = _registry()
    assert set(STATES) <= registry.state_topics()


def test_commands_publish_only_to_the_homes_command_topics() -> None:
    topics = {t for e in _registry().entities.values() for t in command_topics(e.config)}
    assert len(COMMANDS) >= 30
    assert len({c.text.lower() for c in COMMANDS}) == len(COMMANDS)
    assert sum(not c.question for c in COMMANDS) >= 30  # mostly actions
    for command in COMMANDS:
        assert command.text.strip() and command.text[0].isupper(), command
        if command.question:
            assert command.answer, command
        else:
            assert command.answer is None, command
        for topic, payload in command.publishes:
            assert topic in topics, (command.text, topic)
            assert payload, command.text
            if payload.startswith("{"):
                json.loads(payload)


def test_voices_are_mixed_and_drawn_the_same_every_time() -> None:
    for index in range(len(COMMANDS)):
        voices = choose_voices(index)
        assert voices == choose_voices(index)
        assert [v.engine for v in voices] == ["espeak", "espeak", "piper", "piper"]
        assert all(-30 <= v.level_dbfs <= -14 for v in voices)
        assert all(v.name in ESPEAK_VOICES for v in voices if v.engine == "espeak")
        assert all(0.8 <= v.speed <= 1.25 for v in voices if v.engine == "piper")
    assert len({v for i in range(len(COMMANDS)) for v in choose_voices(i)}) >= 4 * len(COMMANDS)


def test_levels_and_snr() -> None:
    rng = np.random.default_rng(1)
    tone = np.sin(np.arange(16000) / 16000 * 2 * np.pi * 440).astype(np.float32)
    speech = np.concatenate([np.zeros(8000, np.float32), tone, np.zeros(8000, np.float32)])
    levelled = at_level(speech, -20.0)
    assert 20 * np.log10(active_rms(levelled)) == pytest.approx(-20.0, abs=0.01)
    noise = pink_noise(len(tone), rng)
    assert float(np.sqrt(np.mean(noise**2))) == pytest.approx(1.0, abs=1e-3)
    quiet = noise * active_rms(tone) * 10 ** (-10 / 20)
    assert snr_db(tone, quiet) == pytest.approx(10.0, abs=0.01)
