"""The real wake word models and VADs on real speech, and model lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol.segmenter import Segment, VadSegmenter
from satellite.settings import VadEngineName, VadSettings, WakeEngineName, WakeSettings
from satellite.vad import speech_detector
from satellite.wake import (
    WakeDetector,
    WakeHit,
    WakeModelNotFound,
    resolve_wake_model,
    wake_detector,
)
from testing.audio import piper_speech, silence

CHUNK = 2048  # 64 ms, as the mic delivers it


@pytest.fixture(scope="module")
def wake_clip() -> bytes:
    return silence(0.5) + piper_speech("Hey Jarvis.") + silence(1.0)


@pytest.fixture(scope="module")
def other_speech() -> bytes:
    return silence(0.5) + piper_speech("Turn on the kitchen light, please.") + silence(1.0)


def feed(detector: WakeDetector, audio: bytes) -> list[WakeHit]:
    chunks = [audio[i : i + CHUNK] for i in range(0, len(audio), CHUNK)]
    return [hit for chunk in chunks for hit in detector.process(chunk)]


@pytest.mark.parametrize("engine", list(WakeEngineName))
def test_hey_jarvis_is_heard_once_and_other_speech_not(
    engine: WakeEngineName, wake_clip: bytes, other_speech: bytes
) -> None:
    detector = wake_detector(WakeSettings(words=("hey_jarvis", "alexa"), engine=engine))
    assert detector is not None
    try:
        hits = feed(detector, wake_clip + wake_clip[: len(wake_clip) // 4])
        assert [h.name for h in hits] == ["hey_jarvis"]
        assert hits[0].phrase == "Hey Jarvis" and hits[0].score > 0.5
        assert 800 <= hits[0].timestamp_ms <= 2000  # the wake word ends ~1.3 s in
        assert feed(detector, other_speech) == []
    finally:
        detector.close()


def test_refractory_period_keeps_one_utterance_one_detection(wake_clip: bytes) -> None:
    settings = WakeSettings(words=("hey_jarvis",), refractory_s=30.0)
    detector = wake_detector(settings)
    assert detector is not None
    assert len(feed(detector, wake_clip * 3)) == 1  # three utterances within 30 s of audio


def test_wake_model_lookup(tmp_path: Path) -> None:
    jarvis = resolve_wake_model("hey_jarvis", WakeEngineName.OPENWAKEWORD)
    assert jarvis.path.is_file() and jarvis.phrase == "Hey Jarvis"
    micro = resolve_wake_model("okay_nabu", WakeEngineName.MICROWAKEWORD)
    assert micro.phrase == "Okay Nabu" and micro.path.suffix == ".json"
    (tmp_path / "hey_kitchen.tflite").symlink_to(jarvis.path)
    mine = resolve_wake_model("hey_kitchen", WakeEngineName.OPENWAKEWORD, (tmp_path,))
    assert mine.path.parent == tmp_path and mine.phrase == "Hey Kitchen"
    by_path = resolve_wake_model(str(tmp_path / "hey_kitchen.tflite"), WakeEngineName.OPENWAKEWORD)
    assert by_path.name == "hey_kitchen"
    with pytest.raises(WakeModelNotFound, match=r"hey_jarvis.*okay_nabu"):
        resolve_wake_model("hey_toaster", WakeEngineName.OPENWAKEWORD, (tmp_path,))
    with pytest.raises(WakeModelNotFound, match="hey_rhasspy"):  # not a microWakeWord model
        resolve_wake_model("hey_rhasspy", WakeEngineName.MICROWAKEWORD)


@pytest.mark.parametrize("engine", list(VadEngineName))
def test_vad_ends_a_spoken_command_soon_after_it_ends(engine: VadEngineName) -> None:
    speech = piper_speech("Turn on the kitchen light.")
    audio = silence(0.3) + speech + silence(3.0)
    settings = VadSettings(engine=engine)
    detector = speech_detector(settings)
    vad = VadSegmenter(settings.threshold, settings.min_speech_s, 0.6, 5.0, 15.0)
    seen: list[tuple[Segment, float]] = []
    for i in range(0, len(audio), CHUNK):
        for probability, frame_s in detector.process(audio[i : i + CHUNK]):
            seen += [(s, vad.elapsed_s) for s in vad.update(probability, frame_s)]
    assert [s for s, _ in seen] == [Segment.SPEECH_STARTED, Segment.SPEECH_ENDED]
    speech_end_s = (len(silence(0.3)) + len(speech)) / 32000
    assert 0.3 <= seen[0][1] <= speech_end_s - 0.5  # microVAD is slower to call it speech
    lag_s = 1.0 if engine is VadEngineName.SILERO else 1.3  # microVAD holds on ~0.5 s longer
    assert speech_end_s + 0.3 <= seen[1][1] <= speech_end_s + lag_s
