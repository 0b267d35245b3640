"""The wake trigger rule, driven by audio time alone."""

from __future__ import annotations

from protocol.trigger import WakeTrigger


def feed(trigger: WakeTrigger, scores: list[float], step_s: float = 0.08) -> list[int]:
    return [i for i, score in enumerate(scores) if trigger.update(score, i * step_s)]


def test_fires_once_at_the_threshold() -> None:
    assert feed(WakeTrigger(0.5, 1, 2.0), [0.1, 0.49, 0.5, 0.9, 0.9]) == [2]


def test_trigger_level_needs_consecutive_frames() -> None:
    assert feed(WakeTrigger(0.5, 3, 0.0), [0.9, 0.9, 0.1, 0.9, 0.9, 0.9]) == [5]


def test_refractory_period_is_audio_time() -> None:
    scores = [0.9] * 60  # 4.8 s of audio, always above
    fired = feed(WakeTrigger(0.5, 1, 2.0), scores)
    assert fired == [0, 25, 50]  # every 2.0 s of audio (25 frames of 80 ms)
