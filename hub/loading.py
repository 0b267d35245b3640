"""Loading the hub: resolve, load and warm every model, and build the services runs use."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from wyoming.info import Info

from protocol.clock import now
from protocol.run_events import (
    PipelineEvent,
    Stamp,
    TimerCancelled,
    TimerFinished,
    TimerStarted,
    TimerUpdated,
)
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
from .pipeline.events import EventBus
from .pipeline.services import Services, VadPool
from .settings import HubSettings

_LOGGER = logging.getLogger(__name__)


@dataclass
class LoadedHub:
    """The loaded engines, the services runs use, and the `info` the hub describes itself by."""

    stt: WhisperEngine | None
    tts: PiperEngine | None
    wake: WakeEngine | None
    services: Services
    info: Info
    load_s: dict[str, float] = field(default_factory=dict)  # model name -> seconds to load

    def state(self) -> dict[str, object]:
        """What the hub is doing and what it has loaded (MQTT `state`, `/health`)."""
        activity = self.services.activity
        return {
            "state": activity.state.value,
            "busy_runs": activity.busy_runs,
            "version": package_version(),
            "stt": self.stt.name if self.stt else None,
            "stt_device": self.stt.device if self.stt else None,
            "tts": list(self.tts.voices) if self.tts else [],
            "wake": list(self.wake.models) if self.wake else [],
        }


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
    load_s = {settings.stt.model: seconds}
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
    load_s[", ".join(voices)] = seconds
    _LOGGER.info("Text-to-speech: %s on %s in %.1f s", ", ".join(voices), tts.providers[0], seconds)

    wake: WakeEngine | None = None
    if settings.wake.words:
        models = [resolve_wake_word(name, dirs) for name in dict.fromkeys(settings.wake.words)]
        wake = WakeEngine(models, settings.wake)
        seconds = wake.load()
        load_s[", ".join(wake.models)] = seconds
        _LOGGER.info("Wake words: %s on cpu in %.1f s", ", ".join(wake.models), seconds)

    info = build_info(stt, tts, wake, handle_languages=["en"])
    registry = EntityRegistry(
        settings.mqtt.discovery_prefix,
        settings.home.max_entities,
        settings.home.entities,
        settings.mqtt.topic_prefix,
        settings.home.command_prefixes,
    )
    home = Home(registry)
    events = EventBus()
    node_id = hub_node_id(settings)
    timers = Timers(lambda kind, timer: events.publish(timer_event(node_id, kind, timer)))
    intents = IntentHandler(registry, home.publish, timers=timers)
    if settings.stt.vocabulary_prompt:
        stt.hint = intents.vocabulary_prompt
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
    return LoadedHub(stt, tts, wake, services, info, load_s)


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
