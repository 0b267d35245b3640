"""Timers changed by voice reach the satellite that set them as Home Assistant sends them:
`timer-updated` with `is_active` and the seconds left, then `timer-cancelled`."""

from __future__ import annotations

from pathlib import Path

from protocol.aio import bounded
from testing.broker import Broker
from testing.hubproc import running_hub
from testing.simsat import SimSatellite, make_clip
from tests.satellite.conftest import until

from .conftest import hub_args


async def test_pausing_adding_time_resuming_and_cancelling_a_timer(
    tmp_path: Path, module_broker: Broker
) -> None:
    satellite = SimSatellite(3, ("hey_jarvis", "Hey Jarvis"))
    await satellite.start()
    answers: list[tuple[str, str]] = []

    async def say(text: str, timer_event: str) -> dict[str, object]:
        seen = len(satellite.events)
        heard = await satellite.speak(make_clip(text))
        await bounded(heard.done.wait(), 15)
        answers.append((text, str(heard.transcript)))
        await until(lambda: any(e.type == timer_event for e in satellite.events[seen:]), 5)
        return next(e.data for e in satellite.events[seen:] if e.type == timer_event)

    try:
        args = hub_args(module_broker, satellite.port)
        with running_hub(args=args, log_path=tmp_path / "hub.log"):
            await bounded(satellite.ready.wait(), 30)
            started = await say("Set a timer for 5 minutes.", "timer-started")
            assert started["total_seconds"] == 300, answers
            paused = await say("Pause the timer.", "timer-updated")
            assert paused["id"] == started["id"] and paused["is_active"] is False, answers
            assert 290 <= int(paused["total_seconds"]) <= 300  # type: ignore[call-overload]
            longer = await say("Add 2 minutes to the timer.", "timer-updated")
            assert longer["is_active"] is False, answers
            # paused: exactly what was left when it paused, plus 120 s
            assert longer["total_seconds"] == int(paused["total_seconds"]) + 120  # type: ignore[call-overload]
            resumed = await say("Continue the timer.", "timer-updated")
            assert (
                resumed["is_active"] is True and resumed["total_seconds"] == longer["total_seconds"]
            )
            cancelled = await say("Cancel the timer.", "timer-cancelled")
            assert cancelled["id"] == started["id"], answers
    finally:
        await satellite.close()
