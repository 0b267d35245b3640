"""Words Whisper was unsure of (`SttResult.doubted`): where the word it nearly wrote makes
another command that does something else ("turn off" for "turn on", another number, another
device), the command is asked back, never acted on; the real engine's per-word doubts, the
handler's rules and a run through the pipeline."""

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
from protocol.settings import SettingsError
from testing.audio import espeak_speech, piper_speech
from testing.fakes import FakeStt, FakeTts, Published, RecordingPeer, fake_services
from testing.sound_alike_home import sound_alike_handler

Sent = list[tuple[str, str]]
ON_OR_OFF = "Did you mean: turn on the garden light, or turn off the garden light?"


@pytest.fixture
def home() -> tuple[IntentHandler, Sent]:
    return sound_alike_handler()


def test_an_unsure_on_that_may_have_been_off_is_asked_back(
    home: tuple[IntentHandler, Sent],
) -> None:
    handler, sent = home
    plan = handler.understand(
        "Turn on the garden light.", "sat", doubted=["Turn off the garden light."]
    )
    assert plan.answer == ON_OR_OFF and plan.offers
    assert handler.carry_out(plan).publishes == [] and sent == []
    # the answer to the question does it
    assert handler.handle("off", device_id="sat").publishes
    assert sent == [("home/garden_light/set", "OFF")]


@pytest.mark.parametrize(
    ("heard", "doubted", "question"),
    [
        # another number, spelled alike
        (
            "set the ecobee thermostat to 21 degrees",
            ["set the ecobee thermostat to 26 degrees"],
            "Did you mean: set the ecobee thermostat to 21 degrees, or set the ecobee "
            "thermostat to 26 degrees?",
        ),
        # the opposite further down the list of doubts
        (
            "turn on the garden light",
            ["turn on the garden lights", "Turn on a garden light", "turn off the garden light"],
            ON_OR_OFF,
        ),
        # another device of the home
        (
            "turn on the kitchen light",
            ["turn on the kitchen lamp"],
            "Did you mean: turn on the kitchen light, or turn on the kitchen lamp?",
        ),
    ],
)
def test_a_doubt_that_does_something_else_is_asked_back(
    home: tuple[IntentHandler, Sent], heard: str, doubted: list[str], question: str
) -> None:
    handler, sent = home
    plan = handler.understand(heard, doubted=doubted)
    assert plan.answer == question
    assert handler.carry_out(plan).publishes == [] and sent == []


@pytest.mark.parametrize(
    ("heard", "doubted"),
    [
        # the same on/off and numbers: the doubt changes nothing that matters
        ("turn on the garden light", ["Turn on the garden light", "turn on a garden light"]),
        # a number in words where digits were written: the start of "twenty-two", not 20
        ("set the ecobee thermostat to 22", ["set the ecobee thermostat to twenty"]),
        # the other word makes no command of the home
        ("turn on the garden light", ["turn of the garden light", "turn on the garden lie"]),
        # ... or only one that the grammar would have to correct first (a guess on a guess)
        ("turn on the kitchen light", ["turn on the kitchen lamb"]),
    ],
)
def test_a_doubt_that_changes_nothing_that_matters_is_acted_on(
    home: tuple[IntentHandler, Sent], heard: str, doubted: list[str]
) -> None:
    handler, sent = home
    outcome = handler.carry_out(handler.understand(heard, doubted=doubted))
    assert outcome.publishes and sent
    assert not outcome.answer.endswith("?")


def test_doubts_on_a_question_of_state_change_nothing(home: tuple[IntentHandler, Sent]) -> None:
    """Asking is harmless: "is the garden light on" answers, even where the word Whisper
    nearly wrote makes a command that would switch it."""
    handler, _ = home
    plain = handler.understand("is the garden light on")
    doubted = handler.understand(
        "is the garden light on", doubted=["is the garden light off", "turn the garden light on"]
    )
    assert handler.understand("turn the garden light on").publishes  # the rival would act
    assert doubted == plain


@pytest.fixture(scope="module")
def engine() -> WhisperEngine:
    model = resolve_stt_model("tiny.en", [])
    engine = WhisperEngine(model, "tiny.en", SttSettings(), Device.CPU)
    engine.load()
    engine.hint = lambda: "Kitchen light. Study light. Garden light."
    return engine


def test_whisper_says_which_words_it_was_unsure_of(engine: WhisperEngine) -> None:
    # an espeak-ng voice whose "on" Whisper nearly writes as "off" (~0.65 against ~0.3)
    unsure = pcm16_to_float(espeak_speech("turn on the garden light", voice="en-us+m3"))
    result = engine.transcribe_sync(unsure, "en")
    assert "on the garden light" in result.text.lower()
    assert any("off the garden light" in other.lower() for other in result.doubted)
    # a clear voice: no doubt about on or off
    clear = engine.transcribe_sync(pcm16_to_float(piper_speech("turn off the kitchen light")), "en")
    assert "off the kitchen light" in clear.text.lower()
    assert not any(" on " in f" {other.lower()} " for other in clear.doubted)


def test_a_transcript_read_back_has_the_doubts_of_the_decode_that_wrote_it(
    engine: WhisperEngine,
) -> None:
    """What a full-window retry or a beam search gets: the decoder reads the text back."""
    audio = pcm16_to_float(espeak_speech("turn on the garden light", voice="en-us+m3"))
    job = engine._job(audio, "en")
    assert job is not None
    written = engine.transcribe_sync(audio, "en")
    assert engine.doubted_sync(job, written.text) == written.doubted
    assert engine.doubted_sync(job, "") == ()
    beam = WhisperEngine(engine.model_dir, "tiny.en", SttSettings(beam_size=3), Device.CPU)
    beam._model, beam.hint = engine._model, engine.hint  # the same loaded model
    searched = beam.transcribe_sync(audio, "en")
    assert searched.doubted and searched.doubted == engine.doubted_sync(job, searched.text)


async def test_a_run_with_an_unsure_on_asks_and_publishes_nothing() -> None:
    stt = FakeStt("turn on the kitchen light")
    stt.doubted = ("turn off the kitchen light",)
    published = Published()
    services = fake_services(stt, FakeTts(), published=published)
    request = RunRequest(Step.STT, Step.INTENT, "test", vad=False, device_id="kitchen")
    ran = Run(services, RecordingPeer([b"\0" * 4096] * 4, True, node_id="kitchen"), request)
    await bounded(ran.execute(), 10)
    assert published.messages == []
    assert ran.result.answer is not None and ran.result.answer.text.startswith("Did you mean")

    stt.text, stt.doubted = "turn off the kitchen light", ("turn off the kitchen lights",)
    await bounded(Run(services, RecordingPeer([b"\0" * 4096] * 4, True), request).execute(), 10)
    assert published.messages == [("zigbee2mqtt/kitchen_light/set", json.dumps({"state": "OFF"}))]


def test_doubts_can_be_turned_off(engine: WhisperEngine) -> None:
    audio = pcm16_to_float(espeak_speech("turn on the garden light", voice="en-us+m3"))
    off = WhisperEngine(engine.model_dir, "tiny.en", SttSettings(doubt_ratio=0), Device.CPU)
    off._model, off.hint = engine._model, engine.hint  # the same loaded model, the setting off
    result = off.transcribe_sync(audio, "en")
    job = off._job(audio, "en")
    assert job is not None
    assert result.doubted == () and off.doubted_sync(job, result.text) == ()
    with pytest.raises(SettingsError, match=r"stt\.doubt_ratio"):
        SttSettings(doubt_ratio=1.0)


# The first reading: a doubtful short-window decode transcribed again with the full window
# leaves what the short one said (`SttResult.first_reading`), a second opinion on the audio.


@pytest.mark.parametrize(
    ("heard", "first_reading", "question"),
    [
        # the retry flipped on to off (measured: far from the mic, "Turrom on the lights …")
        (
            "Turn off the garden light.",
            "Turrom on the garden light.",
            "Did you mean: turn off the garden light, or turn on the garden light?",
        ),
        # the short one acts elsewhere
        (
            "turn on the study light",
            "turn on the garden light",
            "Did you mean: turn on the study light, or turn on the garden light?",
        ),
        # a question against a command ("lock the door" / "is the door locked")
        (
            "turn on the garden light",
            "is the garden light on",
            "Did you mean: turn on the garden light, or is the garden light on?",
        ),
    ],
)
def test_a_first_reading_that_does_something_else_is_asked_back(
    home: tuple[IntentHandler, Sent], heard: str, first_reading: str, question: str
) -> None:
    handler, sent = home
    plan = handler.understand(heard, "sat", first_reading=first_reading)
    assert plan.answer == question
    assert handler.carry_out(plan).publishes == [] and sent == []


@pytest.mark.parametrize(
    "first_reading",
    [
        "Turn on the garden light",  # the same command, written otherwise
        "Turn on the",  # nothing the grammar makes out
        "The garden light.",  # says what, not what to do
    ],
)
def test_a_first_reading_that_agrees_or_does_nothing_is_acted_on(
    home: tuple[IntentHandler, Sent], first_reading: str
) -> None:
    handler, sent = home
    outcome = handler.carry_out(
        handler.understand("turn on the garden light", "sat", first_reading=first_reading)
    )
    assert outcome.publishes and sent == [("home/garden_light/set", "ON")]


def test_a_first_reading_does_not_touch_a_question_of_state(
    home: tuple[IntentHandler, Sent],
) -> None:
    handler, _ = home
    plain = handler.understand("is the garden light on")
    assert handler.understand("turn off the garden light").publishes  # the reading would act
    read = handler.understand("is the garden light on", first_reading="turn off the garden light")
    assert read == plain


def test_a_retried_decode_keeps_what_the_short_window_said(
    engine: WhisperEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = pcm16_to_float(piper_speech("turn off the kitchen light"))
    plain = engine.transcribe_sync(audio, "en")
    assert not plain.retried_full_window and plain.first_reading == ""
    judge = engine._judge
    monkeypatch.setattr(engine, "_judge", lambda *args: (judge(*args)[0], True))
    retried = engine.transcribe_sync(audio, "en")
    assert retried.retried_full_window and retried.window_s == 30
    assert retried.first_reading == plain.text
    assert "off the kitchen light" in retried.text.lower()


async def test_a_run_whose_two_readings_disagree_asks_and_publishes_nothing() -> None:
    stt = FakeStt("turn off the kitchen light")
    stt.first_reading = "turn on the kitchen light"
    published = Published()
    services = fake_services(stt, FakeTts(), published=published)
    request = RunRequest(Step.STT, Step.INTENT, "test", vad=False, device_id="kitchen")
    ran = Run(services, RecordingPeer([b"\0" * 4096] * 4, True, node_id="kitchen"), request)
    await bounded(ran.execute(), 10)
    assert published.messages == []
    assert ran.result.answer is not None
    assert ran.result.answer.text == (
        "Did you mean: turn off the kitchen light, or turn on the kitchen light?"
    )

    stt.first_reading = "turn off the kitchen light."
    await bounded(Run(services, RecordingPeer([b"\0" * 4096] * 4, True), request).execute(), 10)
    assert published.messages == [("zigbee2mqtt/kitchen_light/set", json.dumps({"state": "OFF"}))]
