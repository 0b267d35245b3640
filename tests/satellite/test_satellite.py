"""The real satellite driven as Home Assistant drives it, over a real socket, with real speech."""

from __future__ import annotations

import asyncio
import json
import time

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.satellite import PauseSatellite
from wyoming.timer import TimerFinished, TimerStarted

from protocol.aio import bounded
from protocol.run_events import RunEnd, RunStart, Wake, from_json
from satellite.sounds import chime
from testing import client
from testing.audio import piper_speech
from testing.broker import Broker
from testing.controller import Controller
from testing.mqtt_watch import publish, watching
from tests.conftest import normalize

from .conftest import HOST, Rig, Speech, until


async def send_tts(controller: Controller, pcm: bytes, rate_hz: int = 22050) -> None:
    """Answer audio as Home Assistant sends it: 2048-byte chunks."""
    await controller.send(AudioStart(rate=rate_hz, width=2, channels=1, timestamp=0).event())
    for i in range(0, len(pcm), 2048):
        chunk = AudioChunk(rate=rate_hz, width=2, channels=1, audio=pcm[i : i + 2048])
        await controller.send(chunk.event())
    await controller.send(AudioStop().event())


async def no_event(controller: Controller, event_type: str, seconds: float, after: int) -> bool:
    """True when `event_type` does not arrive within `seconds`."""
    try:
        await controller.wait_for(event_type, seconds, after=after)
    except TimeoutError:
        return True
    return False


async def back_to_idle(controller: Controller) -> None:
    """End whatever run is going on, as HA does after a pipeline error."""
    await controller.send(Error(text="test over", code="test").event())
    await asyncio.sleep(0.3)


async def test_describe_says_satellite_with_its_wake_word(rig: Rig) -> None:
    info = await client.describe(HOST, rig.port)
    satellite = info.satellite
    assert satellite is not None and satellite.installed
    assert (satellite.name, satellite.area, satellite.has_vad) == ("Test Kitchen", "Kitchen", True)
    assert satellite.active_wake_words == ["hey_jarvis"] and satellite.supports_trigger
    models = [m for program in info.wake for m in program.models]
    assert [(m.name, m.phrase) for m in models] == [("hey_jarvis", "Hey Jarvis")]
    assert not info.asr and not info.tts  # HA must see a satellite, not services


async def test_wake_word_command_and_answer(
    rig: Rig, speech: Speech, hub_port: int, module_broker: Broker
) -> None:
    async with Controller(HOST, rig.port) as ha, watching(module_broker.port) as mqtt:
        await ha.run_satellite()
        clip = rig.play(speech.wake_and_command())
        detection = await ha.wait_for("detection", 15)
        run = await ha.wait_for("run-pipeline", 5)
        stop = await ha.wait_for("audio-stop", 15)

        assert ha.types()[:3] == ["detection", "run-pipeline", "audio-chunk"]
        assert detection.event.data["name"] == "hey_jarvis"
        assert run.event.data["start_stage"] == "asr" and run.event.data["end_stage"] == "tts"
        assert run.event.data["wake_word_name"] == "hey_jarvis"
        speech_end = rig.started_at(clip) + speech.speech_end_s()
        assert stop.time_s - speech_end < 1.0, "the satellite's VAD ended the command late"

        between = ha.received[ha.index("run-pipeline") + 1 : ha.index("audio-stop")]
        chunks = [r.event for r in between if r.event.type != "pong"]
        assert {e.type for e in chunks} == {"audio-chunk"}
        first_ms = chunks[0].data["timestamp"]  # the chunk that completed the wake word
        assert first_ms < detection.event.data["timestamp"] <= first_ms + 64  # one audio clock
        audio = b"".join(e.payload or b"" for e in chunks)
        heard = await client.transcribe(HOST, hub_port, audio)
        assert "kitchen light" in normalize(heard.text)

        answer = piper_speech("The kitchen light is on.", 22050)
        before = rig.snd_bytes()
        mark = len(ha.received)
        mqtt_mark = len(mqtt.messages)
        await send_tts(ha, answer)
        played = await ha.wait_for("played", 15, after=mark)
        done = rig.snd_done()
        assert done is not None and done[0] == len(answer)
        assert rig.snd_bytes() - before == len(answer)
        assert played.time_s >= done[1], "played came before the snd command finished"

        events = f"homevoice/{rig.node_id}/event"
        for kind in ("wake", "voice-started", "voice-stopped", "played", "run-end"):
            await mqtt.wait_for(events, lambda p, k=kind: json.loads(p)["type"] == k)  # type: ignore[misc]
        published = [from_json(json.loads(m.payload)) for m in mqtt.messages if m.topic == events]
        ours = [e for e in published if e.run_id == published[0].run_id]
        assert [e.stage.wire for e in ours] == [
            "run-start", "wake", "voice-started", "voice-stopped", "played", "run-end",
        ]  # fmt: skip
        start, wake, end = ours[0], ours[1], ours[-1]
        assert isinstance(start, RunStart) and start.trigger == "wake"
        assert isinstance(wake, Wake) and wake.name == "hey_jarvis" and (wake.score or 0) > 0.5
        assert isinstance(end, RunEnd) and end.outcome == "ok"
        assert {e.node_id for e in ours} == {rig.node_id}
        assert (start.run_id or "").startswith(f"{rig.node_id}-")
        stamps = [e.timestamp_ms for e in ours]  # epoch ms: comparable with this machine's clock
        assert stamps == sorted(stamps) and abs(stamps[-1] / 1000 - time.time()) < 30
        state = f"homevoice/{rig.node_id}/state"
        await mqtt.wait_for(
            state, lambda p: json.loads(p)["state"] == "responding", after=mqtt_mark
        )
        await mqtt.wait_for(state, lambda p: json.loads(p)["state"] == "idle", after=mqtt_mark)


async def test_speech_without_the_wake_word_starts_nothing(rig: Rig, speech: Speech) -> None:
    async with Controller(HOST, rig.port) as ha:
        await ha.run_satellite()
        clip = rig.play(speech.other)
        rig.started_at(clip)
        assert await no_event(ha, "run-pipeline", len(speech.other) / 32000 + 1.0, after=0)
        assert ha.pongs >= 1  # pinged every 2 s and answered


async def test_pause_stops_until_the_next_run_satellite(rig: Rig, speech: Speech) -> None:
    async with Controller(HOST, rig.port) as ha:
        await ha.run_satellite()
        await ha.send(PauseSatellite().event())
        rig.play(speech.wake_and_command(tail_s=0.5))
        assert await no_event(ha, "run-pipeline", 4.5, after=0)
        await ha.run_satellite()
        rig.play(speech.wake_and_command())
        await ha.wait_for("run-pipeline", 10)
        await ha.wait_for("audio-stop", 10)
        await back_to_idle(ha)


async def test_mute_and_listen_over_mqtt(rig: Rig, speech: Speech, module_broker: Broker) -> None:
    base = f"homevoice/{rig.node_id}"
    async with Controller(HOST, rig.port) as ha, watching(module_broker.port) as mqtt:
        await ha.run_satellite()
        await publish(module_broker.port, f"{base}/mute/set", "ON")
        await mqtt.wait_for(f"{base}/state", lambda p: json.loads(p)["muted"] is True)
        rig.play(speech.wake_and_command(tail_s=0.5))
        assert await no_event(ha, "run-pipeline", 4.5, after=0)

        mark = len(mqtt.messages)
        await publish(module_broker.port, f"{base}/mute/set", "OFF")
        await mqtt.wait_for(f"{base}/state", lambda p: not json.loads(p)["muted"], after=mark)
        await publish(module_broker.port, f"{base}/listen/set", "PRESS")
        run = await ha.wait_for("run-pipeline", 5)
        assert run.event.data["start_stage"] == "asr" and "wake_word_name" not in run.event.data
        assert "detection" not in ha.types()
        rig.play(speech.command)
        await ha.wait_for("audio-stop", 10)
        await back_to_idle(ha)


async def test_a_vanished_controller_leaves_the_satellite_idle_for_the_next(
    rig: Rig, speech: Speech
) -> None:
    first = Controller(HOST, rig.port)
    await first.__aenter__()
    await first.run_satellite()
    rig.play(speech.wake_and_command(tail_s=3))
    await first.wait_for("run-pipeline", 10)
    await first.wait_for("audio-chunk", 5)
    await first.close()  # gone mid-stream, no goodbye
    await asyncio.sleep(4)  # the rest of the clip plays into an idle satellite

    async with Controller(HOST, rig.port) as second:
        await second.run_satellite()
        rig.play(speech.wake_and_command())
        await second.wait_for("run-pipeline", 10)
        await second.wait_for("audio-stop", 10)
        await back_to_idle(second)


async def test_a_new_controller_replaces_the_old_one(rig: Rig) -> None:
    async with Controller(HOST, rig.port) as old, Controller(HOST, rig.port) as new:
        await old.run_satellite()
        await asyncio.sleep(0.2)
        await new.run_satellite()
        await bounded(old.closed.wait(), 5)
        await asyncio.sleep(2.5)
        assert not new.closed.is_set() and new.pongs >= 1


async def test_a_finished_timer_rings_and_an_announcement_is_played(rig: Rig) -> None:
    async with Controller(HOST, rig.port) as ha:
        await ha.run_satellite()
        await ha.send(TimerStarted(id="t1", total_seconds=1, name="tea").event())
        before = rig.snd_bytes()
        await ha.send(TimerFinished(id="t1").event())
        ring = len(chime(3).pcm)  # the built-in chime, three times, at the snd rate already
        await until(lambda: not (rig.snd_bytes() - before < ring), 15)
        assert "played" not in ha.types()  # local sounds are not `played`

        mark = len(ha.received)
        await send_tts(ha, piper_speech("Dinner is ready.", 16000), rate_hz=16000)
        await ha.wait_for("played", 15, after=mark)
        done = rig.snd_done()
        assert done is not None and abs(done[0] - len(piper_speech("Dinner is ready.", 22050))) < 64


async def test_bad_events_from_the_controller_do_not_break_the_link(rig: Rig) -> None:
    async with Controller(HOST, rig.port) as ha:
        await ha.run_satellite()
        await ha.send(Event(type="timer-started", data={"total_seconds": "soon"}))
        await ha.send(Event(type="audio-start", data={"rate": 0, "width": 2, "channels": 1}))
        await ha.send(Event(type="transcript", data={"text": 42}))
        await asyncio.sleep(2.5)
        assert not ha.closed.is_set() and ha.pongs >= 1
