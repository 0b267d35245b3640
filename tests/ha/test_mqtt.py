"""Home Assistant's `mqtt` integration, connected to a private mosquitto, against our hub and a
satellite it drives: one device per homevoice node with the entities our discovery announces,
and commands from Home Assistant entities (mute, volume, announce) reach the node."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from testing.broker import Broker
from testing.satrig import Rig
from tests.ha.conftest import homevoice_satellite, homevoice_server
from tests.ha.helpers import until

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
def driven_satellite(tmp_path: Path, broker: Broker) -> Iterator[Rig]:
    """Our satellite on MQTT, driven by a hub of its own that is on MQTT too."""
    with homevoice_satellite(
        tmp_path / "satellite", ["--wake-word", "hey_jarvis", "--mqtt", broker.url]
    ) as rig:
        hub_dir = tmp_path / "hub"
        hub_dir.mkdir()
        args = [
            "--mqtt",
            broker.url,
            "--satellite",
            f"tcp://127.0.0.1:{rig.port}",
            "--control-satellites",
            "listed",
        ]
        with homevoice_server("hub", args, hub_dir / "hub.log"):
            yield rig


async def test_mqtt_devices_entities_and_commands(
    hass: HomeAssistant, broker: Broker, driven_satellite: Rig, tmp_path: Path
) -> None:
    rig = driven_satellite
    # MQTT reads configuration.yaml; give it an empty one of its own.
    (tmp_path / "configuration.yaml").write_text("{}\n")
    hass.config.config_dir = str(tmp_path)
    assert await async_setup_component(hass, "homeassistant", {})
    # No birth message on connect: the test says `online` itself once the entry is set up, so
    # that discovery never races the entry's own setup.
    entry = MockConfigEntry(
        domain="mqtt",
        data={mqtt.CONF_BROKER: "127.0.0.1", "port": broker.port},
        options={mqtt.CONF_BIRTH_MESSAGE: {}},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    # Our discovery documents, as Home Assistant receives them. The nodes send them again when
    # Home Assistant says `online`, which we repeat once our subscription is in place.
    documents: dict[str, dict[str, Any]] = {}

    @callback
    def on_discovery(message: Any) -> None:
        node_id = message.topic.split("/")[2]
        if message.payload:
            documents[node_id] = json.loads(message.payload)

    unsubscribe = await mqtt.async_subscribe(hass, "homeassistant/device/+/config", on_discovery)
    try:
        await until(lambda: mqtt.is_connected(hass), 10, "HA connected to mosquitto")
        for _attempt in range(4):  # subscriptions settle asynchronously: say it again if missed
            await mqtt.async_publish(hass, "homeassistant/status", "online")
            with contextlib.suppress(AssertionError):
                await until(
                    lambda: {"hub", rig.node_id} <= set(documents) and len(documents) >= 3, 7, ""
                )
                break
        assert {"hub", rig.node_id} <= set(documents) and len(documents) == 3, documents
        await hass.async_block_till_done()

        # One HA device per node, with exactly the entities its discovery announces.
        devices = dr.async_get(hass)
        entities = er.async_get(hass)
        unique_ids: dict[str, str] = {}
        for node_id, document in documents.items():
            identifiers = {("mqtt", ident) for ident in document["device"]["identifiers"]}
            announced = {
                (component["platform"], component["unique_id"])
                for component in document["components"].values()
            }

            def complete(
                identifiers: set[tuple[str, str]] = identifiers, want: set[Any] = announced
            ) -> bool:
                """The device exists, with exactly the entities its discovery announces."""
                device = devices.async_get_device(identifiers=identifiers)
                return device is not None and want == {
                    (e.domain, e.unique_id)
                    for e in er.async_entries_for_device(entities, device.id)
                }

            await until(
                complete,
                10,
                f"an HA device for {node_id} with the entities {announced}",
            )
            device = devices.async_get_device(identifiers=identifiers)
            assert device is not None
            assert device.name == document["device"]["name"]
            assert device.manufacturer == "homevoice"
            for platform, unique_id in announced:
                entity_id = entities.async_get_entity_id(platform, "mqtt", unique_id)
                assert entity_id is not None
                unique_ids[unique_id] = entity_id
        mqtt_devices = dr.async_entries_for_config_entry(devices, entry.entry_id)
        assert len(mqtt_devices) == len(documents), mqtt_devices

        satellite = documents[rig.node_id]["components"]
        mute = unique_ids[satellite["mute"]["unique_id"]]
        volume = unique_ids[satellite["volume"]["unique_id"]]
        assist_node = next(n for n in documents if n not in ("hub", rig.node_id))
        announce = unique_ids[documents[assist_node]["components"]["announce"]["unique_id"]]

        def available() -> bool:
            """The retained `online` has reached every entity the test commands."""
            return all(
                _state(hass, e) not in (None, "unavailable") for e in (mute, volume, announce)
            )

        await until(available, 10, f"{mute}, {volume} and {announce} available")

        # Mute: HA publishes mute/set, the satellite mutes and reports it in its state.
        await until(lambda: _state(hass, mute) == "off", 10, f"{mute} off")
        await hass.services.async_call("switch", "turn_on", {"entity_id": mute}, blocking=True)
        await until(lambda: _state(hass, mute) == "on", 10, f"{mute} on (the satellite's state)")
        await hass.services.async_call("switch", "turn_off", {"entity_id": mute}, blocking=True)
        await until(lambda: _state(hass, mute) == "off", 10, f"{mute} off again")

        # Volume: number.set_value -> volume/set -> the satellite's state.
        await hass.services.async_call(
            "number", "set_value", {"entity_id": volume, "value": 35}, blocking=True
        )
        await until(lambda: _state(hass, volume) in ("35", "35.0"), 10, f"{volume} = 35")

        # Announce: the hub's text entity for the satellite -> announce/set -> the hub speaks it
        # on the satellite.
        assert rig.snd_done() is None
        await hass.services.async_call(
            "text", "set_value", {"entity_id": announce, "value": "Dinner is ready."}, blocking=True
        )
        await until(lambda: rig.snd_done() is not None, 20, "the satellite played the announcement")
        played = rig.snd_done()
        assert played is not None and played[0] > 22050 * 2 * 0.5, played
    finally:
        unsubscribe()
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


def _state(hass: HomeAssistant, entity_id: str) -> str | None:
    state = hass.states.get(entity_id)
    return None if state is None else state.state
