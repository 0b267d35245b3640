"""Mic clean-up: WebRTC's gain and noise suppression keep the chunks' length and do what they
say on real speech and real noise."""

from __future__ import annotations

import numpy as np
import pytest

from protocol.settings import SettingsError, build
from satellite.cleanup import FRAME_BYTES, MicCleaner
from satellite.settings import MicSettings
from testing.audio import piper_speech, silence

CHUNK_BYTES = 2048  # the satellite's 64 ms chunks


def _run(cleaner: MicCleaner, pcm: bytes) -> bytes:
    out = b""
    for offset in range(0, len(pcm) - CHUNK_BYTES + 1, CHUNK_BYTES):
        chunk = pcm[offset : offset + CHUNK_BYTES]
        cleaned = cleaner.process(chunk)
        assert len(cleaned) == len(chunk)
        out += cleaned
    return out


def _rms(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


def test_every_chunk_comes_out_whole_whatever_its_size() -> None:
    cleaner = MicCleaner(0, 1)
    total_in = total_out = 0
    for size in (2048, 30, 320, 1000, 2, 4096):
        out = cleaner.process(bytes(size))
        total_in, total_out = total_in + size, total_out + len(out)
        assert len(out) == size
    assert total_in == total_out and FRAME_BYTES == 320


def test_gain_lifts_quiet_speech() -> None:
    speech = np.frombuffer(silence(0.5) + piper_speech("Turn on the kitchen light.") * 4, np.int16)
    quiet = (speech.astype(np.int32) // 30).astype(np.int16).tobytes()  # about -30 dB
    lifted = _run(MicCleaner(10, 0), quiet)
    # Judged on the last second, once the gain has settled.
    assert _rms(lifted[-32000:]) > 3 * _rms(quiet[-32000:])


def test_noise_suppression_lowers_steady_noise() -> None:
    rng = np.random.default_rng(3)
    noise = (rng.normal(0, 800, 16000 * 4)).astype(np.int16).tobytes()
    cleaned = _run(MicCleaner(0, 3), noise)
    assert _rms(cleaned[-32000:]) < 0.5 * _rms(noise[-32000:])


@pytest.mark.parametrize(("key", "value"), [("auto_gain_dbfs", 32), ("noise_suppression", 5)])
def test_levels_out_of_range_are_refused(key: str, value: int) -> None:
    with pytest.raises(SettingsError, match=f"mic.{key}"):
        build(MicSettings, {"command": "arecord", key: value})
    assert build(MicSettings, {"command": "arecord", key: 1}).cleans
