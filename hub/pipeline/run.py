"""One run, for every front door: wake → speech-to-text → intent → action → spoken answer.

A run starts and ends at any stage (`RunRequest`); each stage emits its typed events to the
hub's event stream and to the peer, which turns them into what it speaks (Wyoming events for a
satellite, `transcript` or `handled` for a Wyoming client). A stage that cannot go on raises a
`PipelineError`; the run turns it into exactly one `error` event. Cancellation (a new wake-up,
a peer gone, the hub stopping) ends the run at once: the answer's audio is closed and
`run-end` says `cancelled`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterable, Awaitable, Callable

from protocol.aio import TaskSet, bounded
from protocol.clock import Instant, now
from protocol.run_events import (
    Action,
    Error,
    IntentEnd,
    IntentProgress,
    IntentStart,
    PipelineEvent,
    Played,
    RunEnd,
    RunStart,
    Stamp,
    SttEnd,
    SttStart,
    TtsEnd,
    TtsFirstAudio,
    TtsStart,
    VoiceStarted,
    VoiceStopped,
    Wake,
    WakeStart,
)
from protocol.segmenter import Segment
from protocol.states import NodeState

from ..errors import PipelineError
from ..intents.actions import Publish
from ..intents.handler import Plan
from .conversation import Answer, converse
from .events import RunRecord
from .listen import Guess, Utterance, WakeListener
from .peer import GONE, Peer, PeerGone, TextStream
from .request import RunRequest, RunResult, Step, WakeUp
from .services import Services
from .speech import Prepared, prepare, speak

_LOGGER = logging.getLogger(__name__)
_RUN_NUMBERS: dict[str, itertools.count[int]] = {}
UNWIND_S = 2.0  # closing the answer's audio when a run is cut short


class RunError(PipelineError):
    """A stage of a run cannot go on."""


def _seen(task: asyncio.Task[bytes | None]) -> None:
    """Mark the outcome of a read nobody awaits any more (the end came first) as seen."""
    if not task.cancelled():
        task.exception()


def new_run_id(node_id: str) -> str:
    """Unique within this hub's lifetime: `<node>-<n>`, counting each node's runs from 1."""
    numbers = _RUN_NUMBERS.setdefault(node_id, itertools.count(1))
    return f"{node_id}-{next(numbers)}"


class Run:
    """The pipeline for one request of one peer; `execute` it once."""

    def __init__(self, services: Services, peer: Peer, request: RunRequest) -> None:
        self.services = services
        self.peer = peer
        self.request = request
        self.id = new_run_id(peer.node_id)
        self.record = RunRecord(self.id, peer.node_id)
        self.result = RunResult(self.id)
        self._audio_out = False
        self._tasks = TaskSet(f"run {self.id}")  # the answer rendered ahead
        self._plan: Plan | None = None  # the grammar's plan of the speculative transcript
        # Whisper's next best transcripts of the command's audio, decoded when asked for
        self._alternatives: Callable[[], Awaitable[list[str]]] | None = None
        self._doubted: tuple[str, ...] = ()  # the transcript with an unsure word swapped
        self._first_reading = ""  # the short-window transcript a full-window one replaced
        self._prepared: Prepared | None = None  # its answer's first piece, rendering ahead

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.request.start.name}→{self.request.end.name}>"

    # ---- events and state ----------------------------------------------------------------------

    def _stamp(self, at: Instant | None = None) -> Stamp:
        return Stamp(self.id, self.peer.node_id, at or now())

    def _publish(self, event: PipelineEvent) -> None:
        self.record.events.append(event)
        self.services.events.publish(event)

    async def _emit(self, event: PipelineEvent) -> None:
        """To the event stream, then to the peer."""
        self._publish(event)
        await self.peer.send(event)

    def _set_state(self, state: NodeState) -> None:
        self.peer.set_state(state)
        self.services.activity.set(self.id, state)

    # ---- the run -------------------------------------------------------------------------------

    async def execute(self) -> RunResult:
        """Run every stage asked for; never raises but for a cancellation."""
        request = self.request
        outcome = "error"
        try:
            await self._emit(
                RunStart(
                    self._stamp(),
                    start_stage=request.start.wire,
                    end_stage=request.end.wire,
                    trigger=request.trigger,
                    satellite=request.satellite,
                )
            )
            await self._stages()
            outcome = "ok"
        except PipelineError as err:
            event = self._report(err)  # before any await: a cancellation cannot lose it
            await self._unwind()
            await self._tell(event)
        except asyncio.CancelledError as cancelled:
            if cancelled.args == (GONE,):  # the peer's connection went: an error, said once
                self._audio_out = False  # nothing to close there
                self._report(PeerGone("the connection ended during the run"))
            else:
                outcome = "cancelled"
                await self._unwind()
            raise
        except Exception as err:
            _LOGGER.exception("Run %s failed", self.id)
            event = self._report(RunError("internal-error", f"the run failed: {err!r}"))
            await self._unwind()
            await self._tell(event)
        finally:
            self.result.outcome = outcome
            self.peer.stop_audio()
            self.services.activity.end(self.id)
            end = RunEnd(self._stamp(), outcome=outcome, timings_ms=self.record.timings_ms())
            self._publish(end)
        with contextlib.suppress(PipelineError):  # a peer that is gone misses nothing now
            await self.peer.send(end)
        return self.result

    async def _stages(self) -> None:
        try:
            await self._each_stage()
        finally:
            self._drop_prepared()
            await self._tasks.aclose()

    async def _each_stage(self) -> None:
        request = self.request
        wake = request.wake
        if request.start is Step.WAKE:
            wake = await self._wake_stage()
        elif wake is not None:
            await self._emit(self._wake_event(wake, self._stamp()))
        self.result.wake = wake
        if request.end is Step.WAKE:
            return
        if request.admit is not None:
            await request.admit(wake)
        text = await self._stt_stage() if request.start <= Step.STT else request.text
        if request.end is Step.STT:
            return
        if request.start <= Step.INTENT:
            assert isinstance(text, str)
            if request.end is Step.TTS:
                await self._answer_aloud(text)
                return
            text = (await self._intent_stage(text)).text
        if request.end is Step.INTENT:
            return
        assert text is not None
        await self._tts_stage(text)

    def _report(self, err: PipelineError) -> Error:
        """The run's one `error` event, on the stream (not yet to the peer)."""
        self.result.error = err
        _LOGGER.warning("Run %s: %s (%s)", self.id, err.message, err.code)
        event = Error(self._stamp(), code=err.code, message=err.message)
        self._publish(event)
        return event

    async def _tell(self, event: Error) -> None:
        """The error to the peer, if it is still there."""
        try:
            await self.peer.send(event)
        except PipelineError as gone:
            _LOGGER.info("Run %s: could not tell the peer: %s", self.id, gone.message)

    async def _unwind(self) -> None:
        """Cut short: close the answer's audio the peer is playing (bounded)."""
        if not self._audio_out:
            return
        self._audio_out = False
        try:
            await bounded(self.peer.end_audio(), UNWIND_S)
        except (PipelineError, TimeoutError) as err:
            _LOGGER.info("Run %s: could not end the answer's audio: %r", self.id, err)

    # ---- wake ----------------------------------------------------------------------------------

    @staticmethod
    def _wake_event(wake: WakeUp, stamp: Stamp) -> Wake:
        return Wake(
            stamp,
            name=wake.name,
            phrase=wake.phrase,
            score=None if wake.score is None else round(wake.score, 3),
            source=wake.source,
            audio_ms=wake.audio_ms,
        )

    async def _wake_stage(self) -> WakeUp | None:
        """Listen for the wake word in the peer's stream: until the first one when the run goes
        on; every one until the audio ends when the run is a wake word service."""
        request = self.request
        wake = self.services.wake
        if wake is None:
            raise RunError("wake-disabled", "this hub has no wake words; wake on the satellite")
        names = list(request.wake_names) if request.wake_names else None
        self._set_state(NodeState.IDLE)
        await self._emit(WakeStart(self._stamp(), names=request.wake_names))
        listener = WakeListener(wake.detector(names))
        found: WakeUp | None = None
        try:
            while True:
                pcm = await self.peer.read_audio(None)  # waiting for a wake word is open-ended
                if pcm is None:
                    if request.end is Step.WAKE:
                        return found
                    raise RunError("stream-ended", "the satellite ended its audio stream")
                for hit in await listener.feed(pcm):
                    found = WakeUp(hit.name, hit.phrase, hit.score, "hub", hit.timestamp_ms)
                    self.result.detections += 1
                    _LOGGER.info(
                        "%s: wake word %s (score %.2f)", self.peer.node_id, hit.name, hit.score
                    )
                    await self._emit(self._wake_event(found, self._stamp()))
                    if request.end > Step.WAKE:
                        return found
        finally:
            listener.close()

    # ---- speech-to-text ------------------------------------------------------------------------

    async def _stt_stage(self) -> str:
        services, request = self.services, self.request
        stt = services.stt
        if stt is None:
            raise RunError("stt-disabled", "speech-to-text is turned off on this hub")
        self._set_state(NodeState.LISTENING)
        language = request.language or stt.settings.language
        await self._emit(SttStart(self._stamp(), language=language))
        vad = services.vads.take() if request.vad else None
        utterance = Utterance(
            stt,
            vad,
            services.vad_settings,
            language,
            lambda text, heard: services.intents.understand(
                text, request.device_id, request.area, heard.doubted, heard.first_reading
            ),
            self._prepare,
            lambda _guess: self._drop_prepared(),
        )
        try:
            ended = await self._listen(utterance)
            speech_end = utterance.speech_end() or now()
            silence_s = utterance.silence_since_stop_s
            self.peer.stop_audio()
            self._set_state(NodeState.PROCESSING)
            if ended is Segment.NO_SPEECH:
                raise RunError("stt-no-text-recognized", "no speech was heard")
            result = await utterance.transcript()
        finally:
            self.peer.stop_audio()
            await utterance.close(services.vads.give_back)
        used = utterance.used
        self._plan = used.plan if used is not None else None
        if self._plan is None:
            self._drop_prepared()
        text = result.text.strip()
        self._alternatives, self._doubted = result.alternatives, result.doubted
        self._first_reading = result.first_reading
        self.result.transcript = text
        await self._emit(
            SttEnd(
                self._stamp(),
                text=text,
                language=result.language,
                audio_s=round(result.audio_s, 2),
                decode_ms=round(result.decode_ms, 1),
                window_s=result.window_s,
                retried=result.retried_full_window,
                speculative=utterance.speculated,
                ended_by=ended.value if ended else "audio-stop",
                speech_end_ms=speech_end.epoch_ms,
                ending=used.ending.value if used is not None and used.ending else None,
                silence_ms=round(silence_s * 1000) if vad is not None else None,
            )
        )
        _LOGGER.info("%s: %r", self.peer.node_id, text)
        if not text and request.end > Step.STT:
            raise RunError("stt-no-text-recognized", "no words were recognized")
        return text

    async def _listen(self, utterance: Utterance) -> Segment | None:
        """Feed audio until the VAD (or what the speculative transcript says of a pause), the
        peer's audio-stop or a limit ends the command. The next chunk is awaited alongside
        `utterance.decided`: a decode that comes back between two chunks can end it."""
        gap_s = self.request.audio_gap_s
        async with TaskSet(f"run {self.id}: listening") as tasks:
            decided = tasks.spawn(utterance.decided.wait(), "end read", report=False)
            reading: asyncio.Task[bytes | None] | None = None
            while True:
                if reading is None:
                    reading = tasks.spawn(self.peer.read_audio(gap_s), "audio", report=False)
                    reading.add_done_callback(_seen)
                await asyncio.wait({reading, decided}, return_when=asyncio.FIRST_COMPLETED)
                if not decided.done():
                    read, reading = reading, None
                    try:
                        pcm = read.result()
                    except TimeoutError as err:
                        message = f"no audio from the peer for {gap_s:g} s"
                        raise RunError("audio-timeout", message) from err
                    if pcm is None:
                        return None  # the peer's own VAD (or a Wyoming client) ended it
                    for segment in await utterance.feed(pcm):
                        if segment is not Segment.SPEECH_STARTED:
                            return await self._voice_stopped(utterance, segment)
                        audio_ms = int(utterance.segmenter.elapsed_s * 1000)
                        await self._emit(VoiceStarted(self._stamp(), audio_ms=audio_ms))
                if utterance.decided.is_set():
                    return await self._voice_stopped(utterance, Segment.SPEECH_ENDED)

    async def _voice_stopped(self, utterance: Utterance, segment: Segment) -> Segment:
        audio_ms = int(utterance.segmenter.elapsed_s * 1000)
        await self._emit(VoiceStopped(self._stamp(), reason=segment.value, audio_ms=audio_ms))
        return segment

    def _prepare(self, guess: Guess) -> None:
        """A complete command heard in a pause: render its answer's first piece while the
        end is confirmed (a timer's answer is only known once it is carried out)."""
        plan, tts, request = guess.plan, self.services.tts, self.request
        if plan is None or plan.deferred is not None or not plan.answer or tts is None:
            return
        if request.end is not Step.TTS:
            return
        try:
            voice = tts.voice(request.voice)
        except PipelineError:
            return  # the TTS stage says so, if the run gets there
        self._drop_prepared()
        self._prepared = prepare(tts, voice, plan.answer, self._tasks)

    def _drop_prepared(self) -> None:
        """Speech resumed (or the answer changed): the answer rendered ahead is not said."""
        prepared, self._prepared = self._prepared, None
        if prepared is not None and not prepared.task.done():
            _LOGGER.debug("Run %s: dropped the answer rendered ahead, %r", self.id, prepared.text)
            prepared.task.cancel()

    # ---- intent --------------------------------------------------------------------------------

    async def _intent_stage(
        self, text: str, on_clause: Callable[[str], Awaitable[None]] | None = None
    ) -> Answer:
        request = self.request
        self._set_state(NodeState.PROCESSING)
        await self._emit(IntentStart(self._stamp(), text=text))

        async def progress(clause: str) -> None:
            await self._emit(IntentProgress(self._stamp(), text=clause))
            if on_clause is not None:
                await on_clause(clause)

        acted: list[Publish] = []

        async def action(publish: Publish) -> None:
            acted.append(publish)
            await self._emit(Action(self._stamp(), topic=publish.topic, payload=publish.payload))

        plan, self._plan = self._plan, None
        answer = await converse(
            self.services,
            text,
            request.conversation_id,
            request.device_id,
            progress,
            action,
            area=request.area,
            plan=plan,
            alternatives=self._alternatives,
            doubted=self._doubted,
            first_reading=self._first_reading,
        )
        for publish in answer.publishes[len(acted) :]:  # the grammar's, reported once it is done
            await action(publish)
        await self._emit(
            IntentEnd(
                self._stamp(), handled=answer.handled, intent=answer.intent, answer=answer.text
            )
        )
        self.result.answer = answer
        return answer

    async def _answer_aloud(self, text: str) -> None:
        """The intent, then its answer spoken; an LLM answer is spoken clause by clause while
        the model still writes, from its first clause on. Speech that fails (the peer gone)
        stops the model too."""
        clauses = TextStream()
        tasks = TaskSet(f"run {self.id}")
        speaking: asyncio.Task[None] | None = None

        def on_spoken(task: asyncio.Task[None]) -> None:
            if not task.cancelled() and task.exception() is not None:
                intent.cancel()

        async def on_clause(clause: str) -> None:
            nonlocal speaking
            if speaking is None:
                speaking = tasks.spawn(self._tts_stage(clauses, split=False), "speech", False)
                speaking.add_done_callback(on_spoken)
            clauses.put(clause)

        intent = tasks.spawn(self._intent_stage(text, on_clause), "intent", False)
        try:
            try:
                answer = await intent
            except asyncio.CancelledError:
                this = asyncio.current_task()
                stopped = speaking is not None and speaking.done() and not speaking.cancelled()
                if stopped and this is not None and not this.cancelling():
                    assert speaking is not None
                    speaking.result()  # the speech failed, not this run: raise why
                raise
            if speaking is None:
                await self._tts_stage(answer.text)
            else:
                clauses.end()
                await speaking
        finally:
            await tasks.aclose()

    # ---- text-to-speech ------------------------------------------------------------------------

    async def _tts_stage(self, text: str | AsyncIterable[str], split: bool = True) -> None:
        request = self.request
        tts = self.services.tts
        if tts is None:
            raise RunError("tts-disabled", "text-to-speech is turned off on this hub")
        voice = tts.voice(request.voice)
        self._set_state(NodeState.RESPONDING)
        spoken = text if isinstance(text, str) else None
        await self._emit(TtsStart(self._stamp(), text=spoken, voice=voice.name))
        first_audio: list[Instant] = []

        async def on_first_audio() -> None:
            first_audio.append(now())
            await self._emit(
                TtsFirstAudio(self._stamp(first_audio[0]), rate_hz=voice.format.rate_hz)
            )

        self._audio_out = True
        prepared, self._prepared = self._prepared, None
        try:
            audio_s = await speak(tts, voice, text, self.peer, on_first_audio, split, prepared)
        finally:
            if prepared is not None:
                prepared.task.cancel()  # not this answer's (the broker was down): not said
        self._audio_out = False
        self.result.audio_s = audio_s
        await self._emit(TtsEnd(self._stamp(), audio_s=round(audio_s, 2)))
        if request.played_timeout_s is None:
            return
        started = first_audio[0] if first_audio else now()
        left_s = audio_s - now().ms_since(started) / 1000
        bound_s = max(0.0, left_s) + request.played_timeout_s
        reported = await self.peer.wait_played(bound_s)
        if not reported:
            _LOGGER.info(
                "%s: no `played` within %.1f s; going on as if it had played",
                self.peer.node_id,
                bound_s,
            )
        await self._emit(Played(self._stamp(), reported=reported))
