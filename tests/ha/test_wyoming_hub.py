"""Home Assistant's `wyoming` integration against our hub: the config flow, then each entity
(speech-to-text, text-to-speech, wake word, conversation agent) doing real work through it."""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import AsyncIterator
from typing import Any

import pytest
from homeassistant.components import conversation, stt, tts, wake_word
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component

from tests.ha.helpers import add_wyoming_entry, entity_ids

pytestmark = pytest.mark.usefixtures("socket_enabled")

CHUNK_BYTES = 2048  # 1024 samples of 16 kHz 16-bit mono


async def audio_stream(pcm: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(pcm), CHUNK_BYTES):
        yield pcm[start : start + CHUNK_BYTES]


@pytest.fixture
async def hub_entry(hass: HomeAssistant, hub_port: int) -> AsyncIterator[ConfigEntry]:
    assert await async_setup_component(hass, "homeassistant", {})
    entry = await add_wyoming_entry(hass, hub_port)
    yield entry
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_config_flow_creates_four_entities(
    hass: HomeAssistant, hub_entry: ConfigEntry
) -> None:
    ids = entity_ids(hass, hub_entry)
    assert sorted(ids) == ["conversation", "stt", "tts", "wake_word"], ids
    assert all(len(found) == 1 for found in ids.values()), ids
    assert hub_entry.title
    for (entity_id,) in ids.values():
        assert hass.states.get(entity_id) is not None, entity_id


async def test_stt_transcribes_through_the_hub(
    hass: HomeAssistant, hub_entry: ConfigEntry, speech: dict[str, bytes]
) -> None:
    entity = stt.async_get_speech_to_text_entity(hass, entity_ids(hass, hub_entry)["stt"][0])
    assert entity is not None
    assert "en" in entity.supported_languages or "en_US" in entity.supported_languages
    metadata = stt.SpeechMetadata(
        language="en",
        format=stt.AudioFormats.WAV,
        codec=stt.AudioCodecs.PCM,
        bit_rate=stt.AudioBitRates.BITRATE_16,
        sample_rate=stt.AudioSampleRates.SAMPLERATE_16000,
        channel=stt.AudioChannels.CHANNEL_MONO,
    )
    result = await entity.internal_async_process_audio_stream(
        metadata, audio_stream(speech["command"])
    )
    assert result.result is stt.SpeechResultState.SUCCESS, result
    assert "what time is it" in normalize(result.text or ""), result.text


async def test_tts_gets_audio_from_the_hub(hass: HomeAssistant, hub_entry: ConfigEntry) -> None:
    engine = entity_ids(hass, hub_entry)["tts"][0]
    extension, data = await tts.async_get_media_source_audio(
        hass,
        tts.generate_media_source_id(
            hass,
            "The kitchen light is on.",
            engine,
            language="en_US",
            options={tts.ATTR_PREFERRED_FORMAT: "wav"},
        ),
    )
    assert extension == "wav"
    with wave.open(io.BytesIO(data)) as reader:
        assert reader.getnchannels() == 1
        assert reader.getsampwidth() == 2
        seconds = reader.getnframes() / reader.getframerate()
    assert 0.8 < seconds < 5, seconds


async def test_wake_word_entity_detects(
    hass: HomeAssistant, hub_entry: ConfigEntry, speech: dict[str, bytes]
) -> None:
    entity = wake_word.async_get_wake_word_detection_entity(
        hass, entity_ids(hass, hub_entry)["wake_word"][0]
    )
    assert entity is not None
    words = await entity.get_supported_wake_words()
    assert "hey_jarvis" in {w.id for w in words}, words

    async def timestamped() -> AsyncIterator[tuple[bytes, int]]:
        """The clip, then up to 5 s of silence, at twice real time, as a mic would stream."""
        timestamp_ms = 0
        async for chunk in audio_stream(speech["wake"] + bytes(5 * 32000)):
            yield chunk, timestamp_ms
            timestamp_ms += len(chunk) // 32
            await asyncio.sleep(len(chunk) / 32000 / 2)

    result = await entity.async_process_audio_stream(timestamped(), "hey_jarvis")
    assert result is not None, "no detection"
    assert result.wake_word_id == "hey_jarvis"


async def test_conversation_agent_answers_through_handle(
    hass: HomeAssistant, hub_entry: ConfigEntry
) -> None:
    agent_id = entity_ids(hass, hub_entry)["conversation"][0]
    result = await conversation.async_converse(
        hass, "What time is it?", None, Context(), language="en", agent_id=agent_id
    )
    response: Any = result.response
    assert response.response_type is not conversation_error_type(), response.as_dict()
    speech = response.speech["plain"]["speech"]
    assert any(ch.isdigit() for ch in speech), speech


def conversation_error_type() -> Any:
    from homeassistant.helpers import intent

    return intent.IntentResponseType.ERROR


def normalize(text: str) -> str:
    return " ".join("".join(c if c.isalnum() or c == " " else " " for c in text.lower()).split())
