"""The hub's lifecycle: load and warm models, serve Wyoming, announce, stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from wyoming.info import Info

from protocol.clock import now
from protocol.discovery import default_service_name
from protocol.lifecycle import announce, keep_online
from protocol.mqtt import MqttNode, NodeTopics, device_discovery
from protocol.run_events import (
    PipelineEvent,
    RunEnd,
    Stamp,
    TimerCancelled,
    TimerFinished,
    TimerStarted,
    TimerUpdated,
)
from protocol.server import WyomingServer
from protocol.states import NodeState
from protocol.version import package_version

from .engines.stt import WhisperEngine
from .engines.tts import PiperEngine
from .engines.vad import SileroVad
from .engines.wake import WakeEngine
from .info import build_info
from .intents.agent import LlmAgent
from .intents.handler import IntentHandler
from .intents.home import Home
from .intents.registry import EntityRegistry
from .intents.timers import Timer, Timers
from .models import default_data_dir, resolve_piper_voice, resolve_stt_model, resolve_wake_word
from .pipeline.activity import Activity
from .pipeline.events import EventBus, RunHistory
from .pipeline.services import Services, VadPool
from .satellites.controller import SatelliteController
from .satellites.http import add_satellite_routes
from .settings import HubSettings
from .wyoming_server import ServiceConnection

_LOGGER = logging.getLogger(__name__)


@dataclass
class LoadedHub:
    """The loaded engines, the services runs use, and the `info` the hub describes itself by."""

    stt: WhisperEngine | None
    tts: PiperEngine | None
    wake: WakeEngine | None
    services: Services
    info: Info


def data_dirs(settings: HubSettings) -> list[Path]:
    """Configured data directories, else the default one."""
    return list(settings.data_dirs) or [default_data_dir()]


def hub_node_id(settings: HubSettings) -> str:
    """The hub's own node: its MQTT topics and the runs of Wyoming clients."""
    return settings.mqtt.node_id or "hub"


def load_hub(settings: HubSettings) -> LoadedHub:
    """Resolve, load and warm every model (blocking; before the loop starts serving)."""
    dirs = data_dirs(settings)
    stt_dir = resolve_stt_model(settings.stt.model, dirs, settings.allow_download)
    stt = WhisperEngine(stt_dir, settings.stt.model, settings.stt, settings.device)
    seconds = stt.load()
    _LOGGER.info(
        "Speech-to-text: %s from %s on %s (%s) in %.1f s",
        settings.stt.model,
        stt_dir,
        stt.device,
        stt.compute_type,
        seconds,
    )

    names = [settings.tts.voice, *settings.tts.extra_voices]
    voices = {
        Path(n).name.removesuffix(".onnx"): resolve_piper_voice(n, dirs, settings.allow_download)
        for n in dict.fromkeys(names)
    }
    tts = PiperEngine(voices, settings.tts, settings.device)
    seconds = tts.load()
    _LOGGER.info("Text-to-speech: %s on %s in %.1f s", ", ".join(voices), tts.providers[0], seconds)

    wake: WakeEngine | None = None
    if settings.wake.words:
        models = [resolve_wake_word(name, dirs) for name in dict.fromkeys(settings.wake.words)]
        wake = WakeEngine(models, settings.wake)
        seconds = wake.load()
        _LOGGER.info("Wake words: %s on cpu in %.1f s", ", ".join(wake.models), seconds)

    info = build_info(stt, tts, wake, handle_languages=["en"])
    registry = EntityRegistry(
        settings.mqtt.discovery_prefix, settings.home.max_entities, settings.home.entities
    )
    home = Home(registry)
    events = EventBus()
    node_id = hub_node_id(settings)
    timers = Timers(lambda kind, timer: events.publish(timer_event(node_id, kind, timer)))
    intents = IntentHandler(registry, home.publish, timers=timers)
    agent = LlmAgent(settings.llm, registry, home.publish)
    if settings.llm.enabled:
        _LOGGER.info(
            "LLM: %s at %s for what the grammar does not match",
            settings.llm.model,
            settings.llm.url,
        )
    services = Services(
        stt=stt,
        tts=tts,
        wake=wake,
        intents=intents,
        home=home,
        agent=agent,
        vad_settings=settings.vad,
        vads=VadPool(SileroVad),
        node_id=node_id,
        events=events,
        activity=Activity(),
    )
    return LoadedHub(stt, tts, wake, services, info)


def timer_event(node_id: str, kind: str, timer: Timer) -> PipelineEvent:
    """A timer change as an event on the hub's node."""
    stamp = Stamp(None, node_id, now())
    total = round(timer.total_s)
    if kind == "started":
        return TimerStarted(stamp, id=timer.id, total_seconds=total)
    if kind == "updated":
        return TimerUpdated(
            stamp,
            id=timer.id,
            total_seconds=total,
            is_active=timer.active,
            seconds_left=round(timer.left_s, 1),
        )
    if kind == "cancelled":
        return TimerCancelled(stamp, id=timer.id)
    return TimerFinished(stamp, id=timer.id, total_seconds=total)


def log_event(event: PipelineEvent) -> None:
    """The logs' reader of the event stream: every event at debug, each run's end at info."""
    fields = event.fields()
    _LOGGER.debug("%s %s %s", event.run_id or event.node_id, event.stage.wire, fields)
    if isinstance(event, RunEnd):
        _LOGGER.info("Run %s ended (%s): %s", event.run_id, event.outcome, event.timings_ms)


def _http_app(
    hub: LoadedHub,
    satellites: SatelliteController,
    history: RunHistory,
    started_monotonic: float,
) -> web.Application:
    async def health(_request: web.Request) -> web.Response:
        uptime_s = round(time.monotonic() - started_monotonic, 1)
        return web.json_response({"status": "ok", "uptime_s": uptime_s, **_hub_state(hub)})

    app = web.Application()
    app.router.add_get("/health", health)
    add_satellite_routes(app, satellites, history)
    return app


def _hub_state(hub: LoadedHub) -> dict[str, object]:
    activity = hub.services.activity
    return {
        "state": activity.state.value,
        "busy_runs": activity.busy_runs,
        "version": package_version(),
        "stt": hub.stt.name if hub.stt else None,
        "stt_device": hub.stt.device if hub.stt else None,
        "tts": list(hub.tts.voices) if hub.tts else [],
        "wake": list(hub.wake.models) if hub.wake else [],
    }


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
    node.update_state(**_hub_state(hub), entities=len(entities))
    services.home.follow(node, lambda: node.update_state(entities=len(entities)))
    services.activity.add_reader(lambda _activity: node.update_state(**_hub_state(hub)))
    services.events.subscribe(lambda event: node.emit_event(event.as_json()), services.node_id)


async def serve(settings: HubSettings, hub: LoadedHub, stop: asyncio.Event) -> None:
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
        max_connections=settings.limits.max_connections,
    )
    await server.start()
    satellites = SatelliteController(settings, services)
    services.intents.timers.add_listener(satellites.timer_event)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(services.agent.close)
        stack.push_async_callback(server.stop)
        if settings.zeroconf:
            name = settings.zeroconf_name or default_service_name("homevoice-hub")
            await announce(stack, name, server.port, settings.tcp.host)
        if settings.http_port:
            runner = web.AppRunner(_http_app(hub, satellites, history, time.monotonic()))
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            await web.TCPSite(runner, settings.tcp.host, settings.http_port).start()
            _LOGGER.info("HTTP on port %d (/health, /api/satellites)", settings.http_port)
        if settings.mqtt.enabled:
            node = MqttNode(settings.mqtt, services.node_id, lambda: _hub_discovery(node.topics))
            _hub_on_mqtt(hub, node)

            def announce_all(_topic: str, text: str, retained: bool) -> None:
                if not retained:  # a stale retained command is not spoken
                    satellites.announce("all", text)

            node.subscribe(f"{settings.mqtt.topic_prefix}/all/announce/set", announce_all)
            keep_online(stack, node)
        stack.push_async_callback(satellites.stop)
        await satellites.start()
        _LOGGER.info("Ready on tcp://%s:%d", settings.tcp.host, server.port)
        await stop.wait()
        _LOGGER.info("Stopping")
