"""The satellite's state machine on its own: inputs in, actions out; no sockets, no clock."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from wyoming.pipeline import RunPipeline

from protocol.clock import Instant
from protocol.run_events import Error, RunEnd, RunStart, Wake
from protocol.states import NodeState
from protocol.trigger import WakeHit
from satellite.machine import SatelliteMachine
from satellite.messages import (
    ActionItem,
    Adopt,
    AnswerStarted,
    ControllerEvent,
    ControllerGone,
    Drop,
    Emit,
    EndSpeakerStream,
    Input,
    InterruptSpeaker,
    ListenRequested,
    MicAudio,
    MicStatus,
    Muted,
    Pause,
    PlaybackEnded,
    PlaySound,
    ResetVad,
    Send,
    StateChanged,
    Tick,
    TimerChanged,
    WakeHeard,
)
from satellite.state import MachineConfig

HA, OTHER = "home-assistant", "another-controller"
JARVIS = WakeHit("hey_jarvis", "Hey Jarvis", 0.91, 1344)
ALEXA = WakeHit("alexa", "Alexa", 0.8, 900)
CHUNK = bytes(2048)  # 64 ms of 16 kHz audio
SPEECH = tuple((0.9, 0.032) for _ in range(2))  # one chunk of speech, in two Silero frames
QUIET = tuple((0.0, 0.032) for _ in range(2))
LOCAL = MachineConfig(node_id="kitchen", wake_words=("hey_jarvis",), stop_word="alexa")
REMOTE = MachineConfig(node_id="kitchen")
MUTE_SPEAKER = MachineConfig(node_id="kitchen", wake_words=("hey_jarvis",), has_speaker=False)


def at(ms: float) -> Instant:
    return Instant(1_800_000_000_000 + round(ms), 10_000.0 + ms)


def summary(actions: list[ActionItem]) -> list[str]:
    """`send:detection`, `emit:wake`, `play:awake`, ... (state changes left out)."""
    out: list[str] = []
    for action in actions:
        match action:
            case Send():
                out.append(f"send:{action.event.type}")
            case Emit():
                out.append(f"emit:{action.event.stage.wire}")
            case PlaySound():
                out.append(f"play:{action.name}")
            case Drop():
                out.append(f"drop:{action.controller}")
            case ResetVad():
                out.append("reset-vad")
            case InterruptSpeaker():
                out.append("interrupt")
            case EndSpeakerStream():
                out.append("end-speaker")
            case StateChanged():
                pass
    return out


Step = tuple[float, Input] | tuple[float, Input, bool]  # (ms, input[, the speaker busy])


@dataclass
class Case:
    """Inputs given one after another; what the last one does and where the machine ends."""

    name: str
    steps: list[Step]
    then: list[str]
    state: NodeState
    config: MachineConfig = LOCAL
    check: dict[str, object] = field(default_factory=dict)


def speak(start_ms: float, chunks: int, speech: tuple[tuple[float, float], ...]) -> list[Step]:
    return [
        (start_ms + 64 * i, MicAudio(CHUNK, int(start_ms) + 64 * i, speech)) for i in range(chunks)
    ]


WOKEN: list[Step] = [(0, Adopt(HA)), (100, WakeHeard(JARVIS))]
SPOKEN: list[Step] = [*WOKEN, *speak(200, 3, SPEECH), *speak(392, 9, QUIET)]  # 0.58 s of silence
SPOKEN_END: list[Step] = [*SPOKEN, (1000, MicAudio(CHUNK, 968, QUIET))]  # 0.64 s: the end

CASES = [
    Case(
        "a wake word with a controller starts a run",
        WOKEN,
        [
            "emit:run-start",
            "emit:wake",
            "send:detection",
            "send:run-pipeline",
            "play:awake",
            "reset-vad",
        ],
        NodeState.LISTENING,
    ),
    Case("no controller: the wake word is ignored", [(0, WakeHeard(JARVIS))], [], NodeState.IDLE),
    Case(
        "paused: ignored",
        [(0, Adopt(HA)), (1, Pause()), (2, WakeHeard(JARVIS))],
        [],
        NodeState.IDLE,
    ),
    Case(
        "muted: ignored",
        [(0, Adopt(HA)), (1, Muted(True)), (2, WakeHeard(JARVIS))],
        [],
        NodeState.IDLE,
    ),
    Case(
        "a second wake word mid-command is ignored",
        [*WOKEN, (200, WakeHeard(JARVIS))],
        [],
        NodeState.LISTENING,
    ),
    Case(
        "the stop word cuts what plays",
        [(0, Adopt(HA)), (10, WakeHeard(ALEXA), True)],
        ["emit:stop", "interrupt"],
        NodeState.IDLE,
    ),
    Case(
        "the stop word with nothing playing",
        [(0, Adopt(HA)), (10, WakeHeard(ALEXA))],
        [],
        NodeState.IDLE,
    ),
    Case(
        "speech streams to the controller",
        [*WOKEN, *speak(200, 2, SPEECH)],
        ["send:audio-chunk", "emit:voice-started"],
        NodeState.LISTENING,
    ),
    Case(
        "a pause shorter than the silence window does not end it",
        SPOKEN,
        ["send:audio-chunk"],
        NodeState.LISTENING,
    ),
    Case(
        "the silence window ends the command",
        SPOKEN_END,
        ["send:audio-chunk", "emit:voice-stopped", "play:done", "send:audio-stop"],
        NodeState.PROCESSING,
    ),
    Case(
        "after the end, audio is not sent",
        [*SPOKEN_END, (1100, MicAudio(CHUNK, 1064, QUIET))],
        [],
        NodeState.PROCESSING,
    ),
    Case(
        "the transcript stops streaming before the local end",
        [*WOKEN, *speak(200, 3, SPEECH), (500, ControllerEvent("transcript", text="hi"))],
        ["emit:stt-end", "play:done"],
        NodeState.PROCESSING,
    ),
    Case(
        "the answer's audio makes it respond",
        [*SPOKEN_END, (1200, ControllerEvent("synthesize", text="ok")), (1300, AnswerStarted())],
        [],
        NodeState.RESPONDING,
    ),
    Case(
        "played: the controller hears it and the run is over",
        [*SPOKEN_END, (1300, AnswerStarted(), True), (2500, PlaybackEnded(report=True))],
        ["emit:played", "send:played", "emit:run-end"],
        NodeState.IDLE,
        check={"run": None},
    ),
    Case(
        "a local sound ends without `played`",
        [*SPOKEN_END, (1300, AnswerStarted(), True), (2500, PlaybackEnded(report=False), True)],
        [],
        NodeState.RESPONDING,
    ),
    Case(
        "no answer within the response timeout",
        [*SPOKEN_END, (20_000, Tick()), (31_100, Tick())],
        ["emit:error", "emit:run-end"],
        NodeState.IDLE,
    ),
    Case(
        "the response timeout waits for the speaker",
        [*SPOKEN_END, (31_100, Tick(), True)],
        [],
        NodeState.PROCESSING,
    ),
    Case(
        "the controller's error ends the run",
        [*WOKEN, (300, ControllerEvent("error", text="no", code="stt-failed"))],
        ["emit:error", "emit:run-end"],
        NodeState.IDLE,
    ),
    Case(
        "listen starts a run without a wake word",
        [(0, Adopt(HA)), (5, ListenRequested())],
        ["emit:run-start", "send:run-pipeline", "play:awake", "reset-vad"],
        NodeState.LISTENING,
    ),
    Case(
        "listen without a controller says why",
        [(0, ListenRequested())],
        ["emit:error"],
        NodeState.IDLE,
    ),
    Case(
        "muting mid-command ends it",
        [*WOKEN, (300, Muted(True))],
        ["send:audio-stop", "emit:run-end"],
        NodeState.IDLE,
    ),
    Case(
        "a new controller replaces the old one",
        [(0, Adopt(HA)), (10, Adopt(OTHER))],
        [f"drop:{HA}"],
        NodeState.IDLE,
        check={"controller": OTHER},
    ),
    Case(
        "another connection closing changes nothing",
        [*WOKEN, (200, ControllerGone(OTHER))],
        [],
        NodeState.LISTENING,
    ),
    Case(
        "the controller gone mid-command: idle, paused, speaker closed",
        [*WOKEN, (200, ControllerGone(HA))],
        ["end-speaker", "emit:run-end"],
        NodeState.IDLE,
        check={"paused": True, "controller": None, "run": None},
    ),
    Case(
        "a failed microphone shows as an error",
        [(0, Adopt(HA)), (5, MicStatus(False))],
        [],
        NodeState.ERROR,
    ),
    Case(
        "the microphone back",
        [(0, Adopt(HA)), (5, MicStatus(False)), (9, MicStatus(True))],
        [],
        NodeState.IDLE,
    ),
    Case(
        "a finished timer rings",
        [
            (0, Adopt(HA)),
            (5, TimerChanged("started", "t1", 60)),
            (9, TimerChanged("finished", "t1")),
        ],
        ["emit:timer-finished", "play:timer"],
        NodeState.IDLE,
        check={"timers": set()},
    ),
    Case(
        "remote wake: run-satellite asks for the always-on pipeline",
        [(0, Adopt(HA))],
        ["emit:run-start", "send:run-pipeline"],
        NodeState.IDLE,
        config=REMOTE,
    ),
    Case(
        "remote wake: every chunk streams, no local VAD",
        [(0, Adopt(HA)), (64, MicAudio(CHUNK, 0))],
        ["send:audio-chunk"],
        NodeState.IDLE,
        config=REMOTE,
    ),
    Case(
        "remote wake: the controller's detection",
        [(0, Adopt(HA)), (64, ControllerEvent("detection", name="hey_jarvis"))],
        ["emit:wake", "play:awake"],
        NodeState.LISTENING,
        config=REMOTE,
    ),
    Case(
        "remote wake: after an error the pipeline is asked for again",
        [(0, Adopt(HA)), (10, ControllerEvent("error", text="x", code="y")), (2100, Tick())],
        ["emit:run-end", "emit:run-start", "send:run-pipeline"],
        NodeState.IDLE,
        config=REMOTE,
    ),
    Case(
        "remote wake: unless the controller restarts it itself",
        [
            (0, Adopt(HA)),
            (10, ControllerEvent("error", text="x", code="y")),
            (500, ControllerEvent("detect")),
            (2100, Tick()),
        ],
        [],
        NodeState.IDLE,
        config=REMOTE,
    ),
    Case(
        "no speaker: the transcript ends the run",
        [*WOKEN, (300, ControllerEvent("transcript", text="hi"))],
        ["emit:stt-end", "emit:run-end"],
        NodeState.IDLE,
        config=MUTE_SPEAKER,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_machine(case: Case) -> None:
    machine = SatelliteMachine(case.config)
    actions: list[ActionItem] = []
    for step in case.steps:
        ms, item, busy = step if len(step) == 3 else (step[0], step[1], False)
        actions = machine.handle(item, at(ms), busy)
    assert summary(actions) == case.then
    assert machine.published_state is case.state
    for name, value in case.check.items():
        assert getattr(machine, name) == value, name


def test_the_run_pipeline_and_the_events_it_publishes() -> None:
    machine = SatelliteMachine(LOCAL)
    machine.handle(Adopt(HA), at(0), False)
    actions = machine.handle(WakeHeard(JARVIS), at(100), False)
    sends = [a.event for a in actions if isinstance(a, Send)]
    detection = sends[0].data
    assert (detection["name"], detection["timestamp"]) == ("hey_jarvis", 1344)
    assert detection["context"] == {"score": 0.91}
    pipeline = RunPipeline.from_event(sends[1])
    assert (pipeline.start_stage.value, pipeline.end_stage.value) == ("asr", "tts")
    assert pipeline.wake_word_name == "hey_jarvis"
    events = [a.event for a in actions if isinstance(a, Emit)]
    start, wake = events
    assert isinstance(start, RunStart) and start.trigger == "wake"
    assert isinstance(wake, Wake) and (wake.name, wake.score, wake.audio_ms) == (
        "hey_jarvis",
        0.91,
        1344,
    )
    assert {e.run_id for e in events} == {"kitchen-1"} and {e.node_id for e in events} == {
        "kitchen"
    }
    assert wake.timestamp_ms == at(100).epoch_ms  # the time came in, nothing read a clock


def test_sends_go_to_the_controller_of_the_moment() -> None:
    machine = SatelliteMachine(LOCAL)
    machine.handle(Adopt(HA), at(0), False)
    machine.handle(Adopt(OTHER), at(1), False)
    actions = machine.handle(WakeHeard(JARVIS), at(2), False)
    assert {a.controller for a in actions if isinstance(a, Send)} == {OTHER}


def test_run_ids_count_up_and_each_run_ends_once() -> None:
    machine = SatelliteMachine(LOCAL)
    machine.handle(Adopt(HA), at(0), False)
    events = []
    for n in range(3):
        t = 1000 * n
        for item in (WakeHeard(JARVIS), ControllerEvent("error", text="x", code="y")):
            events += [
                a.event for a in machine.handle(item, at(t + 10), False) if isinstance(a, Emit)
            ]
    ends = [e for e in events if isinstance(e, RunEnd)]
    assert [e.run_id for e in ends] == ["kitchen-1", "kitchen-2", "kitchen-3"]
    assert {e.outcome for e in ends} == {"error"}
    errors = [e for e in events if isinstance(e, Error)]
    assert len(errors) == 3 and {e.code for e in errors} == {"y"}
