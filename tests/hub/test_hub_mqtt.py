"""The real hub on MQTT: availability with a last will, retained state, HA device discovery."""

from __future__ import annotations

import json
from pathlib import Path

from testing import client
from testing.broker import Broker
from testing.hubproc import running_hub
from testing.mqtt_watch import Watcher, publish, watching

AVAILABILITY = "homevoice/hub/availability"
STATE = "homevoice/hub/state"
DISCOVERY = "homeassistant/device/hub/config"


async def test_hub_announces_itself_and_its_will_fires_when_killed(
    broker: Broker, tmp_path: Path
) -> None:
    async with watching(broker.port) as watch:
        with running_hub(args=["--mqtt", broker.url], log_path=tmp_path / "hub.log") as (_, proc):
            online = await watch.wait_for(AVAILABILITY, lambda p: p == "online")
            config = json.loads((await watch.wait_for(DISCOVERY)).payload)
            state = json.loads((await watch.wait_for(STATE)).payload)

            mark = len(watch.messages)
            await publish(broker.port, "homeassistant/status", "online")  # HA restarted
            await watch.wait_for(DISCOVERY, after=mark)

            async with watching(broker.port) as late:  # retained: a late subscriber gets it
                assert (await late.wait_for(AVAILABILITY)).payload == "online"
                assert json.loads((await late.wait_for(STATE)).payload)["stt"] == "tiny.en"

            proc.kill()  # no goodbye: the broker publishes the will
            await watch.wait_for(AVAILABILITY, lambda p: p == "offline")
    async with watching(broker.port) as late:
        assert (await late.wait_for(AVAILABILITY)).payload == "offline"
    assert online.payload == "online"
    assert config["device"]["identifiers"] == ["homevoice_hub"]
    assert config["components"]["status"]["state_topic"] == STATE
    assert config["availability"] == [{"topic": AVAILABILITY}]
    assert state["state"] == "idle" and state["stt"] == "tiny.en"
    assert "en_US-joe-medium" in state["tts"]


async def test_clean_stop_publishes_offline(broker: Broker, tmp_path: Path) -> None:
    async with watching(broker.port) as watch:
        with running_hub(args=["--mqtt", broker.url], log_path=tmp_path / "hub.log"):
            await watch.wait_for(AVAILABILITY, lambda p: p == "online")
        await watch.wait_for(AVAILABILITY, lambda p: p == "offline")
    async with watching(broker.port) as late:
        offline = await late.wait_for(AVAILABILITY)
    assert (offline.payload, offline.retain) == ("offline", True)


async def test_hub_serves_wyoming_while_the_broker_is_down(broker: Broker, tmp_path: Path) -> None:
    broker.stop()
    log = tmp_path / "hub.log"
    with running_hub(args=["--mqtt", broker.url], log_path=log) as (port, _):
        info = await client.describe("127.0.0.1", port)
        assert info.asr and info.tts
        broker.start()
        async with watching(broker.port) as watch:
            await watch.wait_for(AVAILABILITY, lambda p: p == "online", timeout_s=15)
    text = log.read_text()
    assert text.count("unreachable or lost") == 1  # logged once, not once per retry
    assert "connected to mqtt://127.0.0.1" in text


async def test_the_hubs_state_follows_what_it_is_doing(
    broker: Broker, tmp_path: Path, command_speech: bytes
) -> None:
    def states(watch: Watcher, after: int) -> list[str]:
        seen = [json.loads(m.payload)["state"] for m in watch.messages[after:] if m.topic == STATE]
        return [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s]

    async with watching(broker.port) as watch:
        with running_hub(args=["--mqtt", broker.url], log_path=tmp_path / "hub.log") as (port, _):
            await watch.wait_for(STATE, lambda p: json.loads(p)["state"] == "idle")
            mark = len(watch.messages)
            heard = await client.transcribe("127.0.0.1", port, command_speech, pace=True)
            await watch.wait_for(STATE, lambda p: json.loads(p)["state"] == "idle", after=mark + 1)
            assert "kitchen light" in heard.text.lower()
            assert states(watch, mark) == ["listening", "processing", "idle"]

            mark = len(watch.messages)
            await client.synthesize("127.0.0.1", port, "The kitchen light is on.")
            await watch.wait_for(STATE, lambda p: json.loads(p)["state"] == "idle", after=mark + 1)
            assert states(watch, mark) == ["responding", "idle"]
            busy = next(
                json.loads(m.payload)
                for m in watch.messages[mark:]
                if m.topic == STATE and json.loads(m.payload)["state"] == "responding"
            )
            assert busy["busy_runs"] == 1 and busy["stt"] == "tiny.en"
