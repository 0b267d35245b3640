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


Seen = tuple[str, str, bool, float]  # kind, timer id, active, seconds left


def handler_with_events() -> tuple[IntentHandler, list[Seen]]:
    """A handler whose timer events are recorded as they come."""
    events: list[Seen] = []

    def on_event(kind: str, timer: Timer) -> None:
        events.append((kind, timer.id, timer.active, timer.left_s))

    handler = IntentHandler(EntityRegistry(), lambda t, p: True, timers=Timers(on_event))
    return handler, events


async def test_a_timer_runs_out_and_says_so() -> None:
    handler, events = handler_with_events()
    assert handler.handle("set a timer for 1 second").answer == "Timer set for 1 second."
    assert handler.handle("how long is left on the timer").answer == "1 second left."
    await asyncio.sleep(1.3)
    assert [(kind, id_) for kind, id_, _, _ in events] == [
        ("started", "timer-1"),
        ("finished", "timer-1"),
    ]
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
    assert [e[0] for e in events] == ["started", "started", "cancelled", "cancelled"]


async def test_pause_add_take_off_and_resume_a_timer() -> None:
    handler, events = handler_with_events()
    assert handler.handle("set a timer for 2 seconds").answer == "Timer set for 2 seconds."
    assert handler.handle("pause the timer").answer == "Timer paused."
    await asyncio.sleep(0.5)  # paused: no time passes
    assert handler.handle("how long is left").answer == "2 seconds (paused) left."
    assert handler.handle("pause the timer").answer == "The timer is paused."
    answer = handler.handle("add 1 minute to the timer").answer
    assert answer == "Timer changed: 1 minute and 2 seconds left."
    answer = handler.handle("take 1 minute off the timer").answer
    assert answer == "Timer changed: 2 seconds left."
    assert handler.handle("continue the timer").answer == "Timer resumed."
    assert handler.handle("resume the timer").answer == "The timer is running."
    await asyncio.sleep(2.3)
    kinds = [(kind, active) for kind, _, active, _ in events]
    assert kinds == [
        ("started", True),
        ("updated", False),  # paused
        ("updated", False),  # + 1 minute
        ("updated", False),  # - 1 minute
        ("updated", True),  # resumed
        ("finished", True),
    ]
    lefts = [left for _, _, _, left in events]
    assert lefts[1:5] == pytest.approx([2, 62, 2, 2], abs=0.05)


async def test_a_running_timer_gets_time_added_and_taking_off_more_than_is_left_ends_it() -> None:
    handler, events = handler_with_events()
    handler.handle("set a timer for 10 seconds")
    answer = handler.handle("increase the timer by 1 hour").answer
    assert answer == "Timer changed: 1 hour and 10 seconds left."
    ((_timer, left),) = handler.timers.running()
    assert left == pytest.approx(3610, abs=0.5)
    answer = handler.handle("shorten the timer by 2 hours").answer
    assert answer == "That was all the time left: the timer is done."
    assert [e[0] for e in events] == ["started", "updated", "finished"]
    assert handler.handle("how long is left").answer == "There is no timer running."


async def test_changing_timers_that_are_not_there_or_not_one_gets_a_clear_answer() -> None:
    handler, events = handler_with_events()
    for sentence in ("pause the timer", "unpause the timer", "add 5 minutes to the timer"):
        assert handler.handle(sentence).answer == "There is no timer running."
    handler.handle("set a timer for 5 minutes")
    handler.handle("set a timer for 10 minutes")
    answer = handler.handle("add 5 minutes to the timer").answer
    assert answer.startswith("There are 2 timers: cancel the ones you don't need")
    assert handler.handle("pause the timers").answer == "Paused 2 timers."
    assert handler.handle("cancel the timers").answer == "Cancelled 2 timers."
    assert "updated" in [e[0] for e in events]
    handler.handle("set a timer for 23 hours")
    answer = handler.handle("add 2 hours to the timer").answer
    assert answer == "I can't change that timer: a timer runs for at most 24 hours."


async def test_each_satellite_pauses_only_its_own_timers() -> None:
    handler, _events = handler_with_events()
    handler.handle("set a timer for 5 minutes", device_id="kitchen")
    handler.handle("set a timer for 5 minutes", device_id="office")
    assert handler.handle("pause the timer", device_id="kitchen").answer == "Timer paused."
    states = {timer.owner: timer.active for timer, _ in handler.timers.running()}
    assert states == {"kitchen": False, "office": True}
    answer = handler.handle("how long is left", device_id="office").answer
    assert answer == "5 minutes left."
