"""Fakes for in-process pipeline tests: engines that follow the real ones' contracts without
models, a peer that records what a run did to it, and `Services` around the real intents.

Audio conventions (16 kHz mono, 16-bit): a chunk whose samples are `WAKE_LEVEL` is a wake
word, `SPEECH_LEVEL` is speech, zeros are silence. The fake STT says whatever the test
scripted; the fake TTS renders 10 ms of audio per character.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hub.engines.errors import SttError, TtsError, WakeError
from hub.engines.stt import SttResult
from hub.engines.tts import LoadedVoice
from hub.intents.agent import LlmAgent
from hub.intents.handler import IntentHandler
from hub.intents.home import Home
from hub.intents.registry import EntityRegistry
from hub.llm import LlmSettings
from hub.pipeline.peer import AudioInbox, PeerGone
from hub.pipeline.services import Services, TextToSpeech, VadPool
from hub.settings import SttSettings, TtsSettings, VadSettings
from protocol.audio import STT_FORMAT, PcmFormat
from protocol.run_events import PipelineEvent
from protocol.states import NodeState
from protocol.trigger import WakeHit
from testing.fake_home import STATES, discovery_messages

CHUNK_SAMPLES = 1024  # 64 ms
WAKE_LEVEL = 3000
SPEECH_LEVEL = 1500
VOICE = "fake-voice"
VOICE_FORMAT = PcmFormat(22050, 2, 1)


def chunk(level: int = 0, samples: int = CHUNK_SAMPLES) -> bytes:
    """One chunk at a constant level: 0 silence, SPEECH_LEVEL speech, WAKE_LEVEL a wake word."""
    return np.full(samples, level, dtype=np.int16).tobytes()


def utterance(speech_chunks: int = 8, silence_chunks: int = 10) -> list[bytes]:
    """Speech, then enough silence for the VAD to end the command."""
    return [chunk(SPEECH_LEVEL)] * speech_chunks + [chunk()] * silence_chunks


def _level(pcm16: bytes) -> float:
    samples = np.frombuffer(pcm16, dtype=np.int16)
    return float(np.abs(samples.astype(np.int32)).mean()) if samples.size else 0.0


class FakeStt:
    """Speech-to-text that says what it is told to; each call can take time or fail."""

    name = "fake-stt"

    def __init__(self, text: str = "turn on the kitchen light", delay_s: float = 0.0) -> None:
        self.settings = SttSettings(max_audio_s=30)
        self.text = text
        self.delay_s = delay_s
        self.error: SttError | None = None
        self.calls: list[int] = []  # bytes of audio per call
        self.text_for: Callable[[int], str] | None = None  # what it hears in this many bytes
        self.alternatives: list[str] | None = None  # its next best transcripts, when it has any
        self.alternatives_asked = 0
        self.doubted: tuple[str, ...] = ()  # the transcript with an unsure word swapped
        self.first_reading = ""  # the short-window transcript a full-window retry replaced

    def check_length(self, byte_count: int) -> float:
        audio_s = STT_FORMAT.seconds(byte_count)
        if audio_s > self.settings.max_audio_s:
            raise SttError("audio-too-long", f"{audio_s:.0f} s of audio is too long")
        return audio_s

    async def transcribe(self, pcm16: bytes, language: str | None) -> SttResult:
        self.calls.append(len(pcm16))
        await asyncio.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        audio_s = STT_FORMAT.seconds(len(pcm16))
        text = self.text if self.text_for is None else self.text_for(len(pcm16))
        later = self._alternatives if self.alternatives is not None else None
        return SttResult(
            text,
            language or "en",
            audio_s,
            1.0,
            15.0,
            bool(self.first_reading),
            later,
            self.doubted,
            self.first_reading,
        )

    async def _alternatives(self) -> list[str]:
        self.alternatives_asked += 1
        return list(self.alternatives or ())


class FakeTts:
    """Text-to-speech: 10 ms of a quiet tone per character; a render can wait or fail."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.settings = TtsSettings(first_clause_min_chars=20)
        self.voices = {
            VOICE: LoadedVoice(
                VOICE, Path("/dev/null"), "en_US", "a fake voice", VOICE_FORMAT, None
            )
        }
        self.delay_s = delay_s
        self.error: TtsError | None = None
        self.rendered: list[str] = []
        self.started = asyncio.Event()

    def voice(self, name: str | None) -> LoadedVoice:
        found = self.voices.get(name or VOICE)
        if found is None:
            raise TtsError("unknown-voice", f"unknown voice {name!r}; this hub has: {VOICE}")
        return found

    def check_length(self, chars: int) -> None:
        if chars > self.settings.max_text_chars:
            raise TtsError("text-too-long", f"text of {chars} characters is too long")

    async def render(self, voice: LoadedVoice, text: str, first: bool = True) -> bytes:
        self.started.set()
        await asyncio.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        self.rendered.append(text)
        samples = voice.format.rate_hz * len(text) // 100
        return np.full(samples, 100, dtype=np.int16).tobytes()


class FakeWakeStream:
    """Hears a wake word in every chunk at WAKE_LEVEL."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.samples = 0
        self.closed = False

    def process(self, pcm16: bytes) -> list[WakeHit]:
        assert not self.closed, "used after close"
        self.samples += len(pcm16) // 2
        if _level(pcm16) < WAKE_LEVEL * 0.9:
            return []
        ms = self.samples * 1000 // STT_FORMAT.rate_hz
        return [WakeHit(self.names[0], self.names[0].replace("_", " ").title(), 0.95, ms)]

    def close(self) -> None:
        self.closed = True


class FakeWake:
    """Wake words `hey_jarvis` and `alexa`."""

    models = ("hey_jarvis", "alexa")

    def __init__(self) -> None:
        self.streams: list[FakeWakeStream] = []

    def check_names(self, names: list[str] | None) -> list[str]:
        unknown = [n for n in names or () if n not in self.models]
        if unknown:
            raise WakeError("unknown-wake-word", f"unknown wake word(s) {', '.join(unknown)}")
        return list(names or self.models)

    def detector(self, names: list[str] | None) -> FakeWakeStream:
        stream = FakeWakeStream(self.check_names(names))
        self.streams.append(stream)
        return stream


class FakeVad:
    """Speech where the audio is loud, on 32 ms frames."""

    frame_s = 0.032

    def __init__(self) -> None:
        self._pending = b""

    def process(self, pcm16: bytes) -> list[float]:
        data = self._pending + pcm16
        frame = 1024
        whole = len(data) - len(data) % frame
        self._pending = data[whole:]
        return [
            1.0 if _level(data[i : i + frame]) >= SPEECH_LEVEL * 0.5 else 0.0
            for i in range(0, whole, frame)
        ]

    def reset(self) -> None:
        self._pending = b""


def fake_home() -> EntityRegistry:
    """The registry of `testing.fake_home`, as the hub learns it from discovery."""
    registry = EntityRegistry()
    for topic, payload in discovery_messages():
        registry.apply_config(topic, payload)
    for topic, payload in STATES.items():
        registry.apply_state(topic, payload)
    return registry


@dataclass
class Published:
    """What the intents published, and whether the broker takes it."""

    messages: list[tuple[str, str]] = field(default_factory=list)
    connected: bool = True

    def __call__(self, topic: str, payload: str) -> bool:
        if self.connected:
            self.messages.append((topic, payload))
        return self.connected


def fake_services(
    stt: FakeStt | None = None,
    tts: TextToSpeech | None = None,
    wake: FakeWake | None = None,
    llm: LlmSettings | None = None,
    published: Published | None = None,
    home: Home | None = None,
) -> Services:
    """Services with the given fakes (None: that stage is off), the real intents on the fake
    home (or on `home`, acting through its broker), and the real LLM agent (off unless `llm`
    points at a server)."""
    if home is None:
        home = Home(fake_home())
        publish: Callable[[str, str], bool] = published if published is not None else Published()
    else:
        publish = home.publish
    registry = home.registry
    return Services(
        stt=stt,
        tts=tts,
        wake=wake,
        intents=IntentHandler(registry, publish),
        home=home,
        agent=LlmAgent(llm or LlmSettings(), registry, publish),
        vad_settings=VadSettings(silence_s=0.3, no_speech_timeout_s=1.0),
        vads=VadPool(FakeVad),
    )


class RecordingPeer:
    """A peer that plays the scripted audio in and records everything a run does to it."""

    def __init__(
        self,
        audio: list[bytes] | None = None,
        end_audio: bool = False,
        node_id: str = "test",
        chunk_delay_s: float = 0.0,
    ) -> None:
        self._node_id = node_id
        self.inbox = AudioInbox()
        self.events: list[PipelineEvent] = []
        self.states: list[NodeState] = []
        self.audio_out: list[bytes] = []
        self.audio_formats: list[PcmFormat] = []
        self.audio_open = False
        self.audio_ended = 0
        self.played_after_s: float | None = 0.0  # None: never says `played`
        self.gone_after_chunks: int | None = None  # raise PeerGone once this many went out
        self.on_event: Callable[[PipelineEvent], None] | None = None
        self._feeder: asyncio.Task[None] | None = None
        self._script = collections.deque(audio or [])
        self._end = end_audio
        self._chunk_delay_s = chunk_delay_s

    @property
    def node_id(self) -> str:
        return self._node_id

    @property
    def types(self) -> list[str]:
        """The wire names of the events, in order."""
        return [e.stage.wire for e in self.events]

    async def send(self, event: PipelineEvent) -> None:
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def set_state(self, state: NodeState) -> None:
        if not self.states or self.states[-1] is not state:
            self.states.append(state)

    async def read_audio(self, timeout_s: float | None) -> bytes | None:
        if self._script:
            if self._chunk_delay_s:
                await asyncio.sleep(self._chunk_delay_s)
            return self._script.popleft()
        if self._end:
            return None
        return await self.inbox.get(timeout_s)  # nothing more: waits for the test, or times out

    def stop_audio(self) -> None:
        self.inbox.close()

    async def start_audio(self, fmt: PcmFormat) -> None:
        assert not self.audio_open, "audio-start twice"
        self.audio_open = True
        self.audio_formats.append(fmt)

    async def write_audio(self, pcm: bytes) -> None:
        assert self.audio_open, "audio-chunk before audio-start"
        if self.gone_after_chunks is not None and len(self.audio_out) >= self.gone_after_chunks:
            raise PeerGone("the test cut the connection")
        self.audio_out.append(pcm)

    async def end_audio(self) -> None:
        if self.audio_open:
            self.audio_open = False
            self.audio_ended += 1

    async def wait_played(self, timeout_s: float) -> bool:
        if self.played_after_s is None or self.played_after_s > timeout_s:
            await asyncio.sleep(timeout_s)
            return False
        await asyncio.sleep(self.played_after_s)
        return True
