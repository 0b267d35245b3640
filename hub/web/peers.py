"""The HTTP requests' ends of their runs: one that hands audio in and keeps what comes out,
and one that streams the spoken answer as a WAV file while it is rendered."""

from __future__ import annotations

import struct

from aiohttp import web

from protocol.audio import PcmFormat
from protocol.run_events import PipelineEvent

from ..pipeline.peer import ClientPeer, PeerGone

UNKNOWN_SIZE = 0xFFFFFFFF  # a streamed WAV's sizes are not known when its header goes out


class RequestPeer(ClientPeer):
    """Audio given up front; the run's events kept for the answer."""

    def __init__(self, node_id: str, audio: list[bytes] | None = None) -> None:
        super().__init__(node_id)
        for pcm in audio or []:
            self.inbox.put(pcm)
        self.inbox.end()
        self.events: list[PipelineEvent] = []

    async def send(self, event: PipelineEvent) -> None:
        """Kept: the handler answers from them."""
        self.events.append(event)

    async def start_audio(self, fmt: PcmFormat) -> None:
        """No audio goes back on these requests."""

    async def write_audio(self, pcm: bytes) -> None:
        """No audio goes back on these requests."""

    async def end_audio(self) -> None:
        """No audio goes back on these requests."""


def wav_header(fmt: PcmFormat, data_bytes: int = UNKNOWN_SIZE) -> bytes:
    """A 44-byte PCM WAV header; sizes unknown (streaming) unless `data_bytes` is given."""
    riff_bytes = UNKNOWN_SIZE if data_bytes == UNKNOWN_SIZE else 36 + data_bytes
    return b"".join(
        [
            b"RIFF",
            struct.pack("<I", riff_bytes),
            b"WAVEfmt ",
            struct.pack(
                "<IHHIIHH",
                16,
                1,
                fmt.channels,
                fmt.rate_hz,
                fmt.rate_hz * fmt.frame_bytes,
                fmt.frame_bytes,
                8 * fmt.width,
            ),
            b"data",
            struct.pack("<I", data_bytes),
        ]
    )


class WavStreamPeer(RequestPeer):
    """The answer's audio as a WAV download, each clause sent as soon as it is rendered."""

    def __init__(self, node_id: str, request: web.Request) -> None:
        super().__init__(node_id)
        self._request = request
        self.response = web.StreamResponse(
            headers={"Content-Type": "audio/wav", "Cache-Control": "no-store"}
        )

    @property
    def started(self) -> bool:
        """Whether the response (its status, headers and the WAV header) has gone out."""
        return self.response.prepared

    async def start_audio(self, fmt: PcmFormat) -> None:
        self.response.headers["X-Sample-Rate"] = str(fmt.rate_hz)
        await self._write(wav_header(fmt), prepare=True)

    async def write_audio(self, pcm: bytes) -> None:
        await self._write(pcm)

    async def _write(self, data: bytes, prepare: bool = False) -> None:
        try:
            if prepare:
                await self.response.prepare(self._request)
            await self.response.write(data)
        except (ConnectionError, RuntimeError) as err:
            raise PeerGone(f"the HTTP client went away ({err})") from err
