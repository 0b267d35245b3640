"""The home's names as Whisper's prompt (stt.vocabulary_prompt): asked for at every decode,
and heard in the transcript, not copied into it."""

from __future__ import annotations

from hub.engines.stt import WhisperEngine
from hub.intents.handler import IntentHandler
from hub.models import resolve_stt_model
from hub.settings import Device, SttSettings
from protocol.audio import pcm16_to_float
from testing.audio import piper_speech
from testing.sound_alike_home import sound_alike_home


def test_the_prompt_lists_the_homes_names_and_follows_it() -> None:
    registry = sound_alike_home()
    handler = IntentHandler(registry, lambda _t, _p: True)
    prompt = handler.vocabulary_prompt()
    assert "Ecobee thermostat" in prompt and "Study light" in prompt and "Hallway" in prompt
    # one name a sentence: a comma list makes Whisper run a command on into the next words
    assert "Study light. " in prompt and prompt.endswith(".") and "," not in prompt
    registry.apply_config("homeassistant/climate/ecobee/config", "")
    assert "Ecobee" not in handler.vocabulary_prompt()


def test_whisper_hears_the_names_it_is_told() -> None:
    engine = WhisperEngine(resolve_stt_model("tiny.en", []), "tiny.en", SttSettings(), Device.CPU)
    engine.load()
    audio = pcm16_to_float(piper_speech("set the ecobee thermostat to 21 degrees"))
    plain = engine.transcribe_sync(audio, "en").text
    asked: list[str] = []

    def hint() -> str:
        asked.append("asked")
        return IntentHandler(sound_alike_home(), lambda _t, _p: True).vocabulary_prompt()

    engine.hint = hint
    prompted = engine.transcribe_sync(audio, "en").text
    assert asked
    assert "ecobee" not in plain.lower()  # tiny.en alone writes "echo be"
    assert "ecobee thermostat to 21 degrees" in prompted.lower()
    assert "study" not in prompted.lower()  # the prompt is not copied into the transcript
