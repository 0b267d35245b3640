"""What the satellite's state machine takes in (inputs) and gives out (actions): plain data."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from wyoming.event import Event

from protocol.run_events import PipelineEvent
from protocol.trigger import WakeHit

# ---- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adopt:
    """`run-satellite`: this connection becomes the controller."""

    controller: Hashable


@dataclass(frozen=True)
class Pause:
    """`pause-satellite`: stop streaming and stay quiet until the next `run-satellite`."""


@dataclass(frozen=True)
class ControllerGone:
    """A connection closed, or sending to it failed."""

    controller: Hashable


@dataclass(frozen=True)
class WakeHeard:
    """The local detector heard a wake word (or the stop word)."""

    hit: WakeHit


@dataclass(frozen=True)
class MicAudio:
    """A mic chunk while streaming, with its speech probabilities (empty without local VAD)."""

    pcm: bytes
    timestamp_ms: int
    speech: tuple[tuple[float, float], ...] = ()  # (probability, frame seconds)


@dataclass(frozen=True)
class MicStatus:
    """The microphone delivers audio again (ok) or has failed."""

    ok: bool


@dataclass(frozen=True)
class ListenRequested:
    """Start a run without a wake word (MQTT `listen/set`)."""


@dataclass(frozen=True)
class Muted:
    """Mute on or off: no wake words and no streaming while on."""

    on: bool


@dataclass(frozen=True)
class ControllerEvent:
    """An event from the controller that is about the run: `detect`, `detection`,
    `transcribe`, `voice-started`, `voice-stopped`, `transcript`, `synthesize`, `error`."""

    kind: str
    text: str | None = None  # transcript, synthesize, error
    name: str | None = None  # detection's wake word, synthesize's voice
    code: str | None = None  # error


@dataclass(frozen=True)
class TimerChanged:
    """A `timer-started`, `-updated`, `-cancelled` or `-finished` from the controller."""

    kind: str  # started, updated, cancelled, finished
    timer_id: str
    total_seconds: int | None = None
    is_active: bool | None = None


@dataclass(frozen=True)
class AnswerStarted:
    """Answer audio (or an announcement) began arriving for the speaker."""


@dataclass(frozen=True)
class PlaybackEnded:
    """The speaker finished (or cut) a stream; `report`: the controller wants `played`."""

    report: bool


@dataclass(frozen=True)
class InternalError:
    """Processing mic audio failed; the run ends."""

    message: str


@dataclass(frozen=True)
class Tick:
    """Time passed (the watchdogs look at `at`)."""


Input = (
    Adopt
    | Pause
    | ControllerGone
    | WakeHeard
    | MicAudio
    | MicStatus
    | ListenRequested
    | Muted
    | ControllerEvent
    | TimerChanged
    | AnswerStarted
    | PlaybackEnded
    | InternalError
    | Tick
)


# ---- actions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """Send `event` to `controller`; if that fails the runtime reports ControllerGone."""

    controller: Hashable
    event: Event


@dataclass(frozen=True)
class Drop:
    """Close `controller`'s connection (a newer one took over)."""

    controller: Hashable


@dataclass(frozen=True)
class Emit:
    """Publish one pipeline event (MQTT `event`)."""

    event: PipelineEvent


@dataclass(frozen=True)
class StateChanged:
    """Publish the state again (MQTT `state`)."""


@dataclass(frozen=True)
class PlaySound:
    """A local sound: `awake`, `done` or `timer`."""

    name: str


@dataclass(frozen=True)
class ResetVad:
    """Forget the VAD's state: a new command begins."""


@dataclass(frozen=True)
class InterruptSpeaker:
    """Cut what the speaker is playing (the stop word)."""


@dataclass(frozen=True)
class EndSpeakerStream:
    """Close the stream being fed: nobody will finish it."""


ActionItem = (
    Send | Drop | Emit | StateChanged | PlaySound | ResetVad | InterruptSpeaker | EndSpeakerStream
)
