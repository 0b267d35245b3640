"""A small Wyoming client for the demo, benchmarks and tests; every wait is bounded."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeVoice,
)
from wyoming.wake import Detect, Detection, NotDetected

from protocol.aio import bounded

CHUNK_SAMPLES = 1024


class ServerError(RuntimeError):
    """The server answered with an `error` event."""

    def __init__(self, code: str | None, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


async def _read(client: AsyncTcpClient, timeout_s: float) -> Event:
    event = await bounded(client.read_event(), timeout_s)
    if event is None:
        raise ConnectionError("server closed the connection")
    if event.type == "error":
        raise ServerError(event.data.get("code"), event.data.get("text", ""))
    return event


async def describe(host: str, port: int, timeout_s: float = 10) -> Info:
    """Send `describe`, return the `info`."""
    async with AsyncTcpClient(host, port) as client:
        await client.write_event(Describe().event())
        while True:
            event = await _read(client, timeout_s)
            if Info.is_type(event.type):
                return Info.from_event(event)


async def _send_audio(
    client: AsyncTcpClient, pcm: bytes, rate_hz: int, width: int, channels: int, pace: bool
) -> None:
    await client.write_event(AudioStart(rate=rate_hz, width=width, channels=channels).event())
    step = CHUNK_SAMPLES * width * channels
    chunk_s = CHUNK_SAMPLES / rate_hz
    started = time.perf_counter()
    for index, offset in enumerate(range(0, len(pcm), step)):
        chunk = AudioChunk(
            rate=rate_hz, width=width, channels=channels, audio=pcm[offset : offset + step]
        )
        await client.write_event(chunk.event())
        if pace:  # real time: chunk n is sent when its audio would have been recorded
            await asyncio.sleep(max(0.0, started + (index + 1) * chunk_s - time.perf_counter()))


@dataclass(frozen=True)
class SttTiming:
    """A transcript and the time from `audio-stop` to `transcript`."""

    text: str
    latency_s: float


async def transcribe(
    host: str,
    port: int,
    pcm: bytes,
    rate_hz: int = 16000,
    width: int = 2,
    channels: int = 1,
    pace: bool = False,
    language: str = "en",
    timeout_s: float = 60,
) -> SttTiming:
    """Stream audio as Home Assistant does and wait for the final `transcript`."""
    async with AsyncTcpClient(host, port) as client:
        await client.write_event(Transcribe(language=language).event())
        await _send_audio(client, pcm, rate_hz, width, channels, pace)
        await client.write_event(AudioStop().event())
        stopped = time.perf_counter()
        while True:
            event = await _read(client, timeout_s)
            if Transcript.is_type(event.type):
                text = Transcript.from_event(event).text
                return SttTiming(text=text, latency_s=time.perf_counter() - stopped)


@dataclass(frozen=True)
class TtsResult:
    """Synthesized audio, its format, and timings from the request."""

    rate_hz: int
    width: int
    channels: int
    pcm: bytes
    first_audio_s: float
    total_s: float

    @property
    def seconds(self) -> float:
        """Duration of the audio."""
        return len(self.pcm) / (self.rate_hz * self.width * self.channels)


async def _collect_audio(
    client: AsyncTcpClient, started: float, until: str, timeout_s: float
) -> TtsResult:
    fmt: AudioStart | None = None
    pcm = bytearray()
    first: float | None = None
    while True:
        event = await _read(client, timeout_s)
        if AudioStart.is_type(event.type) and fmt is None:
            fmt = AudioStart.from_event(event)
        elif AudioChunk.is_type(event.type):
            first = first if first is not None else time.perf_counter() - started
            pcm += AudioChunk.from_event(event).audio
        elif event.type == until:
            break
    if fmt is None:
        raise ConnectionError(f"{until} without audio-start")
    return TtsResult(
        fmt.rate,
        fmt.width,
        fmt.channels,
        bytes(pcm),
        first if first is not None else float("nan"),
        time.perf_counter() - started,
    )


async def synthesize(
    host: str, port: int, text: str, voice: str | None = None, timeout_s: float = 60
) -> TtsResult:
    """One `synthesize` request, as Home Assistant's TTS entity sends it."""
    async with AsyncTcpClient(host, port) as client:
        started = time.perf_counter()
        request = Synthesize(text=text, voice=SynthesizeVoice(name=voice) if voice else None)
        await client.write_event(request.event())
        return await _collect_audio(client, started, AudioStop().event().type, timeout_s)


async def synthesize_streaming(
    host: str, port: int, fragments: list[str], fragment_delay_s: float = 0.0, timeout_s: float = 60
) -> TtsResult:
    """Streamed text as Home Assistant sends it: start, chunks, full synthesize, stop."""
    async with AsyncTcpClient(host, port) as client:
        started = time.perf_counter()
        await client.write_event(SynthesizeStart().event())
        for fragment in fragments:
            await client.write_event(SynthesizeChunk(text=fragment).event())
            if fragment_delay_s:
                await asyncio.sleep(fragment_delay_s)
        await client.write_event(Synthesize(text="".join(fragments)).event())
        await client.write_event(SynthesizeStop().event())
        return await _collect_audio(client, started, "synthesize-stopped", timeout_s)


async def detect(
    host: str,
    port: int,
    pcm: bytes,
    names: list[str] | None = None,
    send_stop: bool = True,
    timeout_s: float = 30,
) -> Detection | None:
    """Stream audio to the wake service; the first `detection`, or None on `not-detected`."""
    async with AsyncTcpClient(host, port) as client:
        await client.write_event(Detect(names=names).event())
        await _send_audio(client, pcm, 16000, 2, 1, pace=False)
        if send_stop:
            await client.write_event(AudioStop().event())
        while True:
            event = await _read(client, timeout_s)
            if Detection.is_type(event.type):
                return Detection.from_event(event)
            if NotDetected.is_type(event.type):
                return None


async def handle(
    host: str, port: int, text: str, timeout_s: float = 30, context: dict[str, str] | None = None
) -> tuple[bool, str]:
    """Send `transcript` to the conversation service as HA does: (handled?, answer). `context`
    adds to its `conversation_id` (a `device_id`, a `satellite_id`)."""
    said = {"conversation_id": "demo", **(context or {})}
    async with AsyncTcpClient(host, port) as client:
        await client.write_event(Transcript(text=text, context=said).event())
        while True:
            event = await _read(client, timeout_s)
            if Handled.is_type(event.type):
                return True, Handled.from_event(event).text or ""
            if NotHandled.is_type(event.type):
                return False, NotHandled.from_event(event).text or ""
