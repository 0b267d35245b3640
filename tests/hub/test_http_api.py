"""The HTTP API of the real hub (real models, a real broker, a fake MQTT home): speech both
ways, converse turning a light on, runs, live events, metrics, the token and every error as
JSON `{code, message}`."""

from __future__ import annotations

import asyncio
import io
import json
import wave
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import aiohttp
import pytest
from openapi_spec_validator import validate
from prometheus_client.parser import text_string_to_metric_families

from hub.web.app import ROUTES, STATIC_ROUTE
from testing.broker import Broker
from testing.fake_home import STATES, discovery_messages
from testing.hubproc import free_port, running_hub
from testing.mqtt_watch import publish, watching
from tests.conftest import normalize

TOKEN = "a-test-token-of-some-length"
KITCHEN = "zigbee2mqtt/kitchen_light/set"


@dataclass(frozen=True)
class Hub:
    """The running hub's HTTP base URL and its broker."""

    base: str
    broker: Broker


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, module_broker: Broker) -> Iterator[Hub]:
    workdir = tmp_path_factory.mktemp("http-hub")
    for topic, payload in [*discovery_messages(), *STATES.items()]:
        asyncio.run(publish(module_broker.port, topic, payload, retain=True))
    config = workdir / "hub.yaml"
    config.write_text("http:\n  max_body_kb: 2048\n  timeout_s: 30\n")
    port = free_port()
    args = ["--config", str(config), "--http-port", str(port), "--mqtt", module_broker.url]
    args += ["--control-satellites", "none"]
    log = workdir / "hub.log"
    try:
        with running_hub(args=args, log_path=log, env={"HOMEVOICE_HTTP_TOKEN": TOKEN}):
            yield Hub(f"http://127.0.0.1:{port}", module_broker)
    finally:
        print(f"hub log: {log}")


@pytest.fixture
async def http(hub: Hub) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(hub.base, headers=headers, timeout=timeout) as session:
        yield session


async def error_of(response: aiohttp.ClientResponse) -> tuple[int, str]:
    body = await response.json()
    assert set(body) == {"code", "message"} and body["message"], body
    return response.status, body["code"]


async def test_speech_there_and_back(http: aiohttp.ClientSession) -> None:
    said = "The garage door is closed and the porch light is on."
    async with http.post("/api/tts", json={"text": said}) as response:
        assert response.status == 200 and response.content_type == "audio/wav"
        wav = await response.read()
    with wave.open(io.BytesIO(wav), "rb") as reader:
        assert (reader.getframerate(), reader.getsampwidth(), reader.getnchannels()) == (
            22050,
            2,
            1,
        )
        assert len(reader.readframes(reader.getnframes())) > 22050 * 2  # over a second of speech
    async with http.post("/api/stt", data=wav, headers={"Content-Type": "audio/wav"}) as response:
        heard = await response.json()
    assert response.status == 200, heard
    assert normalize(heard["text"]) == normalize(said)
    assert heard["language"] == "en" and heard["duration_s"] > 1
    assert heard["timings_ms"]["decode"] > 0 and heard["run_id"].startswith("hub-")

    pcm = wav[44:]  # the same speech as raw PCM with its format in the query
    raw = {"rate": "22050", "width": "2", "channels": "1"}
    async with http.post("/api/stt", data=pcm, params=raw) as response:
        assert normalize((await response.json())["text"]) == normalize(said)


async def test_converse_turns_on_a_light_over_mqtt(hub: Hub, http: aiohttp.ClientSession) -> None:
    async with watching(hub.broker.port) as mqtt:
        mark = len(mqtt.messages)
        async with http.post("/api/converse", json={"text": "turn on the kitchen light"}) as r:
            answer = await r.json()
        command = await mqtt.wait_for(KITCHEN, after=mark)
    assert r.status == 200, answer
    assert json.loads(command.payload) == {"state": "ON"}
    assert answer["handled"] and answer["intent"] == "TurnOn"
    assert answer["answer"] == "Turned on the Kitchen light."
    assert answer["actions"] == [{"topic": KITCHEN, "payload": command.payload}]
    async with http.get("/api/runs", params={"satellite": "hub", "limit": "5"}) as r:
        runs = (await r.json())["runs"]
    run = next(run for run in runs if run["run_id"] == answer["run_id"])
    assert [e["type"] for e in run["events"]] == [
        "run-start", "intent-start", "action", "intent-end", "run-end",
    ]  # fmt: skip


async def test_live_events_over_the_websocket(hub: Hub, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect("/api/events", params={"token": TOKEN}) as socket:
        async with http.post("/api/converse", json={"text": "what time is it"}) as r:
            run_id = (await r.json())["run_id"]
        seen: list[dict[str, object]] = []
        async with asyncio.timeout(10):
            while not any(e["type"] == "run-end" and e["run_id"] == run_id for e in seen):
                seen.append(json.loads((await socket.receive()).data))
    types = [e["type"] for e in seen if e["run_id"] == run_id]
    assert types == ["run-start", "intent-start", "intent-end", "run-end"]
    assert any(e["type"] == "state" and e["state"] == "processing" for e in seen)


async def test_metrics_move_after_a_run(http: aiohttp.ClientSession) -> None:
    def families(text: str) -> dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
        found: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                found.setdefault(family.name, {})[key] = sample.value
        return found

    async with http.get("/metrics") as r:
        before = families(await r.text())
    async with http.post("/api/converse", json={"text": "turn off the kitchen light"}) as r:
        assert r.status == 200
    async with http.post("/api/tts", json={"text": "Hi.", "voice": "nobody"}) as r:
        assert r.status == 400  # refused: counted under its code
    async with http.get("/metrics") as r:
        assert r.content_type == "text/plain"
        after = families(await r.text())
    for name in (
        "homevoice_runs",
        "homevoice_stage_seconds",
        "homevoice_satellites_connected",
        "homevoice_wyoming_connections",
        "homevoice_model_load_seconds",
        "homevoice_errors",
    ):
        assert name in after, f"{name} missing from /metrics"
    count = ("homevoice_stage_seconds_count", (("stage", "intent"),))
    assert (
        after["homevoice_stage_seconds"][count]
        == before.get("homevoice_stage_seconds", {}).get(count, 0) + 1
    )
    runs = ("homevoice_runs_total", (("outcome", "ok"), ("trigger", "converse")))
    assert after["homevoice_runs"][runs] > before.get("homevoice_runs", {}).get(runs, 0)
    refused = ("homevoice_errors_total", (("code", "unknown-voice"),))
    assert (
        after["homevoice_errors"][refused] == before.get("homevoice_errors", {}).get(refused, 0) + 1
    )
    loads = after["homevoice_model_load_seconds"]
    assert any(dict(labels).get("model") == "tiny.en" and v > 0 for (_, labels), v in loads.items())


async def test_health_is_open_and_the_rest_wants_the_token(hub: Hub) -> None:
    async with aiohttp.ClientSession(hub.base) as bare:
        async with bare.get("/health") as r:
            assert r.status == 200 and (await r.json())["status"] == "ok"
        async with bare.get("/") as r:
            assert r.status == 200 and "homevoice" in await r.text()  # the page asks for it
        for method, path in (("GET", "/api/satellites"), ("POST", "/api/tts"), ("GET", "/metrics")):
            async with bare.request(method, path) as r:
                assert await error_of(r) == (401, "unauthorized")
                assert r.headers["WWW-Authenticate"].startswith("Bearer")
        wrong = {"Authorization": "Bearer not-the-token-at-all"}
        async with bare.get("/api/runs", headers=wrong) as r:
            assert await error_of(r) == (401, "unauthorized")
        with pytest.raises(aiohttp.WSServerHandshakeError):
            async with bare.ws_connect("/api/events"):
                pass


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "expected"),
    [
        ("POST", "/api/stt", {"data": b"RIFF\x10\x00\x00\x00WAVEjunk"}, (400, "not-a-wav")),
        ("POST", "/api/stt", {"data": b"\x00\x01" * 100}, (400, "not-audio")),
        (
            "POST",
            "/api/stt",
            {"data": b"\x00" * 3, "params": {"rate": "16000", "width": "2", "channels": "1"}},
            (400, "not-audio"),
        ),
        (
            "POST",
            "/api/stt",
            {"data": b"\x00" * (3 * 1024 * 1024)},
            (413, "request-entity-too-large"),
        ),
        ("POST", "/api/tts", {"json": {"text": "Hi.", "voice": "nobody"}}, (400, "unknown-voice")),
        ("POST", "/api/tts", {"json": {"voice": "en_US-joe-medium"}}, (400, "bad-text")),
        ("POST", "/api/tts", {"data": b"{not json"}, (400, "bad-json")),
        (
            "POST",
            "/api/converse",
            {"json": {"text": "hi", "satellite": "nobody"}},
            (404, "unknown-satellite"),
        ),
        ("POST", "/api/converse", {"json": {"text": "hi", "speak": True}}, (400, "bad-speak")),
        ("POST", "/api/satellites/nobody/announce", {"data": "Hello."}, (404, "unknown-satellite")),
        ("POST", "/api/satellites/nobody/listen", {}, (404, "unknown-satellite")),
        ("GET", "/api/runs", {"params": {"satellite": "nobody"}}, (404, "unknown-satellite")),
        ("GET", "/api/runs", {"params": {"limit": "many"}}, (400, "bad-limit")),
        ("GET", "/api/nothing-here", {}, (404, "not-found")),
        ("DELETE", "/api/satellites", {}, (405, "method-not-allowed")),
    ],
)
async def test_errors_are_json_with_a_code(
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    kwargs: dict[str, object],
    expected: tuple[int, str],
) -> None:
    async with http.request(method, path, **kwargs) as response:  # type: ignore[arg-type]
        assert await error_of(response) == expected


async def test_ready_says_why_not(hub: Hub, http: aiohttp.ClientSession) -> None:
    async with http.get("/health/ready") as r:
        body = await r.json()
    assert r.status == 200 and body["ready"] and body["checks"]["mqtt"]["ok"]
    hub.broker.stop()
    try:
        async with asyncio.timeout(20):
            while True:
                async with http.get("/health/ready") as r:
                    body = await r.json()
                if r.status == 503:
                    break
                await asyncio.sleep(0.2)
        assert not body["ready"] and body["reasons"][0].startswith("mqtt: not connected to")
    finally:
        hub.broker.start()
    async with asyncio.timeout(30):
        while True:
            async with http.get("/health/ready") as r:
                if r.status == 200:
                    break
            await asyncio.sleep(0.2)


async def test_the_openapi_document_is_valid_and_names_every_route(
    http: aiohttp.ClientSession,
) -> None:
    async with http.get("/api/openapi.json") as r:
        document = await r.json()
    validate(document)
    served: dict[str, set[str]] = {STATIC_ROUTE: {"get"}}
    for method, path, _handler in ROUTES:
        served.setdefault(path, set()).add(method.lower())
    described = {path: set(operations) for path, operations in document["paths"].items()}
    assert described == served
    async with http.get("/static/dashboard.js") as r:  # the static route does serve
        assert r.status == 200 and "api/events" in await r.text()
