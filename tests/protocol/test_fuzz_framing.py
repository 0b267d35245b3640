"""The bounded reader on fuzzed byte streams: events within the limits or a typed error, fast."""

from __future__ import annotations

import asyncio

from hypothesis import given

from protocol.aio import bounded
from protocol.errors import ProtocolError
from protocol.framing import MAX_TYPE_CHARS, FrameLimits, read_event
from testing.fuzz import LIMITS, fuzz_settings, streams

QUICK = FrameLimits(
    max_line_bytes=LIMITS.max_line_bytes,
    max_data_bytes=LIMITS.max_data_bytes,
    max_payload_bytes=LIMITS.max_payload_bytes,
    idle_timeout_s=0.02,
    frame_timeout_s=0.02,
)


async def read_all(stream: bytes, eof: bool) -> None:
    reader = asyncio.StreamReader(limit=QUICK.max_line_bytes)
    reader.feed_data(stream)
    if eof:
        reader.feed_eof()
    while True:
        try:
            event = await read_event(reader, QUICK)
        except (ProtocolError, asyncio.IncompleteReadError):
            return
        if event is None:
            assert eof, "None is the end of a stream, and this one has not ended"
            return
        assert isinstance(event.type, str) and 0 < len(event.type) <= MAX_TYPE_CHARS
        assert isinstance(event.data, dict)
        assert len(event.payload or b"") <= QUICK.max_payload_bytes


@fuzz_settings(100, 20000)
@given(stream=streams)
def test_a_stream_that_ends_is_read_to_its_end_or_a_typed_error(stream: bytes) -> None:
    asyncio.run(bounded(read_all(stream, eof=True), 2))


@fuzz_settings(25, 2000)
@given(stream=streams)
def test_a_stream_left_open_ends_in_a_timeout_not_a_hang(stream: bytes) -> None:
    asyncio.run(bounded(read_all(stream, eof=False), 2))
