"""The root of the hub's errors: everything a run or a request cannot get past.

`code` is stable (it travels in Wyoming `error` events, pipeline `error` events and HTTP
answers); `message` says why in words a user can act on. Engines, the pipeline and the front
doors each raise a subclass; each is turned into one `error` at one place.
"""

from __future__ import annotations


class PipelineError(Exception):
    """A request or a run cannot go on."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


class ModelError(Exception):
    """A model cannot be used (not found, not what its package ships); the message names it
    and says what to do."""
