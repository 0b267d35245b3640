"""The satellite's runtime: it owns the mic, the wake word detector, the VAD, the speaker and
the controller connection, feeds what happens into the state machine (`satellite.machine`) and
carries out the actions it returns, one input at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar, cast

from wyoming.event import Event

from protocol.aio import TaskSet
from protocol.audio import PcmFormat
from protocol.clock import now
from protocol.errors import ProtocolError
from protocol.run_events import PipelineEvent

from .machine import SatelliteMachine
from .messages import (
    ActionItem,
    ControllerGone,
    Drop,
    Emit,
    EndSpeakerStream,
    Input,
    InternalError,
    InterruptSpeaker,
    MicAudio,
    MicStatus,
    PlaybackEnded,
    PlaySound,
    ResetVad,
    Send,
    StateChanged,
    Tick,
    WakeHeard,
)
from .mic import ChunkQueue, MicChunk, microphone
from .settings import SatelliteSettings
from .sounds import Sound, chime, load_wav
from .speaker import Speaker
from .state import MachineConfig
from .vad import SpeechDetector
from .wake import WakeDetector

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")
TICK_S = 0.5


class Controller(Protocol):
    """A connection that can drive the satellite."""

    @property
    def peer(self) -> str:
        """Who it is."""
        ...

    async def send(self, event: Event) -> None:
        """Write one event; raises on a broken link."""

    def drop(self) -> None:
        """Close the connection."""


def machine_config(settings: SatelliteSettings, node_id: str) -> MachineConfig:
    """The settings the machine's rules depend on."""
    vad = settings.vad
    return MachineConfig(
        node_id=node_id,
        wake_words=tuple(settings.wake.words),
        stop_word=settings.wake.stop_word,
        has_speaker=settings.snd.enabled,
        response_timeout_s=settings.response_timeout_s,
        vad_threshold=vad.threshold,
        vad_min_speech_s=vad.min_speech_s,
        vad_silence_s=vad.silence_s,
        vad_no_speech_timeout_s=vad.no_speech_timeout_s,
        vad_max_command_s=vad.max_command_s,
    )


class SatelliteRuntime:
    """Runs the satellite until cancelled; `apply` is how everything outside reaches it."""

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
        self.machine = SatelliteMachine(machine_config(settings, node_id))
        chunk_s = settings.mic.chunk_samples / settings.mic.rate_hz
        self.queue = ChunkQueue(max(2, int(settings.mic.buffer_s / chunk_s)))
        self.mic = microphone(settings.mic, self.queue, self._mic_status)
        self.speaker = Speaker(settings.snd, self._played)
        self.on_event: Callable[[PipelineEvent], None] = lambda _event: None
        self.on_state: Callable[[], None] = lambda: None
        self._sounds = {
            name: load_wav(path)
            for name, path in (("awake", settings.sounds.awake), ("done", settings.sounds.done))
            if path is not None
        }
        repeat = settings.sounds.timer_repeat
        if settings.sounds.timer_finished is None:
            self._sounds["timer"] = chime(repeat)
        else:
            ring = load_wav(settings.sounds.timer_finished)
            self._sounds["timer"] = Sound(ring.pcm * repeat, ring.fmt)
        self._dsp = ThreadPoolExecutor(1, thread_name_prefix="satellite-dsp")
        self._lock = asyncio.Lock()
        self._tasks: TaskSet | None = None  # while serving

    # ---- what the outside sees

    @property
    def controller(self) -> Hashable | None:
        """The connection that drives the satellite, if any."""
        return self.machine.controller

    def snapshot(self) -> dict[str, Any]:
        """The retained MQTT state."""
        controller = self.machine.controller
        return {
            **self.machine.snapshot(),
            "volume": self.speaker.volume,
            "mic_restarts": self.mic.restarts,
            "mic_dropped_chunks": self.queue.dropped,
            "controller": cast(Controller, controller).peer if controller is not None else None,
        }

    def set_volume(self, volume: int) -> None:
        """The speaker's volume, 0-100."""
        self.speaker.volume = volume
        self.on_state()

    # ---- the one way in

    async def apply(self, item: Input) -> None:
        """Hand `item` to the machine and carry out what it says, one input at a time."""
        async with self._lock:
            await self._step(item)

    async def _step(self, item: Input) -> None:
        actions = self.machine.handle(item, now(), self.speaker.busy)
        await self._execute(actions)

    async def _execute(self, actions: list[ActionItem]) -> None:
        changed = False
        for action in actions:
            match action:
                case Send():
                    if not await self._send(action.controller, action.event):
                        if changed:
                            self.on_state()
                        await self._step(ControllerGone(action.controller))
                        return  # what came after the send assumed it went out
                case Emit():
                    self.on_event(action.event)
                case StateChanged():
                    changed = True
                case PlaySound():
                    self._play(action.name)
                case ResetVad():
                    self.vad.reset()
                case InterruptSpeaker():
                    self.speaker.interrupt()
                case EndSpeakerStream():
                    self.speaker.end_stream()
                case Drop():
                    cast(Controller, action.controller).drop()
        if changed:
            self.on_state()

    async def _send(self, controller: Hashable, event: Event) -> bool:
        link = cast(Controller, controller)
        try:
            await link.send(event)
        except (ProtocolError, ConnectionError, OSError) as err:
            _LOGGER.warning("Controller %s lost while sending (%s)", link.peer, err)
            link.drop()
            return False
        return True

    def _play(self, name: str) -> None:
        sound = self._sounds.get(name)
        if sound is not None and self.settings.snd.enabled:
            self.speaker.play_sound(sound.pcm, sound.fmt)

    # ---- the answer's audio, from whichever peer sends it

    def answer_start(self, fmt: PcmFormat) -> None:
        """An answer or announcement stream begins (the machine hears `AnswerStarted`)."""
        self.speaker.start_stream(fmt, report=True)

    def answer_chunk(self, pcm: bytes) -> bool:
        """Audio of the stream being played; False when no stream is open."""
        return self.speaker.feed(pcm)

    def answer_end(self) -> None:
        """The stream's end."""
        self.speaker.end_stream()

    async def _played(self, report: bool) -> None:
        await self.apply(PlaybackEnded(report))

    def _mic_status(self, ok: bool) -> None:
        self.on_state()  # its restart count changed
        if self._tasks is not None:  # the machine decides whether the state shows an error
            self._tasks.spawn(self.apply(MicStatus(ok)), "mic status")

    # ---- the loops

    async def serve(self) -> None:
        """Run the mic, the speaker, the listener and the clock until cancelled; raises what
        stopped one of them."""
        failed: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

        def on_failure(_task: asyncio.Task[Any], error: BaseException) -> None:
            if not failed.done():
                failed.set_result(error)

        self._tasks = TaskSet("satellite", on_failure=on_failure)
        try:
            self._tasks.spawn(self.mic.run(), "mic")
            self._tasks.spawn(self.speaker.run(), "speaker")
            self._tasks.spawn(self._listen(), "listen")
            self._tasks.spawn(self._tick(), "clock")
            error = await failed
            raise RuntimeError(f"the satellite stopped: {error!r}") from error
        finally:
            tasks, self._tasks = self._tasks, None
            await tasks.aclose()
            self._dsp.shutdown(wait=False, cancel_futures=True)

    async def _dsp_call(self, function: Callable[[bytes], T], pcm: bytes) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._dsp, function, pcm)

    async def _listen(self) -> None:
        while True:
            chunk = await self.queue.get()
            try:
                await self._on_chunk(chunk)
            except asyncio.CancelledError:
                raise
            except Exception as err:
                _LOGGER.exception("Processing mic audio failed")
                await self.apply(InternalError(repr(err)))

    async def _on_chunk(self, chunk: MicChunk) -> None:
        machine = self.machine
        if not machine.hears_wake_words:
            return
        hits = await self._dsp_call(self.detector.process, chunk.pcm) if self.detector else []
        async with self._lock:
            for hit in hits:
                await self._step(WakeHeard(hit))
            if machine.streams_audio:
                speech = []
                if machine.wants_vad:
                    speech = await self._dsp_call(self.vad.process, chunk.pcm)
                await self._step(MicAudio(chunk.pcm, chunk.timestamp_ms, tuple(speech)))

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            await self.apply(Tick())
