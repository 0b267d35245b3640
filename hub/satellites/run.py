"""One pipeline run for one satellite: wake → speech-to-text → intent → action → spoken answer.

Stages, their events and their errors live here; the session feeds audio in and owns the run's
task (a new wake-up on the same satellite cancels it).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wyoming.asr import Transcribe, Transcript
from wyoming.error import Error
from wyoming.pipeline import PipelineStage
from wyoming.vad import VoiceStarted, VoiceStopped
from wyoming.wake import Detect, Detection

from protocol.aio import bounded
from protocol.segmenter import Segment

from ..engines.errors import EngineError
from .events import RunRecord, Stage, monotonic_ms
from .listen import Utterance, WakeListener
from .speech import speak

if TYPE_CHECKING:
    from .session import SatelliteSession

_LOGGER = logging.getLogger(__name__)
_RUN_IDS = itertools.count(1)
AUDIO_GAP_S = 5.0  # a satellite that stops sending audio mid-command
STAGE_ORDER = [PipelineStage.WAKE, PipelineStage.ASR, PipelineStage.HANDLE, PipelineStage.TTS]


class RunError(Exception):
    """A run cannot go on; sent to the satellite as a Wyoming `error`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class WakeUp:
    """Who woke the satellite and how sure it was."""

    name: str | None
    phrase: str
    score: float | None
    source: str  # "satellite" or "hub"


def new_run_id(satellite_id: str) -> str:
    """Unique within this hub's lifetime: `<satellite>-<n>`."""
    return f"{satellite_id}-{next(_RUN_IDS)}"


class Run:
    """The pipeline for one wake-up (or one streaming wait for it)."""

    def __init__(
        self,
        session: SatelliteSession,
        start_stage: PipelineStage,
        end_stage: PipelineStage,
        wake: WakeUp | None,
    ) -> None:
        self.session = session
        self.start_stage = start_stage
        self.end_stage = end_stage
        self.wake = wake
        self.id = new_run_id(session.id)
        self.record: RunRecord = session.events.start(self.id)
        self.audio: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.accepting_audio = True
        self.played = asyncio.Event()
        self.failed = False

    def emit(self, stage: Stage, **data: object) -> None:
        """One pipeline event of this run."""
        self.session.events.emit(self.record, stage, **data)

    def feed(self, pcm16: bytes | None) -> None:
        """Audio from the satellite (None: its `audio-stop`); dropped once STT has ended."""
        if self.accepting_audio:
            self.audio.put_nowait(pcm16)

    async def main(self) -> None:
        """Run every stage; errors become one `error` event and one Wyoming `error`."""
        session = self.session
        self.emit(
            Stage.RUN_START,
            start_stage=self.start_stage.value,
            end_stage=self.end_stage.value,
            satellite=session.name,
        )
        try:
            if self.start_stage is PipelineStage.WAKE:
                await self._wake_stage()
            elif self.wake is not None:
                self._emit_wake(self.wake)
            if not await self._arbitrate():
                return
            text = await self._stt_stage()
            answer = await self._intent_stage(text)
            if _reaches(self.end_stage, PipelineStage.TTS):
                session.set_state("responding")
                await speak(session, answer, self, self.played)
        except (RunError, EngineError) as err:
            await self._fail(err.code, err.message)
        finally:
            self.accepting_audio = False
            self.emit(Stage.RUN_END, timings_ms=self.record.timings_ms(), failed=self.failed)

    async def _fail(self, code: str, message: str) -> None:
        self.failed = True
        _LOGGER.warning("Satellite %s, run %s: %s (%s)", self.session.id, self.id, message, code)
        self.emit(Stage.ERROR, code=code, message=message)
        await self.session.send(Error(text=message, code=code).event())

    def _emit_wake(self, wake: WakeUp) -> None:
        self.emit(
            Stage.WAKE, name=wake.name, phrase=wake.phrase, score=wake.score, source=wake.source
        )

    async def _next_audio(self, timeout_s: float = AUDIO_GAP_S) -> bytes | None:
        try:
            return await bounded(self.audio.get(), timeout_s)
        except TimeoutError as err:
            raise RunError(
                "audio-timeout", f"no audio from the satellite for {timeout_s:g} s"
            ) from err

    async def _wake_stage(self) -> None:
        """A streaming satellite: the hub listens for the wake word itself."""
        session = self.session
        engines = session.engines
        if engines.wake is None:
            raise RunError("wake-disabled", "this hub has no wake words; wake on the satellite")
        session.set_state("idle")
        await session.send(Detect().event())
        listener = WakeListener(engines.wake.detector(None))
        try:
            while True:
                pcm = await self.audio.get()  # waiting for a wake word is open-ended
                if pcm is None:
                    raise RunError("stream-ended", "the satellite ended its audio stream")
                hit = await listener.feed(pcm)
                if hit is not None:
                    break
        finally:
            listener.close()
        self.wake = WakeUp(hit.name, hit.phrase, hit.score, "hub")
        _LOGGER.info("Satellite %s: wake word %s (score %.2f)", session.id, hit.name, hit.score)
        self._emit_wake(self.wake)
        await session.send(Detection(name=hit.name, timestamp=hit.timestamp_ms).event())

    async def _arbitrate(self) -> bool:
        """Wait out the contest with other satellites that heard the same wake-up."""
        session = self.session
        phrase = self.wake.phrase if self.wake else ""
        score = self.wake.score if self.wake else None
        arbiter = session.arbiter
        contest, entry = arbiter.claim(phrase, session.id, score, time.monotonic())
        delay_s = contest.closes_s - time.monotonic()
        if session.others_connected(session) == 0:
            return True  # no other satellite could have heard it: no need to wait
        if delay_s > 0:
            await asyncio.sleep(delay_s)  # audio keeps queueing meanwhile
        verdict = arbiter.verdict(contest, entry, max(time.monotonic(), contest.closes_s))
        if verdict:
            return True
        winner = contest.winner().satellite_id
        await self._fail(
            "duplicate_wake_up_detected",
            f"{winner} heard the same wake word and answers instead",
        )
        return False

    async def _stt_stage(self) -> str:
        session = self.session
        engines = session.engines
        if engines.stt is None:
            raise RunError("stt-disabled", "speech-to-text is turned off on this hub")
        session.set_state("listening")
        language = engines.stt.settings.language
        self.emit(Stage.STT_START, language=language)
        await session.send(Transcribe(language=language).event())
        utterance = Utterance(engines.stt, session.vad(), session.vad_settings, language)
        try:
            ended = await self._listen(utterance)
            speech_end_ms = monotonic_ms() - utterance.segmenter.trailing_silence_s * 1000
            session.set_state("processing")
            if ended is Segment.NO_SPEECH:
                raise RunError("stt-no-text-recognized", "no speech was heard")
            result = await utterance.transcript()
        finally:
            self.accepting_audio = False
            utterance.close()
        text = result.text.strip()
        await session.send(Transcript(text=text, language=result.language).event())
        self.emit(
            Stage.STT_END,
            text=text,
            audio_s=round(result.audio_s, 2),
            decode_ms=round(result.decode_ms, 1),
            window_s=result.window_s,
            retried=result.retried_full_window,
            speculative=utterance.speculated,
            ended_by=ended.value if ended else "satellite",
            speech_end_ms=round(speech_end_ms, 1),
        )
        _LOGGER.info("Satellite %s: %r", session.id, text)
        if not text:
            raise RunError("stt-no-text-recognized", "no words were recognized")
        return text

    async def _listen(self, utterance: Utterance) -> Segment | None:
        """Feed audio until the VAD, the satellite's `audio-stop` or a limit ends the command."""
        audio_ms = 0.0
        while True:
            pcm = await self._next_audio()
            if pcm is None:
                return None  # the satellite's own VAD ended it
            for segment in await utterance.feed(pcm):
                audio_ms = utterance.segmenter.elapsed_s * 1000
                if segment is Segment.SPEECH_STARTED:
                    await self.session.send(VoiceStarted(timestamp=int(audio_ms)).event())
                else:
                    await self.session.send(VoiceStopped(timestamp=int(audio_ms)).event())
                    return segment

    async def _intent_stage(self, text: str) -> str:
        session = self.session
        engines = session.engines
        self.emit(Stage.INTENT_START, text=text)
        outcome = engines.intents.handle(text, device_id=session.id)
        for publish in outcome.publishes:
            self.emit(Stage.ACTION, topic=publish.topic, payload=publish.payload)
        handled, answer, route = outcome.handled, outcome.answer, outcome.intent
        if not handled and engines.agent.settings.enabled:
            handled, answer = await engines.agent.answer(text, session.id)
            route = "llm"
        self.emit(Stage.INTENT_END, handled=handled, intent=route, answer=answer)
        session.last_answer = answer
        return answer

    async def interrupted(self) -> None:
        """Clean up after cancellation: end an answer stream the satellite is playing."""
        with contextlib.suppress(Exception):
            await self.session.end_audio_stream()


def _reaches(end: PipelineStage, stage: PipelineStage) -> bool:
    """Whether a pipeline ending at `end` includes `stage` (`intent` counts as `handle`)."""
    end = PipelineStage.HANDLE if end not in STAGE_ORDER else end
    return STAGE_ORDER.index(end) >= STAGE_ORDER.index(stage)
