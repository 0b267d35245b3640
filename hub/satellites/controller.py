"""The satellite controller: finds satellites, keeps one link per satellite, routes timers and
announcements, and arbitrates between satellites that heard the same wake word."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import Callable

from wyoming.event import Event
from wyoming.info import Info
from wyoming.timer import TimerCancelled, TimerFinished, TimerStarted, TimerUpdated

from protocol.aio import TaskSet
from protocol.browse import ZeroconfBrowser
from protocol.lifecycle import keep_online
from protocol.server import TcpUri

from ..intents.timers import Timer, spoken_duration
from ..pipeline.peer import PeerGone
from ..pipeline.services import Services
from ..settings import ControlMode, HubSettings
from .arbiter import Arbiter
from .device import AssistDevice, announce
from .link import SatelliteLink, probe
from .session import SatelliteSession

_LOGGER = logging.getLogger(__name__)
RESERVED_IDS = {"hub", "all"}


def satellite_id(name: str) -> str:
    """`Kitchen Satellite` → `kitchen_satellite` (MQTT topic and run id safe)."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "satellite"
    return f"{slug}_satellite" if slug in RESERVED_IDS else slug


class SatelliteController:
    """Drives every satellite the settings allow, until `stop()`."""

    def __init__(self, settings: HubSettings, services: Services) -> None:
        self.settings = settings
        self.services = services
        self.arbiter = Arbiter(
            settings.satellites.arbitration_window_s, settings.satellites.duplicate_cooldown_s
        )
        self.sessions: dict[str, SatelliteSession] = {}
        self._links: dict[str, tuple[SatelliteLink, asyncio.Task[None]]] = {}
        self._session_of: dict[SatelliteLink, SatelliteSession] = {}
        self._id_of_address: dict[str, str] = {}
        self._discovered: dict[str, str] = {}  # zeroconf name -> address
        self._tasks = TaskSet("satellites")
        self._state_readers: list[Callable[[SatelliteSession], None]] = []
        self._browser: ZeroconfBrowser | None = None
        self._stack = contextlib.AsyncExitStack()

    async def start(self) -> None:
        """Link the listed satellites and, unless told not to, browse zeroconf for more."""
        control = self.settings.satellites
        if control.control is ControlMode.NONE:
            _LOGGER.info("Satellites: not driving any (satellites.control is none)")
            return
        for uri in control.uris:
            self.add(TcpUri.parse(uri))
        if self.settings.zeroconf:
            self._browser = ZeroconfBrowser(self._found, self._lost)
            try:
                await self._browser.start()
            except OSError as err:
                _LOGGER.warning("Zeroconf browsing failed (%r); only listed satellites", err)
                self._browser = None

    def add(self, uri: TcpUri) -> SatelliteLink:
        """Drive the satellite at `uri` (reconnecting for as long as the hub runs)."""
        address = f"{uri.host}:{uri.port}"
        existing = self._links.get(address)
        if existing is not None:
            return existing[0]
        link = SatelliteLink(
            uri,
            self.settings.satellites,
            self.settings.limits,
            self._attach,
            functools.partial(self._on_event, address),
            self._detach,
        )
        task = self._tasks.spawn(link.run(), f"link {address}")
        self._links[address] = (link, task)
        _LOGGER.info("Satellites: driving %s", address)
        return link

    def add_state_reader(self, reader: Callable[[SatelliteSession], None]) -> None:
        """Call `reader` whenever a satellite's state changes, for this and later ones."""
        self._state_readers.append(reader)
        for session in self.sessions.values():
            session.add_state_reader(reader)

    def remove_state_reader(self, reader: Callable[[SatelliteSession], None]) -> None:
        """Stop calling `reader`."""
        if reader in self._state_readers:
            self._state_readers.remove(reader)
        for session in self.sessions.values():
            session.remove_state_reader(reader)

    @property
    def connected(self) -> int:
        """How many satellites are connected now."""
        return sum(session.connected for session in self.sessions.values())

    # ---- discovery ----------------------------------------------------------------------------

    def _found(self, name: str, host: str, port: int) -> None:
        address = f"{host}:{port}"
        self._discovered[name] = address
        if address in self._links:
            return
        self._tasks.spawn(self._probe(name, TcpUri(host, port)), f"probe {address}")

    async def _probe(self, service: str, uri: TcpUri) -> None:
        control = self.settings.satellites
        info = await probe(uri, self.settings.limits, control.connect_timeout_s)
        if info is None or info.satellite is None:
            return  # not a satellite (an STT or TTS service, another hub...) or unreachable
        names = {n.lower() for n in control.names}
        wanted = control.control is ControlMode.ALL or (
            info.satellite.name.lower() in names or service.split(".")[0].lower() in names
        )
        if not wanted:
            _LOGGER.info(
                "Satellites: found %s at %s:%d, not listed in satellites.names; leaving it",
                info.satellite.name,
                uri.host,
                uri.port,
            )
            return
        _LOGGER.info("Satellites: found %s on zeroconf", info.satellite.name)
        self.add(uri)

    def _lost(self, name: str) -> None:
        address = self._discovered.pop(name, None)
        entry = self._links.get(address or "")
        if entry is None or entry[0].connected or self._is_listed(address or ""):
            return  # a connected link watches itself; a listed one is kept
        _LOGGER.info("Satellites: %s left the network", name)
        entry[1].cancel()
        del self._links[address or ""]

    def _is_listed(self, address: str) -> bool:
        return any(
            f"{u.host}:{u.port}" == address
            for u in (TcpUri.parse(uri) for uri in self.settings.satellites.uris)
        )

    # ---- sessions -----------------------------------------------------------------------------

    async def _attach(self, link: SatelliteLink, info: Info) -> None:
        session = self._session_for(link.address, info)
        self._session_of[link] = session
        await session.attach(link, info)

    def _session_for(self, address: str, info: Info) -> SatelliteSession:
        known = self._id_of_address.get(address)
        if known is not None:
            return self.sessions[known]
        assert info.satellite is not None
        base = satellite_id(info.satellite.name or address)
        new_id, n = base, 1
        while new_id in self.sessions:
            n += 1
            new_id = f"{base}_{n}"
        session = SatelliteSession(
            new_id,
            self.services,
            self.settings.satellites,
            self.arbiter,
            lambda me: sum(s.connected for s in self.sessions.values() if s is not me),
        )
        for reader in self._state_readers:
            session.add_state_reader(reader)
        self.sessions[new_id] = session
        self._id_of_address[address] = new_id
        if self.settings.mqtt.enabled:
            device = AssistDevice(self.settings.mqtt, session, self.services.events)
            keep_online(self._stack, device.node)
        return session

    async def _on_event(self, address: str, event: Event) -> None:
        link = self._links.get(address)
        session = self._session_of.get(link[0]) if link else None
        if session is not None:
            await session.on_event(event)

    def _detach(self, link: SatelliteLink) -> None:
        session = self._session_of.get(link)
        if session is not None:
            session.detach(link)

    # ---- timers and announcements -------------------------------------------------------------

    def announce(self, target: str, text: str) -> list[str]:
        """Queue `text` on satellite `target` (or `all`); the ids it was queued on."""
        sessions = list(self.sessions.values()) if target == "all" else [self.sessions[target]]
        return [s.id for s in sessions if announce(s, text)]

    def timer_event(self, kind: str, timer: Timer) -> None:
        """Tell the satellite that set `timer`; speak the end there."""
        session = self.sessions.get(timer.owner or "")
        if session is None:
            return
        event: Event
        total = round(timer.total_s)
        if kind == "started":
            hours, rest = divmod(total, 3600)
            minutes, seconds = divmod(rest, 60)
            event = TimerStarted(
                id=timer.id,
                total_seconds=total,
                start_hours=hours or None,
                start_minutes=minutes or None,
                start_seconds=seconds or None,
            ).event()
        elif kind == "updated":  # total_seconds: what is left, as Home Assistant sends it
            event = TimerUpdated(
                id=timer.id, is_active=timer.active, total_seconds=round(timer.left_s)
            ).event()
        elif kind == "cancelled":
            event = TimerCancelled(id=timer.id).event()
        elif kind == "finished":
            event = TimerFinished(id=timer.id).event()
            session.announce(f"The timer for {spoken_duration(timer.total_s)} is done.")
        else:
            return
        self._tasks.spawn(_tell(session, event), f"{kind} {timer.id}")

    # ---- stop ---------------------------------------------------------------------------------

    async def stop(self) -> None:
        """Pause every satellite, close the links and the MQTT devices."""
        if self._browser is not None:
            await self._browser.stop()
        links = [link for link, _task in self._links.values()]
        await asyncio.gather(*(link.pause() for link in links))
        for session in self.sessions.values():
            await session.close()
        await self._tasks.aclose()
        self._links.clear()
        await self._stack.aclose()


async def _tell(session: SatelliteSession, event: Event) -> None:
    try:
        await session.send_wyoming(event)
    except PeerGone as err:
        _LOGGER.info("%s not sent: %s", event.type, err.message)
