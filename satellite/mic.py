"""The microphone: a command printing raw PCM (restarted with backoff when it dies), or a WAV
file played at real-time pace; 16 kHz mono chunks go into a bounded queue that drops the oldest."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from protocol.aio import TaskSet, bounded
from protocol.audio import STT_FORMAT, PcmConverter

from .cleanup import MicCleaner
from .commands import kill_command, start_command
from .settings import MicSettings
from .sounds import load_wav

_LOGGER = logging.getLogger(__name__)
STABLE_RUN_S = 10.0  # a mic command that ran this long starts its backoff over


@dataclass(frozen=True)
class MicChunk:
    """16 kHz 16-bit mono audio and where it starts in the mic stream (ms of audio)."""

    pcm: bytes
    timestamp_ms: int


class ChunkQueue:
    """A bounded FIFO that never blocks the producer: when full, the oldest chunk goes."""

    def __init__(self, max_chunks: int) -> None:
        self._items: collections.deque[MicChunk] = collections.deque()
        self._max = max_chunks
        self._ready = asyncio.Event()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def put(self, chunk: MicChunk) -> None:
        """Add a chunk, dropping (and counting) the oldest one when full."""
        if len(self._items) >= self._max:
            self._items.popleft()
            self.dropped += 1
        self._items.append(chunk)
        self._ready.set()

    async def get(self) -> MicChunk:
        """The oldest chunk, waiting for one."""
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()


StatusCallback = Callable[[bool], None]


class Microphone(ABC):
    """Produces chunks into `queue` until cancelled; reports ok / failed through `on_status`."""

    def __init__(self, settings: MicSettings, queue: ChunkQueue, on_status: StatusCallback) -> None:
        self.settings = settings
        self.queue = queue
        self.ok = False
        self.restarts = 0
        self._on_status = on_status
        self._samples = 0
        self._cleaner = (
            MicCleaner(settings.auto_gain_dbfs, settings.noise_suppression)
            if settings.cleans
            else None
        )

    def _status(self, ok: bool) -> None:
        if ok != self.ok:
            self.ok = ok
            self._on_status(ok)

    def _emit(self, pcm16: bytes) -> None:
        if pcm16:
            if self._cleaner is not None:
                pcm16 = self._cleaner.process(pcm16)
            self.queue.put(MicChunk(pcm16, self._samples * 1000 // STT_FORMAT.rate_hz))
            self._samples += len(pcm16) // 2

    @abstractmethod
    async def run(self) -> None:
        """Run until cancelled."""


class CommandMicrophone(Microphone):
    """Reads raw PCM from `mic.command`'s stdout; restarts it with backoff when it exits."""

    async def run(self) -> None:
        attempt = 0
        while True:
            started = time.monotonic()
            reason = await self._run_once()
            self._status(False)
            if time.monotonic() - started >= STABLE_RUN_S:
                attempt = 0
            delay_s = min(self.settings.restart_max_s, 0.5 * 2**attempt)
            log = _LOGGER.warning if attempt == 0 else _LOGGER.debug
            log("Mic command %s; restarting in %.1f s", reason, delay_s)
            attempt += 1
            self.restarts += 1
            await asyncio.sleep(delay_s)

    async def _run_once(self) -> str:
        try:
            proc = await start_command(
                self.settings.command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
            )
        except OSError as err:
            return f"could not start ({err.strerror or err})"
        assert proc.stdout is not None and proc.stderr is not None
        last_lines: collections.deque[str] = collections.deque(maxlen=3)
        tasks = TaskSet("mic command")
        stderr_task = tasks.spawn(_collect_lines(proc.stderr, last_lines), "stderr")
        converter = PcmConverter(self.settings.format)
        chunk_bytes = self.settings.chunk_samples * self.settings.format.frame_bytes
        # A mic that stops delivering without exiting (a hung driver) is restarted too.
        stall_s = max(self.settings.stall_s, 4 * self.settings.format.seconds(chunk_bytes))
        reason = ""
        try:
            while True:
                try:
                    async with asyncio.timeout(stall_s):
                        raw = await proc.stdout.readexactly(chunk_bytes)
                except asyncio.IncompleteReadError as err:  # the command ended: keep its tail
                    frame_bytes = self.settings.format.frame_bytes
                    tail = err.partial[: len(err.partial) - len(err.partial) % frame_bytes]
                    self._emit(converter.convert(tail) + converter.flush())
                    break
                except TimeoutError:
                    reason = f"delivered no audio for {stall_s:g} s"
                    break
                self._status(True)
                self._emit(converter.convert(raw))
        finally:
            await kill_command(proc)
            with contextlib.suppress(TimeoutError):
                await bounded(asyncio.shield(stderr_task), 1)  # the last lines say why it ended
            await tasks.aclose()
        reason = reason or f"exited with {proc.returncode}"
        return f"{reason}: {last_lines[-1][:200]}" if last_lines else reason


async def _collect_lines(stream: asyncio.StreamReader, last: collections.deque[str]) -> None:
    """Keep reading the command's stderr (so it never blocks on a full pipe); keep the end."""
    while line := await stream.readline():
        text = line.decode(errors="replace").strip()
        if text:
            last.append(text)


class WavMicrophone(Microphone):
    """Plays a WAV file at real-time pace, then silence: for demos and tests."""

    def __init__(self, settings: MicSettings, queue: ChunkQueue, on_status: StatusCallback) -> None:
        super().__init__(settings, queue, on_status)
        assert settings.wav is not None
        self._sound = load_wav(settings.wav)  # ValueError at start, naming what is wrong

    async def run(self) -> None:
        converter = PcmConverter(self._sound.fmt)
        audio = converter.convert(self._sound.pcm) + converter.flush()
        chunk_bytes = 2 * self.settings.chunk_samples
        chunk_s = self.settings.chunk_samples / STT_FORMAT.rate_hz
        loop = asyncio.get_running_loop()
        next_s = loop.time()
        offset = 0
        self._status(True)
        while True:
            piece = audio[offset : offset + chunk_bytes]
            offset += chunk_bytes
            self._emit(piece + bytes(chunk_bytes - len(piece)))
            next_s += chunk_s
            await asyncio.sleep(max(0.0, next_s - loop.time()))


def microphone(settings: MicSettings, queue: ChunkQueue, on_status: StatusCallback) -> Microphone:
    """The configured microphone."""
    if settings.wav is not None:
        return WavMicrophone(settings, queue, on_status)
    return CommandMicrophone(settings, queue, on_status)
