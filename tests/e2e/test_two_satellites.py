"""Two of our satellites driven by one hub: arbitration, timers, announcements."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from testing.audio import piper_speech, silence
from testing.broker import Broker
from testing.mqtt_watch import publish, watching
from testing.satrig import Rig
from tests.satellite.conftest import until

from .conftest import Ear, hub_driving, kitchen_satellite, light_on

HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, module_broker: Broker
) -> Iterator[tuple[Rig, Rig]]:
    """Kitchen and Living Room satellites driven by one hub."""
    root = tmp_path_factory.mktemp("pair")
    with (
        kitchen_satellite(root / "kitchen", module_broker) as kitchen,
        kitchen_satellite(root / "living", module_broker, name="Living Room") as living,
        hub_driving(root, module_broker, kitchen.port, living.port),
    ):
        yield kitchen, living


async def both_idle(broker: Broker) -> None:
    async with watching(broker.port) as mqtt:
        for node in ("kitchen", "living_room"):
            await mqtt.wait_for(
                f"homevoice/{node}/state", lambda p: json.loads(p)["state"] == "idle", 20
            )


async def test_two_satellites_hear_one_command_and_exactly_one_answers(
    pair: tuple[Rig, Rig], module_broker: Broker, wake_command: bytes, ear: Ear
) -> None:
    kitchen, living = pair
    await both_idle(module_broker)
    async with light_on(module_broker) as light, watching(module_broker.port) as mqtt:
        await asyncio.sleep(1.0)  # the hub has read the light's discovery
        before = {rig.node_id: rig.snd_bytes() for rig in pair}
        kitchen.play(wake_command)
        living.play(wake_command)
        for node in ("kitchen", "living_room"):
            await mqtt.wait_for(
                f"homevoice/{node}/event", lambda p: json.loads(p)["type"] == "run-end", 30
            )
        await asyncio.sleep(3.0)  # the answer plays out; a second one would have begun
    runs = {
        node: [json.loads(m.payload) for m in mqtt.messages if m.topic == f"homevoice/{node}/event"]
        for node in ("kitchen", "living_room")
    }
    errors = {node: [e for e in events if e["type"] == "error"] for node, events in runs.items()}
    answered = [
        node for node, events in runs.items() if any(e["type"] == "tts-end" for e in events)
    ]
    assert len(answered) == 1, runs
    loser = "living_room" if answered == ["kitchen"] else "kitchen"
    assert [e["code"] for e in errors[loser]] == ["duplicate_wake_up_detected"]
    assert not errors[answered[0]]
    assert len(light.commands) == 1, "the light was switched more than once"
    grew = {rig.node_id: rig.snd_bytes() - before[rig.node_id] for rig in pair}
    winner_rig = kitchen if answered == ["kitchen"] else living
    loser_rig = living if winner_rig is kitchen else kitchen
    assert grew[winner_rig.node_id] > 22050 and grew[loser_rig.node_id] == 0
    satellite_events = [
        json.loads(m.payload)
        for m in mqtt.messages
        if m.topic == f"homevoice/{loser_rig.node_id}/event"
    ]
    assert any(
        e["type"] == "error" and e.get("code") == "duplicate_wake_up_detected"
        for e in satellite_events
    ), "the losing satellite was not told"
    assert "kitchen light" in await ear.heard_since(winner_rig, before[winner_rig.node_id])


async def test_timer_events_reach_the_satellite_and_its_end_is_announced_there(
    pair: tuple[Rig, Rig], module_broker: Broker, ear: Ear
) -> None:
    kitchen, living = pair
    await both_idle(module_broker)
    clip = (
        silence(0.3)
        + piper_speech("Hey Jarvis.")
        + silence(0.3)
        + piper_speech("Set a timer for 3 seconds.")
        + silence(2.0)
    )
    async with watching(module_broker.port) as mqtt:
        kitchen.play(clip)
        own = f"homevoice/{kitchen.node_id}/event"
        started = await mqtt.wait_for(own, lambda p: json.loads(p)["type"] == "timer-started", 20)
        answer = await mqtt.wait_for(
            "homevoice/kitchen/event", lambda p: json.loads(p)["type"] == "intent-end", 5
        )
        assert "3 seconds" in json.loads(answer.payload)["answer"]
        assert json.loads(started.payload)["total_seconds"] == 3
        await mqtt.wait_for(
            "homevoice/kitchen/event", lambda p: json.loads(p)["type"] == "run-end", 10
        )
        await mqtt.wait_for(own, lambda p: json.loads(p)["type"] == "timer-finished", 10)
        finished_at = kitchen.snd_bytes()
        # the timer chime, then the spoken announcement (> 1.5 s of 22050 Hz audio)
        await until(lambda: kitchen.snd_bytes() > finished_at + 3 * 22050, 20)
        await both_idle(module_broker)
        await asyncio.sleep(0.5)  # the snd stand-in has written the last of it
    heard = await ear.heard_since(kitchen, finished_at)
    assert "timer" in heard and "done" in heard, heard
    assert not [m for m in mqtt.messages if m.topic == f"homevoice/{living.node_id}/event"], (
        "the other satellite heard about the timer"
    )


async def test_announcements_on_one_satellite_and_on_all(
    pair: tuple[Rig, Rig], module_broker: Broker, ear: Ear
) -> None:
    kitchen, living = pair
    await both_idle(module_broker)
    before = {rig.node_id: rig.snd_bytes() for rig in pair}
    await publish(module_broker.port, "homevoice/kitchen/announce/set", "The laundry is finished.")
    await until(lambda: kitchen.snd_bytes() > before[kitchen.node_id] + 22050, 15)
    await both_idle(module_broker)
    await asyncio.sleep(0.5)
    assert living.snd_bytes() == before[living.node_id]
    assert "laundry" in await ear.heard_since(kitchen, before[kitchen.node_id])

    before = {rig.node_id: rig.snd_bytes() for rig in pair}
    await publish(module_broker.port, "homevoice/all/announce/set", "Dinner is ready.")
    for rig in pair:
        await until(lambda rig=rig: rig.snd_bytes() > before[rig.node_id] + 22050, 15)  # type: ignore[misc]
    await both_idle(module_broker)
    await asyncio.sleep(0.5)
    for rig in pair:
        assert "dinner" in await ear.heard_since(rig, before[rig.node_id])
