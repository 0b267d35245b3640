"""PCM formats and streaming conversion."""

from __future__ import annotations

import numpy as np
import pytest

from protocol.audio import PcmConverter, PcmFormat, pcm16_to_float
from protocol.errors import AudioFormatError


def sine(rate_hz: int, seconds: float, freq_hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    return (0.5 * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def dominant_hz(samples: np.ndarray, rate_hz: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / rate_hz)[np.argmax(spectrum)])


@pytest.mark.parametrize(
    ("rate", "width", "channels"),
    [(0, 2, 1), (16000, 3, 1), (16000, 2, 0), (16000, 2, 9), (10**7, 2, 1), (16000.5, 2, 1)],
)
def test_refuses_formats_it_cannot_convert(rate: int, width: int, channels: int) -> None:
    with pytest.raises(AudioFormatError):
        PcmFormat(rate_hz=rate, width=width, channels=channels)


def test_48k_stereo_int32_becomes_16k_mono_in_chunks() -> None:
    wave = sine(48000, 1.0)
    stereo = np.stack([wave, wave], axis=1)
    pcm = (stereo * 2**31).astype("<i4").tobytes()
    converter = PcmConverter(PcmFormat(48000, 4, 2))
    step = 4 * 2 * 480  # 10 ms chunks
    out = b"".join(converter.convert(pcm[i : i + step]) for i in range(0, len(pcm), step))
    out += converter.flush()
    samples = pcm16_to_float(out)
    assert abs(len(samples) - 16000) <= 16
    assert dominant_hz(samples, 16000) == pytest.approx(440, abs=2)
    assert np.max(np.abs(samples)) == pytest.approx(0.5, abs=0.02)


def test_unsigned_8bit_is_centred() -> None:
    pcm = bytes([128] * 800)  # 8-bit silence is 128
    converter = PcmConverter(PcmFormat(8000, 1, 1))
    out = converter.convert(pcm) + converter.flush()
    assert len(out) == 2 * 1600
    assert np.max(np.abs(pcm16_to_float(out))) < 0.01


def test_passthrough_keeps_bytes() -> None:
    pcm = (np.arange(100, dtype="<i2")).tobytes()
    converter = PcmConverter(PcmFormat(16000, 2, 1))
    assert converter.is_passthrough
    assert converter.convert(pcm) == pcm


def test_partial_frame_is_an_error() -> None:
    with pytest.raises(AudioFormatError, match="whole number"):
        PcmConverter(PcmFormat(44100, 2, 2)).convert(b"\x00" * 6)
