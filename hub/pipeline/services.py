"""What a run uses: the engines (as protocols, so tests can hand in fakes), the home with its
intents and the LLM, the VAD, and the event stream with the hub's activity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from protocol.trigger import WakeHit

from ..engines.stt import SttResult
from ..engines.tts import LoadedVoice
from ..intents.agent import LlmAgent
from ..intents.handler import IntentHandler
from ..intents.home import Home
from ..settings import SttSettings, TtsSettings, VadSettings
from .activity import Activity
from .events import EventBus


class SpeechToText(Protocol):
    """Whisper, or a fake in tests."""

    name: str
    settings: SttSettings

    def check_length(self, byte_count: int) -> float: ...

    async def transcribe(self, pcm16: bytes, language: str | None) -> SttResult: ...


class TextToSpeech(Protocol):
    """Piper, or a fake in tests."""

    settings: TtsSettings
    voices: dict[str, LoadedVoice]

    def voice(self, name: str | None) -> LoadedVoice: ...

    def check_length(self, chars: int) -> None: ...

    async def render(self, voice: LoadedVoice, text: str, first: bool = True) -> bytes: ...


class WakeStream(Protocol):
    """One audio stream's wake word detection."""

    def process(self, pcm16: bytes) -> list[WakeHit]: ...

    def close(self) -> None: ...


class WakeWords(Protocol):
    """openWakeWord, or a fake in tests."""

    def check_names(self, names: list[str] | None) -> object: ...

    def detector(self, names: list[str] | None) -> WakeStream: ...


class VoiceActivity(Protocol):
    """Speech probabilities of one stream (Silero, or a fake in tests)."""

    frame_s: float

    def process(self, pcm16: bytes) -> list[float]: ...

    def reset(self) -> None: ...


class VadPool:
    """VAD models for the streams that need one, reused across runs (loading one costs).
    Used from the event loop only."""

    def __init__(self, make: Callable[[], VoiceActivity]) -> None:
        self._make = make
        self._free: list[VoiceActivity] = []

    def take(self) -> VoiceActivity:
        """A VAD reset for a new stream; give it back with `give_back`."""
        vad = self._free.pop() if self._free else self._make()
        vad.reset()
        return vad

    def give_back(self, vad: VoiceActivity) -> None:
        """The stream has ended (and no call into it is in flight)."""
        self._free.append(vad)


@dataclass
class Services:
    """Everything a run needs; a missing engine means that stage is turned off."""

    stt: SpeechToText | None
    tts: TextToSpeech | None
    wake: WakeWords | None
    intents: IntentHandler
    home: Home
    agent: LlmAgent
    vad_settings: VadSettings
    vads: VadPool
    node_id: str = "hub"  # the hub's own node: runs of Wyoming clients, timers
    events: EventBus = field(default_factory=EventBus)
    activity: Activity = field(default_factory=Activity)
