"""Wake word detection with openWakeWord (the models bundled in pyopen-wakeword).

Each stream gets its own detector (the feature and classifier interpreters hold state); the
trigger rule (`protocol.trigger`) is shared with the satellite.
"""

from __future__ import annotations

import logging
import time

from hub.models import WakeModelFile, builtin_wake_dir
from hub.settings import WakeSettings
from protocol.audio import STT_FORMAT
from protocol.trigger import WakeHit, WakeTrigger

from .errors import WakeError

_LOGGER = logging.getLogger(__name__)


class WakeDetector:
    """Streaming detection of one or more wake words on 16 kHz mono 16-bit audio."""

    def __init__(self, models: list[WakeModelFile], settings: WakeSettings) -> None:
        from pyopen_wakeword import OpenWakeWord, OpenWakeWordFeatures

        self._features = OpenWakeWordFeatures.from_builtin()
        self._models = [(m, OpenWakeWord.from_model(m.path)) for m in models]
        self._triggers = {
            m.name: WakeTrigger(settings.threshold, settings.trigger_level, settings.refractory_s)
            for m in models
        }
        self._samples = 0
        self._pending = b""

    @property
    def names(self) -> list[str]:
        """The wake words this detector listens for."""
        return [m.name for m, _ in self._models]

    def process(self, pcm16: bytes) -> list[WakeHit]:
        """Feed audio; return the detections it completed."""
        data = self._pending + pcm16
        usable = len(data) - len(data) % 2
        self._pending = data[usable:]
        self._samples += usable // 2
        audio_time_s = self._samples / STT_FORMAT.rate_hz
        hits: list[WakeHit] = []
        if not usable:
            return hits  # openWakeWord's streaming buffer breaks on an empty chunk
        for embedding in self._features.process_streaming(data[:usable]):
            for model, classifier in self._models:
                for score in classifier.process_streaming(embedding):
                    if self._triggers[model.name].update(score, audio_time_s):
                        hits.append(
                            WakeHit(
                                model.name, model.phrase, float(score), int(audio_time_s * 1000)
                            )
                        )
        return hits

    def close(self) -> None:
        """Free the interpreters."""
        for _, classifier in self._models:
            classifier.close()
        self._features.close()


class WakeEngine:
    """The configured wake words; hands out a detector per stream."""

    def __init__(self, models: list[WakeModelFile], settings: WakeSettings) -> None:
        self.models = {m.name: m for m in models}
        self.settings = settings

    def load(self) -> float:
        """Check every model loads and runs; returns the seconds it took."""
        if builtin_wake_dir() is None:
            raise RuntimeError("pyopen-wakeword is not installed")
        started = time.perf_counter()
        detector = WakeDetector(list(self.models.values()), self.settings)
        detector.process(bytes(2 * STT_FORMAT.rate_hz))
        detector.close()
        return time.perf_counter() - started

    def check_names(self, names: list[str] | None) -> list[WakeModelFile]:
        """The models for `names` (all configured wake words when None or empty)."""
        if not self.models:
            raise WakeError("no-wake-words", "this hub has no wake words configured")
        if not names:
            return list(self.models.values())
        unknown = [n for n in names if n not in self.models]
        if unknown:
            raise WakeError(
                "unknown-wake-word",
                f"unknown wake word(s) {', '.join(unknown)}; this hub has: "
                f"{', '.join(self.models)}",
            )
        return [self.models[n] for n in dict.fromkeys(names)]

    def detector(self, names: list[str] | None) -> WakeDetector:
        """A fresh detector for `names` (all configured wake words when None or empty)."""
        return WakeDetector(self.check_names(names), self.settings)
