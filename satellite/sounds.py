"""Local sounds: optional WAV files for wake-up and done, and a built-in timer chime."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from protocol.audio import PcmFormat, float_to_pcm

CHIME_RATE_HZ = 22050


@dataclass(frozen=True)
class Sound:
    """Raw PCM and its format."""

    pcm: bytes
    fmt: PcmFormat


def load_wav(path: Path) -> Sound:
    """A WAV file's frames; raises ValueError saying what is wrong with it."""
    try:
        with wave.open(str(path), "rb") as reader:
            fmt = PcmFormat(reader.getframerate(), reader.getsampwidth(), reader.getnchannels())
            return Sound(reader.readframes(reader.getnframes()), fmt)
    except (OSError, EOFError, wave.Error) as err:
        raise ValueError(f"{path}: not a readable PCM WAV file ({err})") from err


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
