"""Helpers on top of the `wyoming` event classes: parsing that turns bad fields into errors."""

from __future__ import annotations

import typing
from typing import Any, Protocol, TypeVar

from wyoming.event import Event

from .errors import MalformedFrame

T = TypeVar("T", covariant=True)

# Fields a peer fills in, with the type each must have when present.
_FIELD_TYPES: dict[str, type] = {"text": str, "language": str, "name": str, "context": dict}


class _FromEvent(Protocol[T]):
    @staticmethod
    def from_event(event: Event) -> T: ...


def parse(cls: _FromEvent[T], event: Event) -> T:
    """`cls.from_event(event)`; a missing or mistyped field raises MalformedFrame."""
    try:
        message = cls.from_event(event)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise MalformedFrame(f"{event.type} event has a missing or bad field: {err!r}") from err
    hints = typing.get_type_hints(type(message))
    for name, expected in _FIELD_TYPES.items():
        if name not in hints:
            continue
        value = getattr(message, name)
        if value is None and type(None) not in typing.get_args(hints[name]):
            raise MalformedFrame(f"{event.type} field {name!r} is required")
        _check_type(event.type, name, value, expected)
    names = getattr(message, "names", None)
    if names is not None and not (
        isinstance(names, list) and all(isinstance(n, str) for n in names)
    ):
        raise MalformedFrame(f"{event.type} field 'names' must be a list of strings, got {names!r}")
    voice = getattr(message, "voice", None)
    if voice is not None:
        _check_type(event.type, "voice.name", voice.name, str)
    return message


def _check_type(event_type: str, name: str, value: Any, expected: type) -> None:
    if value is not None and not isinstance(value, expected):
        raise MalformedFrame(
            f"{event_type} field {name!r} must be a {expected.__name__}, got {value!r}"
        )


# homevoice's own event, hub → homevoice satellite: start a run now, without the wake word
# (a satellite that does not know it ignores it, as Wyoming peers ignore unknown events).
LISTEN_EVENT_TYPE = "homevoice-listen"


def listen_event() -> Event:
    """Ask a homevoice satellite to listen without its wake word."""
    return Event(type=LISTEN_EVENT_TYPE)
