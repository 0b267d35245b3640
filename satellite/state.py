"""The satellite machine's state: its settings, the run in progress and what the runtime may
read of it. The rules that change it are in `satellite.machine`."""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from dataclasses import dataclass, field

from wyoming.pipeline import PipelineStage

from protocol.clock import Instant
from protocol.segmenter import VadSegmenter
from protocol.states import NodeState

# ---- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MachineConfig:
    """What the machine needs to know of the settings."""

    node_id: str
    wake_words: tuple[str, ...] = ()  # none: stream everything; the controller listens
    stop_word: str | None = None
    has_speaker: bool = True
    response_timeout_s: float = 30.0
    vad_threshold: float = 0.5
    vad_min_speech_s: float = 0.1
    vad_silence_s: float = 0.6
    vad_no_speech_timeout_s: float = 5.0
    vad_max_command_s: float = 15.0

    @property
    def remote_wake(self) -> bool:
        """No local wake word: all audio goes to the controller, which detects it."""
        return not self.wake_words

    @property
    def end_stage(self) -> PipelineStage:
        """`tts` when there is a speaker, else `handle`."""
        return PipelineStage.TTS if self.has_speaker else PipelineStage.HANDLE


@dataclass
class Run:
    """One pipeline run this satellite started: by its wake word, by `listen`, or streaming
    everything for the controller's wake word (`remote`, kept across commands)."""

    id: str
    trigger: str  # wake, listen, remote
    segmenter: VadSegmenter | None
    streaming: bool = True
    answer_due: Instant | None = None  # waiting for the answer until then


@dataclass
class MachineState:
    """What the satellite is doing, and what the runtime may read of it."""

    config: MachineConfig
    state: NodeState = NodeState.IDLE
    muted: bool = False
    paused: bool = True  # until a controller sends run-satellite
    mic_ok: bool = True  # False once the microphone has failed, until it delivers again
    controller: Hashable | None = None
    run: Run | None = None
    timers: set[str] = field(default_factory=set)  # ids of the controller's running timers
    remote_restart_due: Instant | None = None
    _run_numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # ---- what the runtime reads

    @property
    def published_state(self) -> NodeState:
        """The state as published: `error` while idle with a failed microphone."""
        if self.state is NodeState.IDLE and not self.mic_ok:
            return NodeState.ERROR
        return self.state

    @property
    def hears_wake_words(self) -> bool:
        """Whether mic audio should go through the wake word detector."""
        return not self.muted

    @property
    def streams_audio(self) -> bool:
        """Whether mic audio goes to the controller now."""
        run = self.run
        return run is not None and run.streaming and self.controller is not None and not self.muted

    @property
    def wants_vad(self) -> bool:
        """Whether streamed audio needs speech probabilities (a local end of command)."""
        return self.streams_audio and self.run is not None and self.run.segmenter is not None

    def snapshot(self) -> dict[str, object]:
        """The machine's part of the MQTT state."""
        return {
            "state": self.published_state.value,
            "muted": self.muted,
            "paused": self.paused,
            "mic_ok": self.mic_ok,
            "timers": len(self.timers),
            "wake_words": list(self.config.wake_words),
        }
