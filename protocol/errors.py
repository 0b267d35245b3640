"""Typed errors for the wire protocol; each carries a stable code sent in Wyoming `error` events."""

from __future__ import annotations


class ProtocolError(Exception):
    """A peer broke the Wyoming protocol; the connection ends after an `error` event."""

    code = "protocol-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedFrame(ProtocolError):
    """A header, data block or payload that cannot be parsed."""

    code = "malformed-frame"


class FrameTooLarge(ProtocolError):
    """A header line, data block or payload above the configured limits."""

    code = "frame-too-large"


class ReadTimedOut(ProtocolError):
    """The peer went silent: no next event, or a frame left half-sent."""

    code = "read-timeout"


class AudioFormatError(ProtocolError):
    """An audio format we cannot convert, or a chunk that does not match its format."""

    code = "unsupported-audio"
