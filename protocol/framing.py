"""Bounded Wyoming frame reading: size limits and timeouts the `wyoming` library lacks.

Writing uses the library's `async_write_event`, bounded by a timeout so a peer that stops
reading cannot stall us.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from wyoming.event import Event, async_write_event

from .aio import bounded
from .errors import FrameTooLarge, MalformedFrame, ProtocolError, ReadTimedOut
from .settings import check

MAX_TYPE_CHARS = 64


@dataclass(frozen=True)
class FrameLimits:
    """Bounds on what one peer may send and how long it may take."""

    max_line_bytes: int = 64 * 1024
    max_data_bytes: int = 256 * 1024
    max_payload_bytes: int = 1024 * 1024
    idle_timeout_s: float = 120.0
    frame_timeout_s: float = 10.0
    write_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        for name in ("max_line_bytes", "max_data_bytes", "max_payload_bytes"):
            value = getattr(self, name)
            check(isinstance(value, int) and value >= 1, name, value, "must be at least 1")
        for name in ("idle_timeout_s", "frame_timeout_s", "write_timeout_s"):
            value = getattr(self, name)
            check(value > 0, name, value, "must be positive")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name} is not allowed")


def _loads_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError as err:
        raise MalformedFrame(f"{what} is nested too deeply") from err
    except (ValueError, UnicodeDecodeError) as err:
        raise MalformedFrame(f"{what} is not valid JSON: {err}") from err
    if not isinstance(value, dict):
        raise MalformedFrame(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def _length(header: dict[str, Any], key: str, limit: int) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedFrame(f"{key} must be an integer, got {value!r}")
    if value < 0:
        raise MalformedFrame(f"{key} must not be negative, got {value}")
    if value > limit:
        raise FrameTooLarge(f"{key} {value} exceeds the limit of {limit} bytes")
    return value


async def _timed(awaitable: Any, timeout_s: float, what: str) -> Any:
    try:
        return await bounded(awaitable, timeout_s)
    except TimeoutError as err:
        raise ReadTimedOut(f"no {what} within {timeout_s:g} s") from err


async def _before(awaitable: Any, deadline: float, timeout_s: float, what: str) -> Any:
    """Await by the frame's deadline (loop time), however slowly its bytes trickle in."""
    try:
        async with asyncio.timeout_at(deadline):
            return await awaitable
    except TimeoutError as err:
        raise ReadTimedOut(f"{what} not complete within {timeout_s:g} s of its start") from err


async def _read_line(
    reader: asyncio.StreamReader, limits: FrameLimits, idle_timeout_s: float
) -> tuple[bytes, float] | None:
    """The header line and the frame's deadline; None on a clean end of stream."""
    try:
        first = await _timed(reader.readexactly(1), idle_timeout_s, "event header")
    except asyncio.IncompleteReadError:
        return None
    deadline = asyncio.get_running_loop().time() + limits.frame_timeout_s
    if first == b"\n":
        return first, deadline
    try:
        rest = await _before(
            reader.readuntil(b"\n"), deadline, limits.frame_timeout_s, "event header"
        )
    except asyncio.IncompleteReadError as err:
        if not (first + err.partial).strip():
            return None
        raise
    except asyncio.LimitOverrunError as err:
        raise FrameTooLarge(
            f"event header line exceeds the limit of {limits.max_line_bytes} bytes"
        ) from err
    return first + rest, deadline


async def read_event(
    reader: asyncio.StreamReader, limits: FrameLimits, idle_timeout_s: float | None = None
) -> Event | None:
    """Read one event; None on a clean end of stream between events.

    The peer may stay silent between events for `idle_timeout_s` (default the limits' idle
    timeout); once a frame's first byte has arrived, the whole frame must arrive within
    `frame_timeout_s`, so a frame trickled in byte by byte cannot hold the connection.
    Raises a ProtocolError subclass on malformed or oversized input and on timeouts, and
    asyncio.IncompleteReadError when the peer disconnects mid-frame.
    """
    read = await _read_line(reader, limits, idle_timeout_s or limits.idle_timeout_s)
    if read is None:
        return None
    line, deadline = read
    if len(line) > limits.max_line_bytes:
        raise FrameTooLarge(f"event header line exceeds the limit of {limits.max_line_bytes} bytes")

    header = _loads_object(line, "event header")
    event_type = header.get("type")
    if not isinstance(event_type, str) or not event_type or len(event_type) > MAX_TYPE_CHARS:
        raise MalformedFrame(f"event type must be a non-empty string, got {event_type!r}")
    data = header.get("data") or {}
    if not isinstance(data, dict):
        raise MalformedFrame(f"event data must be a JSON object, got {type(data).__name__}")

    data_length = _length(header, "data_length", limits.max_data_bytes)
    payload_length = _length(header, "payload_length", limits.max_payload_bytes)
    if data_length:
        raw = await _before(
            reader.readexactly(data_length), deadline, limits.frame_timeout_s, "event data"
        )
        data = {**data, **_loads_object(raw, "event data")}
    payload: bytes | None = None
    if payload_length:
        payload = await _before(
            reader.readexactly(payload_length), deadline, limits.frame_timeout_s, "event payload"
        )
    return Event(type=event_type, data=data, payload=payload)


async def write_event(event: Event, writer: asyncio.StreamWriter, timeout_s: float) -> None:
    """Write one event; raises ReadTimedOut's sibling ProtocolError if the peer stops reading."""
    try:
        await bounded(async_write_event(event, writer), timeout_s)
    except TimeoutError as err:
        raise PeerNotReading(f"peer did not read for {timeout_s:g} s") from err


class PeerNotReading(ProtocolError):
    """Our writes stalled: the peer stopped reading."""

    code = "write-timeout"
