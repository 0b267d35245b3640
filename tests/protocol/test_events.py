"""Parsing wyoming events with their fields checked."""

from __future__ import annotations

from typing import Any

import pytest
from wyoming.event import Event
from wyoming.tts import Synthesize
from wyoming.wake import Detect

from protocol.errors import MalformedFrame
from protocol.events import parse


def test_good_events_parse() -> None:
    synthesize = parse(Synthesize, Event("synthesize", {"text": "Hi.", "voice": {"name": "v"}}))
    assert (synthesize.text, synthesize.voice and synthesize.voice.name) == ("Hi.", "v")
    assert parse(Detect, Event("detect", {})).names is None


@pytest.mark.parametrize(
    ("cls", "data", "fragment"),
    [
        (Synthesize, {}, "missing or bad field"),
        (Synthesize, {"text": 5}, "'text' must be a str"),
        (Synthesize, {"text": "x", "voice": {"name": 3}}, "'voice.name'"),
        (Detect, {"names": ["a", 1]}, "list of strings"),
    ],
)
def test_bad_fields_are_malformed(cls: Any, data: dict[str, object], fragment: str) -> None:
    with pytest.raises(MalformedFrame, match=fragment):
        parse(cls, Event(cls.__name__.lower(), data))


def test_required_text_may_not_be_null() -> None:
    from wyoming.tts import SynthesizeChunk

    with pytest.raises(MalformedFrame, match="'text' is required"):
        parse(SynthesizeChunk, Event("synthesize-chunk", {"text": None}))
