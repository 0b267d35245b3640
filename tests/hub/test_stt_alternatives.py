"""Whisper's next best transcripts (`stt.alternatives`): asked for only when nothing understood
the transcript, acted on only when they keep its on/off words and numbers and agree, else
asked back; the real engine's beam search, the handler's rules and a run through the pipeline."""

from __future__ import annotations

import json

import pytest

from hub.engines.stt import WhisperEngine
from hub.intents.handler import IntentHandler
from hub.models import resolve_stt_model
from hub.pipeline.request import RunRequest, Step
from hub.pipeline.run import Run
from hub.settings import Device, SttSettings
from protocol.aio import bounded
from protocol.audio import pcm16_to_float
from testing.audio import piper_speech
from testing.fakes import FakeStt, FakeTts, Published, RecordingPeer, fake_services
from testing.sound_alike_home import sound_alike_handler

Sent = list[tuple[str, str]]
GARDEN_OFF = ("home/garden_light/set", "OFF")


@pytest.fixture
def home() -> tuple[IntentHandler, Sent]:
    return sound_alike_handler()


def test_the_first_alternative_understood_is_acted_on(home: tuple[IntentHandler, Sent]) -> None:
    handler, sent = home
    plan = handler.understand_alternatives(
        "turn off the garbled life", ["turn off the garbled lights", "turn off the garden light"]
    )
    assert plan is not None and plan.heard_as == "turn off the garden light"
    assert sent == []  # understanding does nothing
    assert handler.carry_out(plan).answer == "Turned off the Garden light."
    assert sent == [GARDEN_OFF]


@pytest.mark.parametrize(
    ("heard", "alternatives", "question"),
    [
        # an on/off word Whisper did not write at first: asked, never acted on
        ("Garden light.", ["Garden light on."], "Did you mean: garden light on?"),
        ("turn of the garden light", ["turn off the garden light"], "Did you mean: turn off"),
        # another number
        (
            "set the ecobee thermostat to 18.5 the greens",
            ["set the ecobee thermostat to 8.5 degrees"],
            "Did you mean: set the ecobee thermostat to 8.5 degrees?",
        ),
        # what it acts on left to the room it was said in: a guess on a guess
        ("logging of this line", ["lower the light"], "Did you mean: lower the light?"),
        # two alternatives that do different things
        (
            "turn the garden light",
            ["turn on the garden light", "turn off the garden light"],
            "Did you mean: turn on the garden light, or turn off the garden light?",
        ),
    ],
)
def test_an_alternative_that_could_do_the_wrong_thing_is_asked_back(
    home: tuple[IntentHandler, Sent], heard: str, alternatives: list[str], question: str
) -> None:
    handler, sent = home
    plan = handler.understand_alternatives(heard, alternatives, "garden-sat", "Study")
    assert plan is not None and plan.answer.startswith(question), plan
    assert handler.carry_out(plan).publishes == [] and sent == []
    if len(plan.offers) == 1:  # "yes" then does it
        assert handler.handle("yes", device_id="garden-sat", area="Study").publishes
        assert sent


def test_an_alternative_never_answers_a_question_asked_back(
    home: tuple[IntentHandler, Sent],
) -> None:
    handler, sent = home
    assert handler.handle("turn on the kitchen life", device_id="d").answer.startswith("Did you")
    assert handler.understand_alternatives("jess", ["yes", "Yes."], device_id="d") is None
    assert sent == []
    assert handler.handle("yes", device_id="d").publishes  # the question still waits


def test_nothing_understood_in_the_alternatives_is_none(home: tuple[IntentHandler, Sent]) -> None:
    handler, _ = home
    assert (
        handler.understand_alternatives("the weather is", ["the weather's", "whether is"]) is None
    )
    assert handler.understand_alternatives("turn on the toaster", []) is None


def test_whisper_gives_its_next_best_transcripts_and_not_the_first_again() -> None:
    model = resolve_stt_model("tiny.en", [])
    engine = WhisperEngine(model, "tiny.en", SttSettings(alternatives=4), Device.CPU)
    engine.load()
    audio = pcm16_to_float(piper_speech("turn off the kettle"))
    job = engine._job(audio, "en")
    assert job is not None
    found = engine.alternatives_sync(job)
    assert 1 <= len(found) <= 4 and len(set(found)) == len(found) and all(found)
    assert any("kettle" in text.lower() for text in found)
    first = engine.transcribe_sync(audio, "en")
    assert first.alternatives is not None
    off = WhisperEngine(model, "tiny.en", SttSettings(alternatives=0), Device.CPU)
    off._model = engine._model  # the same loaded model, the setting off
    assert off.transcribe_sync(audio, "en").alternatives is None


async def test_a_run_asks_for_alternatives_only_when_nothing_understood_it() -> None:
    stt = FakeStt("turn on the kitchen lite bulb thing")
    stt.alternatives = ["turn on the kitchen light"]
    published = Published()
    services = fake_services(stt, FakeTts(), published=published)
    request = RunRequest(Step.STT, Step.INTENT, "test", vad=False, device_id="kitchen")
    peer = RecordingPeer([b"\0" * 4096] * 4, True, node_id="kitchen")
    ran = Run(services, peer, request)
    await bounded(ran.execute(), 10)
    assert stt.alternatives_asked == 1
    assert published.messages == [("zigbee2mqtt/kitchen_light/set", json.dumps({"state": "ON"}))]

    stt.text, stt.alternatives_asked = "turn off the kitchen light", 0
    published.messages.clear()
    await bounded(Run(services, RecordingPeer([b"\0" * 4096] * 4, True), request).execute(), 10)
    assert stt.alternatives_asked == 0  # understood as heard: no second decode
    assert published.messages == [("zigbee2mqtt/kitchen_light/set", json.dumps({"state": "OFF"}))]
