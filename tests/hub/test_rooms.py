"""Per-room context through both front doors, acting over a real broker: a satellite in the
Bedroom turns on the Bedroom's lights for "turn on the light"; Home Assistant's `handle` gets the
room of the device or satellite its context names. Fake STT and TTS; the real intents on the flat
home (testing/fake_home.py) as the hub learns it from discovery."""

from __future__ import annotations

import asyncio

from protocol.aio import bounded
from testing import client
from testing.broker import Broker
from testing.doors import COMMAND, home_assistant_door, satellite_door
from testing.fake_home import FLAT_ENTITIES, flat_messages
from testing.fakes import FakeStt, FakeTts, fake_services
from testing.mqtt_watch import Watcher, followed_home, watching
from testing.simsat import SimSatellite

BEDROOM_LIGHTS = ["flat/bedroom/bedside/set", "flat/bedroom/ceiling/set"]


def commands(watch: Watcher, start: int, end: int | None = None) -> list[tuple[str, str]]:
    """The device commands (not states, not the hub's own topics) in watch.messages[start:end]."""
    return [
        (m.topic, m.payload)
        for m in watch.messages[start:end]
        if m.topic.startswith(("flat/", "z2m/")) and m.topic.endswith("/set")
    ]


async def test_a_satellites_room_and_home_assistants_context(broker: Broker) -> None:
    stt = FakeStt()
    async with (
        followed_home(broker.port, flat_messages(), FLAT_ENTITIES) as home,
        watching(broker.port) as watch,
    ):
        services = fake_services(stt=stt, tts=FakeTts(), home=home)
        satellite = SimSatellite(1, ("hey_jarvis", "Hey Jarvis"))
        satellite.area = "Bedroom"
        await satellite.start()
        heard: list[tuple[str, list[tuple[str, str]]]] = []
        try:
            async with satellite_door(services, satellite):
                for sentence, topic in [
                    ("Turn on the light.", BEDROOM_LIGHTS[-1]),
                    ("Close the blinds.", "flat/bedroom/blinds/position/set"),
                    ("Turn on the kitchen light.", "flat/kitchen/light/set"),  # a name wins
                ]:
                    stt.text, mark = sentence, len(watch.messages)
                    said = await satellite.speak(COMMAND)
                    await bounded(said.done.wait(), 10)
                    assert said.error is None and said.transcript == sentence, said.error
                    await watch.wait_for(topic, after=mark)
                    heard.append((sentence, commands(watch, mark)))

                async with home_assistant_door(services) as port:

                    async def handle(text: str, **context: str) -> str:
                        handled, answer = await client.handle(
                            "127.0.0.1", port, text, context=context
                        )
                        assert handled, answer
                        return answer

                    marks = [len(watch.messages)]
                    # the hub's own satellite, named by Home Assistant
                    by_satellite = await handle("Turn off the lights.", satellite_id="bench_1")
                    await watch.wait_for(BEDROOM_LIGHTS[-1], "OFF".__eq__, after=marks[-1])
                    marks.append(len(watch.messages))
                    # a device the registry knows from discovery (the study's thermostat)
                    by_device = await handle(
                        "Set the temperature to 20.5.", device_id="flat_study_thermo"
                    )
                    await watch.wait_for("flat/study/thermostat/set", after=marks[-1])
                    marks.append(len(watch.messages))
                    # no room known: a question back, never a guess
                    unknown = await handle("Turn on the light.", device_id="nowhere")
                    nothing = await handle("Set the temperature to 20.")
                    await asyncio.sleep(0.2)
                    marks.append(len(watch.messages))
        finally:
            await satellite.close()

    assert heard == [
        ("Turn on the light.", [(topic, "ON") for topic in BEDROOM_LIGHTS]),
        ("Close the blinds.", [("flat/bedroom/blinds/position/set", "0")]),
        ("Turn on the kitchen light.", [("flat/kitchen/light/set", "ON")]),
    ]
    assert by_satellite == "Turned off the 2 lights in the Bedroom."
    assert commands(watch, marks[0], marks[1]) == [(topic, "OFF") for topic in BEDROOM_LIGHTS]
    assert by_device == "Set the Study thermostat to 20.5 degrees."
    assert commands(watch, marks[1], marks[2]) == [("flat/study/thermostat/set", "20.5")]
    assert unknown.startswith("Which light?") and nothing.startswith("Which thermostat?")
    assert commands(watch, marks[2]) == []
