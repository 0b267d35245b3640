"""The hub's lifecycle: load and warm models, serve Wyoming, announce, stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

from aiohttp import web

from protocol.discovery import default_service_name
from protocol.lifecycle import announce, keep_online
from protocol.mqtt import MqttNode, NodeTopics, device_discovery
from protocol.server import WyomingServer
from protocol.version import package_version

from .connection import Engines, HubConnection
from .engines.stt import WhisperEngine
from .engines.tts import PiperEngine
from .engines.wake import WakeEngine
from .info import build_info
from .intents.agent import LlmAgent
from .intents.handler import IntentHandler
from .intents.home import Home
from .intents.registry import EntityRegistry
from .intents.timers import Timer, Timers
from .models import default_data_dir, resolve_piper_voice, resolve_stt_model, resolve_wake_word
from .satellites.controller import SatelliteController
from .satellites.http import add_satellite_routes
from .settings import HubSettings

_LOGGER = logging.getLogger(__name__)


def data_dirs(settings: HubSettings) -> list[Path]:
    """Configured data directories, else the default one."""
    return list(settings.data_dirs) or [default_data_dir()]


def load_engines(settings: HubSettings) -> Engines:
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

    def timer_event(kind: str, timer: Timer) -> None:
        event = {"type": f"timer-{kind}", "id": timer.id, "total_seconds": timer.total_s}
        if kind == "updated":
            event |= {"is_active": timer.active, "seconds_left": round(timer.left_s, 1)}
        home.emit_event(event)

    intents = IntentHandler(registry, home.publish, timers=Timers(timer_event))
    agent = LlmAgent(settings.llm, registry, home.publish)
    if settings.llm.enabled:
        _LOGGER.info(
            "LLM: %s at %s for what the grammar does not match",
            settings.llm.model,
            settings.llm.url,
        )
    return Engines(stt=stt, tts=tts, wake=wake, info=info, intents=intents, home=home, agent=agent)


def _http_app(
    engines: Engines, satellites: SatelliteController, started_monotonic: float
) -> web.Application:
    async def health(_request: web.Request) -> web.Response:
        uptime_s = round(time.monotonic() - started_monotonic, 1)
        return web.json_response({"status": "ok", "uptime_s": uptime_s, **_hub_state(engines)})

    app = web.Application()
    app.router.add_get("/health", health)
    add_satellite_routes(app, satellites)
    return app


def _hub_state(engines: Engines) -> dict[str, object]:
    return {
        "state": "idle",
        "version": package_version(),
        "stt": engines.stt.name if engines.stt else None,
        "stt_device": engines.stt.device if engines.stt else None,
        "tts": list(engines.tts.voices) if engines.tts else [],
        "wake": list(engines.wake.models) if engines.wake else [],
    }


def _hub_discovery(topics: NodeTopics) -> dict[str, object]:
    """The hub as one Home Assistant device with a status sensor (attributes: its models)."""
    status = {
        "platform": "sensor",
        "name": "Status",
        "icon": "mdi:account-voice",
        "state_topic": topics.state,
        "value_template": "{{ value_json.state }}",
        "json_attributes_topic": topics.state,
    }
    return device_discovery(topics, "homevoice hub", "hub", package_version(), {"status": status})


async def serve(settings: HubSettings, engines: Engines, stop: asyncio.Event) -> None:
    """Serve until `stop` is set, then unwind in reverse order."""
    for engine in (engines.stt, engines.tts):
        if engine is not None:
            engine.start()
    server = WyomingServer(
        settings.tcp,
        lambda peer, writer, lim: HubConnection(peer, writer, lim, engines),
        settings.limits,
        max_connections=settings.limits.max_connections,
    )
    await server.start()
    satellites = SatelliteController(settings, engines)
    engines.intents.timers.add_listener(satellites.timer_event)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(engines.agent.close)
        stack.push_async_callback(server.stop)
        if settings.zeroconf:
            name = settings.zeroconf_name or default_service_name("homevoice-hub")
            await announce(stack, name, server.port, settings.tcp.host)
        if settings.http_port:
            runner = web.AppRunner(_http_app(engines, satellites, time.monotonic()))
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            await web.TCPSite(runner, settings.tcp.host, settings.http_port).start()
            _LOGGER.info("HTTP on port %d (/health, /api/satellites)", settings.http_port)
        if settings.mqtt.enabled:
            node_id = settings.mqtt.node_id or "hub"
            node = MqttNode(settings.mqtt, node_id, lambda: _hub_discovery(node.topics))
            node.update_state(**_hub_state(engines), entities=0)
            entities = engines.home.registry.entities
            engines.home.follow(node, lambda: node.update_state(entities=len(entities)))

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
