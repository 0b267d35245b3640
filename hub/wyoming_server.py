"""The hub's Wyoming services, the front door Home Assistant (and any Wyoming client) uses:
`describe`, speech-to-text, text-to-speech (whole or streamed), wake word detection and
`handle` (conversation). Every request is one pipeline run on the hub's own node; what the run
produces is turned into the Wyoming answer the client expects."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, TypeVar

from wyoming.asr import Transcribe, Transcript, TranscriptChunk, TranscriptStart, TranscriptStop
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error as WyomingError
from wyoming.event import Event
from wyoming.handle import Handled, HandledChunk, HandledStart, HandledStop, NotHandled
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
)
from wyoming.wake import Detect, Detection, NotDetected

from protocol.aio import TaskSet
from protocol.audio import PcmConverter, PcmFormat
from protocol.clock import now
from protocol.errors import ProtocolError
from protocol.events import parse
from protocol.framing import FrameLimits
from protocol.run_events import (
    Error,
    IntentEnd,
    IntentProgress,
    PipelineEvent,
    Stamp,
    SttEnd,
    Wake,
)
from protocol.server import Connection

from .engines.errors import SttError, TtsError, WakeError
from .errors import PipelineError
from .pipeline.peer import ClientPeer, PeerGone, TextStream
from .pipeline.request import RunRequest, RunResult, Step
from .pipeline.run import Run
from .pipeline.services import Services

_LOGGER = logging.getLogger(__name__)
E = TypeVar("E")


class RequestPeer(ClientPeer):
    """One request's end of its run: the client's audio in, the Wyoming answer out."""

    def __init__(self, connection: ServiceConnection, context: dict[str, Any] | None = None):
        super().__init__(connection.services.node_id)
        self._connection = connection
        self._context = context
        self._audio_out: PcmFormat | None = None
        self._streaming_answer = False  # handled-start went out

    async def send(self, event: PipelineEvent) -> None:
        """The events a Wyoming client reads: transcript, detection, handled, error.

        As Wyoming 1.7 streams them, with the whole event in the middle for clients that read
        only that one (Home Assistant): `transcript-start`, `-chunk`, `transcript`, `-stop`;
        for an answer that streams (the LLM's) `handled-start`, a `handled-chunk` per clause,
        `handled`, `handled-stop`. A grammar answer is one `handled` (or `not-handled`).
        """
        if isinstance(event, SttEnd):
            await self._write(TranscriptStart(language=event.language).event())
            await self._write(TranscriptChunk(text=event.text).event())
            await self._write(Transcript(text=event.text, language=event.language).event())
            await self._write_last(TranscriptStop().event())
        elif isinstance(event, Wake) and event.source == "hub":
            await self._write(Detection(name=event.name, timestamp=event.audio_ms).event())
        elif isinstance(event, IntentProgress):
            if not self._streaming_answer:
                self._streaming_answer = True
                await self._write(HandledStart(context=self._context).event())
            await self._write(HandledChunk(text=event.text).event())
        elif isinstance(event, IntentEnd):
            reply = Handled if event.handled else NotHandled
            await self._write(reply(text=event.answer, context=self._context).event())
            if self._streaming_answer:
                await self._write_last(HandledStop().event())
        elif isinstance(event, Error):
            await self._write(WyomingError(text=event.message, code=event.code).event())

    async def start_audio(self, fmt: PcmFormat) -> None:
        """`audio-start` of the synthesized speech."""
        self._audio_out = fmt
        await self._write(
            AudioStart(rate=fmt.rate_hz, width=fmt.width, channels=fmt.channels).event()
        )

    async def write_audio(self, pcm: bytes) -> None:
        """One `audio-chunk`."""
        fmt = self._audio_out
        assert fmt is not None, "start_audio first"
        await self._write(
            AudioChunk(rate=fmt.rate_hz, width=fmt.width, channels=fmt.channels, audio=pcm).event()
        )

    async def end_audio(self) -> None:
        """`audio-stop`."""
        if self._audio_out is not None:
            self._audio_out = None
            await self._write(AudioStop().event())

    async def _write(self, event: Event) -> None:
        try:
            await self._connection.send(event)
        except (OSError, ProtocolError) as err:
            raise PeerGone(f"{self._connection.peer}: {err}") from err

    async def _write_last(self, event: Event) -> None:
        """The end of a stream, after the whole event a client may close on."""
        try:
            await self._write(event)
        except PeerGone as err:
            _LOGGER.debug("%s", err.message)


@dataclass
class _Pending:
    """A run fed while the client sends: its audio or text, and its task."""

    peer: RequestPeer
    task: asyncio.Task[RunResult]
    converter: PcmConverter | None = None  # audio runs
    pcm_bytes: int = 0
    wake: bool = False
    text: TextStream | None = None  # streamed synthesis


class ServiceConnection(Connection):
    """Serves one client; a request that fails sends `error` and ends the connection."""

    def __init__(
        self,
        peer: str,
        writer: asyncio.StreamWriter,
        limits: FrameLimits,
        services: Services,
        info: Info,
    ) -> None:
        super().__init__(peer, writer, limits)
        self.services = services
        self._info = info
        self._next: Transcribe | Detect | None = None
        self._audio: _Pending | None = None
        self._speech: _Pending | None = None
        self._tasks = TaskSet(f"wyoming {peer}")

    async def handle_event(self, event: Event) -> bool:
        try:
            return await self._dispatch(event)
        except PipelineError as err:  # a request refused before (or outside) its run
            _LOGGER.warning("%s: %s", self.peer, err.message)
            stamp = Stamp(None, self.services.node_id, now())
            self.services.events.publish(Error(stamp, code=err.code, message=err.message))
            await self.send_error(err.code, err.message)
            return False

    async def _dispatch(self, event: Event) -> bool:
        kind = event.type
        if AudioChunk.is_type(kind):
            return await self._on_audio_chunk(parse(AudioChunk, event))
        if Describe.is_type(kind):
            await self.send(self._info.event())
        elif Ping.is_type(kind):
            await self.send(Pong(text=parse(Ping, event).text).event())
        elif Transcribe.is_type(kind):
            self._require(self.services.stt, SttError, "speech-to-text")
            self._next = parse(Transcribe, event)
        elif Detect.is_type(kind):
            detect = parse(Detect, event)
            wake = self._require(self.services.wake, WakeError, "wake word detection")
            wake.check_names(detect.names)  # refuse unknown names now, not at audio-start
            self._next = detect
        elif AudioStart.is_type(kind):
            await self._on_audio_start(parse(AudioStart, event))
        elif AudioStop.is_type(kind):
            return await self._on_audio_stop()
        elif Synthesize.is_type(kind):
            if self._speech is None:  # while streaming it repeats the text for old clients
                return await self._synthesize(parse(Synthesize, event))
        elif SynthesizeStart.is_type(kind):
            await self._on_synthesize_start(parse(SynthesizeStart, event))
        elif SynthesizeChunk.is_type(kind):
            await self._on_synthesize_chunk(parse(SynthesizeChunk, event))
        elif SynthesizeStop.is_type(kind):
            return await self._on_synthesize_stop()
        elif Transcript.is_type(kind):
            return await self._handle(parse(Transcript, event))
        else:
            _LOGGER.info("%s sent an event the hub does not serve: %s", self.peer, kind)
            await self.send_error("unsupported-event", f"the hub does not serve {kind!r}")
        return True

    @staticmethod
    def _require(engine: E | None, error: type[PipelineError], what: str) -> E:
        if engine is None:
            raise error("service-disabled", f"{what} is turned off on this hub")
        return engine

    def _start(self, peer: RequestPeer, request: RunRequest) -> asyncio.Task[RunResult]:
        run = Run(self.services, peer, request)
        return self._tasks.spawn(run.execute(), run.id)

    # ---- audio in: speech-to-text and wake word ------------------------------------------------

    async def _on_audio_start(self, start: AudioStart) -> None:
        fmt = PcmFormat(rate_hz=start.rate, width=start.width, channels=start.channels)
        converter = PcmConverter(fmt)
        request, self._next = self._next or Transcribe(), None
        await self._drop_audio()
        peer = RequestPeer(self)
        if isinstance(request, Detect):
            self._require(self.services.wake, WakeError, "wake word detection")
            names = tuple(request.names) if request.names else None
            run = RunRequest(Step.WAKE, Step.WAKE, "request", wake_names=names)
            self._audio = _Pending(peer, self._start(peer, run), converter, wake=True)
        else:
            self._require(self.services.stt, SttError, "speech-to-text")
            run = RunRequest(Step.STT, Step.STT, "request", language=request.language, vad=False)
            self._audio = _Pending(peer, self._start(peer, run), converter)

    async def _on_audio_chunk(self, chunk: AudioChunk) -> bool:
        if self._audio is None and isinstance(self._next, Detect):
            # wyoming-satellite 1.0.0 streams to its wake service with no audio-start
            await self._on_audio_start(
                AudioStart(rate=chunk.rate, width=chunk.width, channels=chunk.channels)
            )
        audio = self._audio
        if audio is None:
            _LOGGER.info("%s sent audio-chunk before audio-start", self.peer)
            await self.send_error("unexpected-audio", "audio-chunk before audio-start; ignored")
            return True
        if audio.task.done():  # the run has failed and said why
            return False
        assert audio.converter is not None
        fmt = PcmFormat(rate_hz=chunk.rate, width=chunk.width, channels=chunk.channels)
        if fmt != audio.converter.source:
            audio.converter = PcmConverter(fmt)
        pcm = audio.converter.convert(chunk.audio)
        audio.pcm_bytes += len(pcm)
        if not audio.wake:
            stt = self._require(self.services.stt, SttError, "speech-to-text")
            stt.check_length(audio.pcm_bytes)  # refuse a flood as it arrives
        audio.peer.inbox.put(pcm)
        return True

    async def _on_audio_stop(self) -> bool:
        audio, self._audio = self._audio, None
        if audio is None:
            await self.send_error("unexpected-audio", "audio-stop without audio-start; ignored")
            return True
        assert audio.converter is not None
        audio.peer.inbox.put(audio.converter.flush())
        audio.peer.inbox.end()
        result = await audio.task
        if result.outcome != "ok":
            return False
        if audio.wake and result.detections == 0:
            await self.send(NotDetected().event())
        return True

    async def _drop_audio(self) -> None:
        audio, self._audio = self._audio, None
        if audio is not None:
            await self._tasks.cancel(audio.task)

    # ---- text-to-speech ------------------------------------------------------------------------

    def _check_voice(self, voice_name: str | None, chars: int) -> None:
        """Refuse an unknown voice or too long a text before anything is rendered."""
        tts = self._require(self.services.tts, TtsError, "text-to-speech")
        tts.check_length(chars)
        tts.voice(voice_name)

    async def _synthesize(self, request: Synthesize) -> bool:
        voice = request.voice.name if request.voice else None
        self._check_voice(voice, len(request.text))
        peer = RequestPeer(self)
        run = RunRequest(Step.TTS, Step.TTS, "request", text=request.text, voice=voice)
        result = await self._start(peer, run)
        return result.outcome == "ok"

    async def _on_synthesize_start(self, request: SynthesizeStart) -> None:
        voice = request.voice.name if request.voice else None
        self._check_voice(voice, 0)
        if self._speech is not None:
            await self._tasks.cancel(self._speech.task)
        peer = RequestPeer(self)
        text = TextStream()
        run = RunRequest(Step.TTS, Step.TTS, "request", text=text, voice=voice)
        self._speech = _Pending(peer, self._start(peer, run), text=text)

    async def _on_synthesize_chunk(self, chunk: SynthesizeChunk) -> None:
        speech = self._speech
        if speech is None or speech.text is None:
            await self.send_error("unexpected-text", "synthesize-chunk before synthesize-start")
            return
        speech.text.put(chunk.text)
        self._require(self.services.tts, TtsError, "text-to-speech").check_length(speech.text.chars)

    async def _on_synthesize_stop(self) -> bool:
        speech, self._speech = self._speech, None
        if speech is None or speech.text is None:
            await self.send_error("unexpected-text", "synthesize-stop before synthesize-start")
            return True
        speech.text.end()
        result = await speech.task
        if result.outcome != "ok":
            return False
        await self.send(SynthesizeStopped().event())
        return True

    # ---- conversation --------------------------------------------------------------------------

    async def _handle(self, transcript: Transcript) -> bool:
        context = transcript.context if isinstance(transcript.context, dict) else None
        conversation = context.get("conversation_id") if context else None
        ids = [context.get(k) for k in ("device_id", "satellite_id")] if context else []
        area = self.services.home.area_of(*(i for i in ids if isinstance(i, str)))
        peer = RequestPeer(self, transcript.context)
        run = RunRequest(
            Step.INTENT,
            Step.INTENT,
            "request",
            text=transcript.text,
            conversation_id=conversation if isinstance(conversation, str) else None,
            area=area,
        )
        result = await self._start(peer, run)
        return result.outcome == "ok"

    async def close(self) -> None:
        await self._tasks.aclose()
