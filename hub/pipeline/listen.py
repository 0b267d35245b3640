"""Listening: a peer's audio → wake word (for streaming satellites), end of command (VAD) and
a transcript that is mostly decoded before the end is confirmed.

When the speaker pauses for `speculate_after_s`, the audio so far is transcribed at once. If the
pause turns out to be the end of the command, that transcript is the answer and the silence
window cost no decoding time; if speech resumes, it is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from protocol.aio import TaskSet
from protocol.segmenter import Segment, VadSegmenter
from protocol.trigger import WakeHit

from ..engines.errors import EngineError
from ..engines.stt import SttResult
from ..settings import VadSettings
from .services import SpeechToText, VoiceActivity, WakeStream

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")


class OffLoop:
    """Calls into one stateful model off the event loop, one at a time.

    A caller cancelled mid-call does not stop the thread: the model stays in use until it
    returns, so whatever frees or reuses the model goes through `after`.
    """

    def __init__(self) -> None:
        self._future: asyncio.Future[object] | None = None

    async def call(self, function: Callable[[bytes], T], pcm16: bytes) -> T:
        """`function(pcm16)` in a worker thread."""
        future = asyncio.get_running_loop().run_in_executor(None, function, pcm16)
        self._future = future  # type: ignore[assignment]
        future.add_done_callback(_retrieve)
        return await asyncio.shield(future)

    def after(self, release: Callable[[], None]) -> None:
        """Run `release` now, or as soon as the call in flight has returned."""
        future = self._future
        if future is None or future.done():
            release()
        else:
            future.add_done_callback(lambda _done: release())


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark the result of a call nobody waits for any more as seen."""
    if not future.cancelled():
        future.exception()


@dataclass
class _Speculation:
    audio_bytes: int
    task: asyncio.Task[SttResult | EngineError]


class Utterance:
    """One command's audio, its VAD segmentation and its (speculative) transcription.

    Without a VAD (a Wyoming client that ends the audio itself) it only collects the audio.
    """

    def __init__(
        self,
        stt: SpeechToText,
        vad: VoiceActivity | None,
        settings: VadSettings,
        language: str | None,
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
        self._tasks = TaskSet("utterance")
        self._vad_calls = OffLoop()
        self.speculated = False

    async def feed(self, pcm16: bytes) -> list[Segment]:
        """Add 16 kHz mono audio; returns the segments it completed."""
        self.pcm += pcm16
        self._stt.check_length(len(self.pcm))
        vad = self._vad
        if vad is None:
            return []
        probabilities = await self._vad_calls.call(vad.process, pcm16)
        found: list[Segment] = []
        for probability in probabilities:
            found += self.segmenter.update(probability, vad.frame_s)
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
            task = self._tasks.spawn(self._decode(audio), "speculation")
            self._speculation = _Speculation(len(audio), task)

    async def _decode(self, audio: bytes) -> SttResult | EngineError:
        """A speculative decode; its error is returned, to be raised only if it is used."""
        try:
            return await self._stt.transcribe(audio, self._language)
        except EngineError as err:
            return err

    def _drop_speculation(self) -> None:
        if self._speculation is not None:
            self._speculation.task.cancel()  # frees its slot if it has not started
            self._speculation = None

    async def transcript(self) -> SttResult:
        """The transcript of the whole command: the speculative one when it is still valid."""
        speculation, self._speculation = self._speculation, None
        if speculation is not None and self.segmenter.ended is Segment.SPEECH_ENDED:
            self.speculated = True
            result = await speculation.task
            if isinstance(result, EngineError):
                raise result
            return result
        if speculation is not None:
            speculation.task.cancel()
        return await self._stt.transcribe(bytes(self.pcm), self._language)

    async def close(self, release_vad: Callable[[VoiceActivity], None]) -> None:
        """Drop a pending speculation; hand the VAD to `release_vad` once it is free."""
        self._drop_speculation()
        await self._tasks.aclose()
        vad = self._vad
        if vad is not None:
            self._vad_calls.after(lambda: release_vad(vad))

    @property
    def trailing_silence_s(self) -> float:
        """Silence since the last speech the VAD heard (0 without a VAD)."""
        return self.segmenter.trailing_silence_s if self._vad is not None else 0.0


class WakeListener:
    """The hub's wake word detection on a stream's audio."""

    def __init__(self, detector: WakeStream) -> None:
        self._detector = detector
        self._calls = OffLoop()

    async def feed(self, pcm16: bytes) -> list[WakeHit]:
        """The detections this audio completed, best first."""
        hits = await self._calls.call(self._detector.process, pcm16)
        return sorted(hits, key=lambda h: h.score, reverse=True)

    def close(self) -> None:
        """Free the detector (once a call still in flight has returned)."""
        self._calls.after(self._detector.close)
