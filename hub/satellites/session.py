"""What the hub knows and does for one satellite, across reconnects: its runs (each a pipeline
run with the satellite as its peer), its state, its announcements."""

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

from protocol.aio import TaskSet, bounded
from protocol.audio import PcmConverter, PcmFormat
from protocol.errors import ProtocolError
from protocol.events import listen_event, parse
from protocol.states import NodeState
from protocol.version import HOMEVOICE

from ..errors import PipelineError
from ..pipeline.peer import GONE, PeerGone
from ..pipeline.request import RunRequest, RunResult, Step, WakeUp
from ..pipeline.run import Run, RunError
from ..pipeline.services import Services
from ..settings import SatelliteSettings
from .arbiter import Arbiter
from .link import SatelliteLink
from .peer import SatellitePeer

_LOGGER = logging.getLogger(__name__)
INTERRUPT_WAIT_S = 2.0


class ListenRefused(PipelineError):
    """The satellite cannot be told to listen now."""


@dataclass(frozen=True)
class _Pipeline:
    """What the satellite asked for in its last `run-pipeline`."""

    end: Step
    restart_on_end: bool


@dataclass
class _Current:
    """The run in progress and its peer (audio goes to that peer's inbox)."""

    run: Run
    peer: SatellitePeer
    task: asyncio.Task[RunResult]


class SatelliteSession:
    """One satellite: the peer of its runs, their state, and what it is told to say."""

    def __init__(
        self,
        satellite_id: str,
        services: Services,
        settings: SatelliteSettings,
        arbiter: Arbiter,
        others_connected: Callable[[SatelliteSession], int] = lambda _s: 0,
    ) -> None:
        self.id = satellite_id
        self.services = services
        self.settings = settings
        self.arbiter = arbiter
        self.others_connected = others_connected
        self.name = satellite_id
        self.area: str | None = None
        self.link: SatelliteLink | None = None
        self.state = NodeState.DISCONNECTED
        self._current: _Current | None = None
        self._announcing: _Current | None = None
        self._phrases: dict[str, str] = {}
        self._wake: WakeUp | None = None
        self._converter: PcmConverter | None = None
        self._state_readers: list[Callable[[SatelliteSession], None]] = []
        self._idle = asyncio.Event()
        self._announcements: asyncio.Queue[str] = asyncio.Queue(settings.announce_queue)
        self._tasks = TaskSet(f"satellite {satellite_id}")
        self._announcer: asyncio.Task[None] | None = None
        self._ours = False  # a homevoice satellite (it knows our `listen` event)
        self._pipeline = _Pipeline(Step.TTS, restart_on_end=False)

    # ---- connection ----------------------------------------------------------------------------

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
        self.services.home.satellite_area(self.id, self.area)
        attribution = satellite.attribution
        self._ours = attribution is not None and attribution.name == HOMEVOICE.name
        self._phrases = {
            model.name: model.phrase or model.name.replace("_", " ")
            for program in info.wake
            for model in program.models
        }
        _LOGGER.info("Satellite %s (%s) connected at %s", self.id, self.name, link.address)
        if self._announcer is None:
            self._announcer = self._tasks.spawn(self._announce_loop(), "announcer")
        self.set_state(NodeState.IDLE)

    def detach(self, link: SatelliteLink) -> None:
        """The link is down: end the run; announcements wait for the next connection."""
        if link is not self.link:
            return
        _LOGGER.info("Satellite %s disconnected", self.id)
        for current in (self._current, self._announcing):
            if current is not None:
                current.task.cancel(GONE)
        self._current = None
        self.set_state(NodeState.DISCONNECTED)

    async def close(self) -> None:
        """The hub is stopping: end the run and the announcer."""
        await self._tasks.aclose()

    async def send_wyoming(self, event: Event) -> None:
        """Send to the satellite; PeerGone when it is not connected or the write failed."""
        link = self.link
        if link is None or not await link.send(event):
            raise PeerGone(f"satellite {self.id} is not connected")

    def voice_language(self, voice: str) -> str | None:
        """The language of one of the hub's voices."""
        tts = self.services.tts
        loaded = tts.voices.get(voice) if tts is not None else None
        return loaded.language if loaded is not None else None

    # ---- state ---------------------------------------------------------------------------------

    def add_state_reader(self, reader: Callable[[SatelliteSession], None]) -> None:
        """Call `reader` whenever the state changes."""
        self._state_readers.append(reader)

    def remove_state_reader(self, reader: Callable[[SatelliteSession], None]) -> None:
        """Stop calling `reader`."""
        if reader in self._state_readers:
            self._state_readers.remove(reader)

    def set_state(self, state: NodeState) -> None:
        """What the satellite is doing, as the hub sees it (stays `disconnected` while it is)."""
        if not self.connected and state is not NodeState.DISCONNECTED:
            return
        if state is NodeState.IDLE:
            self._idle.set()
        else:
            self._idle.clear()
        if state is self.state:
            return
        self.state = state
        for reader in list(self._state_readers):
            try:
                reader(self)
            except Exception:
                _LOGGER.exception("Satellite state reader failed")

    # ---- events from the satellite -------------------------------------------------------------

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
            if self._current is not None:
                self._current.peer.inbox.end()
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
                detection.timestamp,
            )
        elif RunPipeline.is_type(kind):
            request = parse(RunPipeline, event)
            # Satellites older than `restart_on_end` (wyoming-satellite 1.0.0) stream from
            # `wake` once and expect the pipeline to go on listening.
            restart = request.restart_on_end or (
                request.start_stage is PipelineStage.WAKE and "restart_on_end" not in event.data
            )
            pipeline = _Pipeline(Step.from_wyoming(request.end_stage), restart)
            await self._start_run(request.start_stage, pipeline)
        elif Played.is_type(kind):
            for current in (self._current, self._announcing):
                if current is not None:
                    current.peer.played.set()
        elif kind != "audio-start":
            _LOGGER.debug("Satellite %s: %s ignored", self.id, kind)

    def _audio(self, chunk: AudioChunk) -> None:
        current = self._current
        if current is None or not current.peer.inbox.open:
            return  # as Home Assistant: audio outside a run is dropped
        fmt = PcmFormat(rate_hz=chunk.rate, width=chunk.width, channels=chunk.channels)
        if self._converter is None or self._converter.source != fmt:
            self._converter = PcmConverter(fmt)
        current.peer.inbox.put(self._converter.convert(chunk.audio))

    # ---- runs ----------------------------------------------------------------------------------

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
        self._pipeline = pipeline
        start = Step.from_wyoming(start_stage)
        wake, self._wake = self._wake, None
        if start is Step.STT and wake is None:
            wake = WakeUp(None)  # a wake-up it did not name
        trigger = "stream" if start is Step.WAKE else "wake" if wake and wake.name else "listen"
        request = RunRequest(
            start,
            max(start, pipeline.end),
            trigger,
            wake=wake,
            satellite=self.name,
            device_id=self.id,
            area=self.area,
            conversation_id=self.id,
            admit=self._admit,
            played_timeout_s=self.settings.played_timeout_s,
        )
        peer = SatellitePeer(self)
        run = Run(self.services, peer, request)
        self._converter = None
        task = self._tasks.spawn(self._drive(run, pipeline), run.id)
        self._current = _Current(run, peer, task)

    async def _interrupt(self) -> None:
        for current in (self._announcing, self._current):
            if current is not None:
                await self._tasks.cancel(current.task, INTERRUPT_WAIT_S)

    async def _drive(self, run: Run, pipeline: _Pipeline) -> RunResult:
        try:
            result = await run.execute()
        finally:
            ours = self._current is not None and self._current.run is run
            if ours:
                self._current = None
        if ours:  # not cut short (a new wake-up, the link lost, the hub stopping)
            self.set_state(NodeState.IDLE)
            if pipeline.restart_on_end and self.connected:
                await self._start_run(PipelineStage.WAKE, pipeline, interrupt=False)
        return result

    async def _admit(self, wake: WakeUp | None) -> None:
        """Wait out the contest with other satellites that heard the same wake-up; RunError
        when another one answers instead. Audio keeps queueing meanwhile."""
        loop = asyncio.get_running_loop()
        phrase = wake.phrase if wake else ""
        score = wake.score if wake else None
        contest, entry = self.arbiter.claim(phrase, self.id, score, loop.time())
        if self.others_connected(self) == 0:
            return  # no other satellite could have heard it: no need to wait
        delay_s = contest.closes_s - loop.time()
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        if self.arbiter.verdict(contest, entry, max(loop.time(), contest.closes_s)):
            return
        winner = contest.winner().satellite_id
        raise RunError(
            "duplicate_wake_up_detected", f"{winner} heard the same wake word and answers instead"
        )

    # ---- asked from outside (HTTP) -------------------------------------------------------------

    async def listen(self) -> str:
        """Start a run without the wake word: `now` when the satellite streams to the hub,
        `asked` when a homevoice satellite was told to; ListenRefused otherwise."""
        if not self.connected:
            raise ListenRefused("satellite-offline", f"satellite {self.id} is not connected")
        current = self._current
        if current is not None and current.run.request.start is Step.WAKE:
            if current.run.result.wake is None:  # the hub listens for its wake word
                _LOGGER.info("Satellite %s: listening without the wake word (asked)", self.id)
                self._wake = WakeUp(None, source="hub")  # its `detection` wakes the satellite
                await self._start_run(PipelineStage.ASR, self._pipeline)
                return "now"
        if self._ours:
            await self.send_wyoming(listen_event())
            return "asked"
        raise ListenRefused(
            "cannot-listen",
            f"satellite {self.id} starts a run only on its own wake word; it cannot be told to",
        )

    async def converse(self, text: str, speak: bool, timeout_s: float) -> RunResult:
        """`text` as if it had been said here: the answer and its actions, spoken here when
        `speak` (once the satellite is idle, within `timeout_s`)."""
        request = RunRequest(
            Step.INTENT,
            Step.TTS if speak else Step.INTENT,
            "converse",
            text=text,
            satellite=self.name,
            device_id=self.id,
            area=self.area,
            conversation_id=self.id,
            played_timeout_s=self.settings.played_timeout_s,
        )
        if speak:
            if not self.connected:
                raise ListenRefused("satellite-offline", f"satellite {self.id} is not connected")
            await bounded(self._idle.wait(), timeout_s)
        return await self._spoken_run(request)

    async def _spoken_run(self, request: RunRequest) -> RunResult:
        """A run that speaks here without listening (an announcement, a typed command): a
        wake-up cuts it short."""
        peer = SatellitePeer(self)
        run = Run(self.services, peer, request)
        task = self._tasks.spawn(run.execute(), run.id)
        self._announcing = _Current(run, peer, task)
        try:
            await asyncio.wait({task})  # a wake-up cancels `task`, not the caller
        finally:
            self._announcing = None
            if self._current is None:
                self.set_state(NodeState.IDLE)
        if task.cancelled():
            _LOGGER.info("Satellite %s: %s cut short by a wake-up", self.id, request.trigger)
            run.result.outcome = "cancelled"
            return run.result
        return task.result()

    # ---- announcements -------------------------------------------------------------------------

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
            request = RunRequest(
                Step.TTS,
                Step.TTS,
                "announce",
                text=text,
                satellite=self.name,
                played_timeout_s=self.settings.played_timeout_s,
            )
            await self._spoken_run(request)
