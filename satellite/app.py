"""The satellite's lifecycle: load models, start the mic, serve Wyoming, announce, stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re

from protocol.aio import TaskSet
from protocol.discovery import default_service_name
from protocol.lifecycle import announce, keep_online
from protocol.mqtt import MqttNode
from protocol.server import WyomingServer

from .connection import SatelliteConnection
from .device import DeviceCommands, satellite_discovery
from .info import build_info
from .runtime import SatelliteRuntime
from .settings import SatelliteSettings
from .vad import speech_detector
from .wake import wake_detector

_LOGGER = logging.getLogger(__name__)


def node_id(settings: SatelliteSettings) -> str:
    """The MQTT node id: configured, else derived from the name (`Kitchen Pi` -> `kitchen_pi`)."""
    if settings.mqtt.node_id:
        return settings.mqtt.node_id
    slug = re.sub(r"[^a-z0-9]+", "_", settings.name.lower()).strip("_")
    return f"satellite_{slug or 'unnamed'}"


def load_satellite(settings: SatelliteSettings) -> SatelliteRuntime:
    """Load the wake word models and the VAD (blocking; before serving)."""
    detector = wake_detector(settings.wake)
    if detector is not None:
        detector.warm()
        _LOGGER.info(
            "Wake words: %s (%s)%s",
            ", ".join(settings.wake.words) or "none",
            settings.wake.engine.value,
            f", stop word {settings.wake.stop_word}" if settings.wake.stop_word else "",
        )
    if not settings.wake.words:
        _LOGGER.info("No local wake word: streaming to the controller, which detects it")
    vad = speech_detector(settings.vad)
    return SatelliteRuntime(settings, detector, vad, node_id(settings))


def _attach_mqtt(settings: SatelliteSettings, satellite: SatelliteRuntime) -> MqttNode:
    node = MqttNode(
        settings.mqtt,
        satellite.node_id,
        lambda: satellite_discovery(node.topics, settings.name, settings.area),
        on_command=DeviceCommands(satellite),
    )
    satellite.on_state = lambda: node.update_state(**satellite.snapshot())
    satellite.on_event = lambda event: node.emit_event(event.as_json())
    node.update_state(**satellite.snapshot())
    return node


async def serve(
    settings: SatelliteSettings, satellite: SatelliteRuntime, stop: asyncio.Event
) -> None:
    """Serve until `stop` is set, then unwind in reverse order."""
    info = build_info(settings, satellite.detector)
    server = WyomingServer(
        settings.tcp,
        lambda peer, writer, limits: SatelliteConnection(peer, writer, limits, satellite, info),
        settings.limits,
    )
    await server.start()
    async with contextlib.AsyncExitStack() as stack:
        if settings.mqtt.enabled:
            keep_online(stack, _attach_mqtt(settings, satellite))
        if settings.zeroconf:
            slug = re.sub(r"[^a-z0-9-]+", "-", settings.name.lower()).strip("-")
            name = settings.zeroconf_name or default_service_name(slug or "homevoice-satellite")
            await announce(stack, name, server.port, settings.tcp.host)
        stack.push_async_callback(server.stop)
        tasks = TaskSet("satellite app")
        stack.push_async_callback(tasks.aclose)
        running = tasks.spawn(satellite.serve(), "runtime")
        _LOGGER.info(
            "Satellite %r ready on tcp://%s:%d", settings.name, settings.tcp.host, server.port
        )
        stopped = tasks.spawn(stop.wait(), "stop")
        done, _ = await asyncio.wait({stopped, running}, return_when=asyncio.FIRST_COMPLETED)
        if running in done:
            running.result()  # raises what stopped it
        _LOGGER.info("Stopping")
