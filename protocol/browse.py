"""Zeroconf browsing of `_wyoming._tcp.local.`: which Wyoming services are on the LAN."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Callable

from zeroconf import InterfaceChoice, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from .aio import TaskSet
from .discovery import SERVICE_TYPE

_LOGGER = logging.getLogger(__name__)
RESOLVE_TIMEOUT_MS = 3000

Found = Callable[[str, str, int], None]  # service name, IPv4 address, port
Lost = Callable[[str], None]  # service name


class ZeroconfBrowser:
    """Reports Wyoming services as they appear (resolved to an address) and disappear."""

    def __init__(self, on_found: Found, on_lost: Lost, interfaces: list[str] | None = None) -> None:
        self._on_found = on_found
        self._on_lost = on_lost
        self._interfaces = interfaces
        self._zc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._tasks = TaskSet("zeroconf browser")

    async def start(self) -> None:
        """Start browsing."""
        self._zc = AsyncZeroconf(
            interfaces=self._interfaces or InterfaceChoice.All, ip_version=IPVersion.V4Only
        )
        self._browser = AsyncServiceBrowser(
            self._zc.zeroconf, [SERVICE_TYPE], handlers=[self._on_change]
        )

    def _on_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        if state_change is ServiceStateChange.Removed:
            self._on_lost(name)
            return
        self._tasks.spawn(self._resolve(service_type, name), f"resolve {name}")

    async def _resolve(self, service_type: str, name: str) -> None:
        assert self._zc is not None
        info = AsyncServiceInfo(service_type, name)
        try:
            if not await info.async_request(self._zc.zeroconf, RESOLVE_TIMEOUT_MS):
                _LOGGER.debug("Zeroconf: %s did not resolve", name)
                return
        except Exception as err:
            _LOGGER.debug("Zeroconf: resolving %s failed: %s", name, err)
            return
        addresses = [a for a in info.parsed_addresses() if _is_ipv4(a)]
        if not addresses or info.port is None:
            return
        self._on_found(name, addresses[0], int(info.port))

    async def stop(self) -> None:
        """Stop browsing and close."""
        await self._tasks.aclose()
        if self._browser is not None:
            with contextlib.suppress(Exception):
                await self._browser.async_cancel()
        if self._zc is not None:
            await self._zc.async_close()
            self._zc = None


def _is_ipv4(address: str) -> bool:
    try:
        socket.inet_aton(address)
    except OSError:
        return False
    return address.count(".") == 3
