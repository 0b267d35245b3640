"""The other end of a run: what both front doors implement, and the small parts they share.

A run tells its peer every event it produces (the peer turns the ones it cares about into
Wyoming events), sets its state, reads its audio, writes the answer's audio to it and waits
until it has been played.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol

from protocol.aio import bounded
from protocol.audio import PcmFormat
from protocol.run_events import PipelineEvent
from protocol.states import NodeState

from ..errors import PipelineError


class PeerGone(PipelineError):
    """The peer's connection ended during the run."""

    def __init__(self, message: str) -> None:
        super().__init__("peer-gone", message)


# `task.cancel(GONE)`: the run is cancelled because its peer's connection is gone; it ends with
# one `peer-gone` error (what the user sees on MQTT and the dashboard), not as "cancelled".
GONE = "peer-gone"


class Peer(Protocol):
    """A satellite session, or one request of a Wyoming client such as Home Assistant."""

    @property
    def node_id(self) -> str:
        """The node the run's events belong to."""
        ...

    async def send(self, event: PipelineEvent) -> None:
        """One event of the run, in order; PeerGone when the peer cannot be reached."""

    def set_state(self, state: NodeState) -> None:
        """What the run is doing now."""

    async def read_audio(self, timeout_s: float | None) -> bytes | None:
        """The next 16 kHz mono 16-bit chunk; None once the peer ended its audio.
        TimeoutError when none came within `timeout_s` (None: wait as long as it takes)."""
        ...

    def stop_audio(self) -> None:
        """The run has heard enough: audio that comes now is dropped."""

    async def start_audio(self, fmt: PcmFormat) -> None:
        """The answer's audio begins."""

    async def write_audio(self, pcm: bytes) -> None:
        """One chunk of the answer's audio."""

    async def end_audio(self) -> None:
        """The answer's audio ends (also when it is cut short); nothing when none began."""

    async def wait_played(self, timeout_s: float) -> bool:
        """Until the peer has played the answer, at most `timeout_s`; False if it never said."""
        ...


class AudioInbox:
    """Audio a peer received for the run that is reading it: open until the run stops it."""

    def __init__(self) -> None:
        self._chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.open = True

    def put(self, pcm16: bytes) -> None:
        """A chunk of audio (dropped once the run has stopped listening, or when empty)."""
        if self.open and pcm16:
            self._chunks.put_nowait(pcm16)

    def end(self) -> None:
        """The peer ended its audio stream."""
        if self.open:
            self._chunks.put_nowait(None)

    def close(self) -> None:
        """Drop what comes from now on."""
        self.open = False

    async def get(self, timeout_s: float | None) -> bytes | None:
        """The next chunk, None at the end of the stream; TimeoutError after `timeout_s`."""
        return await bounded(self._chunks.get(), timeout_s)


class ClientPeer:
    """The part every client request's peer shares (a Wyoming request, an HTTP request): its
    audio through an inbox, no state of its own to show (the hub's activity follows the run),
    and no `played`, since a client plays the audio itself. Subclasses say what `send` and the
    audio out do."""

    def __init__(self, node_id: str) -> None:
        self._node_id = node_id
        self.inbox = AudioInbox()

    @property
    def node_id(self) -> str:
        """The hub's own node."""
        return self._node_id

    def set_state(self, state: NodeState) -> None:
        """Nothing to show a client."""

    async def read_audio(self, timeout_s: float | None) -> bytes | None:
        """The client's next chunk."""
        return await self.inbox.get(timeout_s)

    def stop_audio(self) -> None:
        """Drop the rest."""
        self.inbox.close()

    async def wait_played(self, timeout_s: float) -> bool:
        """A client never says `played`."""
        return False


class TextStream:
    """Text that arrives in pieces (`synthesize-chunk`, LLM tokens), read as it comes."""

    def __init__(self) -> None:
        self._pieces: asyncio.Queue[str | None] = asyncio.Queue()
        self.chars = 0

    def put(self, text: str) -> None:
        """One more piece of text."""
        self.chars += len(text)
        self._pieces.put_nowait(text)

    def end(self) -> None:
        """No more text."""
        self._pieces.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[str]:
        while (piece := await self._pieces.get()) is not None:
            yield piece
