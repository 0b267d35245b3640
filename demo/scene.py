"""What `make demo` needs besides the processes: an MQTT watcher, the spoken clip, the timeline."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiomqtt
import numpy as np

from testing.audio import piper_speech, silence

WAKE = "Hey Jarvis."
COMMAND = "Turn on the kitchen light."
SPEECH_LEVEL = 300  # |sample| above this (about -40 dBFS) counts as speech
BYTES_PER_S = 2 * 16000


class DemoError(RuntimeError):
    """A step of the demo failed or did not happen in time."""


@dataclass(frozen=True)
class SpokenClip:
    """The clip the satellite's mic plays, and where in it each utterance ends."""

    pcm: bytes
    wake_end_s: float
    command_end_s: float


def _last_loud_s(pcm: bytes) -> float:
    """Seconds from the start of `pcm` to the end of its last sample above the speech level."""
    samples = np.abs(np.frombuffer(pcm, dtype=np.int16).astype(np.int32))
    loud = np.flatnonzero(samples > SPEECH_LEVEL)
    return float(loud[-1] + 1) / 16000 if loud.size else 0.0


def spoken_clip() -> SpokenClip:
    """'Hey Jarvis.' then 'Turn on the kitchen light.', made with Piper, silence around."""
    lead, wake = silence(0.3), piper_speech(WAKE)
    gap, command = silence(0.3), piper_speech(COMMAND)
    before_command = lead + wake + gap
    return SpokenClip(
        pcm=before_command + command + silence(2.0),
        wake_end_s=len(lead) / BYTES_PER_S + _last_loud_s(wake),
        command_end_s=len(before_command) / BYTES_PER_S + _last_loud_s(command),
    )


def wall_to_monotonic_ms(wall_s: float) -> float:
    """A `time.time()` instant on the monotonic clock the hub stamps its events with."""
    return (wall_s - time.time() + time.monotonic()) * 1000.0


@dataclass(frozen=True)
class Seen:
    """One MQTT message as the watcher received it."""

    topic: str
    payload: str
    received_s: float


class Watcher:
    """Records every message on its topics; `wait_for` returns the first matching one."""

    def __init__(self) -> None:
        self.messages: list[Seen] = []
        self._changed = asyncio.Condition()

    async def collect(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload
            text = payload.decode() if isinstance(payload, bytes | bytearray) else str(payload)
            async with self._changed:
                self.messages.append(Seen(message.topic.value, text, time.time()))
                self._changed.notify_all()

    async def wait_for(
        self,
        topic: str,
        match: Callable[[dict[str, Any]], bool],
        timeout_s: float,
        failure: str,
        after: int = 0,
    ) -> dict[str, Any]:
        """The first JSON object on `topic` (index >= `after`) that matches, or DemoError."""

        def found() -> dict[str, Any] | None:
            for seen in self.messages[after:]:
                if seen.topic == topic:
                    with contextlib.suppress(ValueError):
                        data = json.loads(seen.payload)
                        if isinstance(data, dict) and match(data):
                            return data
            return None

        try:
            async with asyncio.timeout(timeout_s), self._changed:
                await self._changed.wait_for(lambda: found() is not None)
        except TimeoutError:
            raise DemoError(f"{failure} within {timeout_s:g} s (watched {topic})") from None
        result = found()
        assert result is not None
        return result

    def json_on(self, topic: str, after: int = 0) -> list[dict[str, Any]]:
        """Every JSON object seen on `topic` from index `after`, in order."""
        return [json.loads(s.payload) for s in self.messages[after:] if s.topic == topic]


@contextlib.asynccontextmanager
async def watching(port: int, topics: list[str]) -> AsyncIterator[Watcher]:
    """A watcher subscribed to `topics` on the broker on `port` for the block."""
    watcher = Watcher()
    async with aiomqtt.Client(
        "127.0.0.1", port, identifier=f"demo-watcher-{uuid.uuid4().hex[:8]}"
    ) as client:
        for topic in topics:
            await client.subscribe(topic, qos=1)
        task = asyncio.create_task(watcher.collect(client))
        try:
            yield watcher
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def event_detail(event: dict[str, Any]) -> str:
    """A short description of one pipeline event."""
    kind = event.get("type")
    if kind == "run-start":
        stages = f"{event.get('start_stage')} → {event.get('end_stage')}"
        return f"satellite {event.get('satellite')!r}, {stages}"
    if kind == "wake":
        score = event.get("score")
        scored = f", score {score:.2f}" if isinstance(score, int | float) else ""
        return f"{event.get('name')}{scored} ({event.get('source')})"
    if kind == "stt-start":
        return f"language {event.get('language')}"
    if kind == "stt-end":
        return (
            f"{event.get('text')!r}, decoded in {event.get('decode_ms')} ms "
            f"(speculative: {event.get('speculative')}, ended by {event.get('ended_by')})"
        )
    if kind == "intent-start":
        return repr(event.get("text"))
    if kind == "action":
        return f"{event.get('payload')} → {event.get('topic')}"
    if kind == "intent-end":
        return f"{event.get('intent')} (handled: {event.get('handled')}): {event.get('answer')!r}"
    if kind == "tts-start":
        return f"voice {event.get('voice')}"
    if kind == "tts-first-audio":
        return f"{event.get('rate_hz')} Hz"
    if kind == "tts-end":
        return f"{event.get('audio_s')} s of speech"
    if kind == "run-end":
        return "failed" if event.get("failed") else "ok"
    if kind == "error":
        return f"{event.get('code')}: {event.get('message')}"
    return ""


def print_timeline(
    events: list[dict[str, Any]], speech_end_ms: float, marks: list[tuple[float, str, str]]
) -> None:
    """Events and `marks` (monotonic ms, label, detail) by time, from run-start and speech end."""
    rows = [(float(e["timestamp_ms"]), str(e["type"]), event_detail(e)) for e in events]
    rows += [(speech_end_ms, "(speech ends)", f"the end of {COMMAND!r} in the mic's audio")]
    rows += marks
    origin = float(events[0]["timestamp_ms"])
    print(f"  {'run':>11} {'speech end':>11}")
    for at_ms, label, detail in sorted(rows, key=lambda row: row[0]):
        print(f"  {at_ms - origin:+8.0f} ms {at_ms - speech_end_ms:+8.0f} ms  {label:<16} {detail}")
