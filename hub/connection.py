"""One Wyoming peer of the hub: describe, speech-to-text, text-to-speech, wake, and handle."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TypeVar

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
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

from protocol.aio import cancel_and_wait
from protocol.audio import PcmConverter, PcmFormat
from protocol.events import parse
from protocol.framing import FrameLimits
from protocol.server import Connection

from .clauses import ClauseBuffer, split_text
from .engines.errors import EngineError, SttError, TtsError, WakeError
from .engines.stt import WhisperEngine
from .engines.tts import LoadedVoice, PiperEngine
from .engines.wake import WakeDetector, WakeEngine
from .intents.agent import LlmAgent
from .intents.handler import IntentHandler
from .intents.home import Home

_LOGGER = logging.getLogger(__name__)

E = TypeVar("E")


@dataclass
class Engines:
    """What the hub has loaded; a missing engine means that service is off."""

    stt: WhisperEngine | None
    tts: PiperEngine | None
    wake: WakeEngine | None
    info: Info
    intents: IntentHandler
    home: Home
    agent: LlmAgent


@dataclass
class _AudioIn:
    """An incoming audio stream converted to 16 kHz mono 16-bit."""

    converter: PcmConverter
    language: str | None = None
    pcm: bytearray = field(default_factory=bytearray)
    detector: WakeDetector | None = None
    detected: bool = False


@dataclass
class _SpeechOut:
    """A streamed synthesis (`synthesize-start` .. `synthesize-stop`)."""

    voice: LoadedVoice
    clauses: ClauseBuffer
    pieces: asyncio.Queue[str | None]
    worker: asyncio.Task[None] | None = None
    chars: int = 0


class HubConnection(Connection):
    """Serves one peer; errors that end a request send `error` and close the connection."""

    def __init__(
        self, peer: str, writer: asyncio.StreamWriter, limits: FrameLimits, engines: Engines
    ) -> None:
        super().__init__(peer, writer, limits)
        self._engines = engines
        self._next: Transcribe | Detect | None = None
        self._audio: _AudioIn | None = None
        self._speech: _SpeechOut | None = None

    async def handle_event(self, event: Event) -> bool:
        try:
            return await self._dispatch(event)
        except EngineError as err:
            _LOGGER.warning("%s: %s", self.peer, err.message)
            await self.send_error(err.code, err.message)
            return False

    async def _dispatch(self, event: Event) -> bool:
        if AudioChunk.is_type(event.type):
            return await self._on_audio_chunk(parse(AudioChunk, event))
        if Describe.is_type(event.type):
            await self.send(self._engines.info.event())
        elif Ping.is_type(event.type):
            await self.send(Pong(text=parse(Ping, event).text).event())
        elif Transcribe.is_type(event.type):
            self._require(self._engines.stt, SttError, "speech-to-text")
            self._next = parse(Transcribe, event)
        elif Detect.is_type(event.type):
            detect = parse(Detect, event)
            wake = self._require(self._engines.wake, WakeError, "wake word detection")
            wake.check_names(detect.names)  # refuse unknown names now, not at audio-start
            self._next = detect
        elif AudioStart.is_type(event.type):
            self._on_audio_start(parse(AudioStart, event))
        elif AudioStop.is_type(event.type):
            await self._on_audio_stop()
        elif Synthesize.is_type(event.type):
            if self._speech is None:  # while streaming it repeats the text for old clients
                await self._synthesize(parse(Synthesize, event))
        elif SynthesizeStart.is_type(event.type):
            self._on_synthesize_start(parse(SynthesizeStart, event))
        elif SynthesizeChunk.is_type(event.type):
            await self._on_synthesize_chunk(parse(SynthesizeChunk, event))
        elif SynthesizeStop.is_type(event.type):
            await self._on_synthesize_stop()
        elif Transcript.is_type(event.type):
            await self._on_handle(parse(Transcript, event))
        else:
            _LOGGER.info("%s sent an event the hub does not serve: %s", self.peer, event.type)
            await self.send_error("unsupported-event", f"the hub does not serve {event.type!r}")
        return True

    @staticmethod
    def _require(engine: E | None, error: type[EngineError], what: str) -> E:
        if engine is None:
            raise error("service-disabled", f"{what} is turned off on this hub")
        return engine

    # ---- audio in: speech-to-text and wake word --------------------------------------------

    def _on_audio_start(self, start: AudioStart) -> None:
        fmt = PcmFormat(rate_hz=start.rate, width=start.width, channels=start.channels)
        request = self._next or Transcribe()
        self._next = None
        self._close_audio()
        audio = _AudioIn(converter=PcmConverter(fmt))
        if isinstance(request, Detect):
            wake = self._require(self._engines.wake, WakeError, "wake word detection")
            audio.detector = wake.detector(request.names)
        else:
            self._require(self._engines.stt, SttError, "speech-to-text")
            audio.language = request.language
        self._audio = audio

    async def _on_audio_chunk(self, chunk: AudioChunk) -> bool:
        audio = self._audio
        if audio is None and isinstance(self._next, Detect):
            # wyoming-satellite 1.0.0 streams to its wake service with no audio-start
            self._on_audio_start(
                AudioStart(rate=chunk.rate, width=chunk.width, channels=chunk.channels)
            )
            audio = self._audio
        if audio is None:
            _LOGGER.info("%s sent audio-chunk before audio-start", self.peer)
            await self.send_error("unexpected-audio", "audio-chunk before audio-start; ignored")
            return True
        fmt = PcmFormat(rate_hz=chunk.rate, width=chunk.width, channels=chunk.channels)
        if fmt != audio.converter.source:
            audio.converter = PcmConverter(fmt)
        pcm = audio.converter.convert(chunk.audio)
        if audio.detector is not None:
            await self._detect(audio, pcm)
            return True
        audio.pcm += pcm
        assert self._engines.stt is not None
        self._engines.stt.check_length(len(audio.pcm))
        return True

    async def _detect(self, audio: _AudioIn, pcm: bytes) -> None:
        assert audio.detector is not None
        hits = await asyncio.to_thread(audio.detector.process, pcm)
        for hit in hits:
            audio.detected = True
            _LOGGER.info("%s: wake word %s (score %.2f)", self.peer, hit.name, hit.score)
            await self.send(Detection(name=hit.name, timestamp=hit.timestamp_ms).event())

    async def _on_audio_stop(self) -> None:
        audio, self._audio = self._audio, None
        if audio is None:
            await self.send_error("unexpected-audio", "audio-stop without audio-start; ignored")
            return
        if audio.detector is not None:
            audio.detector.close()
            if not audio.detected:
                await self.send(NotDetected().event())
            return
        stt = self._engines.stt
        assert stt is not None
        audio.pcm += audio.converter.flush()
        result = await stt.transcribe(bytes(audio.pcm), audio.language)
        _LOGGER.info(
            "%s: transcribed %.1f s in %.0f ms (window %.0f s%s)",
            self.peer,
            result.audio_s,
            result.decode_ms,
            result.window_s,
            ", retried with 30 s" if result.retried_full_window else "",
        )
        _LOGGER.debug("%s: transcript %r", self.peer, result.text)
        await self.send(Transcript(text=result.text, language=result.language).event())

    def _close_audio(self) -> None:
        if self._audio is not None and self._audio.detector is not None:
            self._audio.detector.close()
        self._audio = None

    # ---- text-to-speech ---------------------------------------------------------------------

    def _tts(self) -> PiperEngine:
        tts: PiperEngine = self._require(self._engines.tts, TtsError, "text-to-speech")
        return tts

    async def _synthesize(self, request: Synthesize) -> None:
        tts = self._tts()
        tts.check_length(len(request.text))
        voice = tts.voice(request.voice.name if request.voice else None)
        pieces = split_text(request.text, tts.settings.first_clause_min_chars)
        started = False
        async for pcm in tts.render_pieces(voice, pieces):
            started = await self._send_audio(voice, pcm, started)
        await self._finish_audio(voice, started)

    def _on_synthesize_start(self, request: SynthesizeStart) -> None:
        tts = self._tts()
        self._cancel_speech()
        voice = tts.voice(request.voice.name if request.voice else None)
        speech = _SpeechOut(
            voice, ClauseBuffer(tts.settings.first_clause_min_chars), asyncio.Queue()
        )
        speech.worker = asyncio.create_task(self._speak(speech), name=f"tts {self.peer}")
        self._speech = speech

    async def _on_synthesize_chunk(self, chunk: SynthesizeChunk) -> None:
        speech = self._speech
        if speech is None:
            await self.send_error("unexpected-text", "synthesize-chunk before synthesize-start")
            return
        speech.chars += len(chunk.text)
        self._tts().check_length(speech.chars)
        for piece in speech.clauses.add(chunk.text):
            speech.pieces.put_nowait(piece)

    async def _on_synthesize_stop(self) -> None:
        speech, self._speech = self._speech, None
        if speech is None:
            await self.send_error("unexpected-text", "synthesize-stop before synthesize-start")
            return
        for piece in speech.clauses.finish():
            speech.pieces.put_nowait(piece)
        speech.pieces.put_nowait(None)
        assert speech.worker is not None
        await speech.worker
        await self.send(SynthesizeStopped().event())

    async def _speak(self, speech: _SpeechOut) -> None:
        tts = self._tts()
        started = False
        while (piece := await speech.pieces.get()) is not None:
            pcm = await tts.render(speech.voice, piece, first=not started)
            started = await self._send_audio(speech.voice, pcm, started)
        await self._finish_audio(speech.voice, started)

    async def _send_audio(self, voice: LoadedVoice, pcm: bytes, started: bool) -> bool:
        fmt = voice.format
        if not started:
            await self.send(
                AudioStart(rate=fmt.rate_hz, width=fmt.width, channels=fmt.channels).event()
            )
        step = self._tts().settings.samples_per_chunk * fmt.frame_bytes
        for offset in range(0, len(pcm), step):
            await self.send(
                AudioChunk(
                    rate=fmt.rate_hz,
                    width=fmt.width,
                    channels=fmt.channels,
                    audio=pcm[offset : offset + step],
                ).event()
            )
        return True

    async def _finish_audio(self, voice: LoadedVoice, started: bool) -> None:
        if not started:  # nothing to say: still a well-formed, empty stream
            fmt = voice.format
            await self.send(
                AudioStart(rate=fmt.rate_hz, width=fmt.width, channels=fmt.channels).event()
            )
        await self.send(AudioStop().event())

    def _cancel_speech(self) -> None:
        if self._speech is not None and self._speech.worker is not None:
            self._speech.worker.cancel()
        self._speech = None

    # ---- conversation -------------------------------------------------------------------------

    async def _on_handle(self, transcript: Transcript) -> None:
        started = time.perf_counter()
        outcome = self._engines.intents.handle(transcript.text)
        handled, answer, route = outcome.handled, outcome.answer, outcome.intent
        if not handled:
            context = transcript.context or {}
            conversation = context.get("conversation_id") if isinstance(context, dict) else None
            handled, answer = await self._engines.agent.answer(transcript.text, conversation)
            route = "llm"
        _LOGGER.info(
            "%s: %s %r -> %s (%d published) in %.1f ms",
            self.peer,
            "handled" if handled else "not handled",
            transcript.text,
            route,
            len(outcome.publishes),
            (time.perf_counter() - started) * 1000,
        )
        reply = Handled if handled else NotHandled
        await self.send(reply(text=answer, context=transcript.context).event())

    async def close(self) -> None:
        self._close_audio()
        if self._speech is not None and self._speech.worker is not None:
            await cancel_and_wait(self._speech.worker)
        self._speech = None
