"""What a front door asks of a run, and what it gets back."""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum

from wyoming.pipeline import PipelineStage

from ..errors import PipelineError
from .conversation import Answer


class Step(IntEnum):
    """The stages a run can start and end at, in their order."""

    WAKE = 1
    STT = 2
    INTENT = 3
    TTS = 4

    @property
    def wire(self) -> str:
        """The Wyoming name (`wake`, `asr`, `handle`, `tts`)."""
        return _WYOMING[self].value

    @classmethod
    def from_wyoming(cls, stage: PipelineStage) -> Step:
        """Wyoming's stage; `intent` counts as `handle`."""
        if stage is PipelineStage.INTENT:
            return cls.INTENT
        return next(step for step, known in _WYOMING.items() if known is stage)


_WYOMING = {
    Step.WAKE: PipelineStage.WAKE,
    Step.STT: PipelineStage.ASR,
    Step.INTENT: PipelineStage.HANDLE,
    Step.TTS: PipelineStage.TTS,
}


@dataclass(frozen=True)
class WakeUp:
    """Who woke the node and how sure it was."""

    name: str | None
    phrase: str = ""
    score: float | None = None
    source: str = "satellite"  # satellite, or hub (it heard the wake word in the stream)
    audio_ms: int | None = None


Admit = Callable[[WakeUp | None], Awaitable[None]]


@dataclass(frozen=True)
class RunRequest:
    """One run: from `start` to `end`, and what it starts from."""

    start: Step
    end: Step
    trigger: str  # wake, stream, listen, announce, request
    wake: WakeUp | None = None  # the wake-up that came before (runs starting at STT)
    wake_names: tuple[str, ...] | None = None  # runs starting at WAKE; None: every wake word
    text: str | AsyncIterable[str] | None = None  # runs starting at INTENT (str) or TTS
    language: str | None = None
    voice: str | None = None
    vad: bool = True  # the hub ends the command with its VAD (else at the peer's audio-stop)
    satellite: str | None = None  # the satellite's name, for its events
    device_id: str | None = None  # the satellite that heard it (owns its timers)
    area: str | None = None  # the room it was said in ("turn on the light" there)
    conversation_id: str | None = None
    admit: Admit | None = None  # after the wake-up: may refuse it (PipelineError)
    played_timeout_s: float | None = None  # wait for `played` this long past the audio
    audio_gap_s: float = 5.0  # a peer that stops sending audio mid-command

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"a run cannot start at {self.start.name} and end at {self.end.name}")
        if self.start is Step.INTENT and not isinstance(self.text, str):
            raise ValueError("a run starting at INTENT needs the text")
        if self.start is Step.TTS and self.text is None:
            raise ValueError("a run starting at TTS needs the text")
        if self.audio_gap_s <= 0:
            raise ValueError("audio_gap_s must be > 0")


@dataclass
class RunResult:
    """How a run went."""

    run_id: str
    outcome: str = "ok"  # ok, error, cancelled
    wake: WakeUp | None = None
    detections: int = 0  # wake words heard (a wake word service hears several)
    transcript: str | None = None
    answer: Answer | None = None
    audio_s: float = 0.0
    error: PipelineError | None = None
