"""The HTTP face in-process (real loopback, fake engines): a run that fails over HTTP is one
`error` event on the stream and its JSON answer, never two."""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from hub.engines.errors import SttError
from hub.loading import LoadedHub
from hub.pipeline.events import RunHistory
from hub.pipeline.services import Services
from hub.satellites.controller import SatelliteController
from hub.settings import HubSettings
from hub.web.app import build_app
from hub.web.context import WebContext
from hub.web.metrics import Metrics
from protocol.run_events import Error, PipelineEvent
from testing.fakes import SPEECH_LEVEL, FakeStt, FakeTts, chunk, fake_services


@pytest.fixture
async def web_hub() -> AsyncIterator[tuple[aiohttp.ClientSession, Services, list[PipelineEvent]]]:
    settings = HubSettings(zeroconf=False)
    services = fake_services(stt=FakeStt(), tts=FakeTts())
    seen: list[PipelineEvent] = []
    services.events.subscribe(seen.append)
    hub = LoadedHub(None, None, None, services, info=None)  # type: ignore[arg-type]
    ctx = WebContext(
        settings,
        hub,
        SatelliteController(settings, services),
        RunHistory(),
        Metrics(lambda: 0, lambda: 0, {}),
    )
    server = TestServer(build_app(ctx), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession(str(server.make_url(""))) as http:
            yield http, services, seen
    finally:
        await server.close()


def wav(pcm: bytes) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(pcm)
    return out.getvalue()


async def test_a_run_that_fails_over_http_is_one_error(
    web_hub: tuple[aiohttp.ClientSession, Services, list[PipelineEvent]],
) -> None:
    http, services, seen = web_hub
    assert isinstance(services.stt, FakeStt)
    services.stt.error = SttError("stt-failed", "the model broke")
    async with http.post("/api/stt", data=wav(chunk(SPEECH_LEVEL) * 4)) as response:
        body = await response.json()
    assert (response.status, body["code"]) == (500, "stt-failed")
    errors = [e for e in seen if isinstance(e, Error)]
    assert [(e.code, e.run_id is not None) for e in errors] == [("stt-failed", True)]
    assert [e.stage.wire for e in seen][-2:] == ["error", "run-end"]
