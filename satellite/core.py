"""The satellite's state machine: mic chunks in, wake word, streaming to the controller with a
local end-of-speech VAD, and answers played back."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from wyoming.audio import AudioChunk, AudioStop
from wyoming.event import Event
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.snd import Played
from wyoming.wake import Detection

from protocol.audio import STT_FORMAT
from protocol.errors import ProtocolError
from protocol.segmenter import Segment, VadSegmenter

from .mic import ChunkQueue, MicChunk, microphone
from .settings import SatelliteSettings
from .sounds import Sound, chime, load_wav
from .speaker import Speaker
from .vad import SpeechDetector
from .wake import WakeDetector, WakeHit

if TYPE_CHECKING:
    from .connection import SatelliteConnection

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")


class State(StrEnum):
    """What the satellite is doing, as published in its MQTT state."""

    IDLE = "idle"
    WAKE = "wake"
    LISTENING = "listening"
    PROCESSING = "processing"
    RESPONDING = "responding"


@dataclass
class Run:
    """One pipeline run this satellite started: by its wake word, by `listen`, or streaming
    everything for the controller's wake word (remote)."""

    id: int
    trigger: str
    segmenter: VadSegmenter | None
    streaming: bool = True
    ends_at_s: float = 0.0  # monotonic deadline while waiting for the answer


EventCallback = Callable[[dict[str, Any]], None]


class Satellite:
    """Owns the mic, the wake detector, the VAD, the speaker and the controller connection."""

    def __init__(
        self,
        settings: SatelliteSettings,
        detector: WakeDetector | None,
        vad: SpeechDetector,
        node_id: str,
    ) -> None:
        self.settings = settings
        self.node_id = node_id
        self.detector = detector
        self.vad = vad
        self.state = State.IDLE
        self.muted = False
        self.paused = True  # until a controller sends run-satellite
        self.controller: SatelliteConnection | None = None
        self.run: Run | None = None
        self.timers: set[str] = set()  # ids of the controller's running timers
        chunk_s = settings.mic.chunk_samples / settings.mic.rate_hz
        self.queue = ChunkQueue(max(2, int(settings.mic.buffer_s / chunk_s)))
        self.mic = microphone(settings.mic, self.queue, lambda _ok: self.on_state())
        self.speaker = Speaker(settings.snd, self._played)
        self.on_event: EventCallback = lambda _event: None
        self.on_state: Callable[[], None] = lambda: None
        self._sounds = {
            name: load_wav(path)
            for name, path in (("awake", settings.sounds.awake), ("done", settings.sounds.done))
            if path is not None
        }
        repeat = settings.sounds.timer_repeat
        if settings.sounds.timer_finished is None:
            self._timer_sound = chime(repeat)
        else:
            ring = load_wav(settings.sounds.timer_finished)
            self._timer_sound = Sound(ring.pcm * repeat, ring.fmt)
        self._dsp = ThreadPoolExecutor(1, thread_name_prefix="satellite-dsp")
        self._runs = itertools.count(1)
        self._listen_requested = False
        self._started_monotonic = time.monotonic()

    # ----- what the outside sees

    @property
    def remote_wake(self) -> bool:
        """True when no local wake word is set: all audio goes to the controller."""
        return not self.settings.wake.words

    @property
    def end_stage(self) -> PipelineStage:
        """`tts` when there is a speaker, else `handle`."""
        return PipelineStage.TTS if self.settings.snd.enabled else PipelineStage.HANDLE

    def snapshot(self) -> dict[str, Any]:
        """The retained MQTT state."""
        return {
            "state": self.state.value,
            "muted": self.muted,
            "volume": self.speaker.volume,
            "wake_words": list(self.settings.wake.words),
            "mic_ok": self.mic.ok,
            "mic_restarts": self.mic.restarts,
            "mic_dropped_chunks": self.queue.dropped,
            "controller": self.controller.peer if self.controller else None,
            "paused": self.paused,
            "timers": len(self.timers),
        }

    def emit(self, kind: str, **fields: Any) -> None:
        """One event for MQTT: run id, node id and a monotonic timestamp in ms on each."""
        event = {
            "type": kind,
            "run_id": self.run.id if self.run else None,
            "node_id": self.node_id,
            "timestamp_ms": int((time.monotonic() - self._started_monotonic) * 1000),
            **fields,
        }
        self.on_event(event)

    def _set_state(self, state: State) -> None:
        if state is not self.state:
            _LOGGER.debug("State %s -> %s", self.state.value, state.value)
            self.state = state
            self.on_state()

    # ----- the loops

    async def serve(self) -> None:
        """Run the mic, the speaker, the chunk consumer and the answer watchdog until
        cancelled."""
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.mic.run(), name="mic")
                group.create_task(self.speaker.run(), name="speaker")
                group.create_task(self._consume(), name="listen")
                group.create_task(self._watchdog(), name="watchdog")
        finally:
            self._dsp.shutdown(wait=False, cancel_futures=True)

    async def _dsp_call(self, function: Callable[[bytes], T], pcm: bytes) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._dsp, function, pcm)

    async def _consume(self) -> None:
        while True:
            chunk = await self.queue.get()
            try:
                await self._on_chunk(chunk)
            except asyncio.CancelledError:
                raise
            except Exception:
                _LOGGER.exception("Processing mic audio failed; back to idle")
                self._end_run("internal-error")

    async def _on_chunk(self, chunk: MicChunk) -> None:
        if self.muted:
            return
        hits = await self._dsp_call(self.detector.process, chunk.pcm) if self.detector else []
        for hit in hits:
            await self._on_hit(hit)
        if self._listen_requested:
            self._listen_requested = False
            await self._start_run("listen", None)
        run = self.run
        if run is not None and run.streaming and self.controller is not None:
            await self._stream(run, chunk)

    async def _on_hit(self, hit: WakeHit) -> None:
        if hit.name == self.settings.wake.stop_word:
            if self.speaker.busy:
                _LOGGER.info("Stop word %s (score %.2f): playback stopped", hit.name, hit.score)
                self.emit("stop", name=hit.name, score=round(hit.score, 3))
                self.speaker.interrupt()
            return
        if self.state is not State.IDLE or self.paused or self.controller is None:
            _LOGGER.debug("Wake word %s ignored in state %s", hit.name, self.state.value)
            return
        await self._start_run("wake", hit)

    async def _start_run(self, trigger: str, hit: WakeHit | None) -> None:
        if self.controller is None or self.paused:
            _LOGGER.warning("Cannot start a run: no controller has sent run-satellite")
            self.emit("error", code="no-controller", text="no controller connected")
            return
        self.run = Run(next(self._runs), trigger, self._segmenter())
        self._set_state(State.WAKE)
        if hit is not None:
            _LOGGER.info("Wake word %s (score %.2f)", hit.name, hit.score)
            self.emit("wake", name=hit.name, score=round(hit.score, 3), audio_ms=hit.timestamp_ms)
            # The score rides in the context: a controller arbitrating between satellites
            # that heard the same wake word picks the most confident one.
            detection = Detection(
                name=hit.name, timestamp=hit.timestamp_ms, context={"score": round(hit.score, 3)}
            )
            if not await self._send(detection.event()):
                return
        else:
            _LOGGER.info("Listening without a wake word (listen command)")
            self.emit("listen")
        pipeline = RunPipeline(
            start_stage=PipelineStage.ASR,
            end_stage=self.end_stage,
            wake_word_name=hit.name if hit else None,
        )
        if await self._send(pipeline.event()):
            self._play_local("awake")
            self.vad.reset()
            self._set_state(State.LISTENING)

    def start_remote_run(self) -> Run:
        """A run that streams everything once its `run-pipeline` is sent (set `streaming`):
        the controller detects the wake word."""
        self.run = Run(next(self._runs), "remote", None, streaming=False)
        self._set_state(State.IDLE)
        return self.run

    def _segmenter(self) -> VadSegmenter:
        vad = self.settings.vad
        return VadSegmenter(
            vad.threshold,
            vad.min_speech_s,
            vad.silence_s,
            vad.no_speech_timeout_s,
            vad.max_command_s,
        )

    async def _stream(self, run: Run, chunk: MicChunk) -> None:
        audio = AudioChunk(
            rate=STT_FORMAT.rate_hz,
            width=STT_FORMAT.width,
            channels=STT_FORMAT.channels,
            audio=chunk.pcm,
            timestamp=chunk.timestamp_ms,
        )
        if not await self._send(audio.event()) or run.segmenter is None:
            return
        segmenter = run.segmenter
        for probability, frame_s in await self._dsp_call(self.vad.process, chunk.pcm):
            for segment in segmenter.update(probability, frame_s):
                if segment is Segment.SPEECH_STARTED:
                    self.emit("voice-started", audio_ms=chunk.timestamp_ms)
                    continue
                if run is not self.run or not run.streaming:
                    return  # the controller ended the run meanwhile
                _LOGGER.info("End of command: %s after %.1f s", segment.value, segmenter.elapsed_s)
                await self._end_of_command(run, segment, chunk)
                return

    async def _end_of_command(self, run: Run, segment: Segment, chunk: MicChunk) -> None:
        end_ms = chunk.timestamp_ms + len(chunk.pcm) * 1000 // (2 * STT_FORMAT.rate_hz)
        self.emit("voice-stopped", reason=segment.value, audio_ms=end_ms)
        run.streaming = False
        run.ends_at_s = time.monotonic() + self.settings.response_timeout_s
        self._set_state(State.PROCESSING)
        self._play_local("done")
        await self._send(AudioStop(timestamp=end_ms).event())

    def stop_streaming(self, reason: str) -> None:
        """The controller has what it needs (`transcript`): stop sending mic audio and wait for
        the answer (a remote run keeps streaming; without a speaker no answer will come)."""
        run = self.run
        if run is None:
            return
        if run.trigger != "remote" and run.streaming:
            run.streaming = False
            _LOGGER.debug("Streaming stopped: %s", reason)
            self._play_local("done")
        run.ends_at_s = time.monotonic() + self.settings.response_timeout_s
        if self.settings.snd.enabled:
            self._set_state(State.PROCESSING)
        else:
            self._end_run("no speaker: nothing to wait for")

    def _end_run(self, reason: str) -> None:
        """Back to idle, keeping a remote (always streaming) run going."""
        if self.run is not None and self.run.trigger != "remote":
            _LOGGER.debug("Run %d ended: %s", self.run.id, reason)
            self.run = None
        if not self.speaker.busy:
            self._set_state(State.IDLE)

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            run = self.run
            if (
                run is not None
                and not run.streaming
                and run.ends_at_s
                and time.monotonic() > run.ends_at_s
                and not self.speaker.busy
            ):
                _LOGGER.info(
                    "No answer within %.0f s; idle again", self.settings.response_timeout_s
                )
                self.emit("error", code="no-answer", text="no answer from the controller")
                self._end_run("no answer")

    def remote_detection(self) -> None:
        """The controller heard the wake word in our stream."""
        self._play_local("awake")
        self._set_state(State.LISTENING)

    def responding(self) -> None:
        """Answer audio started (an announcement does not interrupt a local command)."""
        run = self.run
        if run is None or not run.streaming or run.trigger == "remote":
            self._set_state(State.RESPONDING)

    def remote_wake_stage(self) -> None:
        """`detect`: the controller listens for the wake word in our stream again."""
        if self.remote_wake and not self.speaker.busy:
            self._set_state(State.IDLE)

    def controller_error(self) -> None:
        """The controller gave up on the run: stop streaming, back to idle."""
        self._end_run("error")

    # ----- the controller link

    async def _send(self, event: Event) -> bool:
        """Send to the controller; on a broken link drop it and go idle (False)."""
        controller = self.controller
        if controller is None:
            return False
        try:
            await controller.send(event)
            return True
        except (ProtocolError, ConnectionError, OSError) as err:
            _LOGGER.warning("Controller %s lost while sending (%s)", controller.peer, err)
            controller.drop()
            self.controller_gone(controller)
            return False

    def adopt(self, connection: SatelliteConnection) -> None:
        """`run-satellite`: this connection becomes the controller; a previous one is dropped."""
        previous = self.controller
        if previous is not None and previous is not connection:
            _LOGGER.info("Controller %s replaces %s", connection.peer, previous.peer)
            previous.drop()
        elif previous is None:
            _LOGGER.info("Controller %s connected", connection.peer)
        self.controller = connection
        self._reset(paused=False)

    def pause(self) -> None:
        """`pause-satellite`: stop streaming and stay quiet until the next `run-satellite`."""
        self._reset(paused=True)

    def _reset(self, paused: bool) -> None:
        """No run, idle; `paused` until the next `run-satellite`."""
        self.paused = paused
        self.run = None
        self._set_state(State.IDLE)
        self.on_state()  # paused and controller are in the state too

    def controller_gone(self, connection: SatelliteConnection) -> None:
        """The controller disconnected: stop streaming, finish playback, back to idle."""
        if connection is not self.controller:
            return
        _LOGGER.info("Controller %s disconnected", connection.peer)
        self.controller = None
        self.speaker.end_stream()
        self._reset(paused=True)

    # ----- playback

    def _play_local(self, name: str) -> None:
        sound = self._sounds.get(name)
        if sound is not None and self.settings.snd.enabled:
            self.speaker.play_sound(sound.pcm, sound.fmt)

    def play_timer_sound(self) -> None:
        """The timer sound, repeated `sounds.timer_repeat` times (a stop word cuts it)."""
        self.speaker.play_sound(self._timer_sound.pcm, self._timer_sound.fmt)

    async def _played(self, report: bool) -> None:
        if report:
            self.emit("played")
            await self._send(Played().event())
        if self.speaker.busy:
            return
        if self.state is State.RESPONDING:
            self._end_run("played")
        elif self.run is None:
            self._set_state(State.IDLE)

    # ----- MQTT commands

    def request_listen(self) -> None:
        """Start a run without a wake word at the next mic chunk."""
        if self.muted or self.controller is None or self.paused:
            reason = "muted" if self.muted else "no controller connected"
            _LOGGER.warning("Listen command ignored: %s", reason)
            self.emit("error", code="cannot-listen", text=reason)
            return
        self._listen_requested = True

    async def set_muted(self, muted: bool) -> None:
        """Mute: no wake words, no streaming; a run in progress ends with `audio-stop`."""
        if muted == self.muted:
            return
        self.muted = muted
        run = self.run
        if muted and run is not None and run.streaming and run.trigger != "remote":
            run.streaming = False
            await self._send(AudioStop().event())
            self._end_run("muted")
        self.on_state()
