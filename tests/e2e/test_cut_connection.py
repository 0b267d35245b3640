"""A satellite whose connection is cut in the middle of its answer: the hub ends that run with
one error, keeps serving the other satellite, and drives the cut one again once it is back."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from protocol.aio import bounded
from testing.broker import Broker
from testing.hubproc import free_port, running_hub
from testing.mqtt_watch import Watcher, watching
from testing.simsat import SimSatellite, make_clip
from tests.satellite.conftest import until

from .conftest import hub_args

# Long enough that the hub is still synthesizing and sending when the connection goes.
LONG = " ".join(
    [
        "Good evening. The washing machine has finished its programme.",
        "The back door has been open for ten minutes, and it is getting cold outside.",
        "Tomorrow will be cloudy in the morning, with some sun in the afternoon.",
        "Your next appointment is at nine o'clock, at the dentist's on the high street.",
    ]
)


def _events(mqtt: Watcher, node: str, after: int) -> list[dict[str, object]]:
    return [
        json.loads(m.payload) for m in mqtt.messages[after:] if m.topic == f"homevoice/{node}/event"
    ]


async def test_a_cut_mid_answer_ends_that_run_once_and_the_others_go_on(
    tmp_path: Path, module_broker: Broker
) -> None:
    cut = SimSatellite(1, ("hey_jarvis", "Hey Jarvis"))
    other = SimSatellite(2, ("alexa", "Alexa"))
    clip = make_clip("What time is it?")
    for sat in (cut, other):
        await sat.start()
    http_port = free_port()
    args = hub_args(module_broker, cut.port, other.port, extra=["--http-port", str(http_port)])
    announce = f"http://127.0.0.1:{http_port}/api/satellites/bench_1/announce"
    try:
        with running_hub(args=args, log_path=tmp_path / "hub.log"):
            async with watching(module_broker.port) as mqtt:
                for sat in (cut, other):
                    await bounded(sat.ready.wait(), 60)
                mark = len(mqtt.messages)
                cut.cut_mid_answer = True
                async with aiohttp.ClientSession() as http:
                    async with http.post(announce, json={"text": LONG}) as response:
                        assert response.status == 202, await response.text()
                await bounded(cut.heard.done.wait(), 30)
                await until(
                    lambda: any(e["type"] == "run-end" for e in _events(mqtt, "bench_1", mark)), 15
                )
                # Meanwhile and after, the other satellite is served as ever.
                answered = await other.speak(clip)
                await bounded(answered.done.wait(), 30)
                assert answered.error is None and answered.first_audio_s is not None
                # The cut satellite is driven again once it is back, and answered in full.
                cut.cut_mid_answer = False
                await bounded(cut.ready.wait(), 30)
                again = await cut.speak(clip)
                await bounded(again.done.wait(), 30)
                assert again.error is None and again.answer_bytes > 0

                def run_ends() -> int:
                    return sum(e["type"] == "run-end" for e in _events(mqtt, "bench_1", mark))

                await until(lambda: run_ends() == 2, 15)
                events = _events(mqtt, "bench_1", mark)
    finally:
        for sat in (cut, other):
            await sat.close()
    first_run = events[0]["run_id"]
    first = [e for e in events if e["run_id"] == first_run]
    errors = [e for e in first if e["type"] == "error"]
    ends = [e for e in first if e["type"] == "run-end"]
    assert len(errors) == 1 and len(ends) == 1, [e["type"] for e in first]
    assert errors[0]["code"] == "peer-gone"
    assert ends[0]["outcome"] == "error"
    later = [e for e in events if e["run_id"] != first_run and e["type"] == "run-end"]
    assert [e["outcome"] for e in later] == ["ok"]
