"""Property-based fuzzing of Wyoming servers: byte streams of valid, bent and broken frames,
and a harness that plays each one to a real server over loopback and checks what survives.

The harness owns one event loop for all of a test's examples, so what one example leaves
behind (a task, a connection, memory) is seen by the next. Each example must end within a
bound, log no error, leave no connection open, and the server must still answer `describe`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import tracemalloc
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from wyoming.event import async_read_event

from protocol.admission import ServerLimits
from protocol.aio import bounded
from protocol.server import ConnectionFactory, TcpUri, WyomingServer

HOST = "127.0.0.1"
LIMITS = ServerLimits(
    max_line_bytes=4096,
    max_data_bytes=4096,
    max_payload_bytes=16384,
    idle_timeout_s=1.0,
    frame_timeout_s=0.5,
    write_timeout_s=2.0,
    first_frame_timeout_s=0.5,
    linger_timeout_s=0.2,
)
EXAMPLE_S = 15.0  # one example's whole exchange, far above what a healthy server needs
MAX_ANSWER_BYTES = 4 * 1024 * 1024
MAX_PEAK_BYTES = 64 * 1024 * 1024  # Python memory one example may hold at its peak
MAX_GROWTH_BYTES = 16 * 1024 * 1024  # what all examples together may leave behind
PROFILE = os.environ.get("HOMEVOICE_FUZZ", "quick")  # `make fuzz` sets `long`; or a count

# Every event type hub and satellite handle, a few they do not, and their fields.
EVENT_TYPES = (
    "describe", "info", "ping", "pong", "error", "transcribe", "transcript", "audio-start",
    "audio-chunk", "audio-stop", "synthesize", "synthesize-start", "synthesize-chunk",
    "synthesize-stop", "synthesize-stopped", "detect", "detection", "not-detected",
    "run-satellite", "pause-satellite", "satellite-connected", "run-pipeline", "voice-started",
    "voice-stopped", "played", "timer-started", "timer-updated", "timer-cancelled",
    "timer-finished", "homevoice-listen", "handled", "not-handled", "make-coffee",
)  # fmt: skip
FIELDS = (
    "rate", "width", "channels", "timestamp", "text", "name", "names", "language", "voice",
    "speaker", "code", "id", "total_seconds", "is_active", "start_stage", "end_stage",
    "restart_on_end", "context", "final", "start_time", "hours", "minutes", "seconds",
)  # fmt: skip

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.sampled_from([0, 1, 2, 8000, 16000, 22050, 48000, -1, 10**12])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["hey_jarvis", "en", "en_US-joe-medium", "wake", "asr", "tts", "handle"])
)
json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=6,
)
event_data = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=10), json_values, max_size=6
)
audio_format = st.fixed_dictionaries(
    {
        "rate": st.sampled_from([16000, 22050, 8000, 44100, 0, 7]),
        "width": st.sampled_from([2, 1, 4, 3]),
        "channels": st.sampled_from([1, 2, 0]),
    }
)


def frame_bytes(event_type: str, data: dict[str, Any], payload: bytes) -> bytes:
    """One well-formed Wyoming frame (the data block after the header, as the library sends)."""
    header: dict[str, Any] = {"type": event_type, "version": "1.5.2"}
    body = json.dumps(data).encode() if data else b""
    if body:
        header["data_length"] = len(body)
    if payload:
        header["payload_length"] = len(payload)
    return json.dumps(header).encode() + b"\n" + body + payload


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode() or b"0"


@st.composite
def valid_frames(draw: st.DrawFn) -> bytes:
    """A frame of a known type with plausible or arbitrary fields and a small payload."""
    kind = draw(st.sampled_from(EVENT_TYPES))
    data = draw(event_data)
    if kind.startswith("audio") and draw(st.booleans()):
        data = {**data, **draw(audio_format)}
    payload = draw(st.binary(max_size=4096)) if kind == "audio-chunk" else b""
    return frame_bytes(kind, data, payload)


@st.composite
def bent_frames(draw: st.DrawFn) -> bytes:
    """A valid frame cut short, with a byte changed, or with lengths that lie."""
    raw = draw(valid_frames())
    how = draw(st.sampled_from(["cut", "flip", "lie", "inline", "body"]))
    if how == "cut":
        return raw[: draw(st.integers(0, max(0, len(raw) - 1)))]
    if how == "flip" and raw:
        at = draw(st.integers(0, len(raw) - 1))
        return raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1 :]
    header = {
        "type": draw(st.sampled_from(EVENT_TYPES) | st.text(max_size=70)),
        "data_length": draw(st.integers(-5, 10**9) | json_values),
        "payload_length": draw(st.integers(-5, 10**12) | json_values),
    }
    if how == "inline":
        header = {"type": header["type"], "data": draw(json_values)}
    if how == "body":  # a data block of the right length that is not a JSON object
        body = draw(st.binary(min_size=1, max_size=64) | json_values.map(_json_bytes))
        return (
            json.dumps({"type": header["type"], "data_length": len(body)}).encode() + b"\n" + body
        )
    return json.dumps(header).encode() + b"\n" + draw(st.binary(max_size=64))


PCM_16K = {"rate": 16000, "width": 2, "channels": 1}
PLAUSIBLE: dict[str, dict[str, Any]] = {
    "transcribe": {"language": "en"},
    "audio-start": PCM_16K,
    "audio-chunk": PCM_16K,
    "audio-stop": {},
    "synthesize": {"text": "The kitchen light is on."},
    "synthesize-start": {},
    "synthesize-chunk": {"text": "Hello there. "},
    "synthesize-stop": {},
    "detect": {"names": ["hey_jarvis"]},
    "detection": {"name": "hey_jarvis"},
    "transcript": {"text": "turn on the kitchen light"},
    "timer-started": {"id": "t1", "total_seconds": 5},
    "timer-updated": {"id": "t1", "total_seconds": 9, "is_active": True},
    "timer-finished": {"id": "t1"},
    "error": {"text": "no", "code": "stt-failed"},
}
# What Home Assistant (or a controller) sends, in order: a request and its stream.
SCRIPTS = (
    ("transcribe", "audio-start", "audio-chunk", "audio-chunk", "audio-stop"),
    ("synthesize",),
    ("synthesize-start", "synthesize-chunk", "synthesize-chunk", "synthesize-stop"),
    ("detect", "audio-start", "audio-chunk", "audio-chunk", "audio-stop"),
    ("transcript",),
    ("run-satellite", "detect", "detection", "transcribe", "voice-started", "voice-stopped"),
    ("run-satellite", "transcript", "synthesize", "audio-start", "audio-chunk", "audio-stop"),
    ("run-satellite", "timer-started", "timer-updated", "timer-finished", "pause-satellite"),
    ("run-satellite", "homevoice-listen", "error", "played", "ping"),
)
HOW = ("plain", "wrong", "plain", "wrong", "more", "plain", "wrong", "bent")  # sampled evenly
LOUD = (b"\x00\x30" * 1024, bytes(2048))  # a chunk of speech-level audio, a chunk of silence


@st.composite
def scripted_frames(draw: st.DrawFn) -> bytes:
    """A script's events with plausible fields, now and then bent or with fuzzed fields."""
    out = b""
    for kind in draw(st.sampled_from(SCRIPTS)):
        how = draw(st.sampled_from(HOW))
        if how == "bent":
            out += draw(bent_frames())
            continue
        data = dict(PLAUSIBLE.get(kind, {}))
        if how == "more":
            data.update(draw(event_data))
        elif how == "wrong" and data:  # one field of the wrong type or value
            data[draw(st.sampled_from(sorted(data)))] = draw(json_values)
        payload = (
            draw(st.sampled_from(LOUD) | st.binary(max_size=512)) if kind == "audio-chunk" else b""
        )
        out += frame_bytes(kind, data, payload)
    return out


streams = st.lists(
    scripted_frames() | valid_frames() | bent_frames() | st.binary(max_size=256),
    min_size=1,
    max_size=6,
).map(b"".join)


class _Errors(logging.Handler):
    """Collects every record at ERROR or above (an unexpected exception, a failed task)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


class FuzzHarness:
    """A real Wyoming server on loopback that examples are played to, one loop for all."""

    def __init__(self, factory: ConnectionFactory, limits: ServerLimits = LIMITS) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = WyomingServer(TcpUri(HOST, 0), factory, limits)
        self.errors = _Errors()
        self.loop_errors: list[str] = []
        self.examples = 0
        self.loop.set_exception_handler(lambda _loop, ctx: self.loop_errors.append(str(ctx)))
        self.baseline = 0

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the harness's loop."""
        return self.loop.run_until_complete(coro)

    @contextlib.contextmanager
    def serving(self) -> Iterator[FuzzHarness]:
        """Start the server; at the end stop it and check nothing was left behind."""
        logging.getLogger().addHandler(self.errors)
        tracemalloc.start()
        try:
            self.run(self.server.start())
            gc.collect()
            self.baseline = tracemalloc.get_traced_memory()[0]
            yield self
            gc.collect()
            growth = tracemalloc.get_traced_memory()[0] - self.baseline
            assert growth < MAX_GROWTH_BYTES, f"{growth} bytes left after {self.examples} examples"
        finally:
            tracemalloc.stop()
            logging.getLogger().removeHandler(self.errors)
            self.run(bounded(self.server.stop(), 10))
            self.loop.close()

    def check(self, stream: bytes) -> None:
        """Play `stream` to the server; assert the server survived it, whole."""
        self.examples += 1
        self.errors.records.clear()
        self.loop_errors.clear()
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        self.run(bounded(self._play(stream), EXAMPLE_S))
        peak = tracemalloc.get_traced_memory()[1] - start
        assert peak < MAX_PEAK_BYTES, f"one example held {peak} bytes"
        assert not self.errors.records, self.errors.records
        assert not self.loop_errors, self.loop_errors
        self.run(bounded(self._until_no_connections(), EXAMPLE_S))
        self.run(bounded(self._describe(), 5))

    async def _play(self, stream: bytes) -> None:
        reader, writer = await asyncio.open_connection(HOST, self.server.port)
        try:
            with contextlib.suppress(ConnectionError):
                for at in range(0, len(stream), 1024):
                    writer.write(stream[at : at + 1024])
                    await writer.drain()
                writer.write_eof()
            received = 0
            with contextlib.suppress(ConnectionError):
                while chunk := await reader.read(65536):
                    received += len(chunk)
                    assert received < MAX_ANSWER_BYTES, "the server answers without end"
        finally:
            writer.close()

    async def _until_no_connections(self) -> None:
        while self.server.connections:  # noqa: ASYNC110 - the server owns the count
            await asyncio.sleep(0.01)

    async def _describe(self) -> None:
        reader, writer = await asyncio.open_connection(HOST, self.server.port)
        try:
            writer.write(b'{"type": "describe"}\n')
            await writer.drain()
            event = await async_read_event(reader)
            assert event is not None and event.type == "info", event
        finally:
            writer.close()


def examples(quick: int, long: int) -> int:
    """How many examples a fuzz test runs: a few in the test suite, many under `make fuzz`
    (HOMEVOICE_FUZZ=long), or the number HOMEVOICE_FUZZ gives."""
    if PROFILE.isdigit():
        return int(PROFILE)
    return long if PROFILE == "long" else quick


def fuzz_settings(quick: int, long: int) -> settings:
    """Hypothesis settings for a fuzz test: `examples(quick, long)`, no deadline, and no health
    check that a busy machine trips (slow generation is not a finding)."""
    return settings(
        max_examples=examples(quick, long),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
