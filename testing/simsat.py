"""A simulated Wyoming satellite for benchmarks and tests: local wake and no models.

On cue it sends `detection` and `run-pipeline` (from `asr`), then speech at real-time pace in
64 ms chunks and silence until the controller's `transcript`; it records when its speech ended
and when the answer's first audio arrived, and answers `played` (at once, or never). A clip
may pause mid-sentence (`make_paused_clip`): then it also records when the chunk that resumes
the speech went out, so a reader can tell whether the hub ended the command before it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import numpy as np
from wyoming.audio import AudioChunk, AudioStart
from wyoming.event import Event, async_read_event, async_write_event
from wyoming.info import Attribution, Info, Satellite, WakeModel, WakeProgram
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.snd import Played
from wyoming.wake import Detection

from testing.audio import piper_speech, silence

RATE_HZ = 16000
CHUNK_SAMPLES = 1024
CHUNK_S = CHUNK_SAMPLES / RATE_HZ  # 64 ms
LEAD_S = 0.3
SPEECH_LEVEL = 500  # |sample| above this (about -36 dBFS) counts as speech
MAX_STREAM_S = 20.0


@dataclass(frozen=True)
class Clip:
    """A command as the mic hears it: leading silence, then Piper speech."""

    text: str
    pcm: bytes
    speech_end_s: float  # where the speech ends inside `pcm`: its last sample above SPEECH_LEVEL
    resume_s: float | None = None  # a paused clip: where the speech after the pause starts
    pause_s: float = 0.0  # a paused clip: the silence between its two halves


def _loud(pcm: bytes) -> np.ndarray:
    """The indices of the samples above SPEECH_LEVEL."""
    samples = np.abs(np.frombuffer(pcm, dtype=np.int16).astype(np.int32))
    return np.nonzero(samples > SPEECH_LEVEL)[0]


def make_clip(text: str) -> Clip:
    """Piper speech with `LEAD_S` of silence before it."""
    pcm = silence(LEAD_S) + piper_speech(text)
    return Clip(text, pcm, (int(_loud(pcm)[-1]) + 1) / RATE_HZ)


def make_paused_clip(first: str, second: str, pause_s: float) -> Clip:
    """`first` and `second` rendered apart by Piper and joined with exactly `pause_s` of
    silence between the last loud sample of one and the first loud sample of the other (each
    piece's own quiet tail and lead, below SPEECH_LEVEL, are cut)."""
    head = silence(LEAD_S) + piper_speech(first)
    tail = piper_speech(second)
    head = head[: 2 * (int(_loud(head)[-1]) + 1)]
    tail = tail[2 * int(_loud(tail)[0]) :]
    gap = bytes(2 * round(pause_s * RATE_HZ))
    pcm = head + gap + tail
    resume_s = (len(head) + len(gap)) / 2 / RATE_HZ
    return Clip(f"{first} {second}", pcm, (int(_loud(pcm)[-1]) + 1) / RATE_HZ, resume_s, pause_s)


@dataclass
class Heard:
    """What one simulated satellite saw during one utterance (monotonic seconds)."""

    started_s: float = 0.0
    speech_end_s: float = 0.0
    resume_sent_s: float | None = None  # a paused clip: the chunk resuming the speech went out
    end_sent_s: float | None = None  # the chunk with the end of speech went out
    transcript: str | None = None
    error: str | None = None
    first_audio_s: float | None = None
    answer_bytes: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)


class SimSatellite:
    """A Wyoming satellite server with local wake and no models, driven by the hub."""

    def __init__(
        self,
        index: int,
        wake: tuple[str, str],
        sends_played: bool = True,
        chunk_samples: int = CHUNK_SAMPLES,
        speed: float = 1.0,
    ) -> None:
        self.sends_played = sends_played
        self.speed = speed  # 1.0: real time; 2.0: the audio streamed twice as fast
        self.chunk_samples = chunk_samples  # the mic's chunk: 1024 = 64 ms, as our satellite
        self.cut_mid_answer = False  # on the answer's first audio, drop the connection (a reset)
        self.received: list[str] = []  # every event's type
        self.events: list[Event] = []  # every event but audio chunks
        self.name = f"Bench {index}"
        self.area = "Bench"  # the room it says it is in
        self.node_id = f"bench_{index}"
        self.wake_name, self.wake_phrase = wake
        self.port = 0
        self.ready = asyncio.Event()
        self.heard = Heard()
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()
        self._server: asyncio.Server | None = None
        self._in_answer = False

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._writer is not None:
            self._writer.close()

    def info(self) -> Info:
        none = Attribution(name="", url="")
        model = WakeModel(
            name=self.wake_name, attribution=none, installed=True, description=self.wake_phrase,
            version="1", languages=["en"], phrase=self.wake_phrase,
        )  # fmt: skip
        program = WakeProgram(
            name="bench", attribution=none, installed=True, description="no model",
            version="1", models=[model],
        )  # fmt: skip
        satellite = Satellite(
            name=self.name, area=self.area, description="bench.e2e simulated satellite",
            attribution=none, installed=True, version="1",
        )  # fmt: skip
        return Info(satellite=satellite, wake=[program])

    async def send(self, event: Event) -> None:
        writer = self._writer
        if writer is None:
            raise ConnectionError(f"{self.name}: the hub is not connected")
        async with self._lock, asyncio.timeout(5):
            await async_write_event(event, writer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        try:
            while (event := await async_read_event(reader)) is not None:
                await self._on_event(event)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # the loop is closing: end quietly (asyncio would log it from its callback)
        finally:
            self.ready.clear()
            writer.close()

    async def _on_event(self, event: Event) -> None:
        kind, heard = event.type, self.heard
        self.received.append(kind)
        if kind != "audio-chunk":
            self.events.append(event)
        if kind == "describe":
            await self.send(self.info().event())
        elif kind == "run-satellite":
            self.ready.set()
        elif kind == "ping":
            await self.send(Event(type="pong", data=event.data))
        elif kind == "transcript":
            heard.transcript = str((event.data or {}).get("text", ""))
        elif kind == "error":
            heard.error = str((event.data or {}).get("text", ""))
            heard.done.set()
        elif kind == "audio-start":
            self._in_answer = True
        elif kind == "audio-chunk" and self._in_answer:
            if heard.first_audio_s is None:
                heard.first_audio_s = time.monotonic()
                if self.cut_mid_answer and self._writer is not None:
                    self._writer.transport.abort()  # Wi-Fi gone: no goodbye, a reset
                    heard.done.set()
                    return
            heard.answer_bytes += len(event.payload or b"")
        elif kind == "audio-stop" and self._in_answer:
            self._in_answer = False
            if self.sends_played:
                await self.send(Played().event())  # at once, not after the audio's length
            heard.done.set()

    async def speak(self, clip: Clip) -> Heard:
        """Wake, then stream `clip` and silence at real time (or `speed` times faster) until
        the transcript comes."""
        heard = self.heard = Heard(started_s=time.monotonic())
        await self.send(
            Detection(
                name=self.wake_name, timestamp=int(time.monotonic() * 1000),
                context={"score": 0.9},
            ).event()
        )  # fmt: skip
        await self.send(
            RunPipeline(
                start_stage=PipelineStage.ASR, end_stage=PipelineStage.TTS,
                wake_word_name=self.wake_name,
            ).event()
        )  # fmt: skip
        await self.send(AudioStart(rate=RATE_HZ, width=2, channels=1).event())
        samples = self.chunk_samples
        chunk_s = samples / RATE_HZ / self.speed
        step = samples * 2
        end_sample = round(clip.speech_end_s * RATE_HZ)
        last_speech_chunk = (end_sample - 1) // samples
        resume_chunk = None if clip.resume_s is None else round(clip.resume_s * RATE_HZ) // samples
        quiet = bytes(step)
        t0 = time.monotonic()
        index = 0
        while heard.transcript is None and heard.error is None:
            if index * samples / RATE_HZ > MAX_STREAM_S:
                heard.error = f"no transcript after {MAX_STREAM_S:g} s of audio"
                break
            due = t0 + (index + 1) * chunk_s  # a real mic hands a chunk over when it ends
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            pcm = clip.pcm[index * step : (index + 1) * step] or quiet
            pcm = pcm.ljust(step, b"\0")
            chunk = AudioChunk(rate=RATE_HZ, width=2, channels=1, audio=pcm)
            await self.send(chunk.event())
            if index == resume_chunk:
                heard.resume_sent_s = time.monotonic()
            if index == last_speech_chunk:
                heard.end_sent_s = time.monotonic()
                chunk_end = (index + 1) * samples
                late_s = (chunk_end - end_sample) / RATE_HZ / self.speed
                heard.speech_end_s = time.monotonic() - late_s
            index += 1
        return heard
