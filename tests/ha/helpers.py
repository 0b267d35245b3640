"""Home Assistant-side helpers for the tests in this tree (imported only under `.ha-venv`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er


async def add_wyoming_entry(hass: HomeAssistant, port: int) -> ConfigEntry:
    """Add a Wyoming service the way a user does: the `user` step of the config flow."""
    result = await hass.config_entries.flow.async_init(
        "wyoming", context={"source": "user"}, data={"host": "127.0.0.1", "port": port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry: ConfigEntry = result["result"]
    await hass.async_block_till_done()
    return entry


def entity_ids(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, list[str]]:
    """Platform domain -> the entity ids the config entry created there."""
    registry = er.async_get(hass)
    found: dict[str, list[str]] = {}
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        found.setdefault(entity.domain, []).append(entity.entity_id)
    return found


async def until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll `condition` (state a subprocess or Home Assistant changes) until true, bounded."""
    try:
        async with asyncio.timeout(timeout_s):
            while not condition():  # noqa: ASYNC110 - the state lives outside this loop
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {timeout_s} s: {what}") from None


class WyomingTap:
    """A loopback TCP proxy in front of a Wyoming server that records every event type, in
    both directions, as ("->", type) (client to server) and ("<-", type) (server to client)."""

    def __init__(self, server_port: int) -> None:
        self.server_port = server_port
        self.port = 0
        self.events: list[tuple[str, str]] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> WyomingTap:
        self._server = await asyncio.start_server(self._on_client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        await self._server.wait_closed()

    def count(self, direction: str, event_type: str) -> int:
        return self.events.count((direction, event_type))

    def cut(self) -> None:
        """Reset every connection through the tap at once, both sides (a crash, no goodbye)."""
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.server_port)
        except OSError:
            writer.close()
            return
        self._writers += [writer, up_writer]
        pumps = [
            asyncio.ensure_future(self._pump(reader, up_writer, "->")),
            asyncio.ensure_future(self._pump(up_reader, writer, "<-")),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.wait(pumps)
            for stream in (writer, up_writer):
                stream.close()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: str
    ) -> None:
        while True:
            try:
                line = await reader.readuntil(b"\n")
                header = json.loads(line)
                rest = int(header.get("data_length") or 0) + int(header.get("payload_length") or 0)
                body = await reader.readexactly(rest) if rest else b""
            except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                return
            self.events.append((direction, str(header.get("type"))))
            writer.write(line + body)
            try:
                await writer.drain()
            except ConnectionError:
                return
