"""One Wyoming peer of the satellite: Home Assistant, our hub, or a client asking `describe`.

It only translates: `ping` and `describe` are answered here, at once, so a ping is never
delayed by audio work; answer audio goes to the speaker; everything else becomes an input of
the satellite's state machine. The connection that sends `run-satellite` becomes the
controller; events about runs from any other connection are ignored.
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
from wyoming.satellite import PauseSatellite, RunSatellite
from wyoming.timer import TimerCancelled, TimerFinished, TimerStarted, TimerUpdated
from wyoming.tts import Synthesize
from wyoming.vad import VoiceStarted, VoiceStopped
from wyoming.wake import Detect, Detection

from protocol.audio import PcmFormat
from protocol.errors import AudioFormatError, MalformedFrame
from protocol.events import LISTEN_EVENT_TYPE, parse
from protocol.framing import FrameLimits
from protocol.server import Connection

from .messages import (
    Adopt,
    AnswerStarted,
    ControllerEvent,
    ControllerGone,
    Input,
    ListenRequested,
    Pause,
    TimerChanged,
)
from .runtime import SatelliteRuntime

_LOGGER = logging.getLogger(__name__)


class SatelliteConnection(Connection):
    """Answers `describe` and `ping`; hands the controller's events to the satellite."""

    def __init__(
        self,
        peer: str,
        writer: asyncio.StreamWriter,
        limits: FrameLimits,
        satellite: SatelliteRuntime,
        info: Info,
    ) -> None:
        super().__init__(peer, writer, limits)
        self.satellite = satellite
        self.info = info

    def drop(self) -> None:
        """Close the link (a newer controller took over, or a write failed)."""
        self._writer.close()

    async def close(self) -> None:
        await self.satellite.apply(ControllerGone(self))

    async def handle_event(self, event: Event) -> bool:
        kind = event.type
        if Ping.is_type(kind):
            await self.send(Pong(text=Ping.from_event(event).text).event())
        elif Describe.is_type(kind):
            await self.send(self.info.event())
        elif RunSatellite.is_type(kind):
            await self.satellite.apply(Adopt(self))
        elif AudioStart.is_type(kind) or AudioChunk.is_type(kind) or AudioStop.is_type(kind):
            await self._answer_audio(event)
        elif self.satellite.controller is not self:
            _LOGGER.debug("%s: %s ignored (not the controller)", self.peer, kind)
        else:
            try:
                item = self._translate(event)
            except MalformedFrame as err:  # one bad event is not worth the controller link
                _LOGGER.warning("%s: %s", self.peer, err.message)
                return True
            if item is None:
                _LOGGER.debug("%s: %s ignored", self.peer, kind)
            else:
                await self.satellite.apply(item)
        return True

    async def _answer_audio(self, event: Event) -> None:
        """Answer audio and announcements from any peer are played through the speaker."""
        satellite = self.satellite
        if AudioStart.is_type(event.type):
            try:
                start = parse(AudioStart, event)
                fmt = PcmFormat(start.rate, start.width, start.channels)
            except (MalformedFrame, AudioFormatError) as err:
                _LOGGER.warning("%s: audio-start refused: %s", self.peer, err.message)
                return
            satellite.answer_start(fmt)
            await satellite.apply(AnswerStarted())
        elif AudioStop.is_type(event.type):
            satellite.answer_end()
        elif not satellite.answer_chunk(event.payload or b""):
            _LOGGER.debug("%s: audio-chunk without audio-start dropped", self.peer)

    @staticmethod
    def _translate(event: Event) -> Input | None:
        """The controller's event as an input of the machine (None: nothing to do)."""
        kind = event.type
        if PauseSatellite.is_type(kind):
            return Pause()
        if kind == LISTEN_EVENT_TYPE:
            return ListenRequested()
        if Detect.is_type(kind):
            return ControllerEvent("detect")
        if Detection.is_type(kind):
            return ControllerEvent("detection", name=parse(Detection, event).name)
        if kind == "transcribe" or VoiceStarted.is_type(kind) or VoiceStopped.is_type(kind):
            return ControllerEvent(kind)
        if Transcript.is_type(kind):
            return ControllerEvent("transcript", text=parse(Transcript, event).text)
        if Synthesize.is_type(kind):
            synthesize = parse(Synthesize, event)
            voice = synthesize.voice.name if synthesize.voice else None
            return ControllerEvent("synthesize", text=synthesize.text, name=voice)
        if Error.is_type(kind):
            error = parse(Error, event)
            return ControllerEvent("error", text=error.text, code=error.code)
        if TimerStarted.is_type(kind):
            started = parse(TimerStarted, event)
            return TimerChanged("started", _id(started.id), _seconds(started.total_seconds))
        if TimerUpdated.is_type(kind):
            updated = parse(TimerUpdated, event)
            active = updated.is_active if isinstance(updated.is_active, bool) else None
            return TimerChanged("updated", _id(updated.id), _seconds(updated.total_seconds), active)
        if TimerCancelled.is_type(kind):
            return TimerChanged("cancelled", _id(parse(TimerCancelled, event).id))
        if TimerFinished.is_type(kind):
            return TimerChanged("finished", _id(parse(TimerFinished, event).id))
        return None


def _id(value: object) -> str:
    if not isinstance(value, str):
        raise MalformedFrame(f"a timer id must be a string, got {value!r}")
    return value


def _seconds(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedFrame(f"a timer's total_seconds must be a number, got {value!r}")
    return round(value)
