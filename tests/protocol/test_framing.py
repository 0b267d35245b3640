"""The bounded reader: every malformed or oversized frame is a typed error, never a hang."""

from __future__ import annotations

import asyncio
import json

import pytest

from protocol.errors import FrameTooLarge, MalformedFrame, ReadTimedOut
from protocol.framing import FrameLimits, read_event

LIMITS = FrameLimits(
    max_line_bytes=1024,
    max_data_bytes=512,
    max_payload_bytes=4096,
    idle_timeout_s=0.3,
    frame_timeout_s=0.3,
    write_timeout_s=1,
)


def reader_with(data: bytes, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=LIMITS.max_line_bytes)
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


async def test_reads_header_data_and_payload() -> None:
    data = json.dumps({"rate": 16000}).encode()
    header = {"type": "audio-chunk", "data_length": len(data), "payload_length": 4}
    raw = json.dumps(header).encode() + b"\n" + data + b"\x01\x02\x03\x04"
    event = await read_event(reader_with(raw), LIMITS)
    assert event is not None
    assert (event.type, event.data, event.payload) == (
        "audio-chunk",
        {"rate": 16000},
        b"\x01\x02\x03\x04",
    )


async def test_clean_eof_between_events_is_none() -> None:
    assert await read_event(reader_with(b""), LIMITS) is None


@pytest.mark.parametrize(
    "line",
    [
        b"hello world\n",
        b'{"type":"ping"\n',
        b"[1,2,3]\n",
        b'"ping"\n',
        b'{"data":{}}\n',
        b'{"type":5}\n',
        b'{"type":""}\n',
        b'{"type":"x","data":5}\n',
        b'{"type":"x","data_length":"10"}\n',
        b'{"type":"x","data_length":1.5}\n',
        b'{"type":"x","payload_length":-5}\n',
        b'{"type":"x","payload_length":true}\n',
        b'{"type":"x","data":{"v":NaN}}\n',
        b'{"type":"x","data_length":3}\nabc',
        b'{"type":"x","data_length":7}\n[1,2,3]',
        b'{"type":"x","data_length":2}\n\xff\xfe',
        b'{"type":"' + b"t" * 65 + b'"}\n',
    ],
)
async def test_malformed_frames_raise(line: bytes) -> None:
    with pytest.raises(MalformedFrame):
        await read_event(reader_with(line), LIMITS)


@pytest.mark.parametrize(
    "line",
    [
        b'{"type":"x","data_length":513}\n',
        b'{"type":"x","payload_length":1000000000000}\n',
        b'{"type":"' + b"a" * 2000 + b'"}\n',
    ],
)
async def test_oversized_frames_raise_before_reading(line: bytes) -> None:
    with pytest.raises(FrameTooLarge):
        await read_event(reader_with(line, eof=False), LIMITS)


async def test_header_then_silence_times_out() -> None:
    reader = reader_with(b'{"type":"x","payload_length":100}\n' + b"\x00" * 10, eof=False)
    with pytest.raises(ReadTimedOut, match="payload"):
        await read_event(reader, LIMITS)


async def test_idle_peer_times_out() -> None:
    with pytest.raises(ReadTimedOut, match="header"):
        await read_event(reader_with(b'{"type":"pi', eof=False), LIMITS)


async def test_disconnect_mid_payload_is_incomplete_read() -> None:
    with pytest.raises(asyncio.IncompleteReadError):
        await read_event(reader_with(b'{"type":"x","payload_length":100}\n\x00\x00'), LIMITS)
