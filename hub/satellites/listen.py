"""Listening on the hub: a satellite's audio → wake word (for streaming satellites), end of
command (VAD) and a transcript that is mostly decoded before the end is confirmed.

When the speaker pauses for `speculate_after_s`, the audio so far is transcribed at once. If the
pause turns out to be the end of the command, that transcript is the answer and the silence
window cost no decoding time; if speech resumes, it is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from protocol.segmenter import Segment, VadSegmenter
from protocol.trigger import WakeHit

from ..engines.stt import SttResult, WhisperEngine
from ..engines.vad import SileroVad
from ..engines.wake import WakeDetector
from ..settings import VadSettings

_LOGGER = logging.getLogger(__name__)


@dataclass
class _Speculation:
    audio_bytes: int
    task: asyncio.Task[SttResult]


class Utterance:
    """One command's audio, its VAD segmentation and its (speculative) transcription."""

    def __init__(
        self, stt: WhisperEngine, vad: SileroVad, settings: VadSettings, language: str | None
    ) -> None:
        self._stt = stt
        self._vad = vad
        self._settings = settings
        self._language = language
        self.pcm = bytearray()
        self.segmenter = VadSegmenter(
            settings.threshold,
            settings.min_speech_s,
            settings.silence_s,
            settings.no_speech_timeout_s,
            settings.max_command_s,
        )
        self._speculation: _Speculation | None = None
        self.speculated = False

    async def feed(self, pcm16: bytes) -> list[Segment]:
        """Add 16 kHz mono audio; returns the segments it completed."""
        self.pcm += pcm16
        self._stt.check_length(len(self.pcm))
        probabilities = await asyncio.to_thread(self._vad.process, pcm16)
        found: list[Segment] = []
        for probability in probabilities:
            found += self.segmenter.update(probability, self._vad.frame_s)
            self._maybe_speculate()
        return found

    def _maybe_speculate(self) -> None:
        settings = self._settings
        if self.segmenter.ended is not None or settings.speculate_after_s >= settings.silence_s:
            return
        pause_s = self.segmenter.trailing_silence_s
        if pause_s == 0.0:
            self._drop_speculation()  # speech again (or not yet): what was decoded is stale
        elif pause_s >= settings.speculate_after_s and self._speculation is None:
            audio = bytes(self.pcm)
            task = asyncio.create_task(self._stt.transcribe(audio, self._language))
            self._speculation = _Speculation(len(audio), task)

    def _drop_speculation(self) -> None:
        if self._speculation is not None:
            self._speculation.task.cancel()  # frees its slot if it has not started
            self._speculation.task.add_done_callback(_swallow)
            self._speculation = None

    async def transcript(self) -> SttResult:
        """The transcript of the whole command: the speculative one when it is still valid."""
        speculation, self._speculation = self._speculation, None
        if speculation is not None and self.segmenter.ended is Segment.SPEECH_ENDED:
            self.speculated = True
            return await speculation.task
        if speculation is not None:
            speculation.task.cancel()
            speculation.task.add_done_callback(_swallow)
        return await self._stt.transcribe(bytes(self.pcm), self._language)

    def close(self) -> None:
        """Drop a pending speculation."""
        self._drop_speculation()


def _swallow(task: asyncio.Task[SttResult]) -> None:
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()


class WakeListener:
    """The hub's wake word detection on a streaming satellite's audio."""

    def __init__(self, detector: WakeDetector) -> None:
        self._detector = detector

    async def feed(self, pcm16: bytes) -> WakeHit | None:
        """The first detection this audio completed, if any."""
        hits = await asyncio.to_thread(self._detector.process, pcm16)
        return max(hits, key=lambda h: h.score) if hits else None

    def close(self) -> None:
        """Free the detector."""
        self._detector.close()
