"""An LLM server that accepts the connection and never answers (or stops mid-answer): the run
still ends within llm.timeout_s, with a spoken fallback. The real pipeline and agent, fake STT
and TTS, test-side servers on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import pytest

from hub.intents.agent import TOO_SLOW
from hub.llm import LlmSettings
from hub.pipeline.request import RunRequest, Step
from hub.pipeline.run import Run
from protocol.aio import bounded
from protocol.run_events import IntentEnd, RunEnd
from testing.fakes import FakeStt, FakeTts, RecordingPeer, fake_services
from testing.llm import STALL, model_server, text

TIMEOUT_S = 1.0


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """Accepts TCP connections, reads nothing, says nothing."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"
    finally:
        for writer in held:
            writer.close()
        server.close()


@contextlib.asynccontextmanager
async def scripted(reply: object) -> AsyncIterator[str]:
    async with model_server([reply]) as (_model, url):
        yield url


async def spoken_run(url: str) -> tuple[float, FakeTts, RecordingPeer]:
    tts = FakeTts()
    llm = LlmSettings(url=url, model="test-model", timeout_s=TIMEOUT_S)
    services = fake_services(stt=FakeStt(), tts=tts, llm=llm)
    peer = RecordingPeer()
    request = RunRequest(
        Step.INTENT, Step.TTS, "request", text="tell me a long story", played_timeout_s=1
    )
    started = time.monotonic()
    try:
        await bounded(Run(services, peer, request).execute(), 10)
    finally:
        await services.agent.close()
    return time.monotonic() - started, tts, peer


@pytest.mark.parametrize(
    ("server", "spoken"),
    [
        (silent_server, TOO_SLOW),
        (lambda: scripted("hang"), TOO_SLOW),
        (lambda: scripted([STALL]), TOO_SLOW),
        (lambda: scripted(text("Once upon a time, ", "there was a lamp. ", STALL)), None),
    ],
    ids=["accepts-only", "no-response", "headers-only", "stops-mid-answer"],
)
async def test_the_run_ends_with_a_spoken_answer_within_the_llm_timeout(
    server: Callable[[], AbstractAsyncContextManager[str]], spoken: str | None
) -> None:
    async with server() as url:
        took_s, tts, peer = await spoken_run(url)
    assert took_s < TIMEOUT_S + 1.5, f"{took_s:.1f} s"
    said = " ".join(tts.rendered)
    if spoken is None:  # what it had said before it stalled is spoken, and nothing after
        assert said.startswith("Once upon a time") and "lamp" in said and TOO_SLOW not in said
    else:
        assert said == spoken
    assert peer.audio_out, "nothing was spoken"
    intent_end = next(e for e in peer.events if isinstance(e, IntentEnd))
    assert intent_end.handled is (spoken is None)
    assert [e.outcome for e in peer.events if isinstance(e, RunEnd)] == ["ok"]
