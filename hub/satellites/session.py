"""What the hub knows and does for one satellite, across reconnects: its runs, its state, its
announcements and its timers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from wyoming.audio import AudioChunk, AudioStop
from wyoming.event import Event
from wyoming.info import Info
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.snd import Played
from wyoming.wake import Detection

from protocol.aio import cancel_and_wait
from protocol.audio import PcmConverter, PcmFormat
from protocol.errors import ProtocolError
from protocol.events import parse

from ..connection import Engines
from ..engines.vad import SileroVad
from ..settings import SatelliteSettings, VadSettings
from .arbiter import Arbiter
from .events import RunEvents
from .link import SatelliteLink
from .run import Run, WakeUp
from .speech import speak

_LOGGER = logging.getLogger(__name__)
INTERRUPT_WAIT_S = 2.0


@dataclass
class _Pipeline:
    """What the satellite asked for in its last `run-pipeline`."""

    end_stage: PipelineStage
    restart_on_end: bool


class SatelliteSession:
    """One satellite: feeds its audio to the current run and speaks to it."""

    def __init__(
        self,
        satellite_id: str,
        engines: Engines,
        settings: SatelliteSettings,
        vad_settings: VadSettings,
        arbiter: Arbiter,
        others_connected: Callable[[SatelliteSession], int] = lambda _s: 0,
    ) -> None:
        self.id = satellite_id
        self.others_connected = others_connected
        self.engines = engines
        self.settings = settings
        self.vad_settings = vad_settings
        self.arbiter = arbiter
        self.events = RunEvents(satellite_id, settings.history)
        self.name = satellite_id
        self.area: str | None = None
        self.link: SatelliteLink | None = None
        self.state = "disconnected"
        self.last_answer: str | None = None
        self.run: Run | None = None
        self._task: asyncio.Task[None] | None = None
        self._phrases: dict[str, str] = {}
        self._wake: WakeUp | None = None
        self._converter: PcmConverter | None = None
        self._vad: SileroVad | None = None
        self._streaming = False
        self._state_readers: list[Callable[[SatelliteSession], None]] = []
        self._idle = asyncio.Event()
        self._announcements: asyncio.Queue[str] = asyncio.Queue(settings.announce_queue)
        self._announcer: asyncio.Task[None] | None = None
        self._announcing: asyncio.Task[float] | None = None
        self._announce_played = asyncio.Event()

    # ---- connection ---------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True while the hub drives the satellite."""
        return self.link is not None and self.link.connected

    async def attach(self, link: SatelliteLink, info: Info) -> None:
        """The link (re)connected and the satellite described itself."""
        satellite = info.satellite
        assert satellite is not None
        self.link = link
        self.name = satellite.name or self.id
        self.area = satellite.area
        self._phrases = {
            model.name: model.phrase or model.name.replace("_", " ")
            for program in info.wake
            for model in program.models
        }
        _LOGGER.info("Satellite %s (%s) connected at %s", self.id, self.name, link.address)
        if self._announcer is None:
            self._announcer = asyncio.create_task(self._announce_loop(), name=f"announce {self.id}")
        self.set_state("idle")

    def detach(self, link: SatelliteLink) -> None:
        """The link is down: end the run; announcements wait for the next connection."""
        if link is not self.link:
            return
        _LOGGER.info("Satellite %s disconnected", self.id)
        self._cancel_run()
        self._cancel_announcing()
        self._streaming = False
        self.set_state("disconnected")

    async def close(self) -> None:
        """The hub is stopping: end the run and the announcer."""
        for task in (self._task, self._announcing, self._announcer):
            if task is not None:
                task.cancel()
        tasks = [t for t in (self._task, self._announcing, self._announcer) if t is not None]
        await asyncio.gather(*tasks, return_exceptions=True)

    async def send(self, event: Event) -> bool:
        """Send to the satellite; False when it is not connected."""
        return self.link is not None and await self.link.send(event)

    async def start_audio_stream(self, start: Event) -> None:
        """Begin an answer or announcement stream."""
        self._streaming = True
        await self.send(start)

    async def end_audio_stream(self) -> None:
        """End the stream being played (also when an answer is cut short)."""
        if self._streaming:
            self._streaming = False
            await self.send(AudioStop().event())

    # ---- state --------------------------------------------------------------------------------

    def add_state_reader(self, reader: Callable[[SatelliteSession], None]) -> None:
        """Call `reader` whenever the state changes."""
        self._state_readers.append(reader)

    def set_state(self, state: str) -> None:
        """idle / listening / processing / responding / disconnected."""
        if state == "idle":
            self._idle.set()
        else:
            self._idle.clear()
        if state == self.state:
            return
        self.state = state
        for reader in self._state_readers:
            try:
                reader(self)
            except Exception:
                _LOGGER.exception("Satellite state reader failed")

    def vad(self) -> SileroVad:
        """The session's VAD, reset for a new command (one run listens at a time)."""
        if self._vad is None:
            self._vad = SileroVad()
        self._vad.reset()
        return self._vad

    # ---- events from the satellite ------------------------------------------------------------

    async def on_event(self, event: Event) -> None:
        """One event from the satellite; a malformed one is logged and skipped."""
        try:
            await self._dispatch(event)
        except ProtocolError as err:
            _LOGGER.warning("Satellite %s: %s ignored: %s", self.id, event.type, err.message)

    async def _dispatch(self, event: Event) -> None:
        kind = event.type
        if AudioChunk.is_type(kind):
            self._audio(parse(AudioChunk, event))
        elif AudioStop.is_type(kind):
            if self.run is not None:
                self.run.feed(None)
        elif Detection.is_type(kind):
            detection = parse(Detection, event)
            name = detection.name
            context = detection.context or {}
            score = context.get("score") if isinstance(context, dict) else None
            self._wake = WakeUp(
                name,
                self._phrases.get(name or "", name or ""),
                float(score) if isinstance(score, int | float) else None,
                "satellite",
            )
        elif RunPipeline.is_type(kind):
            request = parse(RunPipeline, event)
            # Satellites older than `restart_on_end` (wyoming-satellite 1.0.0) stream from
            # `wake` once and expect the pipeline to go on listening.
            restart = request.restart_on_end or (
                request.start_stage is PipelineStage.WAKE and "restart_on_end" not in event.data
            )
            pipeline = _Pipeline(request.end_stage, restart)
            await self._start_run(request.start_stage, pipeline)
        elif Played.is_type(kind):
            if self.run is not None:
                self.run.played.set()
            self._announce_played.set()
        elif kind != "audio-start":
            _LOGGER.debug("Satellite %s: %s ignored", self.id, kind)

    def _audio(self, chunk: AudioChunk) -> None:
        run = self.run
        if run is None or not run.accepting_audio:
            return  # as Home Assistant: audio outside a run is dropped
        fmt = PcmFormat(rate_hz=chunk.rate, width=chunk.width, channels=chunk.channels)
        if self._converter is None or self._converter.source != fmt:
            self._converter = PcmConverter(fmt)
        run.feed(self._converter.convert(chunk.audio))

    # ---- runs ---------------------------------------------------------------------------------

    async def _start_run(
        self, start_stage: PipelineStage, pipeline: _Pipeline, interrupt: bool = True
    ) -> None:
        """A new wake-up: it interrupts whatever the satellite was doing."""
        if interrupt:
            await self._interrupt()
        if start_stage not in (PipelineStage.WAKE, PipelineStage.ASR):
            _LOGGER.warning(
                "Satellite %s asked to start at %s; the hub runs from wake or asr only",
                self.id,
                start_stage.value,
            )
            return
        wake, self._wake = self._wake, None
        if start_stage is PipelineStage.ASR and wake is None:
            wake = WakeUp(None, "", None, "satellite")  # a wake-up it did not name
        run = Run(self, start_stage, pipeline.end_stage, wake)
        self.run = run
        self._converter = None
        self._task = asyncio.create_task(self._drive(run, pipeline), name=f"run {run.id}")

    async def _interrupt(self) -> None:
        self._cancel_announcing()
        task = self._task
        if task is not None:
            await cancel_and_wait(task, INTERRUPT_WAIT_S)

    async def _drive(self, run: Run, pipeline: _Pipeline) -> None:
        try:
            await run.main()
        except asyncio.CancelledError:
            await run.interrupted()
            raise
        except Exception:
            _LOGGER.exception("Satellite %s: run %s failed", self.id, run.id)
        finally:
            if self.run is run:
                self.run = None
                if self.connected:
                    self.set_state("idle")
        if pipeline.restart_on_end and self.connected:
            await self._start_run(PipelineStage.WAKE, pipeline, interrupt=False)

    def _cancel_run(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self.run = None

    # ---- announcements ------------------------------------------------------------------------

    def announce(self, text: str) -> bool:
        """Queue `text` to be spoken when the satellite is idle; False when the queue is full."""
        try:
            self._announcements.put_nowait(text)
        except asyncio.QueueFull:
            _LOGGER.warning("Satellite %s: announcement queue full; dropped %r", self.id, text)
            return False
        return True

    async def _announce_loop(self) -> None:
        while True:
            text = await self._announcements.get()
            await self._idle.wait()
            _LOGGER.info("Satellite %s: announcing %r", self.id, text)
            self.set_state("responding")
            announcing = asyncio.create_task(speak(self, text, None, self._announce_played))
            self._announcing = announcing
            try:
                await asyncio.wait({announcing})  # a wake-up cancels `announcing`, not this loop
                if announcing.cancelled():
                    _LOGGER.info("Satellite %s: announcement cut short by a wake-up", self.id)
                    await self.end_audio_stream()
                elif (error := announcing.exception()) is not None:
                    _LOGGER.warning("Satellite %s: announcement failed: %s", self.id, error)
            finally:
                self._announcing = None
                if self.run is None and self.connected:
                    self.set_state("idle")

    def _cancel_announcing(self) -> None:
        if self._announcing is not None and not self._announcing.done():
            self._announcing.cancel()
