"""The real hub as a subprocess, driven by a Wyoming client as Home Assistant drives it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np
import pytest
import soxr

from hub.intents.handler import NOT_UNDERSTOOD
from protocol.aio import bounded
from protocol.audio import float_to_pcm16, pcm16_to_float
from testing import client
from testing.audio import espeak_speech, piper_speech, silence
from tests.conftest import normalize

HOST = "127.0.0.1"


async def test_describe_lists_every_service(hub_port: int) -> None:
    info = await client.describe(HOST, hub_port)
    assert [m.name for m in info.asr[0].models] == ["tiny.en"]
    assert info.asr[0].models[0].languages == ["en"]
    assert info.asr[0].supports_transcript_streaming is True
    assert info.asr[0].version and info.asr[0].installed
    assert [v.name for v in info.tts[0].voices] == ["en_US-joe-medium"]
    assert info.tts[0].voices[0].languages == ["en_US"]
    assert info.tts[0].supports_synthesize_streaming is True
    wake = {m.name: m.phrase for m in info.wake[0].models}
    assert wake["hey_jarvis"] == "Hey Jarvis"
    assert set(wake) == {"hey_jarvis", "okay_nabu", "alexa", "hey_mycroft", "hey_rhasspy"}
    assert info.handle[0].installed and info.handle[0].models[0].languages == ["en"]
    assert info.handle[0].supports_handled_streaming is True
    assert info.satellite is None  # HA must create stt/tts/wake/conversation entities


@pytest.mark.parametrize(
    ("speak", "text"),
    [
        (piper_speech, "Turn on the kitchen light."),
        (piper_speech, "What time is it?"),
        (espeak_speech, "Open the garage door."),
        (espeak_speech, "Turn off the bedroom lamp."),
    ],
)
async def test_transcribes_real_speech(
    hub_port: int, speak: Callable[[str], bytes], text: str
) -> None:
    pcm = silence(0.3) + speak(text) + silence(0.5)
    result = await client.transcribe(HOST, hub_port, pcm)
    assert normalize(result.text) == normalize(text)


async def test_converts_44k_stereo_on_arrival(hub_port: int) -> None:
    mono = pcm16_to_float(silence(0.3, 44100) + piper_speech("What time is it?", 44100))
    stereo = float_to_pcm16(np.repeat(mono, 2))
    result = await client.transcribe(HOST, hub_port, stereo, rate_hz=44100, channels=2)
    assert normalize(result.text) == "what time is it"


async def test_converts_8k_paced_stream(hub_port: int) -> None:
    pcm = piper_speech("Turn off the bedroom lamp.", 8000) + silence(0.3, 8000)
    result = await client.transcribe(HOST, hub_port, pcm, rate_hz=8000, pace=True)
    assert normalize(result.text) == "turn off the bedroom lamp"


async def test_synthesizes_at_the_voice_rate_with_plausible_length(hub_port: int) -> None:
    text = "The kitchen light is on and the front door is locked."
    result = await client.synthesize(HOST, hub_port, text, voice="en_US-joe-medium")
    assert (result.rate_hz, result.width, result.channels) == (22050, 2, 1)
    assert 2.0 < result.seconds < 6.0  # about 15 characters per second of speech
    assert np.sqrt(np.mean(pcm16_to_float(result.pcm) ** 2)) > 0.02  # not silence
    back = await client.transcribe(
        HOST, hub_port, float_to_pcm16(soxr.resample(pcm16_to_float(result.pcm), 22050, 16000))
    )
    assert "kitchen light" in normalize(back.text)


async def test_streaming_synthesis_as_home_assistant_sends_it(hub_port: int) -> None:
    words = "Sure. The kitchen light is on, and the garage door is closed for the night.".split()
    result = await client.synthesize_streaming(HOST, hub_port, [w + " " for w in words])
    assert result.rate_hz == 22050
    assert 3.0 < result.seconds < 9.0


async def test_streaming_synthesis_events_in_order(hub_port: int) -> None:
    from wyoming.client import AsyncTcpClient
    from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop

    async with AsyncTcpClient(HOST, hub_port) as tcp:
        await tcp.write_event(SynthesizeStart().event())
        for fragment in ("Hello there. ", "The light ", "is on."):
            await tcp.write_event(SynthesizeChunk(text=fragment).event())
        await tcp.write_event(Synthesize(text="Hello there. The light is on.").event())
        await tcp.write_event(SynthesizeStop().event())
        types: list[str] = []
        while not types or types[-1] != "synthesize-stopped":
            event = await bounded(tcp.read_event(), 30)
            assert event is not None
            types.append(event.type)
    assert types[0] == "audio-start" and types.count("audio-start") == 1
    assert types[-2:] == ["audio-stop", "synthesize-stopped"]
    assert types.count("audio-chunk") > 10


async def test_unknown_voice_is_an_error(hub_port: int) -> None:
    with pytest.raises(client.ServerError) as caught:
        await client.synthesize(HOST, hub_port, "Hello.", voice="en_GB-nobody-low")
    assert caught.value.code == "unknown-voice"
    assert "en_US-joe-medium" in caught.value.text


async def test_detects_hey_jarvis_and_nothing_in_other_speech(hub_port: int) -> None:
    wake = silence(0.5) + piper_speech("Hey Jarvis.") + silence(1.0)
    detection = await client.detect(HOST, hub_port, wake, names=["hey_jarvis"], send_stop=False)
    assert detection is not None and detection.name == "hey_jarvis"
    assert detection.timestamp is not None and 500 <= detection.timestamp <= 3000

    other = silence(0.5) + piper_speech("Turn on the kitchen light, please.") + silence(1.0)
    assert await client.detect(HOST, hub_port, other, names=["hey_jarvis"]) is None
    assert await client.detect(HOST, hub_port, other) is None  # all wake words


async def test_four_transcriptions_at_once(hub_port: int) -> None:
    texts = [
        "Turn on the kitchen light.",
        "What time is it?",
        "Open the garage door.",
        "Set a timer for 5 minutes.",
    ]
    clips = [silence(0.3) + piper_speech(t) + silence(0.5) for t in texts]
    results = await asyncio.gather(
        *(client.transcribe(HOST, hub_port, clip, pace=True) for clip in clips)
    )
    assert [normalize(r.text) for r in results] == [normalize(t) for t in texts]


async def test_handle_without_a_home(hub_port: int) -> None:
    handled, text = await client.handle(HOST, hub_port, "What time is it?")
    assert handled and text.startswith("It's ")
    handled, text = await client.handle(HOST, hub_port, "turn on the kitchen light")
    assert not handled  # no MQTT here, so no kitchen light, and no LLM to ask
    assert text == NOT_UNDERSTOOD  # the same answer a satellite gets
