"""Local sounds: optional WAV files for wake-up and done, and a built-in timer chime."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from protocol.audio import MAX_CHANNELS, MAX_RATE_HZ, MIN_RATE_HZ, PcmFormat, float_to_pcm
from protocol.errors import AudioFormatError

CHIME_RATE_HZ = 22050


@dataclass(frozen=True)
class Sound:
    """Raw PCM and its format."""

    pcm: bytes
    fmt: PcmFormat


SUPPORTED = (
    f"PCM WAV, 8-, 16-, 24- or 32-bit, {MIN_RATE_HZ}..{MAX_RATE_HZ} Hz, 1..{MAX_CHANNELS} channels"
)


def load_wav(path: Path) -> Sound:
    """A WAV file's frames (24-bit converted to 16-bit); raises ValueError naming the file and
    what is supported."""
    try:
        with wave.open(str(path), "rb") as reader:
            rate_hz, width, channels = (
                reader.getframerate(),
                reader.getsampwidth(),
                reader.getnchannels(),
            )
            pcm = reader.readframes(reader.getnframes())
    except (OSError, EOFError, wave.Error) as err:
        raise ValueError(f"{path}: not a sound we can play ({err}); use {SUPPORTED}") from None
    if width == 3:
        pcm, width = _pcm24_to_16(pcm), 2
    try:
        return Sound(pcm, PcmFormat(rate_hz, width, channels))
    except AudioFormatError as err:
        raise ValueError(f"{path}: {err.message}; use {SUPPORTED}") from None


def _pcm24_to_16(pcm: bytes) -> bytes:
    """Little-endian 24-bit samples to 16-bit: keep the two high bytes of each."""
    whole = len(pcm) - len(pcm) % 3
    samples = np.frombuffer(pcm[:whole], dtype=np.uint8).reshape(-1, 3)
    return samples[:, 1:].tobytes()


def chime(repeat: int = 1) -> Sound:
    """Two soft rising tones, `repeat` times: the timer-finished sound."""
    fmt = PcmFormat(CHIME_RATE_HZ, 2, 1)
    pieces = []
    for frequency_hz in (880.0, 1320.0):
        t = np.arange(int(0.18 * CHIME_RATE_HZ)) / CHIME_RATE_HZ
        envelope = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)  # 20 ms fades, no clicks
        pieces.append(0.3 * envelope * np.sin(2 * np.pi * frequency_hz * t))
    pieces.append(np.zeros(int(0.35 * CHIME_RATE_HZ)))
    one = np.concatenate(pieces).astype(np.float32)
    return Sound(float_to_pcm(np.tile(one, repeat), fmt), fmt)
