"""Pipeline events: one typed class per stage, the same on the hub and on the satellite.

Every event carries the run it belongs to, the node that produced it and the moment it
happened on both clocks (`protocol.clock`): `timestamp_ms` on the wire is the wall clock in
epoch milliseconds, so readers on other machines can line events up; durations are measured
on the monotonic clock of the machine that produced them. `as_json` is the MQTT / HTTP /
log form; `from_json` reads it back, checking every field.
"""

from __future__ import annotations

import dataclasses
import time
import types
import typing
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, ClassVar

from .clock import Instant


class Stage(IntEnum):
    """What an event reports, in the order a run produces them; `error` may come at any
    point. The last ones happen outside runs (a stop word, timers)."""

    RUN_START = 0
    WAKE_START = 1
    WAKE = 2
    STT_START = 3
    VOICE_STARTED = 4
    VOICE_STOPPED = 5
    STT_END = 6
    INTENT_START = 7
    ACTION = 8
    INTENT_PROGRESS = 9
    INTENT_END = 10
    TTS_START = 11
    TTS_FIRST_AUDIO = 12
    TTS_END = 13
    PLAYED = 14
    ERROR = 15
    RUN_END = 16
    STOP = 17
    TIMER_STARTED = 18
    TIMER_UPDATED = 19
    TIMER_CANCELLED = 20
    TIMER_FINISHED = 21

    @property
    def wire(self) -> str:
        """The name on the wire: `run-start`, `tts-first-audio`, ..."""
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_wire(cls, name: str) -> Stage:
        """`tts-first-audio` → TTS_FIRST_AUDIO; ValueError for an unknown name."""
        try:
            return cls[name.upper().replace("-", "_")]
        except KeyError:
            raise ValueError(f"unknown pipeline event type {name!r}") from None


@dataclass(frozen=True)
class Stamp:
    """Which run and node an event belongs to, and when it happened."""

    run_id: str | None  # None for events outside a run (timers, a stop word)
    node_id: str
    at: Instant


@dataclass(frozen=True)
class PipelineEvent:
    """The fields every event has; subclasses add their stage's own."""

    stage: ClassVar[Stage]
    stamp: Stamp

    @property
    def run_id(self) -> str | None:
        """The run this event belongs to."""
        return self.stamp.run_id

    @property
    def node_id(self) -> str:
        """The node (satellite, or hub) that produced it."""
        return self.stamp.node_id

    @property
    def timestamp_ms(self) -> int:
        """Wall clock, epoch milliseconds."""
        return self.stamp.at.epoch_ms

    def fields(self) -> dict[str, Any]:
        """The stage's own fields."""
        return {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "stamp"
        }

    def as_json(self) -> dict[str, Any]:
        """The form on MQTT, HTTP and in logs."""
        own = {k: list(v) if isinstance(v, tuple) else v for k, v in self.fields().items()}
        return {
            "type": self.stage.wire,
            "run_id": self.run_id,
            "node_id": self.node_id,
            "timestamp_ms": self.timestamp_ms,
            **own,
        }


@dataclass(frozen=True, kw_only=True)
class RunStart(PipelineEvent):
    """A run began: which stages it covers and what started it."""

    stage = Stage.RUN_START
    start_stage: str
    end_stage: str
    trigger: str  # wake, stream, listen, announce, request
    satellite: str | None = None  # the satellite's name, for runs on a satellite


@dataclass(frozen=True, kw_only=True)
class WakeStart(PipelineEvent):
    """Listening for a wake word in the audio stream."""

    stage = Stage.WAKE_START
    names: tuple[str, ...] | None = None  # None: every wake word the listener has


@dataclass(frozen=True, kw_only=True)
class Wake(PipelineEvent):
    """A wake word was heard (by the satellite, or by the hub in its stream)."""

    stage = Stage.WAKE
    name: str | None
    phrase: str = ""
    score: float | None = None
    source: str = "satellite"  # satellite, hub, or controller (as the satellite sees it)
    audio_ms: int | None = None  # where in the audio stream it ended


@dataclass(frozen=True, kw_only=True)
class SttStart(PipelineEvent):
    """Speech-to-text began."""

    stage = Stage.STT_START
    language: str | None = None


@dataclass(frozen=True, kw_only=True)
class VoiceStarted(PipelineEvent):
    """The VAD heard the command begin."""

    stage = Stage.VOICE_STARTED
    audio_ms: int | None = None  # ms of command audio so far


@dataclass(frozen=True, kw_only=True)
class VoiceStopped(PipelineEvent):
    """The VAD ended the command (speech ended, no speech, too long)."""

    stage = Stage.VOICE_STOPPED
    reason: str
    audio_ms: int | None = None


@dataclass(frozen=True, kw_only=True)
class SttEnd(PipelineEvent):
    """The transcript, and how it was made (the satellite only knows the text)."""

    stage = Stage.STT_END
    text: str
    language: str | None = None
    audio_s: float | None = None
    decode_ms: float | None = None
    window_s: float | None = None
    retried: bool | None = None  # decoded again with the full window
    speculative: bool | None = None  # decoded during the silence window
    ended_by: str | None = None  # speech-ended, no-speech, too-long, or the peer's audio-stop
    speech_end_ms: int | None = None  # epoch ms: where the hub places the end of speech
    ending: str | None = None  # what the speculative transcript said: complete, unfinished, open
    silence_ms: int | None = None  # the silence since speech stopped when the end was confirmed


@dataclass(frozen=True, kw_only=True)
class IntentStart(PipelineEvent):
    """Understanding the text began."""

    stage = Stage.INTENT_START
    text: str


@dataclass(frozen=True, kw_only=True)
class Action(PipelineEvent):
    """A device command published on MQTT."""

    stage = Stage.ACTION
    topic: str
    payload: str


@dataclass(frozen=True, kw_only=True)
class IntentProgress(PipelineEvent):
    """One more piece of a streamed answer (the LLM's), as soon as it is complete; speech may
    start before `intent-end`."""

    stage = Stage.INTENT_PROGRESS
    text: str


@dataclass(frozen=True, kw_only=True)
class IntentEnd(PipelineEvent):
    """What was understood and the answer."""

    stage = Stage.INTENT_END
    handled: bool
    intent: str | None
    answer: str


@dataclass(frozen=True, kw_only=True)
class TtsStart(PipelineEvent):
    """Speaking began (`text` None while it still streams in)."""

    stage = Stage.TTS_START
    text: str | None
    voice: str


@dataclass(frozen=True, kw_only=True)
class TtsFirstAudio(PipelineEvent):
    """The first answer audio went out."""

    stage = Stage.TTS_FIRST_AUDIO
    rate_hz: int


@dataclass(frozen=True, kw_only=True)
class TtsEnd(PipelineEvent):
    """The last answer audio went out."""

    stage = Stage.TTS_END
    audio_s: float


@dataclass(frozen=True, kw_only=True)
class Played(PipelineEvent):
    """The answer finished playing (`reported`: the player said so; else its time ran out)."""

    stage = Stage.PLAYED
    reported: bool = True


@dataclass(frozen=True, kw_only=True)
class Error(PipelineEvent):
    """The run failed; `code` is stable, `message` says why."""

    stage = Stage.ERROR
    code: str
    message: str


@dataclass(frozen=True, kw_only=True)
class RunEnd(PipelineEvent):
    """The run ended: ok, error or cancelled; stage timings from the end of speech."""

    stage = Stage.RUN_END
    outcome: str
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Stop(PipelineEvent):
    """The stop word cut what was playing."""

    stage = Stage.STOP
    name: str
    score: float | None = None


@dataclass(frozen=True, kw_only=True)
class TimerStarted(PipelineEvent):
    """A timer was set."""

    stage = Stage.TIMER_STARTED
    id: str
    total_seconds: int


@dataclass(frozen=True, kw_only=True)
class TimerUpdated(PipelineEvent):
    """A timer was paused, resumed or changed; `seconds_left` as it is now."""

    stage = Stage.TIMER_UPDATED
    id: str
    total_seconds: int
    is_active: bool | None = None
    seconds_left: float | None = None


@dataclass(frozen=True, kw_only=True)
class TimerCancelled(PipelineEvent):
    """A timer was cancelled."""

    stage = Stage.TIMER_CANCELLED
    id: str


@dataclass(frozen=True, kw_only=True)
class TimerFinished(PipelineEvent):
    """A timer ran out."""

    stage = Stage.TIMER_FINISHED
    id: str
    total_seconds: int | None = None


EVENT_TYPES: dict[Stage, type[PipelineEvent]] = {
    cls.stage: cls
    for cls in (
        RunStart,
        WakeStart,
        Wake,
        SttStart,
        VoiceStarted,
        VoiceStopped,
        SttEnd,
        IntentStart,
        Action,
        IntentProgress,
        IntentEnd,
        TtsStart,
        TtsFirstAudio,
        TtsEnd,
        Played,
        Error,
        RunEnd,
        Stop,
        TimerStarted,
        TimerUpdated,
        TimerCancelled,
        TimerFinished,
    )
}


def from_json(data: object) -> PipelineEvent:
    """An event read back from its JSON form; ValueError naming the field that is wrong.

    The monotonic reading is this machine's clock at the event's wall-clock time, so
    durations between events read back compare as the wall clock does.
    """
    if not isinstance(data, dict):
        raise ValueError(f"a pipeline event is a JSON object, not {type(data).__name__}")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ValueError("a pipeline event needs a string 'type'")
    cls = EVENT_TYPES[Stage.from_wire(kind)]
    epoch_ms = _checked(data, "timestamp_ms", int, kind)
    node_id = _checked(data, "node_id", str, kind)
    run_id = _checked(data, "run_id", str | None, kind)
    offset_ms = time.time() * 1000.0 - time.monotonic() * 1000.0
    stamp = Stamp(run_id, node_id, Instant(epoch_ms, epoch_ms - offset_ms))
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name == "stamp" or not f.init:
            continue
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ValueError(f"{kind}: missing field {f.name!r}")
            continue
        values[f.name] = _checked(data, f.name, hints[f.name], kind)
    return cls(stamp, **values)


def _checked(data: dict[str, Any], name: str, hint: Any, kind: str) -> Any:
    value = data.get(name)
    if not _fits(value, hint):
        raise ValueError(f"{kind}: field {name!r} is {value!r}, expected {hint}")
    if isinstance(value, list):
        return tuple(value)
    if _wants_float(hint) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _wants_float(hint: Any) -> bool:
    return hint is float or float in typing.get_args(hint)


def _fits(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin is tuple:
        (item, _ellipsis) = typing.get_args(hint)
        return isinstance(value, list | tuple) and all(_fits(v, item) for v in value)
    if origin is dict:
        _key, item = typing.get_args(hint)
        return isinstance(value, dict) and all(
            isinstance(k, str) and _fits(v, item) for k, v in value.items()
        )
    raise TypeError(f"no check for {hint!r}")
