"""The wake trigger rule shared by hub and satellite: plain code driven by audio time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WakeHit:
    """One detection: which model, its score, and when in the stream (ms of audio)."""

    name: str
    phrase: str
    score: float
    timestamp_ms: int


class WakeTrigger:
    """Fires after `trigger_level` consecutive scores at or above `threshold`, then stays
    quiet for `refractory_s` of audio time."""

    def __init__(self, threshold: float, trigger_level: int, refractory_s: float) -> None:
        self.threshold = threshold
        self.trigger_level = trigger_level
        self.refractory_s = refractory_s
        self._run = 0
        self._quiet_until_s = -1.0

    def update(self, score: float, audio_time_s: float) -> bool:
        """Feed one score; True when this score completes a detection."""
        if audio_time_s < self._quiet_until_s:
            self._run = 0
            return False
        self._run = self._run + 1 if score >= self.threshold else 0
        if self._run < self.trigger_level:
            return False
        self._run = 0
        self._quiet_until_s = audio_time_s + self.refractory_s
        return True
