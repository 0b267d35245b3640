"""The Wyoming server under floods: silent connections, trickled frames, a peer that never stops."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator

import pytest
from wyoming.event import Event, async_read_event, async_write_event
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong

from protocol.admission import ServerLimits
from protocol.aio import bounded
from protocol.server import Connection, TcpUri, WyomingServer
from protocol.settings import SettingsError, build

HOST = "127.0.0.1"
Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Answering(Connection):
    """Answers `describe` and `ping`, as hub and satellite do, and ignores the rest."""

    async def handle_event(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            await self.send(Info().event())
        elif Ping.is_type(event.type):
            await self.send(Pong(text=Ping.from_event(event).text).event())
        return True


@pytest.fixture
async def serve(request: pytest.FixtureRequest) -> AsyncIterator[WyomingServer]:
    """A server on a free loopback port with the limits given by `@pytest.mark.limits(...)`."""
    marker = request.node.get_closest_marker("limits")
    limits = ServerLimits(**(marker.kwargs if marker else {}))
    server = WyomingServer(TcpUri(HOST, 0), Answering, limits)
    await server.start()
    try:
        yield server
    finally:
        await bounded(server.stop(), 10)


async def connect(port: int, source: str = HOST) -> Stream:
    return await bounded(asyncio.open_connection(HOST, port, local_addr=(source, 0)), 5)


async def ask(stream: Stream, event: Event, timeout_s: float = 5) -> Event | None:
    """Send one event and read the answer; None when the server closed instead."""
    reader, writer = stream
    try:
        await async_write_event(event, writer)
        return await bounded(async_read_event(reader), timeout_s)
    except ConnectionError:
        return None


async def closed_within(stream: Stream, timeout_s: float) -> list[Event]:
    """The events read until the server closes; fails if it is still open after `timeout_s`."""
    events: list[Event] = []
    async with asyncio.timeout(timeout_s):
        try:
            while (event := await async_read_event(stream[0])) is not None:
                events.append(event)
        except ConnectionError:
            pass
    return events


def close_all(streams: list[Stream]) -> None:
    for _reader, writer in streams:
        writer.close()


async def timed_describe(port: int) -> float:
    """Seconds for a new client's `describe` to be answered with `info`."""
    start = time.monotonic()
    stream = await connect(port)
    try:
        answer = await ask(stream, Describe().event())
    finally:
        close_all([stream])
    assert answer is not None and answer.type == "info", "describe was refused"
    return time.monotonic() - start


@pytest.mark.parametrize("per_address", [0, 32])
async def test_three_hundred_silent_connections_do_not_lock_a_client_out(
    per_address: int,
) -> None:
    limits = ServerLimits(max_connections=64, max_connections_per_address=per_address)
    server = WyomingServer(TcpUri(HOST, 0), Answering, limits)
    await server.start()
    idle = [await connect(server.port) for _ in range(300)]
    try:
        await asyncio.sleep(0.3)
        assert server.connections <= 64
        assert await timed_describe(server.port) < 2.0
    finally:
        close_all(idle)
        await bounded(server.stop(), 10)


@pytest.mark.limits(max_connections=4, max_connections_per_address=0)
async def test_active_connections_are_never_dropped_for_a_newcomer(serve: WyomingServer) -> None:
    active = [await connect(serve.port) for _ in range(4)]
    try:
        for stream in active:
            assert await ask(stream, Ping().event()) is not None
        refused = await connect(serve.port)
        assert await closed_within(refused, 2) == []
        for stream in active:
            answer = await ask(stream, Ping().event())
            assert answer is not None and answer.type == "pong"
    finally:
        close_all(active)


@pytest.mark.limits(max_connections=8, max_connections_per_address=2)
async def test_one_address_cannot_take_every_connection(serve: WyomingServer) -> None:
    mine = [await connect(serve.port) for _ in range(2)]
    try:
        for stream in mine:
            assert await ask(stream, Ping().event()) is not None
        third = await connect(serve.port)
        assert await closed_within(third, 2) == []
        other = await connect(serve.port, source="127.0.0.2")
        answer = await ask(other, Describe().event())
        assert answer is not None and answer.type == "info"
        close_all([other])
    finally:
        close_all(mine)


@pytest.mark.limits(first_frame_timeout_s=0.5, idle_timeout_s=30)
async def test_a_connection_that_sends_nothing_is_closed_after_the_first_frame_timeout(
    serve: WyomingServer,
) -> None:
    silent = await connect(serve.port)
    talking = await connect(serve.port)
    start = time.monotonic()
    try:
        assert await ask(talking, Ping().event()) is not None
        events = await closed_within(silent, 3)
        assert 0.4 < time.monotonic() - start < 3
        assert [e.data.get("code") for e in events] == ["read-timeout"]
        await asyncio.sleep(0.5)  # past the first-frame timeout: the idle timeout applies now
        assert await ask(talking, Ping().event()) is not None
    finally:
        close_all([silent, talking])


async def trickle(stream: Stream, data: bytes, every_s: float) -> None:
    """Send `data` one byte at a time (slowloris), until the server hangs up."""
    writer = stream[1]
    try:
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every_s)
    except ConnectionError:
        pass


@pytest.mark.parametrize(
    "frame",
    [
        b'{"type": "describe", "data": {"x": "' + b"a" * 200 + b'"}}\n',
        b'{"type": "audio-chunk", "payload_length": 200}\n' + b"\x00" * 200,
    ],
    ids=["header", "payload"],
)
@pytest.mark.limits(frame_timeout_s=0.8, first_frame_timeout_s=5, idle_timeout_s=30)
async def test_a_trickled_frame_is_closed_after_the_frame_timeout(
    serve: WyomingServer, frame: bytes
) -> None:
    stream = await connect(serve.port)
    assert await ask(stream, Ping().event()) is not None
    start = time.monotonic()
    sender = asyncio.create_task(trickle(stream, frame, 0.02))
    try:
        events = await closed_within(stream, 4)
        assert time.monotonic() - start < 2.5  # frame_timeout_s, not the 30 s idle timeout
        assert [e.data.get("code") for e in events] == ["read-timeout"]
    finally:
        sender.cancel()
        close_all([stream])


@pytest.mark.limits(linger_max_bytes=65536, linger_timeout_s=2)
async def test_the_close_after_a_refused_frame_reads_a_bounded_amount(
    serve: WyomingServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="protocol.server")
    _reader, writer = await connect(serve.port)
    writer.write(b'{"type": "audio-chunk", "payload_length": 200000000}\n')
    sent, start, block = 0, time.monotonic(), bytes(65536)
    try:
        while time.monotonic() - start < 10:
            writer.write(block)
            await bounded(writer.drain(), 5)
            sent += len(block)
    except ConnectionError:
        pass
    took_s = time.monotonic() - start
    writer.close()
    assert took_s < 3, f"still accepting after {took_s:.1f} s"
    assert sent < 32 * 1024 * 1024, f"{sent} bytes accepted"  # kernel buffers, not the server
    found = re.search(r"(\d+) bytes discarded", caplog.text)  # logged before the reset we saw
    assert found is not None and int(found[1]) <= 65536 + 65536


@pytest.mark.limits(allowed_networks=("127.0.0.2/32", "10.0.0.0/8"))
async def test_a_client_outside_the_allowed_networks_is_refused_with_a_log_line(
    serve: WyomingServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="protocol.admission")
    outside = await connect(serve.port, source="127.0.0.1")
    assert await closed_within(outside, 2) == []
    inside = await connect(serve.port, source="127.0.0.2")
    answer = await ask(inside, Describe().event())
    close_all([outside, inside])
    assert answer is not None and answer.type == "info"
    lines = [r.getMessage() for r in caplog.records if r.name == "protocol.admission"]
    assert lines == ["Refused a connection from outside limits.allowed_networks: 127.0.0.1"]


def test_allowed_networks_must_be_networks() -> None:
    with pytest.raises(SettingsError) as caught:
        build(ServerLimits, {"allowed_networks": ["192.168.1.0/33"]}, "limits")
    assert caught.value.key == "limits.allowed_networks"
    assert ServerLimits(allowed_networks=("192.168.1.7/24", "fd00::/8")).allowed_networks
