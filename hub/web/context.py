"""What the HTTP handlers read: the loaded hub, its satellites, the history, the metrics and
what readiness depends on."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from aiohttp import web

from protocol.discovery import ZeroconfAnnouncer
from protocol.mqtt import MqttNode

from ..loading import LoadedHub
from ..pipeline.events import RunHistory
from ..pipeline.services import Services
from ..satellites.controller import SatelliteController
from ..settings import HubSettings
from .metrics import Metrics


@dataclass
class WebContext:
    """The hub as its HTTP face sees it; `mqtt` and `zeroconf` are set once they start."""

    settings: HubSettings
    hub: LoadedHub
    satellites: SatelliteController
    history: RunHistory
    metrics: Metrics
    token: str | None = None
    mqtt: MqttNode | None = None
    zeroconf: ZeroconfAnnouncer | None = None
    started_monotonic: float = field(default_factory=time.monotonic)

    @property
    def services(self) -> Services:
        """What runs use."""
        return self.hub.services


CONTEXT = web.AppKey("homevoice", WebContext)


def context(request: web.Request) -> WebContext:
    """The hub behind this request."""
    return request.app[CONTEXT]
