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

from protocol.run_events import (
    Action,
    Error,
    IntentEnd,
    IntentStart,
    PipelineEvent,
    Played,
    RunEnd,
    RunStart,
    SttEnd,
    SttStart,
    TtsEnd,
    TtsFirstAudio,
    TtsStart,
    VoiceStarted,
    VoiceStopped,
    Wake,
)
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


def wall_ms(wall_s: float) -> float:
    """A `time.time()` instant in epoch ms, the clock of the hub's event timestamps."""
    return wall_s * 1000.0


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


def event_detail(event: PipelineEvent) -> str:
    """A short description of one pipeline event."""
    match event:
        case RunStart():
            return f"satellite {event.satellite!r}, {event.start_stage} → {event.end_stage}"
        case Wake():
            scored = f", score {event.score:.2f}" if event.score is not None else ""
            return f"{event.name}{scored} ({event.source})"
        case SttStart():
            return f"language {event.language}"
        case VoiceStarted() | VoiceStopped():
            return f"{event.audio_ms} ms into the command"
        case SttEnd():
            return (
                f"{event.text!r}, decoded in {event.decode_ms} ms "
                f"(speculative: {event.speculative}, ended by {event.ended_by})"
            )
        case IntentStart():
            return repr(event.text)
        case Action():
            return f"{event.payload} → {event.topic}"
        case IntentEnd():
            return f"{event.intent} (handled: {event.handled}): {event.answer!r}"
        case TtsStart():
            return f"voice {event.voice}"
        case TtsFirstAudio():
            return f"{event.rate_hz} Hz"
        case TtsEnd():
            return f"{event.audio_s} s of speech"
        case Played():
            return "the satellite said so" if event.reported else "no `played` came"
        case RunEnd():
            return event.outcome
        case Error():
            return f"{event.code}: {event.message}"
    return ""


def print_timeline(
    events: list[PipelineEvent], speech_end_ms: float, marks: list[tuple[float, str, str]]
) -> None:
    """Events and `marks` (epoch ms, label, detail) by time, from run-start and speech end."""
    rows = [(float(e.timestamp_ms), e.stage.wire, event_detail(e)) for e in events]
    rows += [(speech_end_ms, "(speech ends)", f"the end of {COMMAND!r} in the mic's audio")]
    rows += marks
    origin = float(events[0].timestamp_ms)
    print(f"  {'run':>11} {'speech end':>11}")
    for at_ms, label, detail in sorted(rows, key=lambda row: row[0]):
        print(f"  {at_ms - origin:+8.0f} ms {at_ms - speech_end_ms:+8.0f} ms  {label:<16} {detail}")
