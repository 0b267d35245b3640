"""One Wyoming peer of the satellite: Home Assistant, our hub, or a client asking `describe`.

The connection that sends `run-satellite` becomes the controller (a previous one is dropped);
every event it sends is answered here, quickly, so `ping` is never delayed by audio work.
"""

from __future__ import annotations

import asyncio
import logging

from wyoming.asr import Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.satellite import PauseSatellite, RunSatellite
from wyoming.timer import TimerCancelled, TimerFinished, TimerStarted, TimerUpdated
from wyoming.tts import Synthesize
from wyoming.vad import VoiceStarted, VoiceStopped
from wyoming.wake import Detect, Detection

from protocol.audio import PcmFormat
from protocol.errors import AudioFormatError, MalformedFrame
from protocol.events import parse
from protocol.framing import FrameLimits
from protocol.server import Connection

from .core import Satellite

_LOGGER = logging.getLogger(__name__)
REMOTE_RESTART_S = 2.0


class SatelliteConnection(Connection):
    """Answers `describe` and `ping`; hands controller events to the satellite."""

    def __init__(
        self,
        peer: str,
        writer: asyncio.StreamWriter,
        limits: FrameLimits,
        satellite: Satellite,
        info: Info,
    ) -> None:
        super().__init__(peer, writer, limits)
        self.satellite = satellite
        self.info = info
        self._restart: asyncio.Task[None] | None = None

    def drop(self) -> None:
        """Close the link (a newer controller took over, or a write failed)."""
        self._writer.close()

    async def close(self) -> None:
        if self._restart is not None:
            self._restart.cancel()
        self.satellite.controller_gone(self)

    @property
    def is_controller(self) -> bool:
        """True when this connection drives the satellite."""
        return self.satellite.controller is self

    async def handle_event(self, event: Event) -> bool:
        if Ping.is_type(event.type):
            await self.send(Pong(text=Ping.from_event(event).text).event())
        elif Describe.is_type(event.type):
            await self.send(self.info.event())
        elif RunSatellite.is_type(event.type):
            await self._run_satellite()
        elif AudioStart.is_type(event.type) or AudioChunk.is_type(event.type):
            self._audio(event)
        elif AudioStop.is_type(event.type):
            self.satellite.speaker.end_stream()
        elif not self.is_controller:
            _LOGGER.debug("%s: %s ignored (not the controller)", self.peer, event.type)
        else:
            try:
                await self._controller_event(event)
            except MalformedFrame as err:  # one bad event is not worth the controller link
                _LOGGER.warning("%s: %s", self.peer, err.message)
        return True

    async def _run_satellite(self) -> None:
        satellite = self.satellite
        satellite.adopt(self)
        if satellite.remote_wake:
            await self._start_remote()

    async def _start_remote(self) -> None:
        """No local wake word: one `run-pipeline` from `wake`, restarted by the controller."""
        satellite = self.satellite
        run = satellite.start_remote_run()
        pipeline = RunPipeline(
            start_stage=PipelineStage.WAKE, end_stage=satellite.end_stage, restart_on_end=True
        )
        await self.send(pipeline.event())
        run.streaming = True

    def _audio(self, event: Event) -> None:
        """Answer audio and announcements from any peer are played through the speaker."""
        speaker = self.satellite.speaker
        if AudioStart.is_type(event.type):
            try:
                start = parse(AudioStart, event)
                fmt = PcmFormat(start.rate, start.width, start.channels)
            except (MalformedFrame, AudioFormatError) as err:
                _LOGGER.warning("%s: audio-start refused: %s", self.peer, err.message)
                return
            speaker.start_stream(fmt, report=True)
            self.satellite.responding()
        elif not speaker.feed(event.payload or b""):
            _LOGGER.debug("%s: audio-chunk without audio-start dropped", self.peer)

    async def _controller_event(self, event: Event) -> None:
        satellite = self.satellite
        kind = event.type
        if PauseSatellite.is_type(kind):
            satellite.pause()
        elif Detect.is_type(kind):
            if self._restart is not None:
                self._restart.cancel()
                self._restart = None
            satellite.remote_wake_stage()
        elif Detection.is_type(kind):
            detection = parse(Detection, event)
            satellite.emit("wake", name=detection.name, remote=True)
            satellite.remote_detection()
        elif kind == "transcribe" or VoiceStarted.is_type(kind) or VoiceStopped.is_type(kind):
            satellite.emit(kind)
        elif Transcript.is_type(kind):
            text = parse(Transcript, event).text
            _LOGGER.info("Transcript: %s", text)
            satellite.emit("transcript", text=text)
            satellite.stop_streaming("transcript")
        elif Synthesize.is_type(kind):
            text = parse(Synthesize, event).text
            _LOGGER.info("Answer: %s", text)
            satellite.emit("response", text=text)
        elif Error.is_type(kind):
            await self._error(parse(Error, event))
        elif kind.startswith("timer-"):
            self._timer(event)
        else:
            _LOGGER.debug("%s: %s ignored", self.peer, kind)

    async def _error(self, error: Error) -> None:
        satellite = self.satellite
        _LOGGER.warning("Controller error %s: %s", error.code, error.text)
        satellite.emit("error", code=error.code, text=error.text)
        satellite.controller_error()
        if satellite.remote_wake and self._restart is None:
            self._restart = asyncio.create_task(self._restart_remote())

    async def _restart_remote(self) -> None:
        """After an error, re-request the always-on pipeline unless the controller restarts it
        itself (a `detect` cancels this)."""
        try:
            await asyncio.sleep(REMOTE_RESTART_S)
            if self.is_controller and not self.satellite.paused:
                _LOGGER.info("Restarting the streaming pipeline after the error")
                await self._start_remote()
        finally:
            self._restart = None

    def _timer(self, event: Event) -> None:
        satellite = self.satellite
        if TimerStarted.is_type(event.type):
            started = parse(TimerStarted, event)
            satellite.timers.add(started.id)
            satellite.emit("timer-started", id=started.id, total_seconds=started.total_seconds)
        elif TimerUpdated.is_type(event.type):
            updated = parse(TimerUpdated, event)
            satellite.timers.add(updated.id)
            satellite.emit("timer-updated", id=updated.id, total_seconds=updated.total_seconds)
        elif TimerCancelled.is_type(event.type):
            timer_id = parse(TimerCancelled, event).id
            satellite.timers.discard(timer_id)
            satellite.emit("timer-cancelled", id=timer_id)
        elif TimerFinished.is_type(event.type):
            timer_id = parse(TimerFinished, event).id
            satellite.timers.discard(timer_id)
            _LOGGER.info("Timer %s finished", timer_id)
            satellite.emit("timer-finished", id=timer_id)
            satellite.play_timer_sound()
        else:
            _LOGGER.debug("%s: %s ignored", self.peer, event.type)
            return
        satellite.on_state()
