"""The engines' exception tree; `code` travels in the Wyoming `error` event."""

from __future__ import annotations


class EngineError(Exception):
    """An engine refused or failed a request."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SttError(EngineError):
    """Speech-to-text failed or was refused."""


class TtsError(EngineError):
    """Text-to-speech failed or was refused."""


class WakeError(EngineError):
    """A wake word request we cannot serve."""
