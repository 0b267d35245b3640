"""The hub's Wyoming port under floods, as an attacker on the LAN would try it: a real
`describe` under 300 idle connections, how long a header trickled in byte by byte holds a
connection, and how much a peer claiming a 200 MB payload gets to send.

    python -m bench.floods [--idle 300]

Starts the real hub on loopback (models and all, about ten seconds) and prints the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from pathlib import Path

from wyoming.event import async_read_event

from protocol.aio import bounded
from testing.hubproc import running_hub

HOST = "127.0.0.1"
Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def describe_ms(port: int) -> str:
    """A new client's `describe`: milliseconds to its `info`, or how it was refused."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(b'{"type": "describe"}\n')
        await writer.drain()
        event = await bounded(async_read_event(reader), 10)
        writer.close()
    except (ConnectionError, TimeoutError) as err:
        return f"refused ({type(err).__name__})"
    if event is None or event.type != "info":
        return "refused (closed)"
    return f"{(time.monotonic() - started) * 1000:.0f} ms"


async def trickled_header_s(port: int, limit_s: float = 30) -> str:
    """After a `ping`, one byte of a header every 0.5 s: how long the hub keeps listening."""
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(b'{"type": "ping"}\n')
    await writer.drain()
    await bounded(async_read_event(reader), 10)
    started = time.monotonic()
    with contextlib.suppress(ConnectionError):
        while time.monotonic() - started < limit_s:
            writer.write(b"x")
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                await bounded(reader.read(1), 0.5)
                break  # the hub answered (its error) or closed
    writer.close()
    held_s = time.monotonic() - started
    return f"{held_s:.1f} s" + (" (gave up)" if held_s >= limit_s else "")


async def claimed_payload(port: int, limit_s: float = 20) -> str:
    """Claim a 200 MB payload and send as fast as we can: what the hub accepted, over how long."""
    _reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(b'{"type": "audio-chunk", "payload_length": 200000000}\n')
    sent, started, block = 0, time.monotonic(), bytes(65536)
    with contextlib.suppress(ConnectionError, TimeoutError):
        while time.monotonic() - started < limit_s:
            writer.write(block)
            await bounded(writer.drain(), 5)
            sent += len(block)
    writer.close()
    return f"{sent / 1e6:.1f} MB over {time.monotonic() - started:.1f} s (kernel buffers included)"


async def main(idle_count: int) -> None:
    log = Path("out/bench/floods-hub.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with running_hub(args=["--log-level", "warning"], log_path=log) as (port, _proc):
        print(f"describe, nothing else connected: {await describe_ms(port)}")
        idle: list[Stream] = []
        for _ in range(idle_count):
            with contextlib.suppress(OSError):
                idle.append(await asyncio.open_connection(HOST, port))
        await asyncio.sleep(1)
        print(f"describe under {len(idle)} idle connections: {await describe_ms(port)}")
        for _reader, writer in idle:
            writer.close()
        await asyncio.sleep(1)
        print(f"a header trickled in at 2 bytes/s is held for: {await trickled_header_s(port)}")
        print(f"a peer claiming a 200 MB payload sends: {await claimed_payload(port)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=300, help="idle connections to open")
    asyncio.run(main(parser.parse_args().idle))
