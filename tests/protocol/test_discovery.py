"""Zeroconf: the hub's service appears under `_wyoming._tcp.local.` and leaves with goodbyes."""

from __future__ import annotations

import asyncio

from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from protocol.discovery import SERVICE_TYPE, ZeroconfAnnouncer


async def test_announce_is_seen_and_goodbye_removes_it() -> None:
    changes: asyncio.Queue[tuple[str, ServiceStateChange]] = asyncio.Queue()

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        changes.put_nowait((name, state_change))

    observer = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    browser = AsyncServiceBrowser(observer.zeroconf, SERVICE_TYPE, handlers=[on_change])
    announcer = ZeroconfAnnouncer(
        "homevoice-test", 10399, host="127.0.0.1", interfaces=["127.0.0.1"]
    )
    try:
        await announcer.start()
        name, change = await asyncio.wait_for(changes.get(), 10)
        assert (name, change) == (f"homevoice-test.{SERVICE_TYPE}", ServiceStateChange.Added)

        info = AsyncServiceInfo(SERVICE_TYPE, name)
        assert await info.async_request(observer.zeroconf, 3000)
        assert (info.port, info.parsed_addresses()) == (10399, ["127.0.0.1"])

        await announcer.stop()
        while change is not ServiceStateChange.Removed:
            name, change = await asyncio.wait_for(changes.get(), 10)
        assert name == f"homevoice-test.{SERVICE_TYPE}"
    finally:
        await announcer.stop()
        await browser.async_cancel()
        await observer.async_close()
