"""Zeroconf announcement of `_wyoming._tcp.local.`, as Home Assistant discovers Wyoming services."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid

from zeroconf import InterfaceChoice, IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from .aio import TaskSet

_LOGGER = logging.getLogger(__name__)

SERVICE_TYPE = "_wyoming._tcp.local."
MDNS_GROUP = "224.0.0.251"
REGISTER_TIMEOUT_S = 15.0


def default_service_name(prefix: str) -> str:
    """`<prefix>-<mac hex>`: stable per machine, as HA derives its unique id from the name."""
    return f"{prefix}-{uuid.getnode():012x}"


def lan_address() -> str | None:
    """The IPv4 address of the interface that routes to the mDNS group, or None offline."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect((MDNS_GROUP, 5353))
        address = str(probe.getsockname()[0])
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("0.") else address


class ZeroconfAnnouncer:
    """Registers one service, re-registers it when the address changes, unregisters on stop."""

    def __init__(
        self,
        name: str,
        port: int,
        host: str | None = None,
        interfaces: list[str] | None = None,
        recheck_s: float = 30.0,
    ) -> None:
        self.name = name
        self.port = port
        self._fixed_host = host
        self._interfaces = interfaces
        self._recheck_s = recheck_s
        self._zc: AsyncZeroconf | None = None
        self._info: AsyncServiceInfo | None = None
        self._tasks = TaskSet(f"zeroconf {name}")

    @property
    def address(self) -> str | None:
        """The address currently announced."""
        return self._info.parsed_addresses()[0] if self._info else None

    def _current_host(self) -> str | None:
        return self._fixed_host or lan_address()

    def _service_info(self, host: str) -> AsyncServiceInfo:
        return AsyncServiceInfo(
            SERVICE_TYPE,
            f"{self.name}.{SERVICE_TYPE}",
            addresses=[socket.inet_aton(host)],
            port=self.port,
            server=f"{self.name}.local.",
        )

    async def start(self) -> None:
        """Announce now (if the machine has an address) and watch for address changes."""
        self._zc = AsyncZeroconf(
            interfaces=self._interfaces or InterfaceChoice.All, ip_version=IPVersion.V4Only
        )
        host = self._current_host()
        if host is None:
            _LOGGER.warning("Zeroconf: no LAN address yet; will announce when one appears")
        else:
            await self._register(host)
        self._tasks.spawn(self._watch_address(), "address watch")

    async def _register(self, host: str) -> None:
        assert self._zc is not None
        self._info = self._service_info(host)
        # The call schedules the announcement; the task it returns completes once it is sent.
        async with asyncio.timeout(REGISTER_TIMEOUT_S):  # probing for name conflicts included
            await (await self._zc.async_register_service(self._info, allow_name_change=True))
        _LOGGER.info("Zeroconf: announced %s at %s:%d", self._info.name, host, self.port)

    async def _watch_address(self) -> None:
        while True:
            await asyncio.sleep(self._recheck_s)
            host = self._current_host()
            if host is None or host == self.address:
                continue
            try:
                if self._info is not None and self._zc is not None:
                    await (await self._zc.async_unregister_service(self._info))
                await self._register(host)
            except Exception:
                _LOGGER.exception("Zeroconf: re-announcing at %s failed", host)

    async def stop(self) -> None:
        """Send goodbye packets and close."""
        await self._tasks.aclose()
        if self._zc is None:
            return
        try:
            if self._info is not None:
                async with asyncio.timeout(5):  # goodbye packets sent before we close
                    await (await self._zc.async_unregister_service(self._info))
        except Exception:
            _LOGGER.warning("Zeroconf: unregistering %s failed", self.name)
        finally:
            await self._zc.async_close()
            self._zc = None
