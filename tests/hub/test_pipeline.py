"""One run in-process: fake engines, the real intents on the fake home, a recording peer.

Table-driven over the stages (wake → stt → intent → action → tts → played), an error at each
stage, cancellation mid-stage, and the LLM down or slow."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from hub.engines.errors import SttError, TtsError
from hub.errors import PipelineError
from hub.intents.agent import TOO_SLOW, UNREACHABLE
from hub.intents.handler import NO_BROKER, NOT_UNDERSTOOD
from hub.llm import LlmSettings
from hub.pipeline.request import RunRequest, Step, WakeUp
from hub.pipeline.run import Run, RunError
from hub.pipeline.services import Services
from protocol.aio import bounded
from protocol.run_events import (
    Action,
    Error,
    IntentEnd,
    PipelineEvent,
    Played,
    RunEnd,
    RunStart,
    Stage,
    SttEnd,
    TtsStart,
    Wake,
)
from protocol.states import NodeState
from testing.fakes import (
    SPEECH_LEVEL,
    WAKE_LEVEL,
    FakeStt,
    FakeTts,
    FakeWake,
    Published,
    RecordingPeer,
    chunk,
    fake_services,
    utterance,
)
from testing.llm import model_server, text, tool_call

KITCHEN_ON = ("zigbee2mqtt/kitchen_light/set", json.dumps({"state": "ON"}))
SPOKEN = ["stt-start", "voice-started", "voice-stopped", "stt-end"]
UNDERSTOOD = ["intent-start", "action", "intent-end"]
ANSWERED = ["tts-start", "tts-first-audio", "tts-end"]


@dataclass
class Scene:
    """A run's services, its peer and what the event stream saw."""

    services: Services
    peer: RecordingPeer
    published: Published
    stream: list[PipelineEvent] = field(default_factory=list)
    hub_states: list[NodeState] = field(default_factory=list)

    @property
    def stream_types(self) -> list[str]:
        return [e.stage.wire for e in self.stream]


def scene(
    audio: list[bytes] | None = None,
    end_audio: bool = False,
    stt: FakeStt | None = None,
    tts: FakeTts | None = None,
    wake: FakeWake | None = None,
    llm: LlmSettings | None = None,
) -> Scene:
    published = Published()
    services = fake_services(stt, tts, wake, llm, published)
    found = Scene(services, RecordingPeer(audio, end_audio, node_id="kitchen"), published)
    services.events.subscribe(found.stream.append)
    services.activity.add_reader(lambda activity: found.hub_states.append(activity.state))
    return found


def satellite_run(**changes: object) -> RunRequest:
    """What a satellite that heard its wake word asks for, with `changes`."""
    fields: dict[str, object] = {
        "start": Step.STT,
        "end": Step.TTS,
        "trigger": "wake",
        "wake": WakeUp("hey_jarvis", "Hey Jarvis", 0.9),
        "satellite": "Kitchen",
        "device_id": "kitchen",
        "played_timeout_s": 1.0,
        **changes,
    }
    return RunRequest(**fields)  # type: ignore[arg-type]


async def run(found: Scene, request: RunRequest) -> Run:
    ran = Run(found.services, found.peer, request)
    try:
        await bounded(ran.execute(), 10)
    finally:
        await found.services.agent.close()  # its HTTP session, if it opened one
    return ran


# ---- the stages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stages:
    """One row: where the run starts and ends, and the events it must produce."""

    name: str
    request: RunRequest
    audio: list[bytes]
    events: list[str]
    states: list[NodeState]
    published: bool


STAGE_TABLE = [
    Stages(
        "wake → tts on a streaming satellite",
        satellite_run(start=Step.WAKE, trigger="stream", wake=None),
        [chunk(), chunk(WAKE_LEVEL), *utterance()],
        ["run-start", "wake-start", "wake", *SPOKEN, *UNDERSTOOD, *ANSWERED, "played", "run-end"],
        [NodeState.IDLE, NodeState.LISTENING, NodeState.PROCESSING, NodeState.RESPONDING],
        True,
    ),
    Stages(
        "stt → tts, the satellite heard its wake word",
        satellite_run(),
        utterance(),
        ["run-start", "wake", *SPOKEN, *UNDERSTOOD, *ANSWERED, "played", "run-end"],
        [NodeState.LISTENING, NodeState.PROCESSING, NodeState.RESPONDING],
        True,
    ),
    Stages(
        "stt → intent: a satellite without a speaker",
        satellite_run(end=Step.INTENT),
        utterance(),
        ["run-start", "wake", *SPOKEN, *UNDERSTOOD, "run-end"],
        [NodeState.LISTENING, NodeState.PROCESSING],
        True,
    ),
    Stages(
        "stt only: Home Assistant's transcribe (no VAD: its audio-stop ends it)",
        RunRequest(Step.STT, Step.STT, "request", vad=False),
        [chunk(SPEECH_LEVEL)] * 5,
        ["run-start", "stt-start", "stt-end", "run-end"],
        [NodeState.LISTENING, NodeState.PROCESSING],
        False,
    ),
    Stages(
        "intent only: Home Assistant's handle",
        RunRequest(Step.INTENT, Step.INTENT, "request", text="turn on the kitchen light"),
        [],
        ["run-start", *UNDERSTOOD, "run-end"],
        [NodeState.PROCESSING],
        True,
    ),
    Stages(
        "tts only: an announcement",
        RunRequest(Step.TTS, Step.TTS, "announce", text="Dinner is ready.", played_timeout_s=1),
        [],
        ["run-start", *ANSWERED, "played", "run-end"],
        [NodeState.RESPONDING],
        False,
    ),
    Stages(
        "wake only: a wake word service, every detection until the audio ends",
        RunRequest(Step.WAKE, Step.WAKE, "request"),
        [chunk(WAKE_LEVEL), chunk(), chunk(WAKE_LEVEL)],
        ["run-start", "wake-start", "wake", "wake", "run-end"],
        [NodeState.IDLE],
        False,
    ),
]


@pytest.mark.parametrize("row", STAGE_TABLE, ids=[r.name for r in STAGE_TABLE])
async def test_stages(row: Stages) -> None:
    found = scene(row.audio, end_audio=True, stt=FakeStt(), tts=FakeTts(), wake=FakeWake())
    ran = await run(found, row.request)

    assert found.peer.types == row.events
    assert found.stream_types == row.events  # the peer and the stream saw the same events
    assert found.peer.states == row.states
    assert ran.result.outcome == "ok"
    assert (found.published.messages == [KITCHEN_ON]) is row.published
    assert {e.run_id for e in found.stream} == {ran.id} and ran.id.startswith("kitchen-")
    stamps = [e.timestamp_ms for e in found.stream]
    assert stamps == sorted(stamps)
    assert found.services.activity.state is NodeState.IDLE and not found.services.activity.busy_runs
    end = found.stream[-1]
    assert isinstance(end, RunEnd) and end.outcome == "ok"
    if row.request.end is Step.TTS:
        assert found.peer.audio_formats and found.peer.audio_ended == 1 and found.peer.audio_out


async def test_the_events_say_what_happened() -> None:
    found = scene(utterance(), stt=FakeStt("Turn on the kitchen light."), tts=FakeTts())
    found.peer = RecordingPeer(utterance(), node_id="kitchen", chunk_delay_s=0.064)  # real time
    ran = await run(found, satellite_run())
    by_stage = {e.stage: e for e in reversed(found.stream)}
    start, wake = by_stage[Stage.RUN_START], by_stage[Stage.WAKE]
    assert isinstance(start, RunStart) and (start.satellite, start.trigger) == ("Kitchen", "wake")
    assert (start.start_stage, start.end_stage) == ("asr", "tts")
    assert isinstance(wake, Wake) and (wake.name, wake.source) == ("hey_jarvis", "satellite")
    stt_end = by_stage[Stage.STT_END]
    assert isinstance(stt_end, SttEnd) and stt_end.text == "Turn on the kitchen light."
    assert stt_end.ended_by == "speech-ended" and stt_end.speculative is True
    assert stt_end.speech_end_ms is not None and stt_end.speech_end_ms <= stt_end.timestamp_ms
    action = by_stage[Stage.ACTION]
    assert isinstance(action, Action) and (action.topic, action.payload) == KITCHEN_ON
    intent_end = by_stage[Stage.INTENT_END]
    assert isinstance(intent_end, IntentEnd) and intent_end.intent == "TurnOn"
    assert intent_end.answer == "Turned on the Kitchen light."
    tts_start = by_stage[Stage.TTS_START]
    assert isinstance(tts_start, TtsStart) and tts_start.text == intent_end.answer
    played = by_stage[Stage.PLAYED]
    assert isinstance(played, Played) and played.reported
    end = by_stage[Stage.RUN_END]
    assert isinstance(end, RunEnd)
    timings = end.timings_ms
    assert 0 <= timings["stt-end"] <= timings["action"] <= timings["tts-first-audio"]
    assert timings["voice-started"] < 0  # before the end of speech
    assert ran.result.transcript == "Turn on the kitchen light."
    assert ran.result.answer is not None and ran.result.answer.handled


async def test_the_hub_state_follows_the_run() -> None:
    found = scene(utterance(), stt=FakeStt(), tts=FakeTts())
    await run(found, satellite_run())
    assert found.hub_states == [
        NodeState.LISTENING,
        NodeState.PROCESSING,
        NodeState.RESPONDING,
        NodeState.IDLE,
    ]


async def test_a_played_that_never_comes_is_waited_out() -> None:
    found = scene(utterance(), stt=FakeStt(), tts=FakeTts())
    found.peer.played_after_s = None
    await run(found, satellite_run(played_timeout_s=0.1))
    played = next(e for e in found.stream if isinstance(e, Played))
    assert not played.reported and found.stream_types[-1] == "run-end"


# ---- an error at each stage: exactly one `error`, with its code -----------------------------


def stt_fails(found: Scene) -> None:
    assert isinstance(found.services.stt, FakeStt)
    found.services.stt.error = SttError("stt-failed", "the model broke")


def tts_fails(found: Scene) -> None:
    assert isinstance(found.services.tts, FakeTts)
    found.services.tts.error = TtsError("tts-failed", "synthesis failed: broken")


def no_engine(name: str) -> Callable[[Scene], None]:
    def remove(found: Scene) -> None:
        setattr(found.services, name, None)

    return remove


def silent_stt(found: Scene) -> None:
    assert isinstance(found.services.stt, FakeStt)
    found.services.stt.text = "  "


def peer_gone(found: Scene) -> None:
    found.peer.gone_after_chunks = 1


async def lost_arbitration(_wake: WakeUp | None) -> None:
    raise RunError("duplicate_wake_up_detected", "bedroom heard the same wake word")


@dataclass(frozen=True)
class Failure:
    """One way a stage fails, and the code and events that says so."""

    name: str
    code: str
    before: list[str]  # the events before the error
    audio: list[bytes] = field(default_factory=utterance)
    end_audio: bool = True
    change: Callable[[Scene], None] | None = None
    request: RunRequest = field(default_factory=satellite_run)


FAILURES = [
    Failure(
        "wake: no wake words on this hub",
        "wake-disabled",
        ["run-start"],
        change=no_engine("wake"),
        request=satellite_run(start=Step.WAKE, wake=None),
    ),
    Failure(
        "wake: the stream ends before a wake word",
        "stream-ended",
        ["run-start", "wake-start"],
        audio=[chunk()] * 3,
        request=satellite_run(start=Step.WAKE, wake=None),
    ),
    Failure(
        "arbitration: another satellite answers",
        "duplicate_wake_up_detected",
        ["run-start", "wake"],
        request=satellite_run(admit=lost_arbitration),
    ),
    Failure("stt: turned off", "stt-disabled", ["run-start", "wake"], change=no_engine("stt")),
    Failure(
        "stt: no speech at all",
        "stt-no-text-recognized",
        ["run-start", "wake", "stt-start", "voice-stopped"],
        audio=[chunk()] * 20,
        request=satellite_run(),
    ),
    Failure(
        "stt: the satellite stops sending audio",
        "audio-timeout",
        ["run-start", "wake", "stt-start", "voice-started"],
        audio=[chunk(SPEECH_LEVEL)] * 4,
        end_audio=False,
        request=satellite_run(audio_gap_s=0.2),
    ),
    Failure(
        "stt: the model fails", "stt-failed", ["run-start", "wake", *SPOKEN[:3]], change=stt_fails
    ),
    Failure(
        "stt: nothing recognized",
        "stt-no-text-recognized",
        ["run-start", "wake", *SPOKEN],
        change=silent_stt,
    ),
    Failure(
        "tts: turned off",
        "tts-disabled",
        ["run-start", "wake", *SPOKEN, *UNDERSTOOD],
        change=no_engine("tts"),
    ),
    Failure(
        "tts: an unknown voice",
        "unknown-voice",
        ["run-start", "wake", *SPOKEN, *UNDERSTOOD],
        request=satellite_run(voice="nobody"),
    ),
    Failure(
        "tts: the synthesis fails",
        "tts-failed",
        ["run-start", "wake", *SPOKEN, *UNDERSTOOD, "tts-start"],
        change=tts_fails,
    ),
    Failure(
        "tts: the peer is gone mid-answer",
        "peer-gone",
        ["run-start", "wake", *SPOKEN, *UNDERSTOOD, "tts-start", "tts-first-audio"],
        change=peer_gone,
    ),
]


@pytest.mark.parametrize("failure", FAILURES, ids=[f.name for f in FAILURES])
async def test_an_error_at_each_stage(failure: Failure) -> None:
    found = scene(failure.audio, failure.end_audio, FakeStt(), FakeTts(), FakeWake())
    if failure.change is not None:
        failure.change(found)
    ran = await run(found, failure.request)

    errors = [e for e in found.stream if isinstance(e, Error)]
    assert [e.code for e in errors] == [failure.code]
    assert errors[0].message
    assert found.stream_types == [*failure.before, "error", "run-end"]
    assert found.peer.types == found.stream_types  # the peer was told too
    end = found.stream[-1]
    assert isinstance(end, RunEnd) and end.outcome == "error"
    assert isinstance(ran.result.error, PipelineError) and ran.result.error.code == failure.code
    assert not found.peer.audio_open, "the answer's audio was left open"
    assert found.services.activity.state is NodeState.IDLE


# ---- cancellation mid-stage ------------------------------------------------------------------


LONG_ANSWER = "The kitchen light is on, and the front door is locked. The garage is closed."


@dataclass(frozen=True)
class Cut:
    """Where a run is cancelled: once this event has gone out (or the TTS has begun)."""

    name: str
    after: str
    audio_open: bool  # the answer's audio was open at that moment
    request: RunRequest = field(
        default_factory=lambda: satellite_run(start=Step.WAKE, wake=None, played_timeout_s=30)
    )


CUTS = [
    Cut("waiting for the wake word", "wake-start", False),
    Cut("while the command is spoken", "voice-started", False),
    Cut("while the answer renders", "tts-start", False),
    Cut(
        "while the answer plays",
        "tts-first-audio",
        True,
        RunRequest(Step.TTS, Step.TTS, "announce", text=LONG_ANSWER, played_timeout_s=30),
    ),
    Cut("waiting for `played`", "tts-end", False),
]


@pytest.mark.parametrize("cut", CUTS, ids=[c.name for c in CUTS])
async def test_cancellation_mid_stage_ends_cleanly(cut: Cut) -> None:
    audio = [chunk(WAKE_LEVEL), *utterance()] if cut.after != "wake-start" else [chunk()]
    found = scene(audio, stt=FakeStt(), tts=FakeTts(delay_s=0.05), wake=FakeWake())
    found.peer.played_after_s = None  # so the run is still playing when it is cut
    reached = asyncio.Event()
    found.peer.on_event = lambda e: reached.set() if e.stage.wire == cut.after else None
    task = asyncio.create_task(Run(found.services, found.peer, cut.request).execute())
    await bounded(reached.wait(), 10)
    if cut.after == "tts-start":
        assert isinstance(found.services.tts, FakeTts)
        await bounded(found.services.tts.started.wait(), 5)
    was_open = found.peer.audio_open
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await bounded(task, 5)

    assert was_open is cut.audio_open
    assert not found.peer.audio_open, "the answer's audio was left open"
    end = found.stream[-1]
    assert isinstance(end, RunEnd) and end.outcome == "cancelled"
    assert not any(isinstance(e, Error) for e in found.stream)
    assert found.services.activity.state is NodeState.IDLE and not found.services.activity.busy_runs
    wake = found.services.wake
    assert isinstance(wake, FakeWake)
    async with asyncio.timeout(2):  # a detector still in its thread is closed when it returns
        while not all(stream.closed for stream in wake.streams):  # noqa: ASYNC110
            await asyncio.sleep(0.01)


# ---- the LLM: what the grammar does not match -------------------------------------------------


async def test_no_llm_the_grammar_says_it_did_not_understand() -> None:
    found = scene(tts=FakeTts())
    request = RunRequest(Step.INTENT, Step.TTS, "request", text="what is the meaning of life")
    ran = await run(found, request)
    assert ran.result.answer is not None and not ran.result.answer.handled
    assert ran.result.answer.text == NOT_UNDERSTOOD
    assert isinstance(found.services.tts, FakeTts) and found.services.tts.rendered


async def test_the_llm_answers_what_the_grammar_does_not() -> None:
    async with model_server([text("Forty-two, ", "of course.")]) as (model, url):
        found = scene(tts=FakeTts(), llm=LlmSettings(url=url, model="m"))
        request = RunRequest(Step.INTENT, Step.TTS, "request", text="what is the meaning of life")
        ran = await run(found, request)
    assert ran.result.answer is not None and ran.result.answer.handled
    assert ran.result.answer.intent == "llm" and "Forty-two" in ran.result.answer.text
    assert model.requests and ran.result.outcome == "ok"


async def test_the_llm_down_gives_the_spoken_fallback() -> None:
    async with model_server() as (_model, url):
        pass  # the server is gone: its port refuses connections
    found = scene(tts=FakeTts(), llm=LlmSettings(url=url, model="m", timeout_s=2))
    request = RunRequest(Step.INTENT, Step.TTS, "request", text="what is the meaning of life")
    ran = await run(found, request)
    assert ran.result.answer is not None and ran.result.answer.text == UNREACHABLE
    assert ran.result.outcome == "ok" and found.peer.audio_out  # it was spoken


async def test_the_llm_too_slow_gives_the_spoken_fallback_in_time() -> None:
    async with model_server(["hang"]) as (_model, url):
        found = scene(tts=FakeTts(), llm=LlmSettings(url=url, model="m", timeout_s=0.5))
        request = RunRequest(Step.INTENT, Step.TTS, "request", text="what is the meaning of life")
        loop = asyncio.get_running_loop()
        started = loop.time()
        ran = await run(found, request)
        took_s = loop.time() - started
    assert ran.result.answer is not None and ran.result.answer.text == TOO_SLOW
    assert took_s < 3 and found.peer.audio_out


async def test_the_broker_down_is_said_and_nothing_is_claimed_done() -> None:
    found = scene(tts=FakeTts())
    found.published.connected = False
    request = RunRequest(Step.INTENT, Step.TTS, "request", text="turn on the kitchen light")
    ran = await run(found, request)
    assert ran.result.answer is not None and ran.result.answer.text == NO_BROKER
    assert "action" not in found.stream_types and ran.result.outcome == "ok"
    assert isinstance(found.services.tts, FakeTts)
    assert " ".join(found.services.tts.rendered) == NO_BROKER


async def test_what_the_llm_does_is_an_action_of_the_run() -> None:
    call = tool_call({"entity_id": "0x01_light", "action": "turn_on"})
    async with model_server([call, text("Done, the kitchen light is on.")]) as (_model, url):
        found = scene(llm=LlmSettings(url=url, model="m"))
        request = RunRequest(Step.INTENT, Step.INTENT, "request", text="it's dark in the kitchen")
        ran = await run(found, request)
    assert found.published.messages == [KITCHEN_ON]
    assert found.stream_types == [  # the tool call came first, then the answer streamed
        "run-start", "intent-start", "action", "intent-progress", "intent-end", "run-end",
    ]  # fmt: skip
    action = next(e for e in found.stream if isinstance(e, Action))
    assert (action.topic, action.payload) == KITCHEN_ON
    assert ran.result.answer is not None and ran.result.answer.intent == "llm"
