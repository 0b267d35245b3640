"""The hub's lifecycle: load and warm models, serve Wyoming, announce, stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from protocol.commands import CommandRefused, spoken_text
from protocol.discovery import default_service_name
from protocol.lifecycle import announce, keep_online
from protocol.mqtt import MessageHandler, MqttNode, NodeTopics, device_discovery
from protocol.run_events import (
    PipelineEvent,
    RunEnd,
)
from protocol.server import WyomingServer
from protocol.states import NodeState
from protocol.version import package_version

from .loading import LoadedHub
from .pipeline.events import RunHistory
from .satellites.controller import SatelliteController
from .satellites.device import MAX_ANNOUNCE_CHARS, queue_full
from .settings import HubSettings
from .web.app import start_web
from .web.context import WebContext
from .web.metrics import Metrics
from .wyoming_server import ServiceConnection

_LOGGER = logging.getLogger(__name__)


def log_event(event: PipelineEvent) -> None:
    """The logs' reader of the event stream: every event at debug, each run's end at info."""
    fields = event.fields()
    _LOGGER.debug("%s %s %s", event.run_id or event.node_id, event.stage.wire, fields)
    if isinstance(event, RunEnd):
        _LOGGER.info("Run %s ended (%s): %s", event.run_id, event.outcome, event.timings_ms)


def _hub_discovery(topics: NodeTopics) -> dict[str, object]:
    """The hub as one Home Assistant device with a status sensor (attributes: its models)."""
    status = {
        "platform": "sensor",
        "name": "Status",
        "icon": "mdi:account-voice",
        "device_class": "enum",
        "options": [NodeState.IDLE.value, *(s.value for s in NodeState if s.busyness > 0)],
        "state_topic": topics.state,
        "value_template": "{{ value_json.state }}",
        "json_attributes_topic": topics.state,
    }
    return device_discovery(topics, "homevoice hub", "hub", package_version(), {"status": status})


def _hub_on_mqtt(hub: LoadedHub, node: MqttNode) -> None:
    """The hub's own device: its state follows its runs, its events are the hub node's."""
    services = hub.services
    entities = services.home.registry.entities
    node.update_state(**hub.state(), entities=len(entities))
    services.home.follow(node, lambda: node.update_state(entities=len(entities)))
    services.activity.add_reader(lambda _activity: node.update_state(**hub.state()))
    services.events.subscribe(lambda event: node.emit_event(event.as_json()), services.node_id)


def _announcements(satellites: SatelliteController, node: MqttNode) -> MessageHandler:
    """`<prefix>/all/announce/set`, and a refusal on the hub's events for an unknown satellite
    (a known one's own device takes its announcements; a satellite's own node answers itself)."""

    def on_message(topic: str, payload: str, retained: bool) -> None:
        target = topic.split("/")[-3]
        if retained or target in satellites.sessions or target.startswith("satellite_"):
            return  # a stale retained command is not spoken
        try:
            if target != "all":
                known = ", ".join(satellites.sessions) or "none yet"
                raise CommandRefused(
                    "unknown-satellite", f"no satellite {target!r} (known: {known})"
                )
            if not satellites.announce("all", spoken_text(payload, MAX_ANNOUNCE_CHARS)):
                raise queue_full()
        except CommandRefused as refused:
            node.refuse(topic, refused)

    return on_message


async def serve(
    settings: HubSettings, hub: LoadedHub, stop: asyncio.Event, token: str | None = None
) -> None:
    """Serve until `stop` is set, then unwind in reverse order."""
    for engine in (hub.stt, hub.tts):
        if engine is not None:
            engine.start()
    services = hub.services
    services.events.subscribe(log_event)
    history = RunHistory(settings.satellites.history)
    services.events.subscribe(history)
    server = WyomingServer(
        settings.tcp,
        lambda peer, writer, lim: ServiceConnection(peer, writer, lim, services, hub.info),
        settings.limits,
    )
    await server.start()
    satellites = SatelliteController(settings, services)
    services.intents.timers.add_listener(satellites.timer_event)
    metrics = Metrics(lambda: satellites.connected, lambda: server.connections, hub.load_s)
    services.events.subscribe(metrics)
    web_face = WebContext(settings, hub, satellites, history, metrics, token)
    async with contextlib.AsyncExitStack() as stack:
        if hub.stt is not None:
            stack.callback(hub.stt.close)
        stack.push_async_callback(services.agent.close)
        stack.push_async_callback(server.stop)
        if settings.zeroconf:
            name = settings.zeroconf_name or default_service_name("homevoice-hub")
            web_face.zeroconf = await announce(stack, name, server.port, settings.tcp.host)
        if settings.http_port:
            await start_web(web_face, stack, settings.tcp.host)
        if settings.mqtt.enabled:
            node = MqttNode(settings.mqtt, services.node_id, lambda: _hub_discovery(node.topics))
            web_face.mqtt = node
            _hub_on_mqtt(hub, node)
            node.subscribe(
                f"{settings.mqtt.topic_prefix}/+/announce/set", _announcements(satellites, node)
            )
            keep_online(stack, node)
        stack.push_async_callback(satellites.stop)
        await satellites.start()
        _LOGGER.info("Ready on tcp://%s:%d", settings.tcp.host, server.port)
        await stop.wait()
        _LOGGER.info("Stopping")
