"""The awake/done sounds: 24-bit WAVs are converted; anything else unplayable stops the
satellite with one line naming the file and what is supported, never a traceback."""

from __future__ import annotations

import struct
import subprocess
import sys
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from satellite.runtime import SatelliteRuntime
from satellite.settings import MicSettings, SatelliteSettings, SoundSettings
from satellite.sounds import load_wav
from satellite.vad import speech_detector


def write_wav(path: Path, samples: bytes, width: int, rate_hz: int = 22050) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(width)
        out.setframerate(rate_hz)
        out.writeframes(samples)
    return path


def pcm24(values: np.ndarray) -> bytes:
    wide = values.astype("<i4").tobytes()
    return b"".join(wide[i : i + 3] for i in range(0, len(wide), 4))


def float_wav(path: Path) -> Path:
    """A 32-bit float WAV (format tag 3), which the wave module cannot read."""
    data = np.zeros(100, dtype="<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)
    riff = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    riff += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(riff)) + riff)
    return path


def test_a_24_bit_wav_is_converted_to_16_bit(tmp_path: Path) -> None:
    values = np.array([0, 2**23 - 1, -(2**23), 256 * 1000, -256 * 1000], dtype=np.int32)
    sound = load_wav(write_wav(tmp_path / "awake.wav", pcm24(values), 3))
    assert (sound.fmt.rate_hz, sound.fmt.width, sound.fmt.channels) == (22050, 2, 1)
    assert np.frombuffer(sound.pcm, dtype="<i2").tolist() == [0, 32767, -32768, 1000, -1000]


def test_the_satellite_takes_a_24_bit_awake_sound(tmp_path: Path) -> None:
    awake = write_wav(tmp_path / "awake.wav", pcm24(np.zeros(2205, dtype=np.int32)), 3)
    settings = SatelliteSettings(mic=MicSettings(command="true"), sounds=SoundSettings(awake=awake))
    satellite = SatelliteRuntime(settings, None, speech_detector(settings.vad), "test")
    assert satellite._sounds["awake"].fmt.width == 2
    as_mic = SatelliteSettings(mic=MicSettings(wav=awake))
    assert SatelliteRuntime(as_mic, None, speech_detector(as_mic.vad), "test").mic is not None


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda p: float_wav(p), "unknown format: 3"),
        (lambda p: write_wav(p, bytes(400), 2, rate_hz=1_000_000), "outside 4000..192000 Hz"),
        (lambda p: (p.write_bytes(b"not a wav at all"), p)[1], "not a sound we can play"),
    ],
    ids=["float", "rate", "garbage"],
)
@pytest.mark.parametrize("where", ["sounds", "mic"])
def test_an_unplayable_sound_is_one_line_and_exit_1(
    tmp_path: Path, make: Callable[[Path], Path], why: str, where: str
) -> None:
    sound = make(tmp_path / "done.wav")
    config = tmp_path / "satellite.yaml"
    mic = ["--mic-command", "true"]
    if where == "sounds":
        config.write_text(f"sounds:\n  done: {sound}\n")
    else:  # the WAV that stands in for a microphone in demos
        config.write_text(f"mic:\n  wav: {sound}\n")
        mic = []
    result = subprocess.run(
        [sys.executable, "-m", "satellite", "--config", str(config), *mic, "--no-zeroconf",
         "--uri", "tcp://127.0.0.1:0"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("homevoice-")]
    assert "Traceback" not in result.stderr and len(errors) == 1, result.stderr
    assert str(sound) in errors[0] and why in errors[0]
    assert "PCM WAV, 8-, 16-, 24- or 32-bit, 4000..192000 Hz, 1..8 channels" in errors[0]
