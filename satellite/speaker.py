"""The speaker: audio streams played one after another through the snd command (started per
stream, so `played` means the command really finished), into WAV files, or nowhere."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import time
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from protocol.aio import bounded
from protocol.audio import PcmConverter, PcmFormat
from protocol.errors import AudioFormatError

from .commands import kill_command, start_command
from .settings import SndSettings

_LOGGER = logging.getLogger(__name__)
MAX_STREAM_S = 600.0  # one answer or announcement longer than this is cut
STREAM_GAP_S = 30.0  # a sender silent this long mid-stream has forgotten its audio-stop

PlayedCallback = Callable[[bool], Awaitable[None]]  # report: send `played` for this stream


@dataclass
class _Stream:
    fmt: PcmFormat
    report: bool
    chunks: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    queued_s: float = 0.0
    cancelled: bool = False
    ended: bool = False  # its end (None) was taken from `chunks`


class Speaker:
    """Plays queued streams in order; `on_played` runs after each one ends or is cut."""

    def __init__(self, settings: SndSettings, on_played: PlayedCallback) -> None:
        self.settings = settings
        self.volume = settings.volume
        self._on_played = on_played
        self._streams: collections.deque[_Stream] = collections.deque()
        self._queued = asyncio.Event()
        self._feeding: _Stream | None = None
        self._playing: _Stream | None = None
        self._cut = asyncio.Event()
        self._files = itertools.count(1)

    @property
    def busy(self) -> bool:
        """True while a stream is playing or waiting to play."""
        return self._playing is not None or bool(self._streams)

    def start_stream(self, fmt: PcmFormat, report: bool) -> None:
        """Begin a stream (an `audio-start`); an unfinished previous one is ended first."""
        self.end_stream()
        self._feeding = _Stream(fmt, report)
        self._streams.append(self._feeding)
        self._queued.set()

    def feed(self, pcm: bytes) -> bool:
        """Add audio to the stream being received; False when there is none (or it is full)."""
        stream = self._feeding
        if stream is None:
            return False
        stream.queued_s += stream.fmt.seconds(len(pcm))
        if stream.queued_s > MAX_STREAM_S:
            return False
        stream.chunks.put_nowait(pcm)
        return True

    def end_stream(self) -> None:
        """End the stream being received (an `audio-stop`)."""
        if self._feeding is not None:
            self._feeding.chunks.put_nowait(None)
            self._feeding = None

    def play_sound(self, pcm: bytes, fmt: PcmFormat) -> None:
        """Queue a whole local sound (awake, done, timer); no `played` is reported for it."""
        self.start_stream(fmt, report=False)
        self.feed(pcm)
        self.end_stream()

    def interrupt(self) -> None:
        """Cut what is playing and drop what is queued (a stop word)."""
        self.end_stream()
        for stream in self._streams:  # still reported, so the controller is not left waiting
            stream.cancelled = True
        if self._playing is not None:
            self._cut.set()

    async def run(self) -> None:
        """Play streams until cancelled."""
        while True:
            while not self._streams:
                self._queued.clear()
                await self._queued.wait()
            stream = self._streams.popleft()
            self._playing = stream
            self._cut.clear()
            try:
                await self._play(stream)
            except asyncio.CancelledError:
                raise
            except Exception:
                _LOGGER.exception("Playback failed")
            finally:
                self._playing = None
            await self._on_played(stream.report)

    async def _next(self, stream: _Stream) -> bytes | None:
        """The next chunk, or None at the end of the stream or when cut."""
        if self._cut.is_set() or stream.ended:
            return None
        get = asyncio.ensure_future(stream.chunks.get())
        cut = asyncio.ensure_future(self._cut.wait())
        try:
            await asyncio.wait(
                {get, cut}, timeout=STREAM_GAP_S, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            cut.cancel()
        if not get.done():
            get.cancel()
            if not self._cut.is_set():
                _LOGGER.warning("No audio for %g s and no audio-stop; stream ended", STREAM_GAP_S)
                stream.ended = True
                if self._feeding is stream:
                    self._feeding = None
            return None
        chunk = get.result()
        stream.ended = chunk is None
        return chunk

    async def _play(self, stream: _Stream) -> None:
        if stream.cancelled:  # dropped by interrupt() before it began
            return
        converter = PcmConverter(stream.fmt, target=self.settings.format)
        converter.gain = self.volume / 100
        if self.settings.command:
            await self._play_command(stream, converter)
        elif self.settings.wav_dir is not None:
            await self._play_wav(stream, converter)
        else:
            while await self._next(stream) is not None:
                pass

    async def _converted(self, stream: _Stream, converter: PcmConverter) -> bytes | None:
        while (pcm := await self._next(stream)) is not None:
            try:
                return converter.convert(pcm)
            except AudioFormatError as err:
                _LOGGER.warning("Dropped bad audio chunk: %s", err.message)
        return None

    async def _play_command(self, stream: _Stream, converter: PcmConverter) -> None:
        proc = await start_command(
            self.settings.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL
        )
        assert proc.stdin is not None and proc.stderr is not None
        started = time.monotonic()
        written_s = 0.0
        try:
            while (pcm := await self._converted(stream, converter)) is not None:
                written_s += self.settings.format.seconds(len(pcm))
                proc.stdin.write(pcm)
                ahead_s = written_s - (time.monotonic() - started)
                if not await self._unless_cut(proc.stdin.drain(), ahead_s):
                    return
            proc.stdin.write(converter.flush())
            proc.stdin.close()
            await self._unless_cut(proc.wait(), written_s - (time.monotonic() - started))
        except (BrokenPipeError, ConnectionResetError):
            _LOGGER.warning("Snd command exited early (code %s)", proc.returncode)
        except TimeoutError:
            _LOGGER.warning("Snd command did not finish playing in time; stopped it")
        finally:
            await kill_command(proc)
            if proc.returncode:
                with contextlib.suppress(Exception):
                    text = (await bounded(proc.stderr.read(4096), 1)).decode().strip()
                    if text and not self._cut.is_set():
                        _LOGGER.warning("Snd command: %s", text.splitlines()[-1][:200])
            if self._cut.is_set():  # forget what is left of the stream
                stream.ended = True

    async def _unless_cut(self, step: Awaitable[object], ahead_s: float) -> bool:
        """Await a write or the end of playback, bounded by the audio still ahead plus the
        finish timeout; False when a stop word cut the stream first."""
        work = asyncio.ensure_future(step)
        cut = asyncio.ensure_future(self._cut.wait())
        timeout_s = max(ahead_s, 0.0) + self.settings.finish_timeout_s
        try:
            await asyncio.wait({work, cut}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            cut.cancel()
        if work.done():
            work.result()
            return True
        work.cancel()
        if self._cut.is_set():
            return False
        raise TimeoutError

    async def _play_wav(self, stream: _Stream, converter: PcmConverter) -> None:
        assert self.settings.wav_dir is not None
        pieces = []
        while (pcm := await self._converted(stream, converter)) is not None:
            pieces.append(pcm)
        pieces.append(converter.flush())
        fmt = self.settings.format
        self.settings.wav_dir.mkdir(parents=True, exist_ok=True)
        path = self.settings.wav_dir / f"played-{next(self._files):04d}.wav"
        with wave.open(str(path), "wb") as writer:
            writer.setframerate(fmt.rate_hz)
            writer.setsampwidth(fmt.width)
            writer.setnchannels(fmt.channels)
            writer.writeframes(b"".join(pieces))
        _LOGGER.debug("Wrote %s", path)
