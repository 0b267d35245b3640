"""A careful home's broker: TLS with its own CA, a login per node, an ACL that gives each node
only its own topics. Hub and satellite take their secrets from the environment (`_FILE`), the
spoken command is carried out once, and no secret shows anywhere the run left a trace: the
processes' argv, their logs, every MQTT message, the HTTP API."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp

from testing.broker import SecureBroker
from testing.hubproc import free_port, running_hub
from testing.mqtt_watch import publish, watching
from testing.satrig import satellite_rig
from tests.satellite.conftest import until

from .conftest import light_on

HUB_PASSWORD = "hub-Pa55-0b7f1c9e2d"
SATELLITE_PASSWORD = "sat-Pa55-6a4e8d2c1f"
HTTP_TOKEN = "http-Tok3n-5d8e2a9c4b7f1e3d"
LLM_KEY = "llm-K3y-9c2e5a8d1b4f"
SECRETS = (HUB_PASSWORD, SATELLITE_PASSWORD, HTTP_TOKEN, LLM_KEY)
SATELLITE = "satellite_kitchen"

# Each node its own topics, plus what it needs of discovery; the hub also the home's command
# topics (the demo light's) and the topics of the satellites it drives.
ACL = f"""
user hub
topic readwrite homevoice/#
topic readwrite homeassistant/#
topic write demo/+/set

user {SATELLITE}
topic readwrite homevoice/{SATELLITE}/#
topic write homeassistant/device/{SATELLITE}/config
topic read homeassistant/status
"""


def _secret_files(workdir: Path) -> dict[str, Path]:
    files = {}
    for name, value in {
        "hub": HUB_PASSWORD,
        "sat": SATELLITE_PASSWORD,
        "token": HTTP_TOKEN,
        "llm": LLM_KEY,
    }.items():
        path = workdir / f"{name}.secret"
        path.write_text(value + "\n")
        path.chmod(0o600)
        files[name] = path
    return files


async def test_tls_logins_and_an_acl_and_no_secret_anywhere(
    tmp_path: Path, wake_command: bytes
) -> None:
    broker = SecureBroker(tmp_path, {"hub": HUB_PASSWORD, SATELLITE: SATELLITE_PASSWORD}, ACL)
    broker.start()
    secrets = _secret_files(tmp_path)
    satellite_env = {
        "HOMEVOICE_MQTT_URL": broker.tls_url,
        "HOMEVOICE_MQTT_CA_FILE": str(broker.ca_file),
        "HOMEVOICE_MQTT_USERNAME": SATELLITE,
        "HOMEVOICE_MQTT_PASSWORD_FILE": str(secrets["sat"]),
    }
    http_port = free_port()
    hub_env = {
        "HOMEVOICE_MQTT_URL": broker.tls_url,
        "HOMEVOICE_MQTT_CA_FILE": str(broker.ca_file),
        "HOMEVOICE_MQTT_USERNAME": "hub",
        "HOMEVOICE_MQTT_PASSWORD_FILE": str(secrets["hub"]),
        "HOMEVOICE_HTTP_TOKEN_FILE": str(secrets["token"]),
        # An LLM the grammar never needs here; its key is one more secret to look for.
        "HOMEVOICE_LLM_URL": "http://127.0.0.1:9/v1",
        "HOMEVOICE_LLM_MODEL": "none",
        "HOMEVOICE_LLM_API_KEY_FILE": str(secrets["llm"]),
    }
    seen_http: list[str] = []
    try:
        with satellite_rig(
            tmp_path, ["--wake-word", "hey_jarvis"], name="Kitchen", env=satellite_env
        ) as rig:
            hub_args = ["--log-level", "debug", "--wake-word", "hey_jarvis"]
            hub_args += ["--satellite", f"tcp://127.0.0.1:{rig.port}"]
            hub_args += ["--http-port", str(http_port)]
            with running_hub(args=hub_args, log_path=tmp_path / "hub.log", env=hub_env) as (
                _port,
                hub_proc,
            ):
                async with light_on(broker) as light, watching(broker.port) as mqtt:
                    # Both nodes logged in over TLS and published what they own.
                    for node in (SATELLITE, "hub", "kitchen"):
                        await mqtt.wait_for(f"homevoice/{node}/availability", timeout_s=30)
                    await mqtt.wait_for(
                        "homevoice/kitchen/state", lambda p: json.loads(p)["state"] == "idle", 30
                    )
                    await asyncio.sleep(1.0)  # the hub has read the light's discovery
                    rig.play(wake_command)
                    await mqtt.wait_for(
                        "homevoice/kitchen/event", lambda p: json.loads(p)["type"] == "run-end", 30
                    )
                    await until(lambda: bool(light.commands), 10)
                    await asyncio.sleep(0.5)
                    assert [json.loads(c) for _, c in light.commands] == [{"state": "ON"}]

                    # Home Assistant coming online: each node announces its device again.
                    await publish(broker.port, "homeassistant/status", "online")
                    for node in (SATELLITE, "hub"):
                        await mqtt.wait_for(f"homeassistant/device/{node}/config", timeout_s=15)
                    seen_http = await _read_the_api(http_port)
                    argv = [_cmdline(hub_proc.pid), _cmdline(rig.proc.pid)]
                    messages = [f"{m.topic} {m.payload}" for m in mqtt.messages]
    finally:
        broker.stop()

    logs = [(tmp_path / name).read_text(errors="replace") for name in ("hub.log", "satellite.log")]
    assert "denied" not in broker.log_text.lower(), broker.log_text[-3000:]
    everything = {"argv": argv, "logs": logs, "mqtt": messages, "http": seen_http}
    for where, texts in everything.items():
        for secret in SECRETS:
            assert not any(secret in text for text in texts), f"{where} shows a secret"
    assert len(seen_http) >= 5 and len(messages) > 10


async def _read_the_api(port: int) -> list[str]:
    """What the HTTP API answers (with the token) on every read-only path a user looks at."""
    headers = {"Authorization": f"Bearer {HTTP_TOKEN}"}
    paths = ["/health", "/health/ready", "/api/satellites", "/api/runs", "/metrics"]
    paths += ["/api/openapi.json", "/api/voices"]
    answers = []
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as http:
        for path in paths:
            async with http.get(f"http://127.0.0.1:{port}{path}") as response:
                assert response.status == 200, path
                answers.append(await response.text())
    async with aiohttp.ClientSession(timeout=timeout) as anonymous:
        async with anonymous.get(f"http://127.0.0.1:{port}/api/runs") as response:
            assert response.status == 401  # the token is needed, and it was taken
    return answers


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


async def test_a_wrong_password_is_said_without_the_password(tmp_path: Path) -> None:
    broker = SecureBroker(tmp_path, {SATELLITE: SATELLITE_PASSWORD}, ACL)
    broker.start()
    wrong = "not-the-Pa55word-31337"
    env = {
        "HOMEVOICE_MQTT_URL": broker.tls_url,
        "HOMEVOICE_MQTT_CA_FILE": str(broker.ca_file),
        "HOMEVOICE_MQTT_USERNAME": SATELLITE,
        "HOMEVOICE_MQTT_PASSWORD": wrong,
    }
    try:
        with satellite_rig(tmp_path, [], name="Kitchen", env=env) as rig:
            log = tmp_path / "satellite.log"
            await until(lambda: "refused the login" in log.read_text(), 20)
            assert rig.proc.poll() is None, "the satellite keeps serving and retrying"
    finally:
        broker.stop()
    text = log.read_text()
    assert wrong not in text
    assert text.count("refused the login") == 1, "said once, not once per retry"
    assert "check mqtt.username and mqtt.password" in text
