"""The satellite as one Home Assistant MQTT device: its entities and its `<thing>/set` commands."""

from __future__ import annotations

import logging
from typing import Any

from protocol.commands import percent, switch, unknown_command
from protocol.mqtt import NodeTopics, device_discovery
from protocol.run_events import Stage
from protocol.states import NodeState
from protocol.version import package_version

from .messages import (
    ListenRequested,
    Muted,
)
from .runtime import SatelliteRuntime

_LOGGER = logging.getLogger(__name__)

# The pipeline events the satellite publishes (the same types as the hub's).
EVENT_TYPES = [
    stage.wire
    for stage in (
        Stage.RUN_START,
        Stage.WAKE,
        Stage.STT_START,
        Stage.VOICE_STARTED,
        Stage.VOICE_STOPPED,
        Stage.STT_END,
        Stage.TTS_START,
        Stage.PLAYED,
        Stage.ERROR,
        Stage.RUN_END,
        Stage.STOP,
        Stage.TIMER_STARTED,
        Stage.TIMER_UPDATED,
        Stage.TIMER_CANCELLED,
        Stage.TIMER_FINISHED,
    )
]


def satellite_discovery(topics: NodeTopics, name: str, area: str) -> dict[str, Any]:
    """State, mute, volume, listen, microphone health and pipeline events as entities."""
    state = topics.state
    components: dict[str, dict[str, Any]] = {
        "state": {
            "platform": "sensor",
            "name": "State",
            "icon": "mdi:account-voice",
            "device_class": "enum",
            "options": [state.value for state in NodeState if state is not NodeState.DISCONNECTED],
            "state_topic": state,
            "value_template": "{{ value_json.state }}",
            "json_attributes_topic": state,
        },
        "mute": {
            "platform": "switch",
            "name": "Mute",
            "icon": "mdi:microphone-off",
            "command_topic": f"{topics.base}/mute/set",
            "state_topic": state,
            "value_template": "{{ 'ON' if value_json.muted else 'OFF' }}",
        },
        "volume": {
            "platform": "number",
            "name": "Volume",
            "icon": "mdi:volume-high",
            "command_topic": f"{topics.base}/volume/set",
            "state_topic": state,
            "value_template": "{{ value_json.volume }}",
            "min": 0,
            "max": 100,
            "step": 1,
            "unit_of_measurement": "%",
        },
        "listen": {
            "platform": "button",
            "name": "Start listening",
            "icon": "mdi:microphone-message",
            "command_topic": f"{topics.base}/listen/set",
            "payload_press": "PRESS",
        },
        "microphone": {
            "platform": "binary_sensor",
            "name": "Microphone problem",
            "device_class": "problem",
            "entity_category": "diagnostic",
            "state_topic": state,
            "value_template": "{{ 'OFF' if value_json.mic_ok else 'ON' }}",
        },
        "event": {
            "platform": "event",
            "name": "Pipeline",
            "state_topic": topics.event,
            "event_types": EVENT_TYPES,
            "value_template": '{"event_type": "{{ value_json.type }}"}',
            "json_attributes_topic": topics.event,
        },
    }
    document = device_discovery(topics, name, "satellite", package_version(), components)
    if area:
        document["device"]["suggested_area"] = area
    return document


class DeviceCommands:
    """`mute/set` (ON/OFF), `volume/set` (0-100) and `listen/set` (any payload)."""

    def __init__(self, satellite: SatelliteRuntime) -> None:
        self.satellite = satellite

    async def __call__(self, name: str, payload: str) -> None:
        satellite = self.satellite
        if name == "mute":
            muted = switch(payload)
            _LOGGER.info("Muted" if muted else "Unmuted")
            await satellite.apply(Muted(muted))
        elif name == "volume":
            satellite.set_volume(percent(payload))
        elif name == "listen":
            await satellite.apply(ListenRequested())
        else:
            raise unknown_command(name, ("mute", "volume", "listen"))
