"""Audio formats and streaming PCM conversion with numpy and soxr (no audioop)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soxr

from .errors import AudioFormatError

MIN_RATE_HZ = 4000
MAX_RATE_HZ = 192_000
MAX_CHANNELS = 8
SUPPORTED_WIDTHS = (1, 2, 4)


@dataclass(frozen=True)
class PcmFormat:
    """Raw PCM layout: rate in Hz, bytes per sample, interleaved channel count."""

    rate_hz: int
    width: int
    channels: int

    def __post_init__(self) -> None:
        for name in ("rate_hz", "width", "channels"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise AudioFormatError(f"audio {name} must be an integer, got {value!r}")
        if not MIN_RATE_HZ <= self.rate_hz <= MAX_RATE_HZ:
            raise AudioFormatError(
                f"audio rate {self.rate_hz} Hz is outside {MIN_RATE_HZ}..{MAX_RATE_HZ} Hz"
            )
        if self.width not in SUPPORTED_WIDTHS:
            raise AudioFormatError(
                f"audio width {self.width} bytes is not supported (use one of {SUPPORTED_WIDTHS})"
            )
        if not 1 <= self.channels <= MAX_CHANNELS:
            raise AudioFormatError(f"audio channels {self.channels} is outside 1..{MAX_CHANNELS}")

    @property
    def frame_bytes(self) -> int:
        """Bytes per frame (one sample of every channel)."""
        return self.width * self.channels

    def seconds(self, byte_count: int) -> float:
        """Duration of `byte_count` bytes of this format, in seconds."""
        return byte_count / (self.frame_bytes * self.rate_hz)


STT_FORMAT = PcmFormat(rate_hz=16000, width=2, channels=1)


def pcm_to_float(pcm: bytes, fmt: PcmFormat) -> np.ndarray:
    """Interleaved PCM bytes to a float32 array of shape (frames, channels) in [-1, 1]."""
    if len(pcm) % fmt.frame_bytes:
        raise AudioFormatError(
            f"audio payload of {len(pcm)} bytes is not a whole number of "
            f"{fmt.frame_bytes}-byte frames ({fmt.width}-byte samples x {fmt.channels} channels)"
        )
    if fmt.width == 1:  # 8-bit WAV/PCM is unsigned
        samples = (np.frombuffer(pcm, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif fmt.width == 2:
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    else:
        samples = (np.frombuffer(pcm, dtype="<i4").astype(np.float64) / 2147483648.0).astype(
            np.float32
        )
    return samples.reshape(-1, fmt.channels)


def float_to_pcm16(samples: np.ndarray) -> bytes:
    """Mono float samples in [-1, 1] to 16-bit little-endian PCM bytes."""
    clipped = np.clip(samples, -1.0, 1.0)
    return (clipped * 32767.0).astype("<i2").tobytes()


def float_to_pcm(samples: np.ndarray, fmt: PcmFormat) -> bytes:
    """Mono float samples in [-1, 1] to PCM bytes of `fmt` (the same sample on every channel)."""
    clipped = np.clip(samples, -1.0, 1.0)
    if fmt.channels > 1:
        clipped = np.repeat(clipped, fmt.channels)
    if fmt.width == 1:
        return (clipped * 127.0 + 128.0).astype(np.uint8).tobytes()
    if fmt.width == 2:
        return (clipped * 32767.0).astype("<i2").tobytes()
    return (clipped.astype(np.float64) * 2147483647.0).astype("<i4").tobytes()


class PcmConverter:
    """Converts a stream of PCM chunks from one format to another (16-bit mono by default).

    Channels are mixed down to mono before resampling; a multi-channel target gets the same
    signal on every channel. Resampling state carries across chunks, so chunk boundaries leave
    no clicks. `gain` scales the samples (playback volume).
    """

    def __init__(
        self,
        source: PcmFormat,
        target_rate_hz: int = STT_FORMAT.rate_hz,
        target: PcmFormat | None = None,
    ) -> None:
        self.source = source
        self.target = target or PcmFormat(rate_hz=target_rate_hz, width=2, channels=1)
        self.gain = 1.0
        self._resampler: soxr.ResampleStream | None = None
        if source.rate_hz != self.target.rate_hz:
            self._resampler = soxr.ResampleStream(
                source.rate_hz, self.target.rate_hz, 1, dtype="float32", quality="HQ"
            )

    @property
    def is_passthrough(self) -> bool:
        """True when the source already is the target format."""
        return self.source == self.target

    def convert(self, pcm: bytes) -> bytes:
        """Convert one chunk; raises AudioFormatError on a partial frame."""
        if self.is_passthrough and self.gain == 1.0:
            if len(pcm) % self.source.frame_bytes:
                raise AudioFormatError(f"audio payload of {len(pcm)} bytes has a partial frame")
            return pcm
        mono = pcm_to_float(pcm, self.source).mean(axis=1, dtype=np.float32)
        if self._resampler is not None:
            mono = self._resampler.resample_chunk(mono, last=False)
        if self.gain != 1.0:
            mono = mono * np.float32(self.gain)
        return float_to_pcm(mono, self.target)

    def flush(self) -> bytes:
        """The resampler's remaining samples at the end of the stream."""
        if self._resampler is None:
            return b""
        tail = self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
        return float_to_pcm(tail * np.float32(self.gain), self.target)


def pcm16_to_float(pcm: bytes) -> np.ndarray:
    """16-bit mono PCM bytes to a float32 array in [-1, 1]."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
