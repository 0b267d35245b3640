"""The HTTP requests' ends of their runs: one that hands audio in and keeps what comes out,
and one that streams the spoken answer as a WAV file while it is rendered."""

from __future__ import annotations

import struct

from aiohttp import web

from protocol.audio import PcmFormat
from protocol.run_events import PipelineEvent
from protocol.states import NodeState

from ..pipeline.peer import AudioInbox, PeerGone

UNKNOWN_SIZE = 0xFFFFFFFF  # a streamed WAV's sizes are not known when its header goes out


class RequestPeer:
    """Audio given up front; the run's events kept for the answer."""

    def __init__(self, node_id: str, audio: list[bytes] | None = None) -> None:
        self._node_id = node_id
        self.inbox = AudioInbox()
        for pcm in audio or []:
            self.inbox.put(pcm)
        self.inbox.end()
        self.events: list[PipelineEvent] = []

    @property
    def node_id(self) -> str:
        return self._node_id

    async def send(self, event: PipelineEvent) -> None:
        self.events.append(event)

    def set_state(self, state: NodeState) -> None:
        """Nothing to show: the hub's activity follows the run."""

    async def read_audio(self, timeout_s: float | None) -> bytes | None:
        return await self.inbox.get(timeout_s)

    def stop_audio(self) -> None:
        self.inbox.close()

    async def start_audio(self, fmt: PcmFormat) -> None:
        """No audio goes back on these requests."""

    async def write_audio(self, pcm: bytes) -> None:
        """No audio goes back on these requests."""

    async def end_audio(self) -> None:
        """No audio goes back on these requests."""

    async def wait_played(self, timeout_s: float) -> bool:
        return False


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
