"""Voice timers through the intent handler, on a real event loop."""

from __future__ import annotations

import asyncio

import pytest

from hub.intents.handler import IntentHandler
from hub.intents.registry import EntityRegistry
from hub.intents.timers import Timer, Timers, spoken_duration


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (45, "45 seconds"),
        (300, "5 minutes"),
        (5400, "1 hour and 30 minutes"),
        (3725, "1 hour, 2 minutes and 5 seconds"),
        (0.2, "0 seconds"),
    ],
)
def test_spoken_durations(seconds: float, words: str) -> None:
    assert spoken_duration(seconds) == words


def handler_with_events() -> tuple[IntentHandler, list[tuple[str, str]]]:
    events: list[tuple[str, str]] = []

    def on_event(kind: str, timer: Timer) -> None:
        events.append((kind, timer.id))

    handler = IntentHandler(EntityRegistry(), lambda t, p: True, timers=Timers(on_event))
    return handler, events


async def test_a_timer_runs_out_and_says_so() -> None:
    handler, events = handler_with_events()
    assert handler.handle("set a timer for 1 second").answer == "Timer set for 1 second."
    assert handler.handle("how long is left on the timer").answer == "1 second left."
    await asyncio.sleep(1.3)
    assert events == [("started", "timer-1"), ("finished", "timer-1")]
    assert handler.handle("how much time is left").answer == "There is no timer running."


async def test_long_timers_status_and_cancel() -> None:
    handler, events = handler_with_events()
    answer = handler.handle("start a timer for 1 hour and 30 minutes").answer
    assert answer == "Timer set for 1 hour and 30 minutes."
    assert handler.handle("set a 5 minute timer").answer == "Timer set for 5 minutes."
    assert (
        handler.handle("how long is left").answer
        == "2 timers: 5 minutes, 1 hour and 30 minutes left."
    )
    assert handler.handle("cancel the timers").answer == "Cancelled 2 timers."
    assert handler.handle("cancel the timer").answer == "There is no timer running."
    assert [kind for kind, _ in events] == ["started", "started", "cancelled", "cancelled"]
