"""Listening: a peer's audio → wake word (for streaming satellites), end of command (VAD) and
a transcript that is mostly decoded before the end is confirmed.

When the speaker pauses for `speculate_after_s` (by the VAD), the audio so far is transcribed at
once, and the transcript says how long this pause must last to be the end (semantic
end-pointing):

- a complete command of the grammar (`understand(text).complete`): `complete_silence_s` after
  the sound stopped (the VAD's end placed by the audio's level: Silero stays above its
  threshold for about two 32 ms frames after the last sound), and never before the decode is
  back; the run is told (`on_plan`), so it can render the answer meanwhile;
- a sentence that looks unfinished ("turn on the", a trailing "and", or a device command the
  grammar does not take yet): up to `unfinished_silence_s`;
- anything else (a question for the LLM, no words, a failed decode): the VAD's `silence_s`.

If the pause was the end, that transcript is the answer and the silence window cost no
decoding time; if speech resumes, it is dropped (`on_drop`) with whatever was made of it.
Two VAD frames of pause (`speculate_after_s` 0.06) before decoding: a soft last sound that
Silero already calls silence (the "t" of "locked") is then in the audio; after one, it is not.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import numpy as np

from protocol.aio import TaskSet
from protocol.audio import STT_FORMAT
from protocol.clock import Instant, now
from protocol.segmenter import Segment, VadSegmenter
from protocol.trigger import WakeHit

from ..engines.errors import EngineError
from ..engines.stt import SttResult
from ..intents.handler import Plan
from ..settings import VadSettings
from .services import SpeechToText, VoiceActivity, WakeStream

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

# A sentence that ends in one of these is not over (English, as the grammar): articles,
# determiners, prepositions, conjunctions, fillers. "On" and "off" end whole commands too
# ("turn the light on"): the grammar's completeness is asked first.
FUNCTION_WORDS = frozenset(
    """a an the this that these those my your our their his her its some any all every each
    and or but nor then so if than to of in on at for with from into onto by about off up down
    over under um uh er erm hmm""".split()
)
# A sentence that begins with one of these (after "please", "could you") is a device command:
# one the grammar does not take is not over yet ("set the thermostat ... to 20").
COMMAND_VERBS = frozenset(
    """turn switch set dim change make activate open raise close shut lower lock unlock start
    add increase extend decrease reduce shorten remove pause resume""".split()
)
COURTESY = frozenset("please can could would will you hey ok okay".split())
_WORD = re.compile(r"[a-z0-9']+")
LEVEL_BLOCK_S = 0.01  # the audio's level is kept per 10 ms
QUIET_DB = 30.0  # this far below the loudest block of the command is no sound
HANGOVER_S = 0.096  # the sound stopped at most three VAD frames before (or after) the VAD's end


class Ending(StrEnum):
    """What a speculative transcript says about the pause it was decoded in."""

    COMPLETE = "complete"  # a whole command: a short pause ends it
    UNFINISHED = "unfinished"  # more is coming: wait up to unfinished_silence_s
    OPEN = "open"  # anything else: the VAD's silence_s


def ending_of(text: str, complete: bool) -> Ending:
    """How `text` ends: the grammar's word (`complete`) first, then its words."""
    if complete:
        return Ending.COMPLETE
    words = _WORD.findall(text.lower())
    if not words:
        return Ending.OPEN
    if words[-1] in FUNCTION_WORDS:
        return Ending.UNFINISHED
    first = next((word for word in words if word not in COURTESY), "")
    return Ending.UNFINISHED if first in COMMAND_VERBS else Ending.OPEN


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
class Guess:
    """A speculative transcript of the command so far, decoded in a pause, and what it says
    about that pause; dropped when speech resumes."""

    audio_bytes: int
    task: asyncio.Task[None] | None = None
    result: SttResult | EngineError | None = None
    plan: Plan | None = None  # the grammar's plan, when the transcript is a complete command
    ending: Ending | None = None  # None while it decodes


class Loudness:
    """The level of a command's audio per 10 ms block (RMS), and its loudest block."""

    def __init__(self) -> None:
        self._block = round(LEVEL_BLOCK_S * STT_FORMAT.rate_hz) * STT_FORMAT.frame_bytes
        self._pending = b""
        self._levels: list[float] = []
        self.peak = 0.0

    def add(self, pcm16: bytes) -> None:
        """More audio (16 kHz mono 16-bit)."""
        data = self._pending + pcm16
        whole = len(data) - len(data) % self._block
        self._pending = data[whole:]
        if not whole:
            return
        samples = np.frombuffer(data[:whole], dtype=np.int16).astype(np.float32)
        levels = np.sqrt(np.mean(np.square(samples.reshape(-1, self._block // 2)), axis=1))
        self._levels += levels.tolist()
        self.peak = max(self.peak, float(levels.max()))

    def last_sound_s(self, start_s: float, end_s: float) -> float | None:
        """Where the last sound between `start_s` and `end_s` (audio time) ends: the end of the
        last block less than QUIET_DB below the loudest; None when all of it is quiet."""
        quiet = self.peak * 10 ** (-QUIET_DB / 20)
        first = max(0, int(start_s / LEVEL_BLOCK_S))
        for index in range(min(len(self._levels), int(end_s / LEVEL_BLOCK_S)) - 1, first - 1, -1):
            if self._levels[index] >= quiet:
                return (index + 1) * LEVEL_BLOCK_S
        return None


class Utterance:
    """One command's audio, its VAD segmentation and its (speculative) transcription.

    Without a VAD (a Wyoming client that ends the audio itself) it only collects the audio.
    With `understand` (the grammar's planner, given the transcript and the result it is
    the text of: its doubts and other readings) the pause that ends the command is read from
    the speculative transcript; the command may then end between two chunks, when a decode
    comes back: `decided` is set. `on_plan` hears of a complete command's plan as soon as it is
    made, `on_drop` when that guess is dropped (speech resumed, or it was not used).
    """

    def __init__(
        self,
        stt: SpeechToText,
        vad: VoiceActivity | None,
        settings: VadSettings,
        language: str | None,
        understand: Callable[[str, SttResult], Plan] | None = None,
        on_plan: Callable[[Guess], None] | None = None,
        on_drop: Callable[[Guess], None] | None = None,
    ) -> None:
        self._stt = stt
        self._vad = vad
        self._settings = settings
        self._language = language
        self._understand = understand
        self._on_plan = on_plan
        self._on_drop = on_drop
        self._speculating = settings.speculate_after_s < settings.silence_s
        self._semantic = understand is not None and self._speculating
        self.pcm = bytearray()
        self.segmenter = VadSegmenter(
            settings.threshold,
            settings.min_speech_s,
            settings.unfinished_silence_s if self._semantic else settings.silence_s,
            settings.no_speech_timeout_s,
            settings.max_command_s,
        )
        self._guess: Guess | None = None
        self._tasks = TaskSet("utterance")
        self._vad_calls = OffLoop()
        self._loudness = Loudness()
        self.decided = asyncio.Event()  # the end was read when a decode came back
        self.last_audio_at: Instant | None = None
        self.speculated = False
        self.used: Guess | None = None  # the speculative transcript that became the transcript

    async def feed(self, pcm16: bytes) -> list[Segment]:
        """Add 16 kHz mono audio; returns the segments it completed."""
        self.pcm += pcm16
        self._stt.check_length(len(self.pcm))
        self.last_audio_at = now()
        vad = self._vad
        if vad is None:
            return []
        self._loudness.add(pcm16)
        probabilities = await self._vad_calls.call(vad.process, pcm16)
        found: list[Segment] = []
        for probability in probabilities:
            found += self.segmenter.update(probability, vad.frame_s)
            self._maybe_speculate()
            found += self._end_by_guess()
        return found

    def _maybe_speculate(self) -> None:
        if self.segmenter.ended is not None or not self._speculating:
            return
        pause_s = self.segmenter.trailing_silence_s
        if pause_s == 0.0:
            self._drop_guess()  # speech again (or not yet): what was decoded is stale
        elif pause_s >= self._settings.speculate_after_s and self._guess is None:
            audio = bytes(self.pcm)
            guess = self._guess = Guess(len(audio))
            guess.task = self._tasks.spawn(self._speculate(guess, audio), "speculation")

    async def _speculate(self, guess: Guess, audio: bytes) -> None:
        """Decode `audio`, then read the transcript for the end (and plan it)."""
        result = guess.result = await self._decode(audio)
        text = result.text.strip() if isinstance(result, SttResult) else ""
        plan = self._plan(text, result) if text and isinstance(result, SttResult) else None
        guess.plan = plan if plan is not None and plan.complete else None
        guess.ending = ending_of(text, guess.plan is not None)
        _LOGGER.debug("Speculative %r after %d bytes: %s", text, guess.audio_bytes, guess.ending)
        if self._guess is not guess:
            return
        if guess.plan is not None and self._on_plan is not None:
            self._on_plan(guess)
        if self._end_by_guess():
            self.decided.set()

    def _plan(self, text: str, result: SttResult) -> Plan | None:
        if self._understand is None:
            return None
        try:
            return self._understand(text, result)
        except Exception:  # the grammar's bug must not cost the command: the window decides
            _LOGGER.exception("Planning %r failed", text)
            return None

    async def _decode(self, audio: bytes) -> SttResult | EngineError:
        """A speculative decode; its error is returned, to be raised only if it is used."""
        try:
            return await self._stt.transcribe(audio, self._language)
        except EngineError as err:
            return err

    def _end_by_guess(self) -> list[Segment]:
        """The end, when the speculative transcript says this pause is long enough for it.
        An unfinished one (or one still decoding) waits for the segmenter's own limit."""
        guess, segmenter, settings = self._guess, self.segmenter, self._settings
        if not self._semantic or guess is None or segmenter.ended is not None:
            return []
        pause_s = segmenter.trailing_silence_s
        if guess.ending is Ending.COMPLETE:
            long_enough = pause_s >= settings.silence_s or (
                pause_s > 0.0 and self.silence_since_stop_s >= settings.complete_silence_s
            )
        elif guess.ending is Ending.OPEN:
            long_enough = pause_s >= settings.silence_s
        else:
            return []
        return segmenter.end() if long_enough else []

    def _drop_guess(self) -> None:
        guess, self._guess = self._guess, None
        if guess is None:
            return
        if guess.task is not None:
            guess.task.cancel()  # frees its slot if it has not started
        if guess.plan is not None and self._on_drop is not None:
            self._on_drop(guess)

    async def transcript(self) -> SttResult:
        """The transcript of the whole command: the speculative one when it is still valid."""
        guess = self._guess
        if (
            guess is not None
            and guess.task is not None
            and self.segmenter.ended is (Segment.SPEECH_ENDED)
        ):
            self._guess = None
            self.speculated = True
            self.used = guess
            await guess.task
            result = guess.result
            assert result is not None
            if isinstance(result, EngineError):
                raise result
            return result
        self._drop_guess()
        return await self._stt.transcribe(bytes(self.pcm), self._language)

    async def close(self, release_vad: Callable[[VoiceActivity], None]) -> None:
        """Drop a pending speculation; hand the VAD to `release_vad` once it is free."""
        self._drop_guess()
        await self._tasks.aclose()
        vad = self._vad
        if vad is not None:
            self._vad_calls.after(lambda: release_vad(vad))

    @property
    def trailing_silence_s(self) -> float:
        """Silence since the last speech the VAD heard (0 without a VAD)."""
        return self.segmenter.trailing_silence_s if self._vad is not None else 0.0

    @property
    def stopped_s(self) -> float | None:
        """Where in the audio speech stopped, in a pause (None in speech or without a VAD):
        the end of the last sound within HANGOVER_S of the VAD's end. Before it, as a rule
        (Silero's hangover); after it, for a soft last sound the VAD took for silence, or for
        noise (which so only delays the end by HANGOVER_S)."""
        pause_s = self.trailing_silence_s
        if pause_s == 0.0:
            return None
        heard_s = self.segmenter.elapsed_s
        vad_end_s = heard_s - pause_s
        earliest_s = vad_end_s - HANGOVER_S
        sound_s = self._loudness.last_sound_s(earliest_s, min(heard_s, vad_end_s + HANGOVER_S))
        return earliest_s if sound_s is None else sound_s

    @property
    def silence_since_stop_s(self) -> float:
        """Seconds of audio since speech stopped (0 in speech or without a VAD)."""
        stopped_s = self.stopped_s
        return 0.0 if stopped_s is None else self.segmenter.elapsed_s - stopped_s

    def speech_end(self) -> Instant | None:
        """When speech stopped, on the clocks of the hub: the last chunk's arrival less the
        audio after the stop (None without a pause)."""
        stopped_s, at = self.stopped_s, self.last_audio_at
        if stopped_s is None or at is None:
            return None
        return at.plus_ms(-(STT_FORMAT.seconds(len(self.pcm)) - stopped_s) * 1000)


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
