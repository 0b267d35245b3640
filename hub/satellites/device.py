"""Each driven satellite as one Home Assistant MQTT device of the hub: its pipeline state, last
transcript, answer and latency, its pipeline events, and `announce/set`.

Topics are `homevoice/<satellite id>/...`, apart from the satellite's own device
(`homevoice/satellite_<name>/...`): the satellite reports its microphone and speaker, the hub
reports the conversation.
"""

from __future__ import annotations

import logging
from typing import Any

from protocol.commands import CommandRefused, spoken_text, unknown_command
from protocol.mqtt import MqttNode, MqttSettings, NodeTopics, device_discovery
from protocol.run_events import IntentEnd, PipelineEvent, RunEnd, Stage, SttEnd
from protocol.states import NodeState
from protocol.version import package_version

from ..pipeline.events import EventBus
from .session import SatelliteSession

_LOGGER = logging.getLogger(__name__)
MAX_ANNOUNCE_CHARS = 1000


def assist_discovery(topics: NodeTopics, session: SatelliteSession) -> dict[str, Any]:
    """State, last transcript/answer/latency, pipeline events and an announce text box."""
    state = topics.state
    components: dict[str, dict[str, Any]] = {
        "state": {
            "platform": "sensor",
            "name": "Assist state",
            "icon": "mdi:account-voice",
            "device_class": "enum",
            "options": [state.value for state in NodeState],
            "state_topic": state,
            "value_template": "{{ value_json.state }}",
            "json_attributes_topic": state,
        },
        "transcript": {
            "platform": "sensor",
            "name": "Last transcript",
            "icon": "mdi:text-recognition",
            "state_topic": state,
            "value_template": "{{ value_json.last_transcript }}",
        },
        "answer": {
            "platform": "sensor",
            "name": "Last answer",
            "icon": "mdi:comment-text",
            "state_topic": state,
            "value_template": "{{ value_json.last_answer }}",
        },
        "latency": {
            "platform": "sensor",
            "name": "Last latency",
            "icon": "mdi:timer-outline",
            "device_class": "duration",
            "unit_of_measurement": "ms",
            "state_class": "measurement",
            "state_topic": state,
            "value_template": "{{ value_json.last_latency_ms }}",
        },
        "announce": {
            "platform": "text",
            "name": "Announce",
            "icon": "mdi:bullhorn",
            "command_topic": f"{topics.base}/announce/set",
            "max": 255,
        },
        "event": {
            "platform": "event",
            "name": "Pipeline",
            "state_topic": topics.event,
            "event_types": [stage.wire for stage in Stage],
            "value_template": '{"event_type": "{{ value_json.type }}"}',
            "json_attributes_topic": topics.event,
        },
    }
    name = f"{session.name} assist"
    document = device_discovery(topics, name, "satellite pipeline", package_version(), components)
    if session.area:
        document["device"]["suggested_area"] = session.area
    return document


class AssistDevice:
    """Publishes one session's state and events, and takes its `announce/set`."""

    def __init__(self, settings: MqttSettings, session: SatelliteSession, events: EventBus) -> None:
        self.session = session
        self.last: dict[str, Any] = {
            "last_transcript": None,
            "last_answer": None,
            "last_latency_ms": None,
        }
        self.node = MqttNode(
            settings, session.id, lambda: assist_discovery(self.node.topics, session), self._command
        )
        events.subscribe(self._on_event, node_id=session.id)
        session.add_state_reader(lambda _session: self._publish_state())
        self._publish_state()

    def _publish_state(self) -> None:
        session = self.session
        self.node.update_state(
            state=session.state.value,
            satellite=session.name,
            area=session.area,
            connected=session.connected,
            address=session.link.address if session.link else None,
            **self.last,
        )

    def _on_event(self, event: PipelineEvent) -> None:
        self.node.emit_event(event.as_json())
        if isinstance(event, SttEnd):
            self.last["last_transcript"] = event.text
        elif isinstance(event, IntentEnd):
            self.last["last_answer"] = event.answer
        elif isinstance(event, RunEnd):
            timings = event.timings_ms
            latency = timings.get("tts-first-audio", timings.get("intent-end"))
            if latency is not None:
                self.last["last_latency_ms"] = latency
            self._publish_state()

    async def _command(self, name: str, payload: str) -> None:
        if name != "announce":
            raise unknown_command(name, ("announce",))
        if not announce(self.session, spoken_text(payload, MAX_ANNOUNCE_CHARS)):
            raise queue_full()


def queue_full() -> CommandRefused:
    """The refusal of an announcement that finds the queue full."""
    return CommandRefused("queue-full", "the announcement queue is full; try again shortly")


def announce(session: SatelliteSession, text: str) -> bool:
    """Queue an announcement from MQTT or HTTP; refuses empty or oversized text."""
    text = text.strip()
    if not text:
        _LOGGER.warning("Announcement for %s refused: empty text", session.id)
        return False
    if len(text) > MAX_ANNOUNCE_CHARS:
        _LOGGER.warning(
            "Announcement for %s refused: %d characters (at most %d)",
            session.id,
            len(text),
            MAX_ANNOUNCE_CHARS,
        )
        return False
    return session.announce(text)
