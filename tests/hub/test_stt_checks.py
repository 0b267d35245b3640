"""The checks that send a short-window decode back to the full 30 s window."""

from __future__ import annotations

from hub.engines.stt import _repeats_itself


def test_a_looping_transcript_repeats_itself() -> None:
    assert _repeats_itself("Turn on the kitchen light. Turn on the kitchen light. Turn on the")


def test_ordinary_commands_do_not() -> None:
    assert not _repeats_itself("Turn on the light and turn on the fan.")
    assert not _repeats_itself("Set the living room temperature to 21 degrees.")
    assert not _repeats_itself("")
