"""A satellite as the peer of one run: the pipeline's events become the Wyoming events Home
Assistant sends a satellite (`detect`, `transcribe`, `voice-started`, `transcript`,
`synthesize`, `error`, ...), its audio comes in through the run's own inbox, the answer's audio
goes out to it, and its `played` ends the wait."""

from __future__ import annotations

import asyncio
from typing import Protocol

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error as WyomingError
from wyoming.event import Event
from wyoming.tts import Synthesize, SynthesizeVoice
from wyoming.vad import VoiceStarted as WyomingVoiceStarted
from wyoming.vad import VoiceStopped as WyomingVoiceStopped
from wyoming.wake import Detect, Detection

from protocol.aio import bounded
from protocol.audio import PcmFormat
from protocol.run_events import (
    Error,
    PipelineEvent,
    SttEnd,
    SttStart,
    TtsStart,
    VoiceStarted,
    VoiceStopped,
    Wake,
    WakeStart,
)
from protocol.states import NodeState

from ..pipeline.peer import AudioInbox


class Session(Protocol):
    """What a run's peer needs of the satellite's session."""

    @property
    def id(self) -> str:
        """The satellite's id on the hub."""
        ...

    async def send_wyoming(self, event: Event) -> None:
        """Send to the satellite; PeerGone when it cannot be reached."""

    def set_state(self, state: NodeState) -> None:
        """The satellite's state, as published."""

    def voice_language(self, voice: str) -> str | None:
        """The language of one of the hub's voices."""
        ...


class SatellitePeer:
    """One run's view of a satellite session."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._audio_out: PcmFormat | None = None
        self.inbox = AudioInbox()
        self.played = asyncio.Event()

    @property
    def node_id(self) -> str:
        """The satellite's id on the hub."""
        return self._session.id

    async def send(self, event: PipelineEvent) -> None:
        """Tell the satellite what Home Assistant would tell it for this event."""
        wyoming = self._translate(event)
        if wyoming is not None:
            await self._session.send_wyoming(wyoming)

    def _translate(self, event: PipelineEvent) -> Event | None:
        if isinstance(event, WakeStart):
            return Detect(names=list(event.names) if event.names else None).event()
        if isinstance(event, Wake):
            if event.source != "hub":
                return None  # the satellite heard it itself
            return Detection(name=event.name, timestamp=event.audio_ms).event()
        if isinstance(event, SttStart):
            return Transcribe(language=event.language).event()
        if isinstance(event, VoiceStarted):
            return WyomingVoiceStarted(timestamp=event.audio_ms).event()
        if isinstance(event, VoiceStopped):
            return WyomingVoiceStopped(timestamp=event.audio_ms).event()
        if isinstance(event, SttEnd):
            return Transcript(text=event.text, language=event.language).event()
        if isinstance(event, TtsStart) and event.text is not None:
            language = self._session.voice_language(event.voice)
            voice = SynthesizeVoice(name=event.voice, language=language)
            return Synthesize(text=event.text, voice=voice).event()
        if isinstance(event, Error):
            return WyomingError(text=event.message, code=event.code).event()
        return None

    def set_state(self, state: NodeState) -> None:
        """The session's state, as published."""
        self._session.set_state(state)

    async def read_audio(self, timeout_s: float | None) -> bytes | None:
        """The satellite's next mic chunk (16 kHz mono)."""
        return await self.inbox.get(timeout_s)

    def stop_audio(self) -> None:
        """The run has heard enough."""
        self.inbox.close()

    async def start_audio(self, fmt: PcmFormat) -> None:
        """The answer's `audio-start`."""
        self.played.clear()
        self._audio_out = fmt
        await self._session.send_wyoming(
            AudioStart(rate=fmt.rate_hz, width=fmt.width, channels=fmt.channels).event()
        )

    async def write_audio(self, pcm: bytes) -> None:
        """One `audio-chunk` of the answer."""
        fmt = self._audio_out
        assert fmt is not None, "start_audio first"
        chunk = AudioChunk(rate=fmt.rate_hz, width=fmt.width, channels=fmt.channels, audio=pcm)
        await self._session.send_wyoming(chunk.event())

    async def end_audio(self) -> None:
        """The answer's `audio-stop` (also when it is cut short)."""
        if self._audio_out is not None:
            self._audio_out = None
            await self._session.send_wyoming(AudioStop().event())

    async def wait_played(self, timeout_s: float) -> bool:
        """Until the satellite says `played`, at most `timeout_s`."""
        try:
            await bounded(self.played.wait(), timeout_s)
        except TimeoutError:
            return False
        return True
