"""A Wyoming TCP server that reads through the bounded reader and isolates bad peers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

from wyoming.error import Error
from wyoming.event import Event

from .admission import Admission, ServerLimits, Slot
from .aio import bounded
from .errors import ProtocolError, ReadTimedOut
from .framing import FrameLimits, read_event, write_event

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class TcpUri:
    """A parsed `tcp://host:port` listening address."""

    host: str
    port: int

    @staticmethod
    def parse(uri: str) -> TcpUri:
        """Parse `tcp://host:port`; raises ValueError naming what is wrong."""
        parsed = urlparse(uri)
        if parsed.scheme != "tcp":
            raise ValueError(f"only tcp://host:port is supported, got {uri!r}")
        if not parsed.hostname:
            raise ValueError(f"missing host in {uri!r}")
        try:
            port = parsed.port
        except ValueError as err:
            raise ValueError(f"bad port in {uri!r}") from err
        if port is None:
            raise ValueError(f"missing port in {uri!r}")
        return TcpUri(host=parsed.hostname, port=port)


async def _linger(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, limits: ServerLimits
) -> int:
    """Half-close, then discard what the peer still sends, bounded in bytes and time; the
    bytes discarded.

    Closing a socket with unread input makes the kernel send a reset, and the peer may then
    lose our last event (the `error` that says why); HTTP servers linger for the same reason.
    A peer that goes on sending past the bounds is not reading: it gets the reset.
    """
    if reader.at_eof() or writer.is_closing():
        return 0
    with contextlib.suppress(OSError, RuntimeError):
        if writer.can_write_eof():
            writer.write_eof()
    discarded = 0
    deadline = asyncio.get_running_loop().time() + limits.linger_timeout_s
    with contextlib.suppress(OSError, TimeoutError, asyncio.IncompleteReadError):
        async with asyncio.timeout_at(deadline):
            while discarded <= limits.linger_max_bytes:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                discarded += len(chunk)
    return discarded


class Connection(ABC):
    """One peer's session; `handle_event` returns False to end the connection."""

    def __init__(self, peer: str, writer: asyncio.StreamWriter, limits: FrameLimits) -> None:
        self.peer = peer
        self._writer = writer
        self._limits = limits
        self._write_lock = asyncio.Lock()

    async def send(self, event: Event) -> None:
        """Write one event, bounded by the write timeout; events never interleave."""
        async with self._write_lock:
            await write_event(event, self._writer, self._limits.write_timeout_s)

    async def send_error(self, code: str, text: str) -> None:
        """Send a Wyoming `error` event."""
        await self.send(Error(text=text, code=code).event())

    @abstractmethod
    async def handle_event(self, event: Event) -> bool:
        """React to one event from the peer."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the session holds (background tasks, model slots)."""


ConnectionFactory = Callable[[str, asyncio.StreamWriter, FrameLimits], Connection]


class WyomingServer:
    """Accepts peers within the limits, reads every frame through the bounded reader."""

    def __init__(self, uri: TcpUri, factory: ConnectionFactory, limits: ServerLimits) -> None:
        self._uri = uri
        self._factory = factory
        self._limits = limits
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._admission = Admission(limits)

    @property
    def connections(self) -> int:
        """Peers connected now."""
        return len(self._admission)

    @property
    def port(self) -> int:
        """The bound port (useful when asked for port 0)."""
        assert self._server is not None and self._server.sockets
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Bind and start accepting."""
        self._server = await asyncio.start_server(
            self._on_connect, self._uri.host, self._uri.port, limit=self._limits.max_line_bytes
        )

    async def stop(self) -> None:
        """Stop accepting and end every open connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await bounded(self._server.wait_closed(), 5)

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        address = writer.get_extra_info("peername")
        host = str(address[0]) if address else "?"
        slot = self._admission.admit(host, task)
        if slot is None:
            writer.close()
            return
        peer = f"#{slot.number} {host}:{address[1]}" if address else f"#{slot.number}"
        self._tasks.add(task)
        try:
            if await self._serve(peer, slot, reader, writer):
                discarded = await _linger(reader, writer, self._limits)
                _LOGGER.debug("%s: %d bytes discarded while closing", peer, discarded)
        except asyncio.CancelledError:
            # stop() cancelled this connection, or it was dropped to make room. End the task
            # quietly: asyncio's stream callback would otherwise log the cancellation as an error.
            pass
        finally:
            self._admission.release(slot)
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await bounded(writer.wait_closed(), 2)

    async def _serve(
        self, peer: str, slot: Slot, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Serve until the peer leaves or breaks the protocol; True if a linger may help."""
        connection = self._factory(peer, writer, self._limits)
        _LOGGER.debug("Connected %s", peer)
        first_s = min(self._limits.first_frame_timeout_s, self._limits.idle_timeout_s)
        try:
            while True:
                event = await read_event(reader, self._limits, None if slot.framed else first_s)
                if event is None:
                    return False
                slot.framed = True
                if not await connection.handle_event(event):
                    return True
        except ProtocolError as err:
            if slot.framed or not isinstance(err, ReadTimedOut):
                _LOGGER.warning("Closing %s: %s", peer, err.message)
            else:  # sent nothing, or half a first frame: a scan or a flood, one line per burst
                self._admission.silent.add(f"{peer}: {err.message}")
            with contextlib.suppress(Exception):
                await connection.send_error(err.code, err.message)
            return True
        except (asyncio.IncompleteReadError, ConnectionError) as err:
            # Often a client that read its answer and closed with a reset: not worth an INFO line.
            _LOGGER.debug("%s disconnected abruptly (%s)", peer, type(err).__name__)
            return False
        except asyncio.CancelledError:
            raise
        except Exception:
            _LOGGER.exception("Unexpected error serving %s", peer)
            with contextlib.suppress(Exception):
                await connection.send_error("internal-error", "internal error; see the hub log")
            return True
        finally:
            await connection.close()
            _LOGGER.debug("Disconnected %s", peer)
