"""Mic clean-up before anything listens: WebRTC's automatic gain and noise suppression
(`webrtc-noise-gain`, as wyoming-satellite offers), on whole 10 ms frames of 16 kHz mono."""

from __future__ import annotations

FRAME_BYTES = 320  # 10 ms of 16 kHz, 16-bit mono: what WebRTC's audio processing takes


class MicCleaner:
    """Gain and noise suppression on a stream of chunks; each chunk comes out the same length,
    10 to 20 ms later (the frames a chunk does not fill wait for the next one)."""

    def __init__(self, auto_gain_dbfs: int, noise_suppression: int) -> None:
        from webrtc_noise_gain import AudioProcessor

        self._processor = AudioProcessor(auto_gain_dbfs, noise_suppression)
        self._pending = b""
        # One frame of silence ahead: with it there is always a whole chunk's worth to give.
        self._ready = bytearray(FRAME_BYTES)

    def process(self, pcm16: bytes) -> bytes:
        """The cleaned audio, as many bytes as `pcm16`."""
        self._pending += pcm16
        whole = len(self._pending) - len(self._pending) % FRAME_BYTES
        for offset in range(0, whole, FRAME_BYTES):
            frame = self._pending[offset : offset + FRAME_BYTES]
            self._ready += self._processor.Process10ms(frame).audio
        self._pending = self._pending[whole:]
        out = bytes(self._ready[: len(pcm16)])
        del self._ready[: len(pcm16)]
        return out
