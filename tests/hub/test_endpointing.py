"""Semantic end-pointing in-process: the speculative transcript decides how long a pause must be
to end the command, and a complete command's answer is rendered while the end is confirmed.

Fake engines (`testing/fakes.py`): 64 ms chunks, a VAD on 32 ms frames, an STT that hears what
the test says for so much audio, a TTS whose renders take `delay_s`; the real grammar on the
fake home."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from hub.engines.tts import LoadedVoice
from hub.pipeline.listen import Ending, Utterance, ending_of
from hub.pipeline.request import RunRequest, Step, WakeUp
from hub.pipeline.run import Run
from protocol.aio import bounded
from protocol.run_events import PipelineEvent, SttEnd, VoiceStopped
from testing.fakes import (
    CHUNK_SAMPLES,
    SPEECH_LEVEL,
    FakeStt,
    FakeTts,
    FakeVad,
    Published,
    RecordingPeer,
    chunk,
    fake_services,
)

KITCHEN_ON = ("zigbee2mqtt/kitchen_light/set", json.dumps({"state": "ON"}))
COFFEE_ON = ("tasmota_A1/cmnd/POWER", "ON")
CHUNK_BYTES = 2 * CHUNK_SAMPLES
CHUNK_MS = 64


class SpyTts(FakeTts):
    """FakeTts that also notes when each render began and which ones were cancelled."""

    def __init__(self, delay_s: float = 0.0) -> None:
        super().__init__(delay_s)
        self.began: list[tuple[str, float]] = []
        self.cancelled: list[str] = []

    async def render(self, voice: LoadedVoice, text: str, first: bool = True) -> bytes:
        self.began.append((text, time.monotonic()))
        try:
            return await super().render(voice, text, first)
        except asyncio.CancelledError:
            self.cancelled.append(text)
            raise


def speech(chunks: int) -> list[bytes]:
    return [chunk(SPEECH_LEVEL)] * chunks


def quiet(chunks: int) -> list[bytes]:
    return [chunk()] * chunks


def hears(*parts: tuple[int, str]) -> Callable[[int], str]:
    """The STT's transcript by audio length: the first (chunks, text) that covers it."""

    def heard(byte_count: int) -> str:
        return next(text for chunks, text in parts if byte_count <= chunks * CHUNK_BYTES)

    return heard


async def run_command(
    audio: list[bytes],
    stt: FakeStt,
    tts: FakeTts,
    chunk_delay_s: float = 0.005,
    end_audio: bool = True,
) -> tuple[Run, RecordingPeer, Published, dict[str, float]]:
    """One satellite run (stt → tts) of `audio`; also when (monotonic s) each event came."""
    published = Published()
    services = fake_services(stt, tts, published=published)
    services.vad_settings = replace(services.vad_settings, complete_silence_s=0.12)
    peer = RecordingPeer(audio, end_audio, node_id="kitchen", chunk_delay_s=chunk_delay_s)
    seen: dict[str, float] = {}

    def note(event: PipelineEvent) -> None:
        seen.setdefault(event.stage.wire, time.monotonic())

    peer.on_event = note
    request = RunRequest(
        Step.STT,
        Step.TTS,
        "wake",
        wake=WakeUp("hey_jarvis", "Hey Jarvis", 0.9),
        satellite="Kitchen",
        device_id="kitchen",
        played_timeout_s=1.0,
    )
    ran = Run(services, peer, request)
    await bounded(ran.execute(), 10)
    return ran, peer, published, seen


def answer_bytes(text: str) -> int:
    """The fake TTS's audio for `text`: 10 ms per character at 22050 Hz, 16-bit."""
    return 2 * (22050 * len(text) // 100)


def one(peer: RecordingPeer, kind: type[PipelineEvent]) -> PipelineEvent:
    found = [e for e in peer.events if isinstance(e, kind)]
    assert len(found) == 1, [e.stage.wire for e in peer.events]
    return found[0]


@pytest.mark.parametrize(
    ("text", "complete", "ending"),
    [
        ("Turn the coffee machine on.", True, Ending.COMPLETE),  # the grammar decides first
        ("Turn the garage light on.", False, Ending.UNFINISHED),  # not one: a trailing "on"
        ("Turn on the", False, Ending.UNFINISHED),
        ("Turn on the kitchen light and", False, Ending.UNFINISHED),
        ("Set the thermostat to 22", False, Ending.UNFINISHED),  # a device command, not taken
        ("Could you close the garage.", False, Ending.UNFINISHED),
        ("What's the weather like today?", False, Ending.OPEN),
        ("", False, Ending.OPEN),
    ],
)
def test_how_a_transcript_ends(text: str, complete: bool, ending: Ending) -> None:
    assert ending_of(text, complete) is ending


async def test_an_unfinished_sentence_with_a_pause_is_not_cut() -> None:
    # "Turn on the ... kitchen light": a 384 ms pause, longer than the 300 ms window
    audio = speech(8) + quiet(6) + speech(6) + quiet(12)
    stt = FakeStt()
    stt.text_for = hears((14, "Turn on the"), (40, "Turn on the kitchen light."))
    ran, peer, published, _seen = await run_command(audio, stt, FakeTts())

    assert ran.result.outcome == "ok"
    assert ran.result.transcript == "Turn on the kitchen light."
    assert published.messages == [KITCHEN_ON]
    stt_end = one(peer, SttEnd)
    assert isinstance(stt_end, SttEnd) and stt_end.ending == "complete" and stt_end.speculative
    assert [e.stage.wire for e in peer.events].count("voice-started") == 1


async def test_a_complete_command_ends_after_the_short_silence() -> None:
    audio = speech(8) + quiet(12)
    stt = FakeStt("Turn on the kitchen light.")
    tts = SpyTts(delay_s=0.1)
    ran, peer, published, seen = await run_command(audio, stt, tts, chunk_delay_s=0.064)

    assert ran.result.outcome == "ok" and published.messages == [KITCHEN_ON]
    stopped = one(peer, VoiceStopped)
    assert isinstance(stopped, VoiceStopped) and stopped.audio_ms is not None
    speech_ms = 8 * CHUNK_MS
    assert speech_ms + 120 <= stopped.audio_ms < speech_ms + 300  # not the 300 ms window
    stt_end = one(peer, SttEnd)
    assert isinstance(stt_end, SttEnd) and stt_end.ending == "complete"
    assert stt_end.silence_ms is not None and 120 <= stt_end.silence_ms < 200
    # the answer was rendered once, begun in the silence window, before the end was confirmed
    assert tts.rendered == ["Turned on the Kitchen light."] and not tts.cancelled
    assert tts.began[0][1] < seen["voice-stopped"]
    assert sum(map(len, peer.audio_out)) == answer_bytes(tts.rendered[0])


async def test_a_dropped_speculative_transcript_never_publishes_or_speaks() -> None:
    # "Turn on the kitchen light" and a pause, then speech again: the speculative transcript
    # is a complete command, but speech resumed before the short silence was over
    audio = speech(8) + quiet(1) + speech(6) + quiet(12)
    stt = FakeStt()
    stt.text_for = hears((9, "Turn on the kitchen light."), (40, "Switch on the coffee machine."))
    tts = SpyTts(delay_s=0.2)
    ran, peer, published, _seen = await run_command(audio, stt, tts, chunk_delay_s=0.02)

    assert ran.result.outcome == "ok"
    assert published.messages == [COFFEE_ON]  # never the kitchen light
    assert [e.stage.wire for e in peer.events].count("action") == 1
    assert tts.cancelled == ["Turned on the Kitchen light."]  # its rendering was cancelled
    assert tts.rendered == ["Turned on the Coffee machine."]  # and only this was said
    assert sum(map(len, peer.audio_out)) == answer_bytes(tts.rendered[0])
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert not others  # nothing left running


async def test_a_decode_back_after_the_audio_ends_the_command_at_once() -> None:
    # the peer goes quiet (no more chunks) while the decode runs: its coming back ends it
    audio = speech(8) + quiet(4)
    stt = FakeStt("Turn on the kitchen light.", delay_s=0.05)
    ran, peer, published, _seen = await run_command(audio, stt, FakeTts(), end_audio=False)

    assert ran.result.outcome == "ok" and published.messages == [KITCHEN_ON]
    stopped = one(peer, VoiceStopped)
    assert isinstance(stopped, VoiceStopped) and stopped.reason == "speech-ended"


class LaggingVad(FakeVad):
    """Says speech for two more frames after the sound stops, as Silero does."""

    def __init__(self) -> None:
        super().__init__()
        self._left = 0

    def process(self, pcm16: bytes) -> list[float]:
        found: list[float] = []
        for probability in super().process(pcm16):
            self._left = 3 if probability else max(0, self._left - 1)
            found.append(1.0 if probability or self._left else 0.0)
        return found


async def test_where_speech_stopped_is_the_sound_not_the_vad() -> None:
    services = fake_services(FakeStt())
    utterance = Utterance(FakeStt(), LaggingVad(), services.vad_settings, "en")
    for pcm in speech(4) + quiet(2):
        await utterance.feed(pcm)
    try:
        assert utterance.trailing_silence_s == pytest.approx(0.064)  # the VAD: 2 frames late
        # the sound stopped with the fourth chunk (placed to the 10 ms block it is in)
        assert utterance.stopped_s == pytest.approx(0.256, abs=0.01)
        assert utterance.silence_since_stop_s == pytest.approx(0.128, abs=0.01)
    finally:
        await utterance.close(lambda _vad: None)
