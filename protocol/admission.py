"""Who gets a Wyoming connection: the allowed networks, the caps, and room made by dropping
peers that sent nothing.

A flood of connections that never send a byte must not lock real clients out (Home Assistant
opens a new connection per request): when a cap is reached, the oldest connection that has not
yet sent a whole frame makes room for the new one. Plain bookkeeping, no I/O: the server
cancels the tasks this hands back.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import logging
import time
from dataclasses import dataclass, field

from .framing import FrameLimits
from .settings import check

_LOGGER = logging.getLogger(__name__)
SUMMARY_S = 10.0  # a burst of drops or refusals is logged once per this


@dataclass(frozen=True)
class ServerLimits(FrameLimits):
    """FrameLimits plus what a Wyoming server bounds: peers at once, silence, the close."""

    max_connections: int = 64
    max_connections_per_address: int = 32
    first_frame_timeout_s: float = 5.0
    linger_max_bytes: int = 256 * 1024
    linger_timeout_s: float = 2.0
    allowed_networks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        for network in self.allowed_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as err:
                check(False, "allowed_networks", network, f"not a network ({err})")
        check(
            self.max_connections >= 1, "max_connections", self.max_connections, "must be at least 1"
        )
        check(
            self.max_connections_per_address >= 0,
            "max_connections_per_address",
            self.max_connections_per_address,
            "must be 0 (no cap) or more",
        )
        check(
            self.first_frame_timeout_s > 0,
            "first_frame_timeout_s",
            self.first_frame_timeout_s,
            "must be positive",
        )
        check(self.linger_max_bytes >= 0, "linger_max_bytes", self.linger_max_bytes, "must be >= 0")
        check(
            0 <= self.linger_timeout_s <= 60,
            "linger_timeout_s",
            self.linger_timeout_s,
            "must be 0..60",
        )


@dataclass
class Slot:
    """One admitted connection; `framed` once it has sent a whole frame."""

    number: int
    address: str
    task: asyncio.Task[None]
    framed: bool = False


@dataclass
class _Tally:
    """Counts a kind of drop or refusal and logs the first, then a summary per SUMMARY_S."""

    what: str
    logged_at: float = field(default=-SUMMARY_S)
    unlogged: int = 0

    def add(self, detail: str) -> None:
        self.unlogged += 1
        at = time.monotonic()
        if at - self.logged_at >= SUMMARY_S:
            more = f" ({self.unlogged - 1} more since the last report)" if self.unlogged > 1 else ""
            _LOGGER.warning("%s: %s%s", self.what, detail, more)
            self.logged_at = at
            self.unlogged = 0


class Admission:
    """The connections a server holds, oldest first, and whether a new one gets in."""

    def __init__(self, limits: ServerLimits) -> None:
        self._limits = limits
        self._networks = [ipaddress.ip_network(n, strict=False) for n in limits.allowed_networks]
        self._slots: dict[int, Slot] = {}
        self._numbers = itertools.count(1)
        self.evicted = _Tally("Dropped a connection that sent nothing, to make room")
        self.refused = _Tally("Refused a connection")
        self.silent = _Tally("Closed a connection that sent no frame")
        self.outside = _Tally("Refused a connection from outside limits.allowed_networks")

    def __len__(self) -> int:
        return len(self._slots)

    def admit(self, address: str, task: asyncio.Task[None]) -> Slot | None:
        """A slot for the new connection (cancelling one silent peer if needed), or None."""
        limits = self._limits
        if self._networks and not self._allowed(address):
            self.outside.add(address)
            return None
        same = [s for s in self._slots.values() if s.address == address]
        if limits.max_connections_per_address and len(same) >= limits.max_connections_per_address:
            room = self._make_room(same, f"{len(same)} connections from {address}")
        elif len(self._slots) >= limits.max_connections:
            room = self._make_room(list(self._slots.values()), f"{len(self._slots)} connections")
        else:
            room = True
        if not room:
            return None
        slot = Slot(next(self._numbers), address, task)
        self._slots[slot.number] = slot
        return slot

    def release(self, slot: Slot) -> None:
        """The connection ended (or was dropped)."""
        self._slots.pop(slot.number, None)

    def _allowed(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.split("%")[0])  # no IPv6 scope
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack socket's view of an IPv4 client
        return any(ip in network for network in self._networks)

    def _make_room(self, candidates: list[Slot], full: str) -> bool:
        victim = next((s for s in candidates if not s.framed), None)
        if victim is None:
            self.refused.add(f"already {full}, all of them active")
            return False
        self.release(victim)
        victim.task.cancel()
        self.evicted.add(f"#{victim.number} from {victim.address} (already {full})")
        return True
