"""A new wake-up on a satellite that is answering interrupts the answer at once."""

from __future__ import annotations

import json
import time
from pathlib import Path

from protocol.aio import bounded
from testing.broker import Broker
from testing.mqtt_watch import Seen, watching
from testing.simsat import SimSatellite, make_clip

from .conftest import hub_driving


async def test_a_new_wake_word_interrupts_the_answer(tmp_path: Path, module_broker: Broker) -> None:
    satellite = SimSatellite(1, ("hey_jarvis", "Hey Jarvis"), sends_played=False)
    await satellite.start()
    first, second = make_clip("What time is it?"), make_clip("What is the date today?")
    try:
        with hub_driving(tmp_path, module_broker, satellite.port):
            async with watching(module_broker.port) as mqtt:
                await bounded(satellite.ready.wait(), 30)
                heard = await satellite.speak(first)
                await bounded(heard.done.wait(), 10)  # the answer was sent ...
                interrupted_at = time.time()
                await satellite.speak(second)  # ... and it never says `played`
                ends: list[Seen] = []
                for _ in range(2):
                    ends.append(
                        await mqtt.wait_for(
                            "homevoice/bench_1/event",
                            lambda p: json.loads(p)["type"] == "run-end",
                            20,
                            after=mqtt.messages.index(ends[-1]) + 1 if ends else 0,
                        )
                    )
        events = [
            json.loads(m.payload) for m in mqtt.messages if m.topic == "homevoice/bench_1/event"
        ]
        runs = list(dict.fromkeys(e["run_id"] for e in events))
        assert len(runs) == 2
        first_end = next(e for e in events if e["run_id"] == runs[0] and e["type"] == "run-end")
        second_start = next(
            e for e in events if e["run_id"] == runs[1] and e["type"] == "run-start"
        )
        # the first run ended when the second began, not after waiting for `played`
        assert first_end["timestamp_ms"] <= second_start["timestamp_ms"]
        assert first_end["timestamp_ms"] / 1000 - interrupted_at < 1.0
        second_answer = [e for e in events if e["run_id"] == runs[1] and e["type"] == "intent-end"]
        assert "today" in str(second_answer[0]["answer"]).lower()
    finally:
        await satellite.close()
