"""Zeroconf: the hub's service appears under `_wyoming._tcp.local.` and leaves with goodbyes."""

from __future__ import annotations

import asyncio
import uuid

from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from protocol.aio import bounded
from protocol.discovery import SERVICE_TYPE, ZeroconfAnnouncer


async def test_announce_is_seen_and_goodbye_removes_it() -> None:
    changes: asyncio.Queue[tuple[str, ServiceStateChange]] = asyncio.Queue()

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        changes.put_nowait((name, state_change))

    observer = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    browser = AsyncServiceBrowser(observer.zeroconf, SERVICE_TYPE, handlers=[on_change])
    service = f"homevoice-test-{uuid.uuid4().hex[:8]}"  # runs side by side must not collide
    announcer = ZeroconfAnnouncer(service, 10399, host="127.0.0.1", interfaces=["127.0.0.1"])
    try:
        await announcer.start()
        name, change = await bounded(changes.get(), 10)
        while name != f"{service}.{SERVICE_TYPE}":  # another run's service on the same loopback
            name, change = await bounded(changes.get(), 10)
        assert change is ServiceStateChange.Added

        info = AsyncServiceInfo(SERVICE_TYPE, name)
        assert await info.async_request(observer.zeroconf, 3000)
        assert (info.port, info.parsed_addresses()) == (10399, ["127.0.0.1"])

        await announcer.stop()
        while (name, change) != (f"{service}.{SERVICE_TYPE}", ServiceStateChange.Removed):
            name, change = await bounded(changes.get(), 10)
    finally:
        await announcer.stop()
        await browser.async_cancel()
        await observer.async_close()
