"""The engines' exception tree, under the hub's one root (`hub.errors.PipelineError`); `code`
travels in the Wyoming `error` event."""

from __future__ import annotations

from ..errors import PipelineError


class EngineError(PipelineError):
    """An engine refused or failed a request."""


class SttError(EngineError):
    """Speech-to-text failed or was refused."""


class TtsError(EngineError):
    """Text-to-speech failed or was refused."""


class WakeError(EngineError):
    """A wake word request we cannot serve."""
